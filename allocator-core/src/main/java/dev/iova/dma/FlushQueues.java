package dev.iova.dma;

import dev.iova.concurrent.StripedSpinLocks;
import dev.iova.concurrent.ThreadProbe;

import java.util.concurrent.atomic.AtomicLongArray;

import org.agrona.UnsafeApi;

import static dev.iova.dma.FlushQueueDescriptor.COUNT_OFFSET;
import static dev.iova.dma.FlushQueueDescriptor.HEAD_OFFSET;
import static dev.iova.dma.FlushQueueDescriptor.OLDEST_NANOS_OFFSET;
import static dev.iova.dma.FlushQueueDescriptor.PAGES_OFFSET;
import static dev.iova.dma.FlushQueueDescriptor.PFN_OFFSET;
import static dev.iova.dma.FlushQueueDescriptor.QUEUED_NANOS_OFFSET;
import static dev.iova.dma.FlushQueueDescriptor.TAG_OFFSET;
import static dev.iova.dma.FlushQueueDescriptor.entryOffset;
import static dev.iova.dma.FlushQueueDescriptor.queueLength;

/**
 * Lazy invalidation: unmapped IOVA ranges wait in flush queues until one whole-IOTLB invalidation
 * covers a batch of them, and only then are they freed (Linux's {@code iova_fq} in
 * {@code dma-iommu.c}: 256 entries per queue, 10 ms timeout).
 *
 * <h2>Stripes instead of CPUs</h2>
 * As the range caches do ({@link dev.iova.cache.RangeCache}), the queues hang off a fixed number
 * of stripes, each with a compare-and-set spin lock on its own 128-byte line: a thread starts at
 * the stripe its id hashes to and moves to the next one when that is busy, so a thread that holds
 * a queue during an invalidation costs the others one failed CAS, not a wait. Memory is fixed at
 * creation ({@code stripes × entries} entries of 32 bytes), whatever the number of threads, and
 * nothing belongs to a thread: the entries of a thread that dies wait in their stripe and are
 * freed by the next flush of that stripe, the timeout or {@link #flush(boolean)}.
 *
 * <h2>When a queue is flushed</h2>
 * <ul>
 *   <li>Every {@link #queue} first frees, from the head, the entries an invalidation already
 *       covers (begun after they were queued and completed since, whoever issued it).</li>
 *   <li>When the queue is then full, or its oldest entry is older than the timeout, the queue
 *       invalidates the whole IOTLB once, then frees every entry it holds.</li>
 *   <li>{@link #flushExpired(long)} is the timeout without further unmaps: a cheap, lock-free scan
 *       of every queue's oldest time, and one invalidation for all of them when any has expired.
 *       The domain's flush timer calls it (off by default in tests).</li>
 *   <li>{@link #flush(boolean)} invalidates once and frees every entry queued before it began.</li>
 * </ul>
 *
 * <h2>The safety rule</h2>
 * An entry's tag is taken after its page-table entries were cleared; an IOVA is freed only when an
 * invalidation whose ticket is above its tag has completed ({@link InvalidationClock}), so it is
 * never handed out again before the invalidation covering its last unmap has completed.
 * Detached page tables follow the same rule ({@link IoPageTable#invalidationCompleted(long)}).
 *
 * <h2>When the IOTLB throws</h2>
 * An invalidation that throws completes nothing: every entry stays where it is, tagged, and the
 * next flush retries. An unmap whose queue was full and whose batch invalidation threw still
 * queues its own range (in the {@link Quarantine} when the queue has no room), then rethrows.
 *
 * <h2>Closing</h2>
 * {@link #close()} marks the queues closed, takes every lock (waiting for the holders) and frees
 * the memory; the domain flushes before closing them. Garbage-free.
 */
final class FlushQueues implements AutoCloseable
{
    /** Where freed IOVAs go once invalidated. */
    interface IovaSink
    {
        /**
         * @param pfn   first pfn.
         * @param pages length in pages, as allocated.
         */
        void free(long pfn, long pages);
    }

    private static final int BATCHES = 0;
    private static final int FREED = 16;

