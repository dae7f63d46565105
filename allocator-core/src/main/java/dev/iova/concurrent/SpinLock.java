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
 *     try
 *     {
 *         lock.unlock();
 *     }
 *     catch (final StackOverflowError e)
 *     {
 *         lock.word = SpinLock.FREE; // a field store, not a call
 *         throw e;
 *     }
 * }
 * }</pre>
 * {@link #unlock()} is a release store, but it is a call, and any call can throw
 * {@link StackOverflowError}: a release that throws leaves the lock held for ever, and the next
 * thread to ask for it (the same one, often) waits for ever. Taking the lock a few calls deeper
 * than releasing it does not prevent that: the JIT compiles the two paths differently (the
 * acquisition inlined into compiled code; the {@code finally} block of a compiled frame that an
 * overflow unwinds into run by the interpreter after a deoptimisation, where {@code unlock()} and
 * Agrona's and the JDK's {@code Unsafe} under it are four frames). {@code TreeFaultInjectionTest}
 * saw the domain's lock stay held that way in 5 of 9 runs after other test classes had
 * warmed the JIT up. So the frame that took the lock catches an overflow of the release and stores
 * {@link #FREE} in the public volatile {@link #word} itself: one bytecode, no call. Storing it
 * always (no catch) would cost every release a full fence; the catch costs the common case nothing
 * measurable ({@code docs/tree.md}, "Faults").
 *
 * <p>The lock word sits between two runs of {@link CacheLines#PADDING_BYTES} of padding, fields of
 * superclasses, which the JVM lays out before a subclass's: {@code STYLE.md} prefers off-heap
 * words with offsets to padding classes, but the release above needs a field, and this one is
 * written by every thread that takes the domain's lock (the padding was measured to matter when
 * the word was in an array: {@code docs/benchmarks.md}, "Two false-sharing faults").
 */
public final class SpinLock extends SpinLockPaddingAfter
{
    /** {@link #word} while nobody holds the lock: what the holder stores to give it back. */
    public static final long FREE = 0L;
    /** {@link #word} while a thread holds the lock from {@link #lock()}. */
    static final long HELD = 1L;
    /** {@link #word} while a thread holds the lock from {@link #lockForCallbacks()}. */
    static final long HELD_FOR_CALLBACKS = 2L;

    private static final long WORD_OFFSET = UnsafeApi.objectFieldOffset(SpinLockWord.class, "word");

    private final String reentryMessage;
    /** The holder while {@link #word} is {@link #HELD_FOR_CALLBACKS}; stale (never read) otherwise. */
    private Thread callbackHolder;

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
            // Written before the volatile store of HELD_FOR_CALLBACKS that this read saw: the holder's.
            if (word == HELD_FOR_CALLBACKS && callbackHolder == Thread.currentThread())
            {
                throw new IllegalStateException(reentryMessage);
            }
            SpinWait.pause(attempt);
        }
    }

    /**
     * Takes the lock to run code that may call back: a {@link #lock()} from the same thread before
     * the lock is given back throws instead of waiting for ever. Give it back as after
     * {@link #lock()}.
     *
     * @throws IllegalStateException as {@link #lock()}.
     */
    public void lockForCallbacks()
    {
        lock();
        callbackHolder = Thread.currentThread();
        word = HELD_FOR_CALLBACKS;
    }

    /**
     * Gives the lock back: a release store, so that whatever the holder wrote is visible to the
     * next holder. Call it from the frame that took the lock, and catch its
     * {@link StackOverflowError} there as the class comment shows.
     */
    public void unlock()
    {
        UnsafeApi.putLongRelease(this, WORD_OFFSET, FREE);
    }

    /** @return true when some thread holds the lock. */
    public boolean isLocked()
    {
        return word != FREE;
    }

    private boolean tryLock()
    {
        return word == FREE && UnsafeApi.compareAndSetLong(this, WORD_OFFSET, FREE, HELD);
    }
}

/** {@link CacheLines#PADDING_BYTES} before the lock word. */
abstract class SpinLockPaddingBefore
{
    long p00, p01, p02, p03, p04, p05, p06, p07, p08, p09, p10, p11, p12, p13, p14, p15;
}

/** The lock word of {@link SpinLock}, alone between its paddings. */
abstract class SpinLockWord extends SpinLockPaddingBefore
{
    /**
     * {@link SpinLock#FREE}, or held (by {@code lock()} or {@code lockForCallbacks()}). Public so
     * that a holder whose release overflowed can give the lock back with one field store
     * ({@code lock.word = SpinLock.FREE}), which cannot throw; nothing else may write it.
     */
    public volatile long word;
}

/** {@link CacheLines#PADDING_BYTES} after the lock word. */
abstract class SpinLockPaddingAfter extends SpinLockWord
{
    long q00, q01, q02, q03, q04, q05, q06, q07, q08, q09, q10, q11, q12, q13, q14, q15;
}
