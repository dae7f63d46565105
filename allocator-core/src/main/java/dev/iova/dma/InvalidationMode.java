package dev.iova.dma;

/** When the {@link DmaDomain} invalidates the IOTLB after an unmap (Linux's {@code iommu.strict}). */
public enum InvalidationMode
{
    /**
     * Every unmap invalidates its range, and waits for it, before freeing the IOVA: no stale
     * translation survives the unmap call, at the cost of one invalidation per unmap.
     */
    STRICT,

    /**
     * Unmaps clear the entries and queue the IOVA in a flush queue; a queue invalidates the whole
     * IOTLB once per batch (when full, when its oldest entry is older than the timeout, or on
     * {@link DmaDomain#flush()}) and only then frees the IOVAs it holds. A device may still reach
     * an unmapped buffer through a stale translation until then; no IOVA is reused before.
     */
    LAZY
}