    private final IovaSink sink;
    private final IoPageTable pageTable;
    private final InvalidationClock clock;
    private final Iotlb iotlb;
    private final int stripes;
    private final int entries;
    private final long timeoutNanos;
    private final long queueLength;
    private final long rawAddress;
    private final long queuesAddress;
    private final StripedSpinLocks locks;
    private final AtomicLongArray counters = new AtomicLongArray(32);
    private final Quarantine quarantine;
    /** The IOTLB cannot invalidate everything ({@link Iotlb#canInvalidateAll()}): a batch invalidates each entry's range. */
    private final boolean rangedOnly;
    private final int granuleShift;

    /**
     * @param sink         frees IOVAs.
     * @param pageTable    the page table whose clock tags the entries.
     * @param iotlb        what to invalidate.
     * @param stripes      a power of two.
     * @param entries      entries per queue, at least 1.
     * @param timeoutNanos how long an entry may wait, at least 0.
     * @param quarantine   where a range goes when its queue is full and cannot be flushed; freed with the queues.
     */
    FlushQueues(
        final IovaSink sink, final IoPageTable pageTable, final Iotlb iotlb, final int stripes, final int entries,
        final long timeoutNanos, final Quarantine quarantine)
    {
        this.quarantine = quarantine;
        this.sink = sink;
        this.pageTable = pageTable;
        this.clock = pageTable.clock();
        this.iotlb = iotlb;
        this.rangedOnly = !iotlb.canInvalidateAll();
        this.granuleShift = Long.numberOfTrailingZeros(pageTable.granuleMask() + 1);
        this.stripes = stripes;
        this.entries = entries;
        this.timeoutNanos = timeoutNanos;
        this.queueLength = queueLength(entries);
        final long bytes = queueLength * stripes;
        this.rawAddress = UnsafeApi.allocateMemory(bytes + FlushQueueDescriptor.QUEUE_ALIGNMENT);
        this.queuesAddress = (rawAddress + FlushQueueDescriptor.QUEUE_ALIGNMENT - 1) & -FlushQueueDescriptor.QUEUE_ALIGNMENT;
        UnsafeApi.setMemory(queuesAddress, bytes, (byte)0);
        this.locks = new StripedSpinLocks(stripes, stripes, "domain is closed: its flush queues are gone");
    }

    /**
     * Queues an unmapped range; may flush the calling thread's queue first (full or expired).
     *
     * @param pfn        first pfn.
     * @param pages      length in pages.
     * @param tag        {@link InvalidationClock#tagAfterUnmap()}, taken after the entries were cleared.
     * @param nowNanos   {@code System.nanoTime()}.
     * @throws IllegalStateException after {@link #close()}.
     * @throws RuntimeException      what the {@link Iotlb} threw; the range is queued (or quarantined) all the same.
     */
    void queue(final long pfn, final long pages, final long tag, final long nowNanos)
    {
        final int stripe = lockAnyStripe();
        try
        {
            final long queue = queueAddress(stripe);
            freeCoveredFromHead(queue);
            final int count = UnsafeApi.getInt(queue + COUNT_OFFSET);
            if (count == entries || (count > 0 && nowNanos - UnsafeApi.getLong(queue + OLDEST_NANOS_OFFSET) >= timeoutNanos))
            {
                try
                {
                    if (rangedOnly)
                    {
                        invalidateEachAndFree(queue);
                    }
                    else
                    {
                        invalidateAll(false);
                        freeCovered(queue);
                    }
                }
                finally
                {
                    appendOrQuarantine(queue, pfn, pages, tag, nowNanos); // also when the invalidation threw
                }
                return;
            }
            append(queue, pfn, pages, tag, nowNanos);
        }
        finally
        {
            try
            {
                locks.unlock(stripe);
            }
            catch (final StackOverflowError e)
            {
                locks.overflowedReleases[stripe].pending = 1; // no call: the next thread to find it held releases it
                throw e;
            }
        }
    }

