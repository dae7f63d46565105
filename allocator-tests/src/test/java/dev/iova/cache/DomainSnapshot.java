package dev.iova.cache;

import dev.iova.IovaDomain;
import dev.iova.IovaRange;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * What a domain holds once its caches are flushed: every range (allocated and reserved), the
 * counts and the free pages. Two snapshots are equal when a user could not tell the domains apart.
 *
 * <p>Taking a snapshot flushes the caches and checks the tree ({@link IovaDomain#verify()}): the
 * tree's listing depends on what sits in the caches, so "before" and "after" are only comparable
 * when both are flushed.
 *
 * @param ranges         every range, ascending.
 * @param liveRanges     {@link IovaDomain#liveRanges()}.
 * @param reservedRanges {@link IovaDomain#reservedRanges()}.
 * @param freePages      {@link IovaDomain#freePages(long) freePages(lastPfn)}.
 */
record DomainSnapshot(List<IovaRange> ranges, long liveRanges, long reservedRanges, long freePages)
{
    /**
     * @param domain an open domain.
     * @return its snapshot, after flushing its caches.
     */
    static DomainSnapshot flushedSnapshotOf(final IovaDomain domain)
    {
        domain.flushCaches();
        domain.verify();
        return new DomainSnapshot(rangesOf(domain), domain.liveRanges(), domain.reservedRanges(), domain.freePages(domain.lastPfn()));
    }

    /**
     * Checks that a bad call left {@code domain} as {@code before} was: flushes, verifies, compares.
     *
     * @param before what it held before the bad call (a flushed snapshot).
     * @param domain the domain.
     * @param call   what the bad call was, for the message.
     */
    static void assertUnchanged(final DomainSnapshot before, final IovaDomain domain, final String call)
    {
        assertEquals(before, flushedSnapshotOf(domain), "domain changed by the rejected call " + call);
    }

    /**
     * @param domain an open domain.
     * @return every range the tree holds now (cached ranges included), ascending.
     */
    static List<IovaRange> rangesOf(final IovaDomain domain)
    {
        final List<IovaRange> ranges = new ArrayList<>();
        domain.forEachRange((loPfn, hiPfn, reserved) -> ranges.add(new IovaRange(loPfn, hiPfn, reserved)));
        return ranges;
    }

    /**
     * @param ranges ranges of a domain.
     * @return their pfns as a bit set (pfns below 2^31 only).
     */
    static BitSet pagesOf(final List<IovaRange> ranges)
    {
        final BitSet pages = new BitSet();
        for (final IovaRange range : ranges)
        {
            pages.set(Math.toIntExact(range.loPfn()), Math.toIntExact(range.hiPfn() + 1));
        }
        return pages;
    }

    /**
     * @param pages at least 1.
     * @return {@code pages} rounded up to a power of two.
     */
    static long roundUpToPowerOfTwo(final long pages)
    {
        return pages == 1 ? 1 : Long.highestOneBit(pages - 1) << 1;
    }

    /**
     * The highest first pfn, a multiple of {@code alignPages}, of a run of {@code pages} pfns
     * none of which is in {@code occupied}, within {@code [startPfn, limitPfn]}: what a top-down
     * allocator must return. Brute force.
     *
     * @param occupied   pfns in use.
     * @param startPfn   the lowest usable pfn.
     * @param limitPfn   the highest pfn the run may use (inclusive).
     * @param pages      the run's length.
     * @param alignPages a power of two.
     * @return the first pfn, or {@link IovaDomain#NO_ADDRESS}.
     */
    static long highestFit(final BitSet occupied, final long startPfn, final long limitPfn, final long pages, final long alignPages)
    {
        for (long pfn = Math.floorDiv(limitPfn - pages + 1, alignPages) * alignPages; pfn >= startPfn; pfn -= alignPages)
        {
            final int next = occupied.nextSetBit(Math.toIntExact(pfn));
            if (next < 0 || next > pfn + pages - 1)
            {
                return pfn;
            }
        }
        return IovaDomain.NO_ADDRESS;
    }
}
