package dev.iova.dma;

/**
 * The IOMMU's translation cache, as the DMA layer sees it: something to invalidate after
 * entries are cleared and before the addresses they mapped are used again, and (optionally) to
 * tell when entries are written.
 *
 * <p>An invalidation has <em>completed</em> when the method returns: from then on the IOMMU holds
 * no translation, and no walk-cache entry, for what was cleared before the call began. The
 * {@link DmaDomain} frees an IOVA only after an invalidation that covers its last unmap has
 * completed. Implementations must be thread-safe (any thread that maps, unmaps, flushes or closes
 * may call them, concurrently) and should not allocate on the Java heap, since map and
 * strict-mode unmap call them on the hot path.
 *
 * <h2>Ranges</h2>
 * Every unmap <em>gathers</em> what it cleared (Linux's {@code iommu_iotlb_gather}): its first
 * IOVA and length, the size of the pages it cleared, and whether it detached page tables (which a
 * walk cache may hold). Strict mode hands that to {@link #invalidateRange(long, long, long, boolean)}.
 * The lazy flush queues invalidate everything once per batch ({@link #invalidateAll()}); a backend
 * that can only invalidate, or unmap, range by range (a VFIO container, a device model) answers
 * false to {@link #canInvalidateAll()}, and the queues then hand it each queued range instead.
 */
public interface Iotlb
{
    /**
     * Invalidates every cached translation of {@code [iova, iova + bytes)}.
     *
     * @param iova  first address, granule-aligned.
     * @param bytes a positive multiple of the granule.
     */
    void invalidateRange(long iova, long bytes);

    /**
     * Invalidates what one unmap gathered. The default calls {@link #invalidateRange(long, long)}.
     *
     * @param iova        first address cleared, granule-aligned.
     * @param bytes       bytes cleared, a positive multiple of {@code pageBytes}.
     * @param pageBytes   the smallest size among the entries cleared: a block size when the unmap
     *                    cleared only blocks of that size, else the granule; for an IOMMU that
     *                    invalidates by page size (Arm's TLBI range, Intel's address mask).
     * @param tablesFreed true when the unmap detached page tables: the walk caches must drop them too.
     */
    default void invalidateRange(final long iova, final long bytes, final long pageBytes, final boolean tablesFreed)
    {
        invalidateRange(iova, bytes);
    }

    /** Invalidates every cached translation of the domain; never called when {@link #canInvalidateAll()} is false. */
    void invalidateAll();

    /**
     * @return false for a backend that cannot invalidate everything at once: the lazy flush queues
     *         and every retry then invalidate range by range. Default true.
     */
    default boolean canInvalidateAll()
    {
        return true;
    }

    /**
     * Called after a map wrote the entries of {@code [iova, iova + bytes)} and before it returns
     * the address (Linux's {@code iotlb_sync_map}): a hook for an IOMMU that caches non-present
     * entries, or a device model that shadows the table. The default does nothing. When it throws,
     * the map takes the mapping back (an unmap, with its invalidation) and rethrows: nothing stays mapped.
     *
     * @param iova  first address mapped, granule-aligned.
     * @param bytes bytes mapped.
     */
    default void mapped(final long iova, final long bytes)
    {
    }
}
