package dev.iova.bench.trace;

/**
 * What one replay of a trace reports.
 *
 * @param ops          operations replayed: {@code alloc}, {@code alloc-at} and {@code free} lines (no other line counts).
 * @param allocOk      allocations that got a range.
 * @param allocFailed  allocations ({@code alloc} and {@code alloc-at}) that found no room, and
 *                     those that could never fit (a limit below the start pfn, more pages than
 *                     the domain has, an alignment above its last pfn, a fixed range outside it).
 * @param freeSkipped  frees of an id whose allocation failed.
 * @param liveAtEnd    allocations still bound when the trace ends.
 * @param reservesSkipped reserve lines that lie wholly outside the domain and were skipped.
 * @param reserveFailed reserve lines of a v2 trace refused because they overlap a live allocation (always 0 for v1).
 * @param pfnDigest    the FNV-1a 64 digest of every allocation result, see {@link PfnDigest}.
 * @param elapsedNanos wall time of the replay loop, in nanoseconds.
 */
public record ReplayResult(
    long ops,
    long allocOk,
    long allocFailed,
    long freeSkipped,
    long liveAtEnd,
    long reservesSkipped,
    long reserveFailed,
    long pfnDigest,
    long elapsedNanos)
{
    /** @return the wall time per operation in nanoseconds; 0 for a trace without operations. */
    public double nsPerOp()
    {
        return ops == 0 ? 0.0 : (double)elapsedNanos / ops;
    }

    /** @return {@link #pfnDigest()} as 16 lower-case hex digits. */
    public String pfnDigestHex()
    {
        return PfnDigest.toHex(pfnDigest);
    }

    /**
     * @param other another replay of the same trace.
     * @return true when every field but the timing is the same.
     */
    public boolean sameOutcomeAs(final ReplayResult other)
    {
        return ops == other.ops && allocOk == other.allocOk && allocFailed == other.allocFailed &&
            freeSkipped == other.freeSkipped && liveAtEnd == other.liveAtEnd &&
            reservesSkipped == other.reservesSkipped && reserveFailed == other.reserveFailed && pfnDigest == other.pfnDigest;
    }
}
