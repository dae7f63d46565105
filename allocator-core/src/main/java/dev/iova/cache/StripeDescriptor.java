package dev.iova.cache;

import dev.iova.concurrent.CacheLines;

/**
 * Layout of one stripe off-heap: its statistics and, per size class, the indexes of its
 * "loaded" and "previous" magazines and the live map's leaf hint (the last leaf of that class
 * this stripe used, so that most live-map lookups skip the directory). Only the thread holding
 * the stripe's lock reads or writes it (statistics are read racily), so every access is plain.
 *
 * <pre>
 *   0           8             16          24          32 + 24c    36 + 24c   40 + 24c        48 + 24c
 *   +-----------+-------------+-----------+-----------+ ... +-----------+----------+---------------+----------------+ ... pad to 128
 *   | allocHits | allocMisses | fastFrees |  (spare)  |     | loaded[c] | prev[c]  | hintWindow[c] | hintLeaf[c]    |
 *   +-----------+-------------+-----------+-----------+ ... +-----------+----------+---------------+----------------+
 * </pre>
 *
 * Stripes are 128-byte aligned (the caches align the first one themselves: a direct buffer is
 * only as aligned as malloc makes it) so that two stripes never share a cache line, nor a pair of
 * lines that the adjacent-line prefetcher fetches together.
 */
final class StripeDescriptor
{
    /** Offset of the count of allocations served from a magazine (long). */
    static final int ALLOC_HITS_OFFSET = 0;

    /** Offset of the count of allocations that went to the tree (long). */
    static final int ALLOC_MISSES_OFFSET = ALLOC_HITS_OFFSET + Long.BYTES;

    /** Offset of the count of frees that went into a magazine (long). */
    static final int FAST_FREES_OFFSET = ALLOC_MISSES_OFFSET + Long.BYTES;

    /** Offset of the first per-class pair of magazine indexes. */
    static final int MAGAZINES_OFFSET = FAST_FREES_OFFSET + 2 * Long.BYTES;

    /**
     * Bytes per size class: the loaded and the previous magazine index (ints), then the live
     * map's leaf hint (see {@link LiveRangeMap#LEAF_HINT_LENGTH}).
     */
    static final int CLASS_LENGTH = 2 * Integer.BYTES + LiveRangeMap.LEAF_HINT_LENGTH;

    /** Alignment of every stripe. */
    static final int STRIPE_ALIGNMENT = CacheLines.PADDING_BYTES;

    private StripeDescriptor()
    {
    }

    /**
     * @param sizeClass the size class, from 0.
     * @return offset of the class's loaded magazine index.
     */
    static int loadedOffset(final int sizeClass)
    {
        return MAGAZINES_OFFSET + sizeClass * CLASS_LENGTH;
    }

    /**
     * @param sizeClass the size class, from 0.
     * @return offset of the class's previous magazine index.
     */
    static int prevOffset(final int sizeClass)
    {
        return loadedOffset(sizeClass) + Integer.BYTES;
    }

    /**
     * @param sizeClass the size class, from 0.
     * @return offset of the class's live-map leaf hint, 8-byte aligned.
     */
    static int leafHintOffset(final int sizeClass)
    {
        return loadedOffset(sizeClass) + 2 * Integer.BYTES;
    }

    /**
     * @param sizeClasses how many size classes.
     * @return bytes per stripe, a multiple of {@link #STRIPE_ALIGNMENT}.
     */
    static int stripeLength(final int sizeClasses)
    {
        final int length = MAGAZINES_OFFSET + sizeClasses * CLASS_LENGTH;
        return (length + STRIPE_ALIGNMENT - 1) & -STRIPE_ALIGNMENT;
    }
}
