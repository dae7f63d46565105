package dev.iova.bench.jmh;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A bounded single-producer single-consumer queue of non-zero longs over a preallocated
 * {@code long[]}: the hand-off between the submitting and the completing thread of
 * {@link MapUnmapBenchmark}'s cross-thread unmap. Unlike JCTools' {@code SpscArrayQueue}, which
 * holds objects and would box every DMA address, it allocates nothing per element.
 *
 * <h2>Ordering</h2>
 * Prefixes as in JCTools: {@code lp}/{@code sp} plain, {@code lv} volatile (acquire) load,
 * {@code so} ordered (release) store. The producer writes the slot, then publishes it with an
 * ordered store of the tail; the consumer reads the tail with an acquire load before the slot.
 * The consumer releases a slot with an ordered store of the head after reading it; the producer
 * reads the head with an acquire load before overwriting. Each side keeps a plain cache of the
 * other's index and rereads it only when the cache says full (or empty).
 *
 * <h2>Layout</h2>
 * The four indices live in one {@link AtomicLongArray}, the producer's pair (tail, cached head)
 * and the consumer's pair (head, cached tail) 128 bytes apart, so that the two threads do not
 * share a cache line (or an adjacent-line prefetch pair) through them.
 */
final class SpscLongRing
{
    /** What {@link #poll()} returns when the ring is empty; never offered. */
    static final long EMPTY = 0L;

    private static final int TAIL = 16;
    private static final int HEAD_CACHE = 17;
    private static final int HEAD = 32;
    private static final int TAIL_CACHE = 33;
    private static final int INDEX_SLOTS = 48;

    private final long[] slots;
    private final int mask;
    private final AtomicLongArray indices = new AtomicLongArray(INDEX_SLOTS);

    /**
     * @param capacity how many elements the ring holds, a power of two from 2 to 2^30.
     */
    SpscLongRing(final int capacity)
    {
        if (capacity < 2 || capacity > (1 << 30) || Integer.bitCount(capacity) != 1)
        {
            throw new IllegalArgumentException("capacity=" + capacity + " must be a power of two in [2, 2^30]");
        }
        this.slots = new long[capacity];
        this.mask = capacity - 1;
    }

    /**
     * Producer only.
     *
     * @param value a non-zero value.
     * @return false when the ring is full (nothing changes).
     */
    boolean offer(final long value)
    {
        final long tail = indices.getPlain(TAIL);
        if (tail - indices.getPlain(HEAD_CACHE) > mask)
        {
            final long head = indices.getAcquire(HEAD); // LoadLoad: the consumer has read the slot
            indices.setPlain(HEAD_CACHE, head);
            if (tail - head > mask)
            {
                return false;
            }
        }
        slots[(int)tail & mask] = value;
        indices.setRelease(TAIL, tail + 1); // StoreStore: the slot before the tail that publishes it
        return true;
    }

    /**
     * Consumer only.
     *
     * @return the oldest value, or {@link #EMPTY} when there is none.
     */
    long poll()
    {
        final long head = indices.getPlain(HEAD);
        if (head >= indices.getPlain(TAIL_CACHE))
        {
            final long tail = indices.getAcquire(TAIL); // LoadLoad: the slot after the tail that published it
            indices.setPlain(TAIL_CACHE, tail);
            if (head >= tail)
            {
                return EMPTY;
            }
        }
        final long value = slots[(int)head & mask];
        indices.setRelease(HEAD, head + 1); // the slot is read before the producer may reuse it
        return value;
    }

    /** @return how many elements are queued, as seen by a thread that is neither side (or either, when both are idle). */
    long size()
    {
        return indices.getAcquire(TAIL) - indices.getAcquire(HEAD);
    }
}
