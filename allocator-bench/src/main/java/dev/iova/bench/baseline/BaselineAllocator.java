package dev.iova.bench.baseline;

/**
 * What the trace tools and the suites call on a baseline allocator: highest fit below a limit,
 * free by first pfn and pages, reserve. {@link BaselineReplayTarget} puts any of them behind the
 * replay interface.
 */
public interface BaselineAllocator
{
    /** @return the lowest pfn the allocator hands out. */
    long startPfn();

    /** @return the highest pfn the allocator hands out. */
    long lastPfn();

    /**
     * @param pages       pages to allocate, at least 1.
     * @param limitPfn    the highest pfn the range may use.
     * @param sizeAligned whether the range starts at a multiple of {@code pages} rounded up to a power of two.
     * @return the range's first pfn, or 0 when nothing fits.
     */
    long alloc(long pages, long limitPfn, boolean sizeAligned);

    /**
     * @param pfn   the range's first pfn.
     * @param pages the range's pages.
     */
    void free(long pfn, long pages);

    /**
     * @param loPfn the first pfn to reserve.
     * @param hiPfn the last pfn to reserve.
     */
    void reserve(long loPfn, long hiPfn);
}
