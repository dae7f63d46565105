/**
 * Replayable allocation traces (iova-trace v1, {@code trace-format.md}): read them, replay them
 * into an allocator, write synthetic ones.
 *
 * <ul>
 *   <li>{@link dev.iova.bench.trace.TraceParser} reads a file into a {@link dev.iova.bench.trace.Trace}:
 *       primitive arrays, one slot per line, ids already resolved to the entries they refer to.</li>
 *   <li>{@link dev.iova.bench.trace.TraceReplayer} replays a trace into a
 *       {@link dev.iova.bench.trace.ReplayTarget} ({@link dev.iova.bench.trace.DomainReplayTarget}
 *       for the tree of an {@code IovaDomain}, {@link dev.iova.bench.trace.CachedReplayTarget} for its
 *       range caches) and reports a {@link dev.iova.bench.trace.ReplayResult},
 *       with the {@link dev.iova.bench.trace.PfnDigest} of all placements.</li>
 *   <li>{@link dev.iova.bench.trace.TraceGenerator} writes the {@link dev.iova.bench.trace.TraceShape}s
 *       through a {@link dev.iova.bench.trace.TraceWriter}.</li>
 * </ul>
 *
 * Errors of a trace, found while reading or replaying it, are
 * {@link dev.iova.bench.trace.TraceFormatException}s whose message is {@code FILE:LINE: reason}.
 * See {@code docs/replay.md}.
 */
package dev.iova.bench.trace;
