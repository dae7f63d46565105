package dev.iova.dma;

import dev.iova.concurrent.ThreadProbe;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Lets {@code close()} wait for the calls in progress before freeing off-heap memory, without a
 * lock on the hot path: each call adds one to a striped counter on the way in and takes it away on
 * the way out; {@link #close()} sets the closed flag and waits for every counter to reach zero.
 *
 * <p>Why it is enough: {@link #enter()} increments (a volatile read-modify-write) and then reads
 * the flag; {@code close()} writes the flag (volatile) and then reads the counters. Volatile
 * accesses are totally ordered, so either the call sees the flag and backs out, or {@code close()}
 * sees the call's count and waits for it (Dekker's argument). Counters are 128 bytes apart, none
 * beside the array's header (its length is read by every access), on the Java heap, so a late
 * caller touching them after close reads memory that still exists. A thread counts itself in the
 * stripe its probe points at ({@link ThreadProbe}); finding another thread already counted there,
 * it rehashes its probe, so that threads running together part.
 */
final class OperationGate
{
    private static final int SPACING = 16; // longs: 128 bytes

    private final int stripeMask;
    private final AtomicLongArray counters;
    private volatile boolean closed;

    /**
     * @param stripes a power of two.
     */
    OperationGate(final int stripes)
    {
        this.stripeMask = stripes - 1;
        this.counters = new AtomicLongArray((stripes + 1) * SPACING);
    }

    /**
     * @param what the closed object, for the exception.
     * @return the stripe to pass to {@link #exit(int)}.
     * @throws IllegalStateException when closed.
     */
    int enter(final Object what)
    {
        final Thread thread = Thread.currentThread();
        final int probe = ThreadProbe.get(thread);
        final int stripe = probe & stripeMask;
        if (counters.getAndIncrement(slot(stripe)) != 0)
        {
            ThreadProbe.advance(thread, probe); // another thread is counted here: use another stripe next time
        }
        if (closed)
        {
            counters.getAndDecrement(slot(stripe));
            throw new IllegalStateException("domain is closed: " + what);
        }
        return stripe;
    }

    /** @param stripe from {@link #enter(Object)}. */
    void exit(final int stripe)
    {
        counters.getAndDecrement(slot(stripe));
    }

    /**
     * Stripe {@code stripe}'s counter, {@link #SPACING} longs in: element 0 shares its line with
     * the array's header, whose length every access reads for its bounds check.
     */
    private static int slot(final int stripe)
    {
        return (stripe + 1) * SPACING;
    }

    /** @return true once {@link #close()} has begun. */
    boolean isClosed()
    {
        return closed;
    }

    /**
     * Refuses new calls and waits for those in progress.
     *
     * @return false when the gate was already closed.
     */
    boolean close()
    {
        synchronized (this)
        {
            if (closed)
            {
                return false;
            }
            closed = true;
        }
        for (int stripe = 0; stripe <= stripeMask; stripe++)
        {
            for (int attempt = 0; counters.get(slot(stripe)) != 0; attempt++)
            {
                if (attempt < 64)
                {
                    Thread.onSpinWait();
                }
                else
                {
                    Thread.yield();
                }
            }
        }
        return true;
    }
}