    /**
     * Invalidates once and frees every entry queued before this call began (entries queued
     * meanwhile may wait for the next flush). Does nothing when every queue, the quarantine and the
     * detached tables are empty, unless forced.
     *
     * @param force invalidate even when nothing waits here (the domain has MSI pages waiting).
     * @throws IllegalStateException after {@link #close()}.
     */
    void flush(final boolean force)
    {
        checkOpen();
        if (rangedOnly)
        {
            invalidateEachEverywhere();
            return;
        }
        if (!force && queuedEntries() == 0 && quarantine.isEmpty() && !pageTable.hasRetiredTables() && !pageTable.hasEmptyTables())
        {
            return;
        }
        invalidateAll(true);
        freeEverywhere();
    }

    /**
     * The timeout without further unmaps: when any queue's oldest entry has waited
     * {@code timeoutNanos} or more, invalidates once and frees what that covers in every queue.
     * Costs one racy read per queue when nothing has expired.
     *
     * @param nowNanos {@code System.nanoTime()}.
     * @return true when it flushed.
     * @throws IllegalStateException after {@link #close()}.
     */
    boolean flushExpired(final long nowNanos)
    {
        checkOpen();
        boolean expired = false;
        for (int stripe = 0; stripe < stripes && !expired; stripe++)
        {
            final long queue = queueAddress(stripe);
            expired = UnsafeApi.getIntAcquire(null, queue + COUNT_OFFSET) > 0 &&
                nowNanos - UnsafeApi.getLongAcquire(null, queue + OLDEST_NANOS_OFFSET) >= timeoutNanos;
        }
        if (expired && rangedOnly)
        {
            invalidateEachEverywhere();
        }
        else if (expired)
        {
            invalidateAll(true);
            freeEverywhere(nowNanos); // the expired queues only: the others free from their heads at their next unmap
        }
        return expired;
    }

    /**
     * @return entries waiting in every queue (a racy sum).
     * @throws IllegalStateException after {@link #close()}.
     */
    long queuedEntries()
    {
        checkOpen();
        long total = 0;
        for (int stripe = 0; stripe < stripes; stripe++)
        {
            total += UnsafeApi.getIntAcquire(null, queueAddress(stripe) + COUNT_OFFSET);
        }
        return total;
    }

    /** @return whole-IOTLB invalidations the queues issued. */
    long batches()
    {
        return counters.get(BATCHES);
    }

    /** @return IOVA ranges freed after an invalidation. */
    long freedEntries()
    {
        return counters.get(FREED);
    }

    /** @return the stripes. */
    int stripes()
    {
        return stripes;
    }

    /** @return entries per queue. */
    int entriesPerQueue()
    {
        return entries;
    }

    /** @return off-heap bytes held. */
    long offHeapBytes()
    {
        return locks.isClosed() ? 0 : queueLength * stripes + FlushQueueDescriptor.QUEUE_ALIGNMENT;
    }

