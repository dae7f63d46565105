package dev.iova.dma;

import static dev.iova.dma.IoPageTable.hex;

/**
 * A contiguous IOVA range reserved up front for one device, into which physical pages are linked
 * at offsets: the two-step DMA API (Linux 2025: {@code dma_iova_try_alloc}, {@code dma_iova_link},
 * {@code dma_iova_sync}, {@code dma_iova_unlink}, {@code dma_iova_destroy}).
 *
 * <pre>{@code
 * DmaIova range = new DmaIova();                               // caller-owned, reusable
 * if (!nvme.reserve(range, 1 << 20)) { ... }                    // one IOVA range, nothing mapped
 * nvme.link(range, 0, pagePhys[0], 4096, DmaDirection.TO_DEVICE);  // no invalidation, no allocation
 * nvme.link(range, 4096, pagePhys[1], 4096, DmaDirection.TO_DEVICE);
 * nvme.sync(range, 0, 8192);                                    // once, before the device uses it
 * ... the device reads [range.dmaAddress(), + 8192) ...
 * nvme.unlink(range, 4096, 4096);                               // cleared and invalidated at once
 * nvme.destroy(range);                                          // the rest unlinked, the IOVA freed
 * }</pre>
 *
 * <ul>
 *   <li><b>link</b> writes the page-table entries of one piece (granule-aligned offset and physical
 *       address) and returns false, linking nothing, when page-table memory runs out. Pieces
 *       may not overlap; each is one mapping for {@code unlink}.</li>
 *   <li><b>sync</b> tells the {@link Iotlb} what was linked ({@link Iotlb#mapped}); link alone
 *       calls nothing.</li>
 *   <li><b>unlink</b> takes back one or more whole pieces and invalidates their range before it
 *       returns, in both modes, because the range stays reserved and a later link of the same
 *       offset must not meet a stale translation.</li>
 *   <li><b>destroy</b> clears whatever is still linked and frees the IOVA as an unmap does:
 *       invalidated first in strict mode, through the flush queues in lazy mode. No address of
 *       the range is handed out again before the invalidation that covers it completes.</li>
 * </ul>
 * Linked pages belong to the reservation: {@code unmap} and {@link DmaDevice#unmapAll()} refuse
 * or skip them. One thread at a time per reservation for reserve and destroy; links and unlinks of
 * disjoint pieces may come from several threads. Nothing here allocates.
 */
public final class DmaIova
{
    private volatile DmaDevice device;
    private long iova;
    private long pages;
    private long granuleShift;

    /** An empty handle, reserving nothing. */
    public DmaIova()
    {
    }

    /** @return the DMA address of the range's first byte, or {@link DmaDomain#NO_ADDRESS} when nothing is reserved. */
    public long dmaAddress()
    {
        return device == null ? DmaDomain.NO_ADDRESS : iova;
    }

    /** @return the reserved bytes (whole pages), 0 when nothing is reserved. */
    public long bytes()
    {
        return device == null ? 0 : pages << granuleShift;
    }

    /** @return true while a range is reserved. */
    public boolean isReserved()
    {
        return device != null;
    }

    @Override
    public String toString()
    {
        return device == null ? "DmaIova{none}" : "DmaIova{dma=" + hex(iova) + ", bytes=" + hex(bytes()) + ", " + device + "}";
    }

    // ---------------------------------------------------------------------------------------------
    // For the domain
    // ---------------------------------------------------------------------------------------------

    void reserved(final DmaDevice owner, final long firstIova, final long rangePages, final int shift)
    {
        this.iova = firstIova;
        this.pages = rangePages;
        this.granuleShift = shift;
        this.device = owner; // volatile: the fields before it
    }

    void released()
    {
        this.device = null;
    }

    long iova()
    {
        return iova;
    }

    long pages()
    {
        return pages;
    }

    /** @throws IllegalStateException when nothing is reserved, or another device reserved it. */
    void checkReservedBy(final DmaDevice caller)
    {
        final DmaDevice owner = device;
        if (owner == null)
        {
            throw new IllegalStateException("this DmaIova reserves nothing: reserve it first (or it was destroyed)");
        }
        if (owner != caller)
        {
            throw new IllegalStateException("this DmaIova was reserved by " + owner + ", not by " + caller);
        }
    }
}
