package dev.iova.dma;

import java.util.Arrays;

/**
 * Unmapped IOVA ranges whose invalidation failed (the {@link Iotlb} threw), or that found their
 * flush queue full while its batch invalidation was failing: they stay out of the allocator until
 * an invalidation that began after they were unmapped completes, exactly as a flush queue's
 * entries do ({@link InvalidationClock}), and the next flush frees them.
 *
 * <p>Rare by construction (it only fills when an IOTLB fails), so it is a plain growable list under
 * this object's monitor; {@link #isEmpty()} is one volatile read, cheap enough for hot paths.
 */
final class Quarantine
{
    private final InvalidationClock clock;
    private final FlushQueues.IovaSink sink;
    private long[] pfns = new long[8];
    private long[] pages = new long[8];
    private long[] tags = new long[8];
    private volatile int count;

    /**
     * @param clock the clock the tags come from.
     * @param sink  frees IOVAs once an invalidation covers them.
     */
    Quarantine(final InvalidationClock clock, final FlushQueues.IovaSink sink)
    {
        this.clock = clock;
        this.sink = sink;
    }

    /**
     * @param pfn      first pfn, unmapped.
     * @param rangePages length in pages, as allocated.
     * @param tag      {@link InvalidationClock#tagAfterUnmap()}, taken after its entries were cleared.
     */
    synchronized void add(final long pfn, final long rangePages, final long tag)
    {
        final int n = count;
        if (n == pfns.length)
        {
            pfns = Arrays.copyOf(pfns, n * 2);
            pages = Arrays.copyOf(pages, n * 2);
            tags = Arrays.copyOf(tags, n * 2);
        }
        pfns[n] = pfn;
        pages[n] = rangePages;
        tags[n] = tag;
        count = n + 1;
    }

    /** @return true when nothing waits (a volatile read). */
    boolean isEmpty()
    {
        return count == 0;
    }

    /** @return ranges waiting for an invalidation. */
    int size()
    {
        return count;
    }

    /**
     * For an IOTLB without a whole invalidation: invalidates each waiting range, then frees it and
     * the tables detached inside it. Stops at the first invalidation that throws, keeping the rest.
     */
    synchronized void releaseRanged(final Iotlb iotlb, final IoPageTable pageTable)
    {
        final int n = count;
        final int granuleShift = Long.numberOfTrailingZeros(pageTable.granuleMask() + 1);
        int done = 0;
        try
        {
            for (; done < n; done++)
            {
                final long iova = pfns[done] << granuleShift;
                final long bytes = pages[done] << granuleShift;
                final long retired = pageTable.retireSequence();
                iotlb.invalidateRange(iova, bytes, 1L << granuleShift, true);
                pageTable.releaseMeeting(iova, bytes, retired);
                sink.free(pfns[done], pages[done]);
            }
        }
        finally
        {
            System.arraycopy(pfns, done, pfns, 0, n - done);
            System.arraycopy(pages, done, pages, 0, n - done);
            System.arraycopy(tags, done, tags, 0, n - done);
            count = n - done;
        }
    }

    /** Frees every range a completed invalidation covers; keeps the others. */
    synchronized void releaseCovered()
    {
        final int n = count;
        int kept = 0;
        for (int i = 0; i < n; i++)
        {
            if (clock.covers(tags[i]))
            {
                sink.free(pfns[i], pages[i]);
            }
            else
            {
                pfns[kept] = pfns[i];
                pages[kept] = pages[i];
                tags[kept] = tags[i];
                kept++;
            }
        }
        count = kept;
    }
}
