package dev.iova.dma;

/**
 * What ran out when a map returned {@link DmaDomain#NO_ADDRESS}, after the domain drained its
 * flush queues and retried once ({@link DmaDomain#lastMapFailure()}, {@link DmaDomain#mapFailures(MapFailure)},
 * {@link DmaMapping#failure()}).
 */
public enum MapFailure
{
    /** No free IOVA range of the size below the device's DMA mask. */
    IOVA_SPACE,

    /** The page table reached its {@code maxTables} bound. */
    PAGE_TABLES
}
