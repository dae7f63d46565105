package dev.iova.dma;

import dev.iova.region.Protection;

/**
 * Which way the data of a DMA mapping moves, as a driver says it (Linux's
 * {@code enum dma_data_direction}); the domain turns it into the page-table protection.
 */
public enum DmaDirection
{
    /** The device reads the buffer (a transmit buffer, a command): the IOMMU grants reads only. */
    TO_DEVICE(Protection.READ),

    /** The device writes the buffer (a receive buffer, a completion): the IOMMU grants writes only. */
    FROM_DEVICE(Protection.WRITE),

    /** The device reads and writes the buffer. */
    BIDIRECTIONAL(Protection.READ_WRITE);

    private final Protection protection;

    DmaDirection(final Protection protection)
    {
        this.protection = protection;
    }

    /** @return what the IOMMU lets the device do with a page mapped this way. */
    public Protection protection()
    {
        return protection;
    }
}
