package dev.iova.bench.trace.kernel;

/**
 * What {@code import} was asked for.
 *
 * @param device       the device whose {@code dma:} events to import, or null: the only one.
 * @param limitPfn     the limit of every {@code alloc} (highest pfn, inclusive), or
 *                     {@link #DEFAULT_LIMIT}: from {@code maskBits}, or else the smallest
 *                     {@code 2^k - 1} covering every recorded range of the device.
 * @param maskBits     the device's DMA mask in bits ({@code --mask}), or 0 for none.
 * @param granuleBytes the page size, a power of two.
 * @param strict       stop at the first malformed line, overlapping map, unmatched unmap or truncated
 *                     scatter-gather map, instead of counting it.
 */
public record ImportOptions(String device, long limitPfn, int maskBits, long granuleBytes, boolean strict)
{
    /** {@link #limitPfn()} when {@code --limit} was not given. */
    public static final long DEFAULT_LIMIT = -1;

    /** The granule of x86 and of most IOMMUs: 4 KiB. */
    public static final long DEFAULT_GRANULE_BYTES = 4096;

    /**
     * @throws IllegalArgumentException with the value, when an option is out of its range.
     */
    public ImportOptions
    {
        if (granuleBytes <= 0 || Long.bitCount(granuleBytes) != 1 || granuleBytes > (1L << 62))
        {
            throw new IllegalArgumentException("--granule=" + granuleBytes + " must be a power of two from 1 to 2^62");
        }
        final int shift = Long.numberOfTrailingZeros(granuleBytes);
        if (maskBits != 0 && (maskBits <= shift || maskBits > 64))
        {
            throw new IllegalArgumentException("--mask=" + maskBits + " must be more than the granule's " + shift +
                " bits and at most 64");
        }
        if (maskBits != 0 && limitPfn != DEFAULT_LIMIT)
        {
            throw new IllegalArgumentException("--limit and --mask both give the limit: choose one");
        }
        if (limitPfn != DEFAULT_LIMIT && limitPfn < 1)
        {
            throw new IllegalArgumentException("--limit=" + limitPfn + " must be at least 1 (the trace's start pfn)");
        }
    }

    /** @return the defaults: the only device, the default limit, 4 KiB pages, not strict. */
    public static ImportOptions defaults()
    {
        return new ImportOptions(null, DEFAULT_LIMIT, 0, DEFAULT_GRANULE_BYTES, false);
    }

    /** @return log2 of the granule. */
    int granuleShift()
    {
        return Long.numberOfTrailingZeros(granuleBytes);
    }
}
