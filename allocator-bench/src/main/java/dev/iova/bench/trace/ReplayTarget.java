package dev.iova.bench.trace;

/**
 * The allocator a {@link TraceReplayer} drives for an iova-trace v1 file (a v2 file needs a
 * {@link PlacementReplayTarget}): the tree of an {@code IovaDomain} through
 * {@link DomainReplayTarget}, or any other allocator (a cached front end, a model) that keeps
 * the same contract.
 *
 * <p>The replayer calls it from one thread, in trace order, and only with arguments that are
 * valid for the target's bounds: {@code pages} between 1 and the size of the domain,
 * {@code limitPfn >= startPfn()}, and reserve ranges already clipped to
 * {@code [startPfn(), lastPfn()]}. Implementations should allocate nothing per call: the
 * replayer times them.
 */
public interface ReplayTarget
{
    /** What {@link #alloc(long, long)} returns when nothing fits: pfn 0, never a real result. */
    long NO_ADDRESS = 0L;

    /**
     * @return what the target is, for the one sentence a v2 trace it cannot replay gets
     * ("the range caches (--cache)"); the class name by default.
     */
    default String description()
    {
        return getClass().getSimpleName();
    }

    /**
     * @return why the target cannot replay an iova-trace v2 file, for the sentence that refuses
     * one ("it places only size-aligned ranges at the highest fit").
     */
    default String whyNotV2()
    {
        return "it has no alignment, fit policies, fixed addresses, allowed ranges or owners";
    }

    /** @return the lowest pfn the target hands out. */
    long startPfn();

    /** @return the highest pfn the target hands out (inclusive). */
    long lastPfn();

    /**
     * Allocates {@code pages} contiguous pfns, all {@code <= limitPfn}, with the first pfn a
     * multiple of {@code pages} rounded up to a power of two (iova-trace v1 asks for natural
     * alignment).
     *
     * @param pages    how many pages, at least 1.
     * @param limitPfn the highest pfn the range may use (inclusive), at least {@link #startPfn()};
     *                 values above {@link #lastPfn()} mean {@code lastPfn()}.
     * @return the first pfn of the range, or {@link #NO_ADDRESS} when nothing fits.
     */
    long alloc(long pages, long limitPfn);

    /**
     * Frees a range that {@link #alloc(long, long)} returned and that is still live.
     *
     * @param pfn   the first pfn {@code alloc} returned.
     * @param pages the pages it was asked for.
     */
    void free(long pfn, long pages);

    /**
     * Makes {@code [loPfn, hiPfn]} unavailable for ever.
     *
     * @param loPfn first pfn, at least {@link #startPfn()}.
     * @param hiPfn last pfn (inclusive), at least {@code loPfn}, at most {@link #lastPfn()}.
     * @throws IllegalArgumentException when the range overlaps a live allocation.
     */
    void reserve(long loPfn, long hiPfn);
}
