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

    /** @return the device's number within its domain, 1 to 2046. */
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
     * Reserves one contiguous IOVA range for this device, mapping nothing (the two-step API's
     * {@code dma_iova_try_alloc}; see {@link DmaIova}).
     *
     * @param range a handle that reserves nothing now.
     * @param bytes the range's size, rounded up to whole pages.
     * @return true when reserved; false when no IOVA range fits below the mask (after draining the flush queues).
     * @throws IllegalStateException    when the handle already reserves a range.
     * @throws IllegalArgumentException for a size that cannot fit below the mask.
     */
    public boolean reserve(final DmaIova range, final long bytes)
    {
        return domain.reserveFor(this, range, bytes);
    }

    /**
     * Links physical pages at {@code offset} of a reservation, with no invalidation.
     *
     * @param range     a range this device reserved.
     * @param offset    where in the range, a multiple of the page size.
     * @param phys      first physical byte, page-aligned.
     * @param bytes     how many bytes, rounded up to whole pages, inside the range.
     * @param direction which way the data moves.
     * @return true when linked; false when out of page tables (nothing linked).
     * @throws IllegalArgumentException for bad input or a piece over one already linked; nothing changes.
     */
    public boolean link(final DmaIova range, final long offset, final long phys, final long bytes, final DmaDirection direction)
    {
        return domain.linkFor(this, range, offset, phys, bytes, protectionOf(direction));
    }

    /**
     * Tells the IOTLB what was linked in {@code [offset, offset + bytes)} ({@link Iotlb#mapped}): once
     * after the links, before the device uses them.
     *
     * @param range  a range this device reserved.
     * @param offset a multiple of the page size.
     * @param bytes  how many bytes.
     */
    public void sync(final DmaIova range, final long offset, final long bytes)
    {
        domain.syncFor(this, range, offset, bytes);
    }

    /**
     * Unlinks one or more whole linked pieces and invalidates their range before returning (the
     * range stays reserved).
     *
     * @param range  a range this device reserved.
     * @param offset where the first piece starts.
     * @param bytes  up to the end of the last piece.
     * @throws IllegalArgumentException when the span is not whole linked pieces; nothing changes.
     */
    public void unlink(final DmaIova range, final long offset, final long bytes)
    {
        domain.unlinkFor(this, range, offset, bytes);
    }

    /**
     * Unlinks whatever is still linked and frees the range: invalidated before the IOVA is freed
     * (strict), or through the flush queues (lazy). The handle reserves nothing afterwards.
     *
     * @param range a range this device reserved.
     */
    public void destroy(final DmaIova range)
    {
        domain.destroyFor(this, range);
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
