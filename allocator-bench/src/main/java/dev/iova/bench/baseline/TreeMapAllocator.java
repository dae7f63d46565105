package dev.iova.bench.baseline;

import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

/**
 * The allocator a Java developer writes first: a {@link TreeMap} of ranges keyed by first pfn,
 * under one lock, searched top-down from the limit for the first gap that fits. A baseline for
 * the benchmarks, not part of the library.
 *
 * <h2>Semantics</h2>
 * The same as {@code dev.iova.IovaDomain}'s tree path: {@link #alloc} places a range at the
 * <b>highest</b> position that fits (last pfn {@code <= limitPfn}, first pfn {@code >= startPfn},
 * no overlap with a live or reserved range, and when size-aligned the first pfn a multiple of
 * {@code pages} rounded up to a power of two), so on the same requests both return the same pfns.
 *
 * <h2>Cost: the point of it</h2>
 * <ul>
 *   <li>{@code alloc} walks the ranges below the limit one by one, in descending order, until the
 *       gap above one of them fits: O(1) on a packed space, O(n) when the space below the limit is
 *       fragmented into gaps that are all too small (Linux's {@code iova.c} walks the same way).</li>
 *   <li>Every range costs a map entry, a boxed key and a {@link Range} on the heap, and the
 *       downward walk allocates a view and an iterator: heap allocation on every call.</li>
 *   <li>Every call takes one monitor.</li>
 * </ul>
 *
 * <h2>Errors</h2>
 * As {@code IovaDomain}: exhaustion returns {@link #NO_ADDRESS}; a free of anything but exactly a
 * live allocation, and a reserve that overlaps an allocation, throw
 * {@link IllegalArgumentException} and change nothing.
 */
public final class TreeMapAllocator implements BaselineAllocator
{
    /** What {@link #alloc} returns when no range fits: pfn 0, never handed out while {@code startPfn >= 1}. */
    public static final long NO_ADDRESS = 0L;

    /**
     * One range of the map: an allocation or a reserved range.
     *
     * @param loPfn    first pfn.
     * @param hiPfn    last pfn (inclusive).
     * @param reserved true for a reserved range, false for an allocation.
     */
    public record Range(long loPfn, long hiPfn, boolean reserved)
    {
    }

    private final TreeMap<Long, Range> rangesByLoPfn = new TreeMap<>();
    private final long startPfn;
    private final long lastPfn;
    private long allocatedRanges;

    /**
     * @param startPfn the lowest pfn handed out, at least 1.
     * @param lastPfn  the highest pfn handed out (inclusive), at least {@code startPfn}.
     */
    public TreeMapAllocator(final long startPfn, final long lastPfn)
    {
        if (startPfn < 1 || lastPfn < startPfn)
        {
            throw new IllegalArgumentException("startPfn=0x" + Long.toHexString(startPfn) + " must be at least 1 and at most lastPfn=0x" +
                Long.toHexString(lastPfn));
        }
        this.startPfn = startPfn;
        this.lastPfn = lastPfn;
    }

    /** @return the lowest pfn handed out. */
    @Override
    public long startPfn()
    {
        return startPfn;
    }

    /** @return the highest pfn handed out (inclusive). */
    @Override
    public long lastPfn()
    {
        return lastPfn;
    }

    /**
     * Allocates {@code pages} contiguous pfns at the highest position that fits, walking the ranges
     * top-down from {@code limitPfn}.
     *
     * @param pages       how many pages, at least 1.
     * @param limitPfn    the highest pfn the range may use (inclusive), at least {@link #startPfn()};
     *                    values above {@link #lastPfn()} mean {@code lastPfn()}.
     * @param sizeAligned when true, the first pfn is a multiple of {@code pages} rounded up to a power of two.
     * @return the first pfn of the range, or {@link #NO_ADDRESS} when nothing fits.
     */
    @Override
    public synchronized long alloc(final long pages, final long limitPfn, final boolean sizeAligned)
    {
        if (pages < 1 || limitPfn < startPfn)
        {
            throw new IllegalArgumentException("pages=" + pages + " must be at least 1 and limitPfn=0x" + Long.toHexString(limitPfn) +
                " at least startPfn=0x" + Long.toHexString(startPfn));
        }
        final long alignPages = sizeAligned ? roundUpToPowerOfTwo(pages) : 1;
        long gapHiPfn = Math.min(limitPfn, lastPfn);
        // Every range that starts at or below the limit, highest first; the gap above each is tried in turn.
        for (final Range range : rangesByLoPfn.headMap(gapHiPfn, true).descendingMap().values())
        {
            if (range.hiPfn < gapHiPfn)
            {
                final long pfn = highestFit(range.hiPfn + 1, gapHiPfn, pages, alignPages);
                if (pfn != NO_ADDRESS)
                {
                    return insertAllocation(pfn, pages);
                }
            }
            gapHiPfn = Math.min(gapHiPfn, range.loPfn - 1);
            if (gapHiPfn < startPfn)
            {
                return NO_ADDRESS;
            }
        }
        final long pfn = highestFit(startPfn, gapHiPfn, pages, alignPages);
        return pfn == NO_ADDRESS ? NO_ADDRESS : insertAllocation(pfn, pages);
    }

