package dev.iova;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A deliberately simple, obviously correct model of an {@link IovaDomain} over a small pfn
 * space, against which the real domain is checked in lockstep.
 *
 * <p>Every page has a bit ({@code used}, indexed from {@code startPfn}); every range is an entry
 * of a {@link TreeMap} keyed by its first pfn. Highest fit is found by brute force: candidate
 * first pfns are tried from the top down and the first one whose pages are all free wins.
 * Nothing here is clever and nothing is fast; the only shortcut (skipping candidates that
 * contain a page already known to be used) is argued where it is taken.
 *
 * <p>It follows the javadoc of {@link IovaDomain}: the same results, the same
 * {@link IovaDomain#NO_ADDRESS} on exhaustion, the same calls throw
 * {@link IllegalArgumentException}. One case the contract leaves open: a {@code reserve} that
 * would take the domain past {@code maxRanges} throws {@link CapacityExceeded} here, and the
 * caller decides which exception the domain may throw for it.
 */
final class ReferenceModel
{
    /** The largest pfn space the model accepts; it keeps one bit per page. */
    static final long MAX_SPACE_PAGES = 1L << 24;

    /** Thrown by {@link #reserve} when the merged result would need more than maxRanges ranges. */
    static final class CapacityExceeded extends RuntimeException
    {
        private static final long serialVersionUID = 1L;

        CapacityExceeded(final String message)
        {
            super(message);
        }
    }

    private final long startPfn;
    private final long lastPfn;
    private final long maxRanges;
    /** Bit {@code pfn - startPfn} is set when the page is held by a range (allocated or reserved). */
    private final BitSet used = new BitSet();
    /** Every range by first pfn: {@code {loPfn, hiPfn, reserved ? 1 : 0}}. */
    private final TreeMap<Long, long[]> ranges = new TreeMap<>();

    ReferenceModel(final long startPfn, final long lastPfn, final long maxRanges)
    {
        if (startPfn < 1 || lastPfn < startPfn || lastPfn - startPfn + 1 > MAX_SPACE_PAGES)
        {
            throw new IllegalArgumentException("model space [0x" + Long.toHexString(startPfn) + ", 0x" +
                Long.toHexString(lastPfn) + "] is empty or larger than " + MAX_SPACE_PAGES + " pages");
        }
        this.startPfn = startPfn;
        this.lastPfn = lastPfn;
        this.maxRanges = maxRanges;
    }

    long startPfn()
    {
        return startPfn;
    }

    long lastPfn()
    {
        return lastPfn;
    }

    /** The same as {@link IovaDomain#alloc(long, long, boolean)}. */
    long alloc(final long pages, final long limitPfn, final boolean sizeAligned)
    {
        if (pages < 1)
        {
            throw new IllegalArgumentException("pages=" + pages);
        }
        if (limitPfn < startPfn)
        {
            throw new IllegalArgumentException("limitPfn=0x" + Long.toHexString(limitPfn));
        }
        if (ranges.size() >= maxRanges)
        {
            return IovaDomain.NO_ADDRESS;
        }
        final long topPfn = Math.min(limitPfn, lastPfn);
        if (pages > topPfn - startPfn + 1)
        {
            return IovaDomain.NO_ADDRESS;
        }
        final long alignPages = sizeAligned ? roundUpToPowerOfTwo(pages) : 1;
        long firstPfn = alignDown(topPfn - pages + 1, alignPages);
        while (firstPfn >= startPfn)
        {
            final long hiPfn = firstPfn + pages - 1;
            final long usedPfn = highestUsedPfnIn(firstPfn, hiPfn);
            if (usedPfn < 0)
            {
                addRange(firstPfn, hiPfn, false);
                return firstPfn;
            }
            // Every candidate whose range still contains usedPfn fails as well: go to the highest
            // candidate that ends below it. (Trying each candidate in turn gives the same answer.)
            firstPfn = alignDown(Math.min(firstPfn - 1, usedPfn - pages), alignPages);
        }
        return IovaDomain.NO_ADDRESS;
    }

    /** The same as {@link IovaDomain#free(long)}. */
    void free(final long pfn)
    {
        final long[] range = rangeHolding(pfn);
        if (range == null || range[2] != 0)
        {
            throw new IllegalArgumentException("no allocation holds pfn=0x" + Long.toHexString(pfn));
        }
        removeRange(range);
    }

    /** The same as {@link IovaDomain#free(long, long)}. */
    void free(final long pfn, final long pages)
    {
        if (pages < 1)
        {
            throw new IllegalArgumentException("pages=" + pages);
        }
        final long[] range = ranges.get(pfn);
        if (range == null || range[2] != 0 || range[1] - range[0] + 1 != pages)
        {
            throw new IllegalArgumentException("no allocation [0x" + Long.toHexString(pfn) + ", +" + pages + ")");
        }
        removeRange(range);
    }

    /** The same as {@link IovaDomain#reserve(long, long)}. */
    void reserve(final long loPfn, final long hiPfn)
    {
        checkReserve(loPfn, hiPfn);
        long mergedLoPfn = loPfn;
        long mergedHiPfn = hiPfn;
        final List<long[]> absorbed = new ArrayList<>();
        boolean grew = true;
        while (grew)
        {
            grew = false;
            for (final long[] range : ranges.values())
            {
                final boolean overlapsOrTouches = range[0] <= mergedHiPfn + 1 && range[1] >= mergedLoPfn - 1;
                if (range[2] != 0 && overlapsOrTouches && !absorbed.contains(range))
                {
                    absorbed.add(range);
                    mergedLoPfn = Math.min(mergedLoPfn, range[0]);
                    mergedHiPfn = Math.max(mergedHiPfn, range[1]);
                    grew = true;
                }
            }
        }
        if (ranges.size() - absorbed.size() + 1 > maxRanges)
        {
            throw new CapacityExceeded("reserve [0x" + Long.toHexString(loPfn) + ", 0x" + Long.toHexString(hiPfn) +
                "] needs a range beyond maxRanges=" + maxRanges);
        }
        for (final long[] range : absorbed)
        {
            removeRange(range);
        }
        addRange(mergedLoPfn, mergedHiPfn, true);
    }

    /** The same as {@link IovaDomain#reserveAll(long[], long[])}: all checks first, then every reserve. */
    void reserveAll(final long[] loPfns, final long[] hiPfns)
    {
        if (loPfns.length != hiPfns.length)
        {
            throw new IllegalArgumentException("lengths differ");
        }
        for (int i = 0; i < loPfns.length; i++)
        {
            checkReserve(loPfns[i], hiPfns[i]);
        }
        for (int i = 0; i < loPfns.length; i++)
        {
            reserve(loPfns[i], hiPfns[i]);
        }
    }

    /** The same as {@link IovaDomain#find(long)}. */
    IovaRange find(final long pfn)
    {
        final long[] range = rangeHolding(pfn);
        return range == null ? null : new IovaRange(range[0], range[1], range[2] != 0);
    }

    /** The same as {@link IovaDomain#freePages(long)}. */
    long freePages(final long limitPfn)
    {
        if (limitPfn < startPfn)
        {
            return 0;
        }
        final int topBit = (int)(Math.min(limitPfn, lastPfn) - startPfn);
        return topBit + 1 - used.get(0, topBit + 1).cardinality();
    }

    /** The same as {@link IovaDomain#largestFreeGapPages(long)}. */
    long largestFreeGapPages(final long limitPfn)
    {
        if (limitPfn < startPfn)
        {
            return 0;
        }
        final int topBit = (int)(Math.min(limitPfn, lastPfn) - startPfn);
        long largest = 0;
        int runStartBit = used.nextClearBit(0);
        while (runStartBit <= topBit)
        {
            final int usedBit = used.nextSetBit(runStartBit);
            final int runEndBit = usedBit < 0 || usedBit > topBit ? topBit + 1 : usedBit;   // exclusive
            largest = Math.max(largest, runEndBit - runStartBit);
            runStartBit = runEndBit > topBit ? topBit + 1 : used.nextClearBit(runEndBit);
        }
        return largest;
    }

    long liveRanges()
    {
        return ranges.values().stream().filter(r -> r[2] == 0).count();
    }

    long reservedRanges()
    {
        return ranges.values().stream().filter(r -> r[2] != 0).count();
    }

    /** Every range in ascending order, as {@link IovaDomain#forEachRange} would list it. */
    List<IovaRange> listing()
    {
        final List<IovaRange> listing = new ArrayList<>(ranges.size());
        for (final long[] range : ranges.values())
        {
            listing.add(new IovaRange(range[0], range[1], range[2] != 0));
        }
        return listing;
    }

    /** The allocations (not the reserved ranges), ascending. */
    List<IovaRange> allocations()
    {
        final List<IovaRange> allocations = new ArrayList<>();
        for (final long[] range : ranges.values())
        {
            if (range[2] == 0)
            {
                allocations.add(new IovaRange(range[0], range[1], false));
            }
        }
        return allocations;
    }

    /** The reserved ranges, ascending. */
    List<IovaRange> reservations()
    {
        final List<IovaRange> reservations = new ArrayList<>();
        for (final long[] range : ranges.values())
        {
            if (range[2] != 0)
            {
                reservations.add(new IovaRange(range[0], range[1], true));
            }
        }
        return reservations;
    }

    /** The listing of a real domain, in the same form as {@link #listing()}. */
    static List<IovaRange> listingOf(final IovaDomain domain)
    {
        final List<IovaRange> listing = new ArrayList<>();
        domain.forEachRange((loPfn, hiPfn, reserved) -> listing.add(new IovaRange(loPfn, hiPfn, reserved)));
        return listing;
    }

    static long roundUpToPowerOfTwo(final long pages)
    {
        final long highest = Long.highestOneBit(pages);
        return highest == pages ? pages : highest << 1;
    }

    @Override
    public String toString()
    {
        return "ReferenceModel[0x" + Long.toHexString(startPfn) + ", 0x" + Long.toHexString(lastPfn) + "] " + listing();
    }

    private void checkReserve(final long loPfn, final long hiPfn)
    {
        if (hiPfn < loPfn || loPfn < startPfn || hiPfn > lastPfn)
        {
            throw new IllegalArgumentException("reserve out of bounds");
        }
        for (final long[] range : ranges.values())
        {
            if (range[2] == 0 && range[0] <= hiPfn && range[1] >= loPfn)
            {
                throw new IllegalArgumentException("reserve overlaps an allocation");
            }
        }
    }

    private long[] rangeHolding(final long pfn)
    {
        final Map.Entry<Long, long[]> entry = ranges.floorEntry(pfn);
        return entry == null || entry.getValue()[1] < pfn ? null : entry.getValue();
    }

    private boolean isUsed(final long pfn)
    {
        return used.get((int)(pfn - startPfn));
    }

    /** @return the highest used pfn in [loPfn, hiPfn], or -1 when all are free. */
    private long highestUsedPfnIn(final long loPfn, final long hiPfn)
    {
        final int bit = used.previousSetBit((int)(hiPfn - startPfn));
        return bit >= 0 && bit + startPfn >= loPfn ? bit + startPfn : -1;
    }

    private void addRange(final long loPfn, final long hiPfn, final boolean reserved)
    {
        if (highestUsedPfnIn(loPfn, hiPfn) >= 0)
        {
            throw new AssertionError("model bug: adding overlapping range [" + loPfn + ", " + hiPfn + "]");
        }
        used.set((int)(loPfn - startPfn), (int)(hiPfn - startPfn) + 1);
        ranges.put(loPfn, new long[] {loPfn, hiPfn, reserved ? 1 : 0});
    }

    private void removeRange(final long[] range)
    {
        ranges.remove(range[0]);
        used.clear((int)(range[0] - startPfn), (int)(range[1] - startPfn) + 1);
    }

    private static long alignDown(final long pfn, final long alignPages)
    {
        // Math.floorMod keeps negative candidates (below startPfn) below startPfn.
        return pfn - Math.floorMod(pfn, alignPages);
    }
}
