package dev.iova.bench.trace;

/**
 * The pfn digest of iova-trace v1: FNV-1a 64-bit over the result of every {@code alloc}, in
 * trace order, each result fed as 8 bytes little-endian (the first pfn of the range, or 0 when
 * the allocation failed), printed as 16 lower-case hex digits.
 *
 * <pre>{@code
 * long digest = PfnDigest.OFFSET_BASIS;
 * for (long pfn : allocResults) { digest = PfnDigest.update(digest, pfn); }
 * String text = PfnDigest.toHex(digest);
 * }</pre>
 *
 * Two highest-fit allocators that replay the same trace straight into their trees must agree
 * on it; caches in front of a tree change placements, and so the digest.
 */
public final class PfnDigest
{
    /** FNV-1a 64-bit offset basis: the digest of a trace without any {@code alloc}. */
    public static final long OFFSET_BASIS = 0xcbf29ce484222325L;

    /** FNV-1a 64-bit prime. */
    public static final long PRIME = 0x100000001b3L;

    private PfnDigest()
    {
    }

    /**
     * Feeds one allocation result into the digest.
     *
     * @param digest the digest so far ({@link #OFFSET_BASIS} to begin with).
     * @param pfn    the first pfn the allocation got, or 0 when it failed.
     * @return the digest with the 8 bytes of {@code pfn} fed in, least significant byte first.
     */
    public static long update(final long digest, final long pfn)
    {
        long hash = digest;
        for (int shiftBits = 0; shiftBits < Long.SIZE; shiftBits += Byte.SIZE)
        {
            hash ^= (pfn >>> shiftBits) & 0xffL;
            hash *= PRIME;
        }
        return hash;
    }

    /**
     * @param pfns allocation results in trace order (0 for a failed allocation).
     * @return their digest.
     */
    public static long of(final long... pfns)
    {
        long digest = OFFSET_BASIS;
        for (final long pfn : pfns)
        {
            digest = update(digest, pfn);
        }
        return digest;
    }

    /**
     * @param digest a digest.
     * @return it as 16 lower-case hex digits, zero-padded.
     */
    public static String toHex(final long digest)
    {
        final String hex = Long.toHexString(digest);
        return "0000000000000000".substring(hex.length()) + hex;
    }
}
