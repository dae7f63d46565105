package dev.iova.bench.trace;

import java.util.Map;
import java.util.TreeMap;

/**
 * The iova-trace v1 placement rule written as plainly as possible, to check the tree against:
 * ranges in a sorted map, every allocation a linear walk down from the limit to the first
 * (highest) aligned hole that fits. O(n) per call; for tests only.
 */
final class HighestFitModel implements ReplayTarget
{
    private final long startPfn;
    private final long lastPfn;
    /** Live and reserved ranges, first pfn to last pfn (inclusive); never overlapping. */
    private final TreeMap<Long, Long> hiPfnByLoPfn = new TreeMap<>();

    HighestFitModel(final long startPfn, final long lastPfn)
    {
        this.startPfn = startPfn;
        this.lastPfn = lastPfn;
    }

    @Override
    public long startPfn()
    {
        return startPfn;
    }

    @Override
    public long lastPfn()
    {
        return lastPfn;
    }

    @Override
    public long alloc(final long pages, final long limitPfn)
    {
        final long pfn = highestFit(pages, limitPfn);
        return pfn == NO_ADDRESS ? NO_ADDRESS : take(pfn, pages);
    }

    /**
     * Where {@link #alloc} would place a request, without placing it.
     *
     * @return the highest naturally aligned first pfn of {@code pages} free pages ending at or
     *         below {@code limitPfn}, or {@link #NO_ADDRESS} when there is none.
     */
    long highestFit(final long pages, final long limitPfn)
    {
        final long alignPages = Long.highestOneBit(pages) == pages ? pages : Long.highestOneBit(pages) << 1;
        long holeHiPfn = Math.min(limitPfn, lastPfn);
        for (final Map.Entry<Long, Long> range : hiPfnByLoPfn.headMap(holeHiPfn, true).descendingMap().entrySet())
        {
            if (range.getValue() < holeHiPfn)
            {
                final long pfn = fit(range.getValue() + 1, holeHiPfn, pages, alignPages);
                if (pfn != NO_ADDRESS)
                {
                    return pfn;
                }
            }
            holeHiPfn = Math.min(holeHiPfn, range.getKey() - 1);
            if (holeHiPfn < startPfn)
            {
                return NO_ADDRESS;
            }
        }
        return fit(startPfn, holeHiPfn, pages, alignPages);
    }

    /**
     * Records a range that another allocator placed, checking that it is free.
     *
     * @param pfn   first pfn.
     * @param pages length.
     * @throws AssertionError when it overlaps a live or reserved range.
     */
    void place(final long pfn, final long pages)
    {
        final long hiPfn = pfn + pages - 1;
        final Map.Entry<Long, Long> below = hiPfnByLoPfn.floorEntry(hiPfn);
        if (below != null && below.getValue() >= pfn)
        {
            throw new AssertionError("[0x" + Long.toHexString(pfn) + ", 0x" + Long.toHexString(hiPfn) + "] overlaps [0x" +
                Long.toHexString(below.getKey()) + ", 0x" + Long.toHexString(below.getValue()) + "], live or reserved");
        }
        take(pfn, pages);
    }

    @Override
    public void free(final long pfn, final long pages)
    {
        final Long hiPfn = hiPfnByLoPfn.remove(pfn);
        if (hiPfn == null || hiPfn != pfn + pages - 1)
        {
            throw new AssertionError("free of 0x" + Long.toHexString(pfn) + " (" + pages + " pages), which is not an allocation");
        }
    }

    @Override
    public void reserve(final long loPfn, final long hiPfn)
    {
        long mergedLoPfn = loPfn;
        long mergedHiPfn = hiPfn;
        Map.Entry<Long, Long> below = hiPfnByLoPfn.floorEntry(hiPfn);
        while (below != null && below.getValue() >= loPfn)
        {
            mergedLoPfn = Math.min(mergedLoPfn, below.getKey());
            mergedHiPfn = Math.max(mergedHiPfn, below.getValue());
            hiPfnByLoPfn.remove(below.getKey());
            below = hiPfnByLoPfn.floorEntry(hiPfn);
        }
        hiPfnByLoPfn.put(mergedLoPfn, mergedHiPfn);
    }

    private long take(final long pfn, final long pages)
    {
        hiPfnByLoPfn.put(pfn, pfn + pages - 1);
        return pfn;
    }

    /** The highest aligned first pfn of {@code pages} inside the hole, or NO_ADDRESS. */
    private static long fit(final long holeLoPfn, final long holeHiPfn, final long pages, final long alignPages)
    {
        if (holeHiPfn < holeLoPfn || holeHiPfn - holeLoPfn + 1 < pages)
        {
            return NO_ADDRESS;
        }
        final long pfn = (holeHiPfn - pages + 1) & -alignPages;
        return pfn >= holeLoPfn ? pfn : NO_ADDRESS;
    }
}
