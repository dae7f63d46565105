package dev.iova.cache;

/**
 * Counters of the range caches since the domain was created.
 *
 * @param allocHits         allocations served from a magazine.
 * @param allocMisses       allocations that asked the tree (including those that then failed).
 * @param fastFrees         frees that went into a magazine.
 * @param treeAllocs        allocations the caches asked of the tree.
 * @param treeFrees         cached ranges given back to the tree (depot overflow and flushes).
 * @param flushes           times every cache was flushed back to the tree.
 * @param untrackedAllocs   allocations handed out as ordinary tree ranges because the live map
 *                          could not track their part of the address space.
 * @param depotMagazines    full magazines parked in the depots now.
 * @param cachedRanges      ranges sitting in magazines now: allocated in the tree, free for the user.
 */
public record RangeCacheStats(
    long allocHits,
    long allocMisses,
    long fastFrees,
    long treeAllocs,
    long treeFrees,
    long flushes,
    long untrackedAllocs,
    long depotMagazines,
    long cachedRanges)
{
    /** Every counter zero: what a domain without range caches reports. */
    public static final RangeCacheStats NONE = new RangeCacheStats(0, 0, 0, 0, 0, 0, 0, 0, 0);

    /** @return the share of allocations served from a magazine, 0 to 1 (0 when there was none). */
    public double hitRatio()
    {
        final long allocs = allocHits + allocMisses;
        return allocs == 0 ? 0 : (double)allocHits / allocs;
    }
}
