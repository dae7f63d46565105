package dev.iova;

/**
 * Alignment helpers for {@link IovaDomain#alloc(long, long, long, Fit)}.
 */
public final class Alignments
{
    private Alignments()
    {
    }

    /**
     * The alignment iommufd gives an automatic IOVA ({@code drivers/iommu/iommufd/io_pagetable.c}):
     * the length rounded up to a power of two, lowered to the lowest set bit of the address being
     * mapped (so that the IOVA and the address share their alignment and huge pages can map the
     * buffer), capped at {@code capBytes}, and at least one granule. Map the buffer at
     * {@code pfn * granuleBytes + (addressBytes & (granuleBytes - 1))}: the sub-granule offset is kept.
     *
     * @param addressBytes the physical or user address of the buffer; 0 means "no constraint from the address".
     * @param lengthBytes  the buffer length, at least 1.
     * @param capBytes     the largest alignment wanted (the largest block size), a power of two.
     * @param granuleBytes the domain's granule, a power of two.
     * @return the alignment in pages (granules), a power of two, at least 1.
     * @throws IllegalArgumentException naming the value when a length is below 1 or a size is not a power of two.
     */
    public static long iommufdAlignmentPages(final long addressBytes, final long lengthBytes, final long capBytes, final long granuleBytes)
    {
        if (lengthBytes < 1 || lengthBytes > 1L << 62)
        {
            throw new IllegalArgumentException("lengthBytes=" + lengthBytes + " must be in [1, 2^62]");
        }
        if (Long.bitCount(capBytes) != 1 || Long.bitCount(granuleBytes) != 1 || capBytes < 0 || granuleBytes < 0)
        {
            throw new IllegalArgumentException("capBytes=" + capBytes + " and granuleBytes=" + granuleBytes + " must be powers of two");
        }
        long alignBytes = lengthBytes == 1 ? 1 : Long.highestOneBit(lengthBytes - 1) << 1;
        if (addressBytes != 0)
        {
            alignBytes = Math.min(alignBytes, Long.lowestOneBit(addressBytes));
        }
        alignBytes = Math.max(Math.min(alignBytes, capBytes), granuleBytes);
        return alignBytes / granuleBytes;
    }
}