    /**
     * Frees exactly the allocation {@code [pfn, pfn + pages - 1]}.
     *
     * @param pfn   the first pfn of a live allocation.
     * @param pages its length in pages.
     * @throws IllegalArgumentException when no allocation starts at {@code pfn}, its length is not
     *                                  {@code pages}, or the range is reserved; nothing changes.
     */
    @Override
    public synchronized void free(final long pfn, final long pages)
    {
        final Range range = rangesByLoPfn.get(pfn);
        if (range == null || range.reserved || range.hiPfn - range.loPfn + 1 != pages)
        {
            throw new IllegalArgumentException("cannot free pfn=0x" + Long.toHexString(pfn) + " pages=" + pages + ": " +
                (range == null ? "no range starts there" : range.reserved ? "it is reserved" :
                "the allocation there has " + (range.hiPfn - range.loPfn + 1) + " pages"));
        }
        rangesByLoPfn.remove(pfn);
        allocatedRanges--;
    }

    /**
     * Reserves {@code [loPfn, hiPfn]} so that it is never handed out; reserved ranges that overlap
     * or touch it merge with it.
     *
     * @param loPfn first pfn, at least {@link #startPfn()}.
     * @param hiPfn last pfn (inclusive), at least {@code loPfn}, at most {@link #lastPfn()}.
     * @throws IllegalArgumentException when the range is empty, leaves the space, or overlaps an
     *                                  allocation; nothing changes.
     */
    @Override
    public synchronized void reserve(final long loPfn, final long hiPfn)
    {
        if (hiPfn < loPfn || loPfn < startPfn || hiPfn > lastPfn)
        {
            throw new IllegalArgumentException("cannot reserve [0x" + Long.toHexString(loPfn) + ", 0x" + Long.toHexString(hiPfn) +
                "] in [0x" + Long.toHexString(startPfn) + ", 0x" + Long.toHexString(lastPfn) + "]");
        }
        // Everything that overlaps or touches [loPfn, hiPfn]: from the range holding loPfn - 1, up to hiPfn + 1.
        final Long fromKey = rangesByLoPfn.floorKey(loPfn - 1);
        final Map<Long, Range> near = rangesByLoPfn.subMap(fromKey == null ? Long.MIN_VALUE : fromKey, true,
            hiPfn == Long.MAX_VALUE ? hiPfn : hiPfn + 1, true);
        long mergedLoPfn = loPfn;
        long mergedHiPfn = hiPfn;
        for (final Range range : near.values())
        {
            final boolean overlaps = range.loPfn <= hiPfn && range.hiPfn >= loPfn;
            if (overlaps && !range.reserved)
            {
                throw new IllegalArgumentException("cannot reserve [0x" + Long.toHexString(loPfn) + ", 0x" + Long.toHexString(hiPfn) +
                    "]: it overlaps the allocation [0x" + Long.toHexString(range.loPfn) + ", 0x" + Long.toHexString(range.hiPfn) + "]");
            }
        }
        for (final Iterator<Range> it = near.values().iterator(); it.hasNext(); )
        {
            final Range range = it.next();
            final boolean touches = range.loPfn <= hiPfn + 1 && range.hiPfn + 1 >= loPfn;
            if (range.reserved && touches)
            {
                mergedLoPfn = Math.min(mergedLoPfn, range.loPfn);
                mergedHiPfn = Math.max(mergedHiPfn, range.hiPfn);
                it.remove();
            }
        }
        rangesByLoPfn.put(mergedLoPfn, new Range(mergedLoPfn, mergedHiPfn, true));
    }

    /** @return how many allocations are live (reserved ranges not counted). */
    public synchronized long liveRanges()
    {
        return allocatedRanges;
    }

    /** @return how many reserved ranges there are, after merging. */
    public synchronized long reservedRanges()
    {
        return rangesByLoPfn.size() - allocatedRanges;
    }

    @Override
    public synchronized String toString()
    {
        return "TreeMapAllocator{startPfn=0x" + Long.toHexString(startPfn) + ", lastPfn=0x" + Long.toHexString(lastPfn) +
            ", liveRanges=" + allocatedRanges + ", reservedRanges=" + (rangesByLoPfn.size() - allocatedRanges) + "}";
    }

    private long insertAllocation(final long pfn, final long pages)
    {
        rangesByLoPfn.put(pfn, new Range(pfn, pfn + pages - 1, false));
        allocatedRanges++;
        return pfn;
    }

    /**
     * @return the highest multiple of {@code alignPages} at which {@code pages} pages fit inside
     *         {@code [loPfn, hiPfn]}, or {@link #NO_ADDRESS}.
     */
    private static long highestFit(final long loPfn, final long hiPfn, final long pages, final long alignPages)
    {
        if (hiPfn < loPfn || hiPfn - loPfn + 1 < pages)
        {
            return NO_ADDRESS;
        }
        final long pfn = (hiPfn - pages + 1) & -alignPages;
        return pfn >= loPfn ? pfn : NO_ADDRESS;
    }

    private static long roundUpToPowerOfTwo(final long pages)
    {
        return pages == 1 ? 1 : Long.highestOneBit(pages - 1) << 1;
    }
}
