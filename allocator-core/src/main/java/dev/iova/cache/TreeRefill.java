package dev.iova.cache;

/**
 * How a stripe that misses refills from the tree: the <em>run</em> walk, run by the backend
 * while it holds the domain's lock, over the tree as {@link LockedTree} shows it.
 *
 * <h2>Runs</h2>
 * A class smaller than {@link #RUN_PAGES} takes a run: the highest fit below the limit, then the
 * slots of its class below it within its aligned {@code RUN_PAGES} block, one by one for as long
 * as each is free, so the pfns are exactly those that highest-fit allocations in a row would get.
 * The highest is handed out, the others go into the stripe's loaded magazine. Without runs, two
 * threads that miss together take pfns X, X-1, X-2, ... from the tree in turn and keep them (a
 * range returns to the stripe of the thread that frees it), and a DMA layer writes the
 * page-table entries of both threads' ranges, eight to a 64-byte line, side by side on every map
 * and unmap. Runs also take the domain's lock once per run rather than once per range, and on a
 * trace of one-page pins under scattered limits they keep the pins packed: without them the
 * fragmenting trace replay flushed the caches 804 times per replay instead of once, as
 * 1024-page requests stopped finding an aligned hole.
 *
 * <h2>Faults</h2>
 * The walk never leaves a range that nobody holds. When marking the highest range live throws
 * (an {@link OutOfMemoryError} creating a live-map leaf), it goes back to the tree before the
 * error propagates. When allocating a further slot throws an {@link OutOfMemoryError} or a
 * {@link StackOverflowError} (a tree node that cannot be created), the run simply ends there: the
 * ranges it has are valid and are returned; the tree is asked again at the next miss.
 */
public final class TreeRefill
{
    /**
     * The tree under the domain's lock, as the walk needs it: every range it hands out is a
     * size-aligned range the caches own.
     */
    public interface LockedTree
    {
        /**
         * @param pages    a power of two.
         * @param limitPfn highest pfn (inclusive).
         * @return the first pfn of the highest size-aligned fit, now a range the caches own; 0 when none fits.
         */
        long allocLocked(long pages, long limitPfn);

        /**
         * Takes exactly {@code [pfn, pfn + pages - 1]} as a range the caches own, if it is free.
         *
         * @param pfn   first pfn, at least {@link #startPfn()}.
         * @param pages its length.
         * @return whether it was free and is now the caches'; false changes nothing.
         */
        boolean allocIfFreeLocked(long pfn, long pages);

        /**
         * Gives back a range the caches own.
         *
         * @param pfn   first pfn.
         * @param pages its length.
         */
        void freeLocked(long pfn, long pages);

        /** @return the lowest pfn the domain hands out. */
        long startPfn();
    }

    /**
     * Pages in the run a stripe takes from the tree at once when a class smaller than this
     * misses: up to 8 one-page ranges, 4 two-page ones or 2 four-page ones, from the highest fit
     * down to the start of its aligned 8-page block.
     */
    static final long RUN_PAGES = 8;

    /** What {@link #takeRun} returns when a range fit but the marker could not track it; nothing was allocated. */
    public static final long UNTRACKABLE = -1L;

    /** Returned when nothing fits. */
    static final long NO_ADDRESS = 0L;

    /** Bits of a packed run below its length: pfns are at most 56 bits. */
    private static final int RUN_LENGTH_SHIFT = 56;

    private TreeRefill()
    {
    }

    /**
     * @param sizeClass a size class.
     * @return the most ranges a run of that class takes: {@code RUN_PAGES >>> sizeClass}, at least 1.
     */
    static int maxRunRanges(final int sizeClass)
    {
        return (int)Math.max(1, RUN_PAGES >>> sizeClass);
    }

    /**
     * Takes a run from the tree: the highest fit below {@code limitPfn}, then, one by one
     * downwards, the slots of the same class below it within its aligned block of
     * {@code maxRanges * pages} pages, for as long as each is free. Each range of the run is its
     * own range in the tree. The caller holds the domain's lock.
     *
     * @param tree      the tree, under the domain's lock.
     * @param pages     a power of two.
     * @param maxRanges a power of two, at least 1: the length of the aligned block in ranges.
     * @param limitPfn  highest pfn (inclusive).
     * @param marker    called with the run's highest range (the one the caller hands out)
     *                  before the lock is released; null for none.
     * @param sizeClass the class, for {@code marker}.
     * @param hint      the leaf hint, for {@code marker}.
     * @return {@link #packRun(long, int) the run's highest pfn and length}, 0 when nothing fits,
     *         or {@link #UNTRACKABLE}.
     */
    public static long takeRun(
        final LockedTree tree, final long pages, final int maxRanges, final long limitPfn, final RangeCache.LiveMarker marker,
        final int sizeClass, final long hint)
    {
        final long topPfn = tree.allocLocked(pages, limitPfn);
        if (topPfn == NO_ADDRESS)
        {
            return NO_ADDRESS;
        }
        final boolean tracked;
        try
        {
            tracked = marker == null || marker.markLive(topPfn, sizeClass, hint);
        }
        catch (final Throwable ex)
        {
            tree.freeLocked(topPfn, pages); // nobody would hold it
            throw ex;
        }
        if (!tracked)
        {
            tree.freeLocked(topPfn, pages);
            return UNTRACKABLE;
        }
        int ranges = 1;
        try
        {
            // Down the aligned block while each slot is free: the highest fit below a slot's end
            // is the slot itself exactly when it is free, so placing the slot if it is free
            // places what the highest fit would, with one descent and no search, and a slot in
            // use costs a descent instead of an insert and a removal of some lower range.
            final long blockPfn = topPfn & -(pages * maxRanges);
            final long startPfn = tree.startPfn();
            for (long slotPfn = topPfn - pages; slotPfn >= blockPfn && slotPfn >= startPfn; slotPfn -= pages)
            {
                if (!tree.allocIfFreeLocked(slotPfn, pages))
                {
                    break;
                }
                ranges++;
            }
        }
        catch (final OutOfMemoryError | StackOverflowError ex)
        {
            // No room for another tree node (or stack): the run ends with the ranges it has.
        }
        return packRun(topPfn, ranges);
    }

    /**
     * @param topPfn the run's highest pfn.
     * @param ranges how many ranges it has, from 1 to 255.
     * @return both in one long.
     */
    static long packRun(final long topPfn, final int ranges)
    {
        return (long)ranges << RUN_LENGTH_SHIFT | topPfn;
    }

    /** @return the highest pfn of a {@link #packRun packed run}. */
    static long runTopPfn(final long packedRun)
    {
        return packedRun & ((1L << RUN_LENGTH_SHIFT) - 1);
    }

    /** @return the length of a {@link #packRun packed run}. */
    static int runLength(final long packedRun)
    {
        return (int)(packedRun >>> RUN_LENGTH_SHIFT);
    }
}
