package dev.iova.bench.trace.kernel;

/**
 * One event of a recording that maps or unmaps DMA addresses, as {@link EventLineParser} read it:
 * what the kernel did, in bytes, before any conversion to pages.
 *
 * <p>{@link Kind#MAP} and {@link Kind#UNMAP} cover {@code [addr, addr + bytes)}; a
 * {@link Kind#SG_MAP} covers the span of all its segments' DMA addresses and keeps their physical
 * addresses in {@link #physAddrs()}, by which a {@link Kind#SG_UNMAP} (which prints no DMA
 * address) is matched.
 *
 * @param kind       what the event did.
 * @param dma        true for a {@code dma:} event, false for an {@code iommu:} one.
 * @param name       the event name without its system ({@code dma_map_page}, {@code map}).
 * @param device     the device a {@code dma:} event names, null for {@code iommu:} events.
 * @param addr       first byte address (IOVA) of the range.
 * @param bytes      length of the range in bytes, 0 for {@link Kind#SG_UNMAP}.
 * @param physAddrs  physical addresses of the segments, for {@link Kind#SG_MAP} and {@link Kind#SG_UNMAP}; else null.
 * @param truncated  a {@code dma_map_sg} of more segments than the kernel prints (128).
 * @param line       1-based line of the recording.
 * @param timestamp  the event time: nanoseconds when the recording prints seconds with a
 *                   fraction, the printed integer otherwise (counter clocks).
 */
record KernelEvent(
    Kind kind,
    boolean dma,
    String name,
    String device,
    long addr,
    long bytes,
    long[] physAddrs,
    boolean truncated,
    long line,
    long timestamp)
{
    /** What an event did to the device's address space. */
    enum Kind
    {
        /** Mapped one contiguous range: {@code iommu:map}, {@code dma_map_page}/{@code _phys}/{@code _resource}, {@code dma_alloc*}. */
        MAP,
        /** Unmapped a range: {@code iommu:unmap}, {@code dma_unmap_page}/{@code _phys}/{@code _resource}, {@code dma_free*}. */
        UNMAP,
        /** Mapped a scatter-gather list into one range: {@code dma_map_sg}. */
        SG_MAP,
        /** Unmapped a scatter-gather list, named by its physical addresses: {@code dma_unmap_sg}. */
        SG_UNMAP,
        /** A map that failed and mapped nothing: {@code dma_map_sg_err}, {@code dma_alloc_sgt_err}, a {@code dma_alloc} with no address. */
        FAILED_MAP,
        /** A cache sync ({@code dma_sync_*}): changes no mapping. */
        SYNC
    }

    /** @return the last byte address of the range (inclusive). */
    long lastByte()
    {
        return addr + bytes - 1;
    }
}
