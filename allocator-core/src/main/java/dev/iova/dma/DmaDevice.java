package dev.iova.dma;

import dev.iova.region.Protection;

/**
 * A device attached to a {@link DmaDomain}: its DMA mask, fixed once so that a driver cannot pass
 * the wrong one, and an identity the page table records in every mapping the device makes.
 *
 * <ul>
 *   <li><b>Ownership.</b> {@link #unmap(long, long)} and {@link #unmap(DmaMapping)} refuse a
 *       mapping another device (or the domain itself) made; {@link #unmapAll()} finds the
 *       device's mappings in the page table and unmaps them all (a driver's remove path).</li>
 *   <li><b>Handles.</b> {@link #map(DmaMapping, long, long, DmaDirection)} fills a caller-owned
 *       {@link DmaMapping}; {@link #unmap(DmaMapping)} takes back exactly what it recorded and
 *       throws on a stale handle instead of unmapping whatever reuses the address.</li>
 *   <li><b>32-bit first, once.</b> A device whose mask is wider than 32 bits allocates below
 *       4 GiB until the first time nothing fits there; from then on it allocates below its full
 *       mask only ({@link #usesFullMask()}), and the domain's
 *       {@link DmaDomain.Builder#fullMaskListener} hears about it once (mainline Linux's
 *       one-shot policy).</li>
 * </ul>
 * Thread-safe; map and unmap allocate nothing.
 */
public final class DmaDevice
{
    private final DmaDomain domain;
    private final int maskBits;
    private final int id;
    private final long ownerBits;
    /** Bumped by {@link #unmapAll()}: handles made before it are stale. */
    private volatile long teardownEpoch;
    /** Set once, when an allocation below 4 GiB first failed: the device uses its full mask from then on. */
    private volatile boolean fullMask;

    DmaDevice(final DmaDomain domain, final int maskBits, final int id)
    {
        this.domain = domain;
        this.maskBits = maskBits;
        this.id = id;
        this.ownerBits = (long)id << PageTableDescriptor.OWNER_SHIFT;
    }

    /** @return the device's DMA mask width. */
    public int maskBits()
    {
        return maskBits;
    }

    /** @return the device's number within its domain, 1 to 2047. */
    public int id()
    {
        return id;
    }

    /** @return the domain this device maps into. */
    public DmaDomain domain()
    {
        return domain;
    }

    /**
     * @return true once an allocation below 4 GiB failed for this device: it allocates below its
     *         full mask from then on (always false for a mask of 32 bits or less, or with the
     *         32-bit-first policy off).
     */
    public boolean usesFullMask()
    {
        return fullMask;
    }

    /**
     * Maps for this device; see {@link DmaDomain#map(long, long, Protection, int)}.
     *
     * @param phys      first physical byte.
     * @param bytes     how many bytes.
     * @param direction which way the data moves.
     * @return the DMA address, or {@link DmaDomain#NO_ADDRESS} ({@link DmaDomain#lastMapFailure()} says why).
     */
    public long map(final long phys, final long bytes, final DmaDirection direction)
    {
        return domain.mapFor(this, phys, bytes, protectionOf(direction));
    }

    /**
     * As {@link #map(long, long, DmaDirection)} with a page-table protection.
     *
     * @param phys       first physical byte.
     * @param bytes      how many bytes.
     * @param protection what the device may do.
     * @return the DMA address, or {@link DmaDomain#NO_ADDRESS}.
     */
    public long map(final long phys, final long bytes, final Protection protection)
    {
        return domain.mapFor(this, phys, bytes, protection);
    }

    /**
     * Maps into a handle, which records the address and the exact bytes.
     *
     * @param mapping   a handle that maps nothing now.
     * @param phys      first physical byte.
     * @param bytes     how many bytes.
     * @param direction which way the data moves.
     * @return true when mapped; false when out of IOVA space or page tables ({@link DmaMapping#failure()} says which).
     * @throws IllegalStateException    when the handle still maps something, or another thread uses it.
     * @throws IllegalArgumentException for bad input; nothing changes.
     */
    public boolean map(final DmaMapping mapping, final long phys, final long bytes, final DmaDirection direction)
    {
        final Protection protection = protectionOf(direction);
        mapping.beginMap();
        final long dma;
        try
        {
            dma = domain.mapFor(this, phys, bytes, protection);
        }
        catch (final RuntimeException | Error ex)
        {
            mapping.abortMap();
            throw ex;
        }
        if (dma == DmaDomain.NO_ADDRESS)
        {
            mapping.mapFailed(domain.lastMapFailure());
            return false;
        }
        mapping.mapped(this, dma, bytes, teardownEpoch);
        return true;
    }

