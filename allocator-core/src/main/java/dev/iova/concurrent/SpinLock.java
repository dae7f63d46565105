package dev.iova.concurrent;

import org.agrona.UnsafeApi;

/**
 * A mutual-exclusion lock for short critical sections, such as the IOVA domain's tree operations:
 * one compare-and-set to take it and one release store to give it back. (An uncontended monitor
 * on JDK 17, without biased locking, costs a compare-and-set on entry and another on exit.) A
 * waiter spins, then yields ({@link SpinWait}), so a holder preempted on an oversubscribed machine
 * gets to run; nothing allocates, contended or not.
 *
 * <p>Not reentrant. A holder that runs code it does not control (a visitor) takes the lock with
 * {@link #lockForCallbacks()}: should that code ask for the lock again, it gets an
 * {@link IllegalStateException} with the message given at construction instead of waiting for
 * ever. The hot paths' {@link #lock()} records no owner (reading the thread's id there made the
 * JIT's output allocate once in {@code GarbageFreeTreeTest}); it only compares the callback
 * holder with the calling thread while it waits.
 *
 * <h2>Use</h2>
 * <pre>{@code
 * lock.lock();
 * try
 * {
 *     ... the critical section ...
 * }
 * finally
 * {
 *     lock.unlock();
 * }
 * }</pre>
 * {@link #lock()} goes two calls deeper than {@link #unlock()}, so a thread that could take the
 * lock near the end of its stack has the stack to release it from the same frame: a
 * {@link StackOverflowError} thrown in the critical section never leaves the lock held (see
 * {@link StripedSpinLocks}, which follows the same rule).
 *
 * <p>The lock word (0: free, 1: held) is in a {@code long[]} of its own, with
 * {@link CacheLines#PADDING_BYTES} on either side, so that threads taking the lock do not also
 * invalidate a line that holds other data.
 */
public final class SpinLock
{
    private static final long WORD_OFFSET = UnsafeApi.arrayBaseOffset(long[].class) + CacheLines.PADDING_BYTES;

    private final long[] word = new long[2 * CacheLines.PADDING_BYTES / Long.BYTES];
    private final String reentryMessage;
    /** The holder while it runs callbacks ({@link #lockForCallbacks()}), else null. */
    private volatile Thread callbackHolder;

    /**
     * @param reentryMessage the message of the {@link IllegalStateException} a thread gets when it
     *                       asks for the lock it already holds.
     */
    public SpinLock(final String reentryMessage)
    {
        this.reentryMessage = reentryMessage;
    }

    /**
     * Takes the lock, waiting for its holder.
     *
     * @throws IllegalStateException when the calling thread holds it from {@link #lockForCallbacks()}.
     */
    public void lock()
    {
        for (int attempt = 0; !tryLock(); attempt++)
        {
            if (callbackHolder == Thread.currentThread())
            {
                throw new IllegalStateException(reentryMessage);
            }
            SpinWait.pause(attempt);
        }
    }

    /**
     * Takes the lock to run code that may call back: a {@link #lock()} from the same thread before
     * {@link #unlockAfterCallbacks()} throws instead of waiting for ever.
     *
     * @throws IllegalStateException as {@link #lock()}.
     */
    public void lockForCallbacks()
    {
        lock();
        callbackHolder = Thread.currentThread();
    }

    /**
     * Gives the lock back: a release store, so that whatever the holder wrote is visible to the
     * next holder. Call it only while holding the lock, from the frame that took it.
     */
    public void unlock()
    {
        UnsafeApi.putLongRelease(word, WORD_OFFSET, 0L);
    }

    /** Gives back a lock taken with {@link #lockForCallbacks()}. */
    public void unlockAfterCallbacks()
    {
        callbackHolder = null;
        unlock();
    }

    /** @return true when some thread holds the lock. */
    public boolean isLocked()
    {
        return UnsafeApi.getLongVolatile(word, WORD_OFFSET) != 0L;
    }

    private boolean tryLock()
    {
        return UnsafeApi.getLongVolatile(word, WORD_OFFSET) == 0L && compareAndSetWord();
    }

    /** Takes a free lock word: the second call below {@link #lock()}, deeper than anything {@link #unlock()} calls. */
    private boolean compareAndSetWord()
    {
        return UnsafeApi.compareAndSetLong(word, WORD_OFFSET, 0L, 1L);
    }
}
