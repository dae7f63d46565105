package dev.iova.bench.trace;

import dev.iova.AllocAtOutcome;
import dev.iova.Fit;

/**
 * A {@link ReplayTarget} that can replay iova-trace v2: alignment and fit per allocation, fixed
 * allocations, allowed ranges and owned reservations ({@code trace-format.md}, "iova-trace v2").
 * {@link DomainReplayTarget} is one; a {@link TraceReplayer} refuses a v2 trace for any target
 * that is not, with one sentence naming the target ({@link #description()}).
 *
 * <p>As for v1, the replayer calls it from one thread, in trace order, with arguments valid for
 * the target's bounds: requests that can never fit (an alignment above {@link #lastPfn()}, a
 * fixed range leaving {@code [startPfn(), lastPfn()]}) count as failures without a call, and
 * reserve and allow ranges are clipped to the bounds first.
 */
public interface PlacementReplayTarget extends ReplayTarget
{
    /**
     * Allocates {@code pages} contiguous pfns, all {@code <= limitPfn}, the first a multiple of
     * {@code alignPages}, placed by {@code fit}.
     *
     * @param pages      how many pages, at least 1.
     * @param limitPfn   the highest pfn the range may use, at least {@link #startPfn()}.
     * @param alignPages a power of two, at most {@link #lastPfn()}.
     * @param fit        highest, lowest or best, as v2 defines them.
     * @return the first pfn, or {@link #NO_ADDRESS} when nothing fits.
     */
    long alloc(long pages, long limitPfn, long alignPages, Fit fit);

    /**
     * Allocates exactly {@code [pfn, pfn + pages - 1]}, which lies inside the target's bounds.
     *
     * @return {@link AllocAtOutcome#PLACED}, or why not.
     */
    AllocAtOutcome allocAt(long pfn, long pages);

    /**
     * Reserves {@code [loPfn, hiPfn]} for {@code owner}.
     *
     * @param owner the owner, or null for an unowned reserve.
     * @return false, changing nothing, when the range overlaps a live allocation.
     */
    boolean reserve(long loPfn, long hiPfn, String owner);

    /**
     * @param owner a reserve owner.
     * @return how many (merged) reserves of that owner were removed; 0 when it had none.
     */
    int unreserve(String owner);

    /**
     * Adds an allowed range.
     *
     * @throws IllegalStateException, changing nothing, when a live allocation would lie outside
     *                               the allowed ranges.
     */
    void allow(long loPfn, long hiPfn);
}