    /**
     * Waits for every operation in progress, then frees the memory. Entries still queued are not
     * freed (the domain flushes first, or is going away). Later calls throw.
     */
    @Override
    public void close()
    {
        if (locks.beginClose())
        {
            UnsafeApi.freeMemory(rawAddress);
            locks.endClose();
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Under a queue's lock
    // ---------------------------------------------------------------------------------------------

    private void appendOrQuarantine(final long queue, final long pfn, final long pages, final long tag, final long nowNanos)
    {
        if (UnsafeApi.getInt(queue + COUNT_OFFSET) < entries)
        {
            append(queue, pfn, pages, tag, nowNanos);
        }
        else
        {
            quarantine.add(pfn, pages, tag);
        }
    }

    private void append(final long queue, final long pfn, final long pages, final long tag, final long nowNanos)
    {
        final int count = UnsafeApi.getInt(queue + COUNT_OFFSET);
        final int head = UnsafeApi.getInt(queue + HEAD_OFFSET);
        final long entry = queue + entryOffset(slot(head, count));
        UnsafeApi.putLong(entry + PFN_OFFSET, pfn);
        UnsafeApi.putLong(entry + PAGES_OFFSET, pages);
        UnsafeApi.putLong(entry + TAG_OFFSET, tag);
        UnsafeApi.putLong(entry + QUEUED_NANOS_OFFSET, nowNanos);
        if (count == 0)
        {
            UnsafeApi.putLongRelease(null, queue + OLDEST_NANOS_OFFSET, nowNanos);
        }
        UnsafeApi.putIntRelease(null, queue + COUNT_OFFSET, count + 1); // StoreStore: oldest time before the count
    }

    /** Frees entries from the head while an invalidation covers them. */
    private void freeCoveredFromHead(final long queue)
    {
        int count = UnsafeApi.getInt(queue + COUNT_OFFSET);
        int head = UnsafeApi.getInt(queue + HEAD_OFFSET);
        final int before = count;
        while (count > 0)
        {
            final long entry = queue + entryOffset(head);
            if (!clock.covers(UnsafeApi.getLong(entry + TAG_OFFSET)))
            {
                break;
            }
            sink.free(UnsafeApi.getLong(entry + PFN_OFFSET), UnsafeApi.getLong(entry + PAGES_OFFSET));
            head = slot(head, 1);
            count--;
        }
        if (count != before)
        {
            publish(queue, head, count, before - count);
        }
    }

    /** Frees every entry an invalidation covers, keeping the others in order. */
    private void freeCovered(final long queue)
    {
        final int count = UnsafeApi.getInt(queue + COUNT_OFFSET);
        final int head = UnsafeApi.getInt(queue + HEAD_OFFSET);
        int kept = 0;
        for (int i = 0; i < count; i++)
        {
            final long entry = queue + entryOffset(slot(head, i));
            if (clock.covers(UnsafeApi.getLong(entry + TAG_OFFSET)))
            {
                sink.free(UnsafeApi.getLong(entry + PFN_OFFSET), UnsafeApi.getLong(entry + PAGES_OFFSET));
            }
            else
            {
                if (kept != i)
                {
                    UnsafeApi.copyMemory(entry, queue + entryOffset(slot(head, kept)), FlushQueueDescriptor.ENTRY_LENGTH);
                }
                kept++;
            }
        }
        if (kept != count)
        {
            publish(queue, head, kept, count - kept);
        }
    }

    private void publish(final long queue, final int head, final int count, final int freed)
    {
        UnsafeApi.putInt(queue + HEAD_OFFSET, count == 0 ? 0 : head);
        if (count > 0)
        {
            UnsafeApi.putLongRelease(null, queue + OLDEST_NANOS_OFFSET,
                UnsafeApi.getLong(queue + entryOffset(head) + QUEUED_NANOS_OFFSET));
        }
        UnsafeApi.putIntRelease(null, queue + COUNT_OFFSET, count);
        counters.getAndAdd(FREED, freed);
    }

    private int slot(final int head, final int index)
    {
        final int slot = head + index;
        return slot >= entries ? slot - entries : slot;
    }

    // ---------------------------------------------------------------------------------------------
    // Invalidation
    // ---------------------------------------------------------------------------------------------

    /**
     * One whole-IOTLB invalidation, then the detached tables it covers go back to the pool. Before
     * it, a reclaim pass detaches the tables unmaps left empty: at a flush or a timeout always, at a
     * full queue's batch only once {@value EmptyTables#DUE} of them wait (as strict mode does). The
     * tables of a steady map/unmap load are empty for a moment at almost every batch and in use
     * again the next: a pass per batch read them whole from the cores writing them and detached,
     * zeroed and installed them again ({@code docs/dma.md} has the figures). Fewer than
     * {@value EmptyTables#DUE} empty tables wait then, until the next flush or timeout.
     *
     * @param reclaim run the pass whatever number of tables waits.
     */
    private void invalidateAll(final boolean reclaim)
    {
        if (reclaim || pageTable.reclaimWanted())
        {
            pageTable.reclaimEmptyTables(); // detached before the ticket: this invalidation covers them
        }
        final long ticket = clock.begin();
        iotlb.invalidateAll();
        pageTable.completeInvalidation(ticket);
        counters.getAndIncrement(BATCHES);
    }

    /**
     * A batch for an IOTLB without a whole invalidation: each entry's range is invalidated, then
     * freed with the tables detached inside it. Stops at the first invalidation that throws, with
     * what it has not invalidated still queued.
     */
    private void invalidateEachAndFree(final long queue)
    {
        if (UnsafeApi.getInt(queue + COUNT_OFFSET) > 0)
        {
            counters.getAndIncrement(BATCHES); // one batch, range by range
        }
        while (UnsafeApi.getInt(queue + COUNT_OFFSET) > 0)
        {
            final int head = UnsafeApi.getInt(queue + HEAD_OFFSET);
            final int count = UnsafeApi.getInt(queue + COUNT_OFFSET);
            final long entry = queue + entryOffset(head);
            final long pfn = UnsafeApi.getLong(entry + PFN_OFFSET);
            final long pages = UnsafeApi.getLong(entry + PAGES_OFFSET);
            final long retired = pageTable.retireSequence();
            iotlb.invalidateRange(pfn << granuleShift, pages << granuleShift, 1L << granuleShift, true);
            pageTable.releaseMeeting(pfn << granuleShift, pages << granuleShift, retired);
            sink.free(pfn, pages);
            publish(queue, slot(head, 1), count - 1, 1);
        }
    }

    private void invalidateEachEverywhere()
    {
        quarantine.releaseRanged(iotlb, pageTable);
        for (int stripe = 0; stripe < stripes; stripe++)
        {
            final long queue = queueAddress(stripe);
            if (UnsafeApi.getIntAcquire(null, queue + COUNT_OFFSET) == 0)
            {
                continue;
            }
            locks.lock(stripe);
            try
            {
                invalidateEachAndFree(queue);
            }
            finally
            {
                try
                {
                    locks.unlock(stripe);
                }
                catch (final StackOverflowError e)
                {
                    locks.overflowedReleases[stripe].pending = 1; // no call: the next thread to find it held releases it
                    throw e;
                }
            }
        }
    }

    private void freeEverywhere()
    {
        freeEverywhere(Long.MIN_VALUE);
    }

    /**
     * Frees what the invalidations cover in the quarantine and in every queue whose oldest entry
     * was queued at or before {@code nowNanos - timeoutNanos} ({@code Long.MIN_VALUE}: every queue).
     * A queue's entries go into the caches of the stripe the queue belongs to, as its own thread's
     * batches do: the calling thread takes that stripe's probe while it frees them. Freed into the
     * caller's own stripe (the flush timer's), they reached the other threads through the depot
     * and mixed the threads' IOVAs in the page-table lines: lazy map+unmap from 4 threads on 2
     * cores, where a descheduled thread's queue expires, had 12-17% of its maps touch a line of
     * leaf entries another thread had touched last, against none with the timer off
     * ({@code docs/dma.md}).
     */
    private void freeEverywhere(final long nowNanos)
    {
        if (!quarantine.isEmpty())
        {
            quarantine.releaseCovered();
        }
        final Thread thread = Thread.currentThread();
        final int ownProbe = ThreadProbe.get(thread);
        try
        {
            for (int stripe = 0; stripe < stripes; stripe++)
            {
                final long queue = queueAddress(stripe);
                if (UnsafeApi.getIntAcquire(null, queue + COUNT_OFFSET) == 0 || (nowNanos != Long.MIN_VALUE &&
                    nowNanos - UnsafeApi.getLongAcquire(null, queue + OLDEST_NANOS_OFFSET) < timeoutNanos))
                {
                    continue;
                }
                locks.lock(stripe);
                try
                {
                    ThreadProbe.set(thread, stripe | stripes); // never 0; its low bits name the stripe
                    freeCovered(queue);
                }
                finally
                {
                    try
                    {
                        locks.unlock(stripe);
                    }
                    catch (final StackOverflowError e)
                    {
                        locks.overflowedReleases[stripe].pending = 1; // no call: the next thread to find it held releases it
                        throw e;
                    }
                }
            }
        }
        finally
        {
            ThreadProbe.set(thread, ownProbe);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Locks
    // ---------------------------------------------------------------------------------------------

    private long queueAddress(final int stripe)
    {
        return queuesAddress + stripe * queueLength;
    }

    /** Locks the calling thread's queue (by its probe, see {@link StripedSpinLocks}) and returns its index. */
    private int lockAnyStripe()
    {
        return locks.lockAny();
    }

    private void checkOpen()
    {
        if (locks.isClosed())
        {
            throw locks.closedException();
        }
    }
}
