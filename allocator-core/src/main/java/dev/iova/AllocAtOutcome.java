package dev.iova;

/**
 * What {@link IovaDomain#allocAt(long, long)} did, the reasons checked in this order: the first
 * that applies is returned.
 */
public enum AllocAtOutcome
{
    /** The range is allocated: free it with {@link IovaDomain#free(long, long)} as any other. */
    PLACED,
    /** A pfn of the range is below {@link IovaDomain#startPfn()} or above {@link IovaDomain#lastPfn()}. */
    OUTSIDE_DOMAIN,
    /** Allowed ranges exist ({@link IovaDomain#allow(long, long)}) and the range is not wholly inside one. */
    OUTSIDE_ALLOWED,
    /** A pfn of the range is reserved. */
    RESERVED,
    /** A pfn of the range belongs to a live allocation (a range held by the range caches is taken back, not a conflict). */
    LIVE,
    /** The domain already holds {@link IovaDomain.Builder#maxRanges(int)} ranges. */
    FULL
}
