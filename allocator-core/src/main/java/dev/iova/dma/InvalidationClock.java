package dev.iova.dma;

import java.util.concurrent.atomic.AtomicLongArray;

import org.agrona.UnsafeApi;

/**
 * Says whether a whole-domain IOTLB invalidation has completed since something was unmapped,
 * after Linux's {@code fq_flush_start_cnt}/{@code fq_flush_finish_cnt} in {@code dma-iommu.c}.
 *
 * <ul>
 *   <li>Whatever was unmapped (an IOVA going into a flush queue, a page table detached by an
 *       unmap) is tagged with {@link #tagAfterUnmap()}: the number of invalidations started so
 *       far, read after a full fence that orders the cleared entries before the read.</li>
 *   <li>An invalidation takes a ticket with {@link #begin()} (one more than the count) before it
 *       invalidates, and calls {@link #complete(long)} once the IOTLB has done it.</li>
 *   <li>A tag {@code t} is {@linkplain #covers(long) covered} when some invalidation with a ticket
 *       above {@code t} has completed: that invalidation began after the tag was read, hence after
 *       the entries were cleared, so no stale translation of them survives it.</li>
 * </ul>
 *
 * The two counters sit 128 bytes apart. Thread-safe, lock-free, garbage-free.
 */
final class InvalidationClock
{
    private static final int STARTED = 0;
    private static final int COMPLETED = 16;

    private final AtomicLongArray counters = new AtomicLongArray(32);

    /**
     * Call after clearing entries (plain or release stores) and before queueing what they freed.
     *
     * @return the tag of what was just unmapped.
     */
    long tagAfterUnmap()
    {
        // StoreLoad: the cleared entries are visible to any thread before we read the count, so an
        // invalidation that begins after this read (ticket > tag) observes them (Linux: smp_mb()
        // in queue_iova before reading fq_flush_start_cnt).
        UnsafeApi.fullFence();
        return counters.get(STARTED);
    }

    /** @return the ticket of an invalidation about to be issued. */
    long begin()
    {
        return counters.incrementAndGet(STARTED);
    }

    /**
     * Records that the invalidation with {@code ticket} has completed.
     *
     * @param ticket from {@link #begin()}.
     */
    void complete(final long ticket)
    {
        long completed;
        while ((completed = counters.get(COMPLETED)) < ticket)
        {
            if (counters.compareAndSet(COMPLETED, completed, ticket))
            {
                return;
            }
        }
    }

    /**
     * @param tag from {@link #tagAfterUnmap()}.
     * @return true when an invalidation that began after the tag was taken has completed.
     */
    boolean covers(final long tag)
    {
        return tag < counters.get(COMPLETED);
    }

    /** @return invalidations begun so far. */
    long started()
    {
        return counters.get(STARTED);
    }
}
