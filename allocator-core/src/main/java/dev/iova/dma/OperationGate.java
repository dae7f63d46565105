package dev.iova.dma;

import dev.iova.concurrent.ThreadProbe;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Lets {@code close()} wait for the calls in progress before freeing off-heap memory, without a
 * lock on the hot path: each call adds one to a striped counter on the way in and takes it away on
 * the way out; {@link #close()} sets the closed flag and waits for every counter to reach zero.
 *
 * <p>Why it is enough: {@link #enter(Object)} increments (a volatile read-modify-write) and then
 * reads the flag; {@code close()} writes the flag (volatile) and then reads the counters. Volatile
 * accesses are totally ordered, so either the call sees the flag and backs out, or {@code close()}
 * sees the call's count and waits for it (Dekker's argument). Counters are 128 bytes apart, none
 * beside the array's header (its length is read by every access), on the Java heap, so a late
 * caller touching them after close reads memory that still exists. A thread counts itself in the
 * stripe its probe points at ({@link ThreadProbe}); finding another thread already counted there,
 * it rehashes its probe, so that threads running together part.
 *
 * <h2>Closing from inside a call</h2>
 * A callback the owner runs inside one of its calls (an {@link Iotlb}) may call {@code close()}:
 * waiting for every counter would then wait for the calling thread itself. When the counters do not
 * drain at once, {@code close()} looks once at the calling thread's stack; if a method of the owner's
 * class other than {@code close} is on it, the release is <em>deferred</em>: {@code close()} returns
 * {@link #DEFERRED}, and whichever call leaves the gate last runs the release (the same Dekker
 * argument, over the pending flag and the counters). Otherwise it waits, as above.
 */
final class OperationGate
{
    /** {@link #close()}: no call is in progress; the caller releases. */
    static final int IDLE = 0;

    /** {@link #close()}: a call in progress on this thread; the last call to leave releases. */
    static final int DEFERRED = 1;

    /** {@link #close()}: the gate was already closed. */
    static final int ALREADY_CLOSED = 2;

    private static final int SPACING = 16; // longs: 128 bytes

    /** Spins before {@code close()} looks for its owner's frames on the calling thread's stack. */
    private static final int SPINS_BEFORE_STACK_CHECK = 64;

    private final int stripeMask;
    private final AtomicLongArray counters;
    private final String closedPrefix;
    private final Class<?> ownerClass;
    private final Runnable deferredRelease;
    private final AtomicBoolean releaseClaimed = new AtomicBoolean();
    private volatile boolean closed;
    private volatile boolean releasePending;

    /**
     * @param stripes         a power of two.
     * @param closedPrefix    the start of the message after close, e.g. {@code "domain is closed: "}.
     * @param ownerClass      the class whose methods run callbacks that may close (see above), or null.
     * @param deferredRelease what the last call to leave runs after a deferred close; null when
     *                        {@code ownerClass} is null. It must not reach the owner (it may be a Cleaner's).
     */
    OperationGate(final int stripes, final String closedPrefix, final Class<?> ownerClass, final Runnable deferredRelease)
    {
        this.stripeMask = stripes - 1;
        this.counters = new AtomicLongArray((stripes + 1) * SPACING);
        this.closedPrefix = closedPrefix;
        this.ownerClass = ownerClass;
        this.deferredRelease = deferredRelease;
    }

    /** @return four stripes per available processor, rounded up to a power of two, at most 256. */
    static int defaultStripes()
    {
        final int wanted = 4 * Runtime.getRuntime().availableProcessors();
        return Math.min(256, Integer.highestOneBit(wanted - 1) << 1);
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
            exit(stripe);
            throw new IllegalStateException(closedPrefix + what);
        }
        return stripe;
    }

    /** @param stripe from {@link #enter(Object)}. */
    void exit(final int stripe)
    {
        counters.getAndDecrement(slot(stripe));
        if (releasePending)
        {
            releaseIfIdle();
        }
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
     * Refuses new calls and waits for those in progress, or defers the release to the last of
     * them when the calling thread is itself inside a call of the owner (see above).
     *
     * @return {@link #IDLE} (the caller releases now), {@link #DEFERRED} or {@link #ALREADY_CLOSED}.
     */
    int close()
    {
        synchronized (this)
        {
            if (closed)
            {
                return ALREADY_CLOSED;
            }
            closed = true;
        }
        for (int attempt = 0; !isIdle(); attempt++)
        {
            if (attempt < SPINS_BEFORE_STACK_CHECK)
            {
                Thread.onSpinWait();
                continue;
            }
            if (attempt == SPINS_BEFORE_STACK_CHECK && ownerClass != null && callerIsInsideOwner())
            {
                releasePending = true;
                // The calls may all have left before they could see the flag: then release here.
                return isIdle() && releaseClaimed.compareAndSet(false, true) ? IDLE : DEFERRED;
            }
            Thread.yield();
        }
        releaseClaimed.set(true);
        return IDLE;
    }

    private boolean isIdle()
    {
        for (int stripe = 0; stripe <= stripeMask; stripe++)
        {
            if (counters.get(slot(stripe)) != 0)
            {
                return false;
            }
        }
        return true;
    }

    private void releaseIfIdle()
    {
        if (isIdle() && releaseClaimed.compareAndSet(false, true))
        {
            deferredRelease.run();
        }
    }

    private boolean callerIsInsideOwner()
    {
        final String owner = ownerClass.getName();
        return StackWalker.getInstance().walk(frames -> frames
            .anyMatch(frame -> frame.getClassName().equals(owner) && !frame.getMethodName().equals("close")));
    }
}
