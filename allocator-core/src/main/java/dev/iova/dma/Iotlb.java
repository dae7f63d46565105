package dev.iova.dma;

/**
 * The IOMMU's translation cache, as the DMA layer sees it: something to invalidate after
 * entries are cleared and before the addresses they mapped are used again.
 *
 * <p>An invalidation has <em>completed</em> when the method returns: from then on the IOMMU holds
 * no translation, and no walk-cache entry, for what was cleared before the call began. The
 * {@link DmaDomain} frees an IOVA only after an invalidation that covers its last unmap has
 * completed. Implementations must be thread-safe (any thread that unmaps, flushes or closes may
 * call them, concurrently) and should not allocate on the Java heap, since strict-mode unmaps call
 * them on the hot path.
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

    /** Invalidates every cached translation of the domain. */
    void invalidateAll();
}