    /**
     * Unmaps what a handle maps, exactly: the address and bytes it recorded.
     *
     * @param mapping a handle this device mapped.
     * @throws IllegalStateException when the handle maps nothing (already unmapped, never mapped, or
     *                               torn down by {@link #unmapAll()}) or belongs to another device.
     */
    public void unmap(final DmaMapping mapping)
    {
        mapping.beginUnmap(this);
        boolean stillMapped = true;
        try
        {
            domain.unmapFor(this, mapping.mappedDma(), mapping.mappedBytes());
            stillMapped = false;
        }
        catch (final IllegalArgumentException ex)
        {
            throw ex; // refused before any change: the handle still maps it
        }
        catch (final RuntimeException | Error ex)
        {
            stillMapped = false; // the IOTLB threw after the entries were cleared: unmapped all the same
            throw ex;
        }
        finally
        {
            mapping.endUnmap(stillMapped);
        }
    }

    /**
     * Unmaps one mapping of this device; see {@link DmaDomain#unmap(long, long)}.
     *
     * @param dmaAddress what {@link #map} returned.
     * @param bytes      the bytes mapped.
     * @throws IllegalArgumentException as the domain's unmap, and when another device made the mapping.
     */
    public void unmap(final long dmaAddress, final long bytes)
    {
        domain.unmapFor(this, dmaAddress, bytes);
    }

    /**
     * As {@link DmaDomain#mapSg(long[], long[], int, Protection, long[], int)} with this device's mask.
     *
     * @param phys         first physical byte of each segment.
     * @param bytes        length of each segment.
     * @param count        how many segments.
     * @param direction    which way the data moves.
     * @param dmaAddresses receives each segment's DMA address.
     * @return the first segment's DMA address, or {@link DmaDomain#NO_ADDRESS}.
     */
    public long mapSg(final long[] phys, final long[] bytes, final int count, final DmaDirection direction, final long[] dmaAddresses)
    {
        return domain.mapSgFor(this, phys, bytes, count, protectionOf(direction), dmaAddresses);
    }

    /**
     * As {@link #mapSg(long[], long[], int, DmaDirection, long[])} with a page-table protection.
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
        return domain.mapSgFor(this, phys, bytes, count, protection, dmaAddresses);
    }

    /**
     * As {@link DmaDomain#unmapSg(long[], long[], int)}, for a list this device mapped.
     *
     * @param dmaAddresses what {@link #mapSg} returned.
     * @param bytes        the segment lengths.
     * @param count        how many segments.
     */
    public void unmapSg(final long[] dmaAddresses, final long[] bytes, final int count)
    {
        domain.unmapSgFor(this, dmaAddresses, bytes, count);
    }

    /**
     * Per-device teardown: unmaps every mapping this device made (single buffers and
     * scatter-gather lists alike, found in the page table), each invalidated (strict) or queued
     * (lazy) as an unmap is, and makes every handle mapped before the call stale. Call it when
     * the device is quiet (a driver's remove path): a map for this device racing it may survive
     * it; an unmap racing it unmaps each mapping once, either here or there.
     *
     * @return how many mappings it unmapped.
     * @throws IllegalStateException after the domain's close.
     * @throws RuntimeException      what the {@link Iotlb} threw; every mapping is unmapped all the same.
     */
    public int unmapAll()
    {
        teardownEpoch++; // a benign race: only unmapAll writes it, and a quiet device has one caller
        return domain.unmapAllFor(this);
    }

    @Override
    public String toString()
    {
        return "device " + id + " (" + maskBits + "-bit DMA mask)";
    }

    // ---------------------------------------------------------------------------------------------
    // For the domain
    // ---------------------------------------------------------------------------------------------

    long ownerBits()
    {
        return ownerBits;
    }

    long teardownEpoch()
    {
        return teardownEpoch;
    }

    /** @return true when this call switched the device to its full mask (the first failure below 4 GiB). */
    boolean switchToFullMask()
    {
        if (fullMask)
        {
            return false;
        }
        synchronized (this)
        {
            if (fullMask)
            {
                return false;
            }
            fullMask = true;
            return true;
        }
    }

    private static Protection protectionOf(final DmaDirection direction)
    {
        if (direction == null)
        {
            throw new IllegalArgumentException("direction is null: map with TO_DEVICE, FROM_DEVICE or BIDIRECTIONAL");
        }
        return direction.protection();
    }
}
