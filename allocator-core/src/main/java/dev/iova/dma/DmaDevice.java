package dev.iova.dma;

import dev.iova.region.Protection;

/**
 * A device's view of a {@link DmaDomain}: its DMA mask, fixed once, so that a driver cannot pass
 * the wrong one. Every call goes to the domain with that mask; unmapping needs no mask. Immutable,
 * thread-safe, garbage-free.
 */
public final class DmaDevice
{
    private final DmaDomain domain;
    private final int maskBits;

    DmaDevice(final DmaDomain domain, final int maskBits)
    {
        this.domain = domain;
        this.maskBits = maskBits;
    }

    /** @return the device's DMA mask width. */
    public int maskBits()
    {
        return maskBits;
    }

    /** @return the domain this device maps into. */
    public DmaDomain domain()
    {
        return domain;
    }

    /**
     * As {@link DmaDomain#map(long, long, Protection, int)} with this device's mask.
     *
     * @param phys       first physical byte.
     * @param bytes      how many bytes.
     * @param protection what the device may do.
     * @return the DMA address, or {@link DmaDomain#NO_ADDRESS}.
     */
    public long map(final long phys, final long bytes, final Protection protection)
    {
        return domain.map(phys, bytes, protection, maskBits);
    }

    /**
     * As {@link DmaDomain#unmap(long, long)}.
     *
     * @param dmaAddress what {@link #map} returned.
     * @param bytes      the bytes mapped.
     */
    public void unmap(final long dmaAddress, final long bytes)
    {
        domain.unmap(dmaAddress, bytes);
    }

    /**
     * As {@link DmaDomain#mapSg(long[], long[], int, Protection, long[], int)} with this device's mask.
     *
     * @param phys         first physical byte of each segment.
     * @param bytes        length of each segment.
     * @param count        how many segments.
     * @param protection   what the device may do.
     * @param dmaAddresses receives each segment's DMA address.
     * @return the first segment's DMA address, or {@link DmaDomain#NO_ADDRESS}.
     */
    public long mapSg(final long[] phys, final long[] bytes, final int count, final Protection protection, final long[] dmaAddresses)
    {
        return domain.mapSg(phys, bytes, count, protection, dmaAddresses, maskBits);
    }

    /**
     * As {@link DmaDomain#unmapSg(long[], long[], int)}.
     *
     * @param dmaAddresses what {@link #mapSg} returned.
     * @param bytes        the segment lengths.
     * @param count        how many segments.
     */
    public void unmapSg(final long[] dmaAddresses, final long[] bytes, final int count)
    {
        domain.unmapSg(dmaAddresses, bytes, count);
    }

    @Override
    public String toString()
    {
        return "DmaDevice{maskBits=" + maskBits + ", " + domain + "}";
    }
}
