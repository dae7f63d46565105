package dev.iova.bench.jmh;

import java.util.concurrent.atomic.AtomicLongArray;

import org.openjdk.jmh.infra.Control;

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
 * <h2>Slots are given back in batches</h2>
 * The consumer publishes its head once per {@code min(32, capacity / 8)} elements (at least 1),
 * and whenever it finds the ring empty, not after every element. When the consumer is the slower
 * side the ring stays full and the producer rereads the head while it waits; a head published
 * after every element then moved the head's cache line between the cores on every element, and
 * the consumer's store waited for it: in {@code crossThread} the ring took about a third of the
 * unmapping thread's samples (JFR). Batching (the control-variable batching of Lee et al.'s
 * MCRingBuffer) moves the line once per batch; the producer sees up to a batch less free space.
 *
 * <h2>Layout</h2>
 * The indices live in one {@link AtomicLongArray}: the producer's pair (tail, cached head), the
 * published head, and the consumer's own pair (cached tail, head read so far), each group 128
 * bytes from the next and from the array's header, so that the two threads share no cache line
 * (nor an adjacent-line prefetch pair) but the published indices.
 */
final class SpscLongRing
{
    /** What {@link #poll()} returns when the ring is empty; never offered. */
    static final long EMPTY = 0L;

    private static final int TAIL = 16;
    private static final int HEAD_CACHE = 17;
    private static final int HEAD = 32;
    private static final int TAIL_CACHE = 48;
    private static final int HEAD_LOCAL = 49;
    private static final int INDEX_SLOTS = 64;

    /** Most elements the consumer reads before it gives their slots back. */
    static final int MAX_RELEASE_BATCH = 32;

    private final long[] slots;
    private final int mask;
    private final int releaseMask;
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
        this.releaseMask = Math.max(1, Math.min(MAX_RELEASE_BATCH, capacity / 8)) - 1;
    }

    /**
     * Producer only: {@link #offer}, spinning while the ring is full, as a benchmark's submitting
     * side does.
     *
     * @param value   a non-zero value.
     * @param control JMH's control: the wait ends when the iteration stops.
     * @return false when the iteration stopped before there was room (nothing changes).
     */
    boolean offerUntilStopped(final long value, final Control control)
    {
        while (!offer(value))
        {
            if (control.stopMeasurement)
            {
                return false;
            }
            Thread.onSpinWait();
        }
        return true;
    }

    /**
     * Consumer only: {@link #poll}, spinning while the ring is empty, as a benchmark's completing
     * side does.
     *
     * @param control JMH's control: the wait ends when the iteration stops.
     * @return the value, or {@link #EMPTY} when the iteration stopped first.
     */
    long pollUntilStopped(final Control control)
    {
        long value;
        while ((value = poll()) == EMPTY)
        {
            if (control.stopMeasurement)
            {
                return EMPTY;
            }
            Thread.onSpinWait();
        }
        return value;
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
        final long head = indices.getPlain(HEAD_LOCAL);
        if (head >= indices.getPlain(TAIL_CACHE))
        {
            final long tail = indices.getAcquire(TAIL); // LoadLoad: the slot after the tail that published it
            indices.setPlain(TAIL_CACHE, tail);
            if (head >= tail)
            {
                if (indices.getPlain(HEAD) != head)
                {
                    indices.setRelease(HEAD, head); // idle: give back what was read
                }
                return EMPTY;
            }
        }
        final long value = slots[(int)head & mask];
        indices.setPlain(HEAD_LOCAL, head + 1);
        if (((head + 1) & releaseMask) == 0)
        {
            indices.setRelease(HEAD, head + 1); // the slots are read before the producer may reuse them
        }
        return value;
    }

    /**
     * @return how many elements are queued or read but not yet given back, as seen by a thread that
     *         is neither side (or either, when both are idle).
     */
    long size()
    {
        return indices.getAcquire(TAIL) - indices.getAcquire(HEAD);
    }
}
