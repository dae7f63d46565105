package dev.iova.dma;

/**
 * Layout of one flush queue off-heap: a header, then a ring of entries, each an IOVA range that
 * was unmapped and waits for an IOTLB invalidation before it may be freed.
 *
 * <pre>
 *   0        4        8               16                                     128
 *   +--------+--------+---------------+--------------- ... ------------------+
 *   | count  |  head  |  oldestNanos  |               (spare)                 |  header
 *   +--------+--------+---------------+--------------- ... ------------------+
 *
 *   0                 8                 16                24                 32
 *   +-----------------+-----------------+-----------------+-----------------+
 *   |       pfn       |      pages      |       tag       |   queuedNanos   |  entry[i], at 128 + 32 i
 *   +-----------------+-----------------+-----------------+-----------------+
 * </pre>
 *
 * {@code count} and {@code oldestNanos} are written with release stores under the queue's lock
 * and read without it by the timeout check; everything else is read and written under the lock.
 * The {@code tag} is {@link InvalidationClock#tagAfterUnmap()} at unmap time. Queues are
 * 128-byte aligned, so two queues never share a cache line.
 */
final class FlushQueueDescriptor
{
    /** Offset of the number of entries (int). */
    static final int COUNT_OFFSET = 0;

    /** Offset of the ring index of the oldest entry (int). */
    static final int HEAD_OFFSET = COUNT_OFFSET + Integer.BYTES;

    /** Offset of the time the oldest entry was queued, {@code System.nanoTime()} (long). */
    static final int OLDEST_NANOS_OFFSET = HEAD_OFFSET + Integer.BYTES;

    /** Offset of the first entry. */
    static final int ENTRIES_OFFSET = 128;

    /** Offset of an entry's first pfn. */
    static final int PFN_OFFSET = 0;

    /** Offset of an entry's length in pages. */
    static final int PAGES_OFFSET = PFN_OFFSET + Long.BYTES;

    /** Offset of an entry's invalidation tag. */
    static final int TAG_OFFSET = PAGES_OFFSET + Long.BYTES;

    /** Offset of the time an entry was queued. */
    static final int QUEUED_NANOS_OFFSET = TAG_OFFSET + Long.BYTES;

    /** Bytes per entry. */
    static final int ENTRY_LENGTH = QUEUED_NANOS_OFFSET + Long.BYTES;

    /** Alignment of every queue. */
    static final int QUEUE_ALIGNMENT = 128;

    private FlushQueueDescriptor()
    {
    }

    /**
     * @param slot a ring index.
     * @return the offset of that entry within its queue.
     */
    static long entryOffset(final int slot)
    {
        return ENTRIES_OFFSET + (long)slot * ENTRY_LENGTH;
    }

    /**
     * @param entries entries per queue.
     * @return bytes per queue, a multiple of {@link #QUEUE_ALIGNMENT}.
     */
    static long queueLength(final int entries)
    {
        return (ENTRIES_OFFSET + (long)entries * ENTRY_LENGTH + QUEUE_ALIGNMENT - 1) & -QUEUE_ALIGNMENT;
    }
}
