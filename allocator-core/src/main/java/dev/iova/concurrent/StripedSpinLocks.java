package dev.iova.concurrent;

import java.util.concurrent.atomic.AtomicBoolean;

import org.agrona.UnsafeApi;

/**
 * A fixed set of spin locks guarding off-heap state, which can be closed: the range caches'
 * stripes and depots, and the DMA layer's flush queues.
 *
 * <h2>Picking a stripe</h2>
 * {@link #lockAny()} locks one of the first {@code stripes} locks (fixed at construction) for the
 * calling thread: the one its probe points at (the per-thread hash {@code LongAdder} uses, see
 * {@link ThreadProbe}). When that lock is held, the thread rehashes its probe and keeps the new
 * one, so a busy or preempted holder costs another thread one failed compare-and-set, never a
 * wait, and two threads that collided once part for good. After trying as many stripes as there
 * are, it spins, then yields. A thread whose probe is not seeded yet (0) starts at stripe 0 and
 * gets a seeded probe the first time that stripe is busy.
 *
 * <h2>The uncontended path is small on purpose</h2>
 * {@link #lockAny()} is the probe read, one compare-and-set and one branch; everything else (the
 * rehash, the spin, the closed check) is in a method of its own. Each branch that a hot path never
 * takes still costs the JIT an exit stub that saves the live values, and the range caches' whole
 * pair (lock, magazine, live map, unlock, twice) must stay under C2's {@code InlineSmallCode}
 * (2,500 bytes of machine code on JDK 17) for a caller's loop to inline it ({@code docs/caches.md}).
 *
 * <h2>Closing</h2>
 * {@link #beginClose()} marks the locks closed, then takes every lock, waiting for its holder to
 * finish, and keeps them: the owner may then free the memory the locks guard, and calls
 * {@link #endClose()}. A thread that took a lock before the closer reached it finishes its work
 * on memory that still exists (the closer waits for it); every later attempt finds the lock held,
 * and every spin checks the flag, so no thread touches that memory afterwards: it gets an
 * {@link IllegalStateException} instead. {@link #lock(int)} also checks the flag right after
 * taking a lock, so the slow paths stop early once closing has begun. The lock words live on the Java heap, 128 bytes apart (so
 * that no two share a line, nor a pair of lines the adjacent-line prefetcher fetches together), so
 * that a thread spinning on a closed lock reads memory that still exists. No word shares a line with
 * the array's header either: with bounds-checked access every access read the array's length there,
 * so a lock word beside it made every thread's every lock touch the line lock 0's holder writes.
 *
 * <h2>A release that overflows</h2>
 * {@link #unlock(int)} is a call, and a {@link StackOverflowError} can strike any call; the JIT
 * can run a {@code finally} block in the interpreter, deeper than the compiled acquisition went
 * ({@link SpinLock} tells how the domain's lock was once left held that way). So a caller releases
 * as {@link SpinLock}'s class comment shows, with this fallback when {@code unlock} overflows:
 * <pre>{@code
 * catch (final StackOverflowError e)
 * {
 *     locks.overflowedReleases[index].pending = 1; // array load and field store: no call
 *     throw e;
 * }
 * }</pre>
 * The lock word stays held; the next thread that finds it held (the same one, often, or a closer)
 * sees the volatile {@code pending} flag, claims it with a compare-and-set and releases the word
 * for the overflowed holder, so what that holder wrote is published to the next holder through the
 * flag. Only the contended paths read the flags: the uncontended {@link #lockAny()} is unchanged.
 *
 * <p>Garbage-free: nothing here allocates after construction.
 */
public final class StripedSpinLocks
{
    /**
     * The fallback release of one lock (see the class comment): {@code pending} is 1 while the
     * lock's holder has left it held after its {@code unlock} overflowed, 0 otherwise.
     */
    public static final class OverflowedRelease
    {
        /** Set to 1 by the holder whose {@code unlock} overflowed; cleared by the thread that releases for it. */
        public volatile int pending;
    }

    private static final long PENDING_OFFSET = UnsafeApi.objectFieldOffset(OverflowedRelease.class, "pending");

    /** One per lock, by index: written only by a holder whose release overflowed (class comment). */
    public final OverflowedRelease[] overflowedReleases;

    /** Lock words are this many ints apart: {@link CacheLines#PADDING_BYTES}. */
    private static final int SPACING = CacheLines.PADDING_BYTES / Integer.BYTES;

    /** Base offset of {@code int[]} elements. */
    private static final long INT_ARRAY_BASE = UnsafeApi.arrayBaseOffset(int[].class);

    /**
     * The lock words, read and written through {@code Unsafe} at offsets {@link #wordOffset}
     * checked once at construction: no bounds check (so no read of the array's length on every
     * access), and one call frame each for lock and unlock, so that a thread that could take a
     * lock near the end of its stack can also release it (a {@link StackOverflowError} thrown
     * while releasing would leave the lock held for ever).
     */
    private final int[] words;
    private final int count;
    /** {@link #lockAny()} picks among locks {@code [0, stripeMask]}. */
    private final int stripeMask;
    private final String closedMessage;
    private final AtomicBoolean closing = new AtomicBoolean();
    private volatile boolean closed;
    private volatile boolean released;

    /**
     * @param count         how many locks.
     * @param stripes       how many of them, from index 0, {@link #lockAny()} picks from: a power of two, at most {@code count}.
     * @param closedMessage the message of the {@link IllegalStateException} after closing.
     */
    public StripedSpinLocks(final int count, final int stripes, final String closedMessage)
    {
        if (count < 1 || stripes < 1 || Integer.bitCount(stripes) != 1 || stripes > count)
        {
            throw new IllegalArgumentException("count=" + count + " stripes=" + stripes +
                ": count must be at least 1, stripes a power of two from 1 to count");
        }
        // The flags first, so that the lock words keep the heap neighbours they had before the flags
        // existed (what the caller allocates next); results/2026-12-04-vm-striped-overflow-release.
        this.overflowedReleases = new OverflowedRelease[count];
        for (int index = 0; index < count; index++)
        {
            overflowedReleases[index] = new OverflowedRelease();
        }
        this.words = new int[(count + 1) * SPACING];
        this.count = count;
        this.stripeMask = stripes - 1;
        this.closedMessage = closedMessage;
    }

    /** @return how many locks. */
    public int count()
    {
        return count;
    }

    /** @return true once {@link #beginClose()} has been called. */
    public boolean isClosed()
    {
        return closed;
    }

    /**
     * Locks one of the stripes' locks for the calling thread, by its probe.
     *
     * @return the index locked.
     * @throws IllegalStateException once closed.
     */
    public int lockAny()
    {
        final Thread thread = Thread.currentThread();
        final int probe = ThreadProbe.getUnseeded(thread);
        final int index = probe & stripeMask;
        if (take(index))
        {
            return index;
        }
        return lockAnyContended(thread, probe);
    }

    /**
     * One compare-and-set of lock {@code index}'s word, without the closed check: the
     * uncontended path of {@link #lockAny}. Through {@link #compareAndSetWord}, so that taking a
     * lock stays a call deeper than {@link #unlock} (see there).
     */
    private boolean take(final int index)
    {
        return compareAndSetWord(wordOffset(index));
    }

    /**
     * {@link #lockAny} once the thread's stripe was busy: moves the thread to other stripes until
     * one is free. Kept out of {@link #lockAny} so that the uncontended path stays small enough
     * for the JIT to inline it into its callers.
     */
    private int lockAnyContended(final Thread thread, final int busyProbe)
    {
        int probe = busyProbe == 0 ? ThreadProbe.get(thread) : busyProbe; // get seeds it
        for (int attempt = 0; ; attempt++)
        {
            probe = ThreadProbe.advance(thread, probe);
            final int index = probe & stripeMask;
            if (tryLock(index))
            {
                return index;
            }
            if (attempt > stripeMask)
            {
                backOff(attempt - stripeMask - 1); // every stripe seems busy: let their holders run
            }
        }
    }

    /**
     * Locks lock {@code index}, waiting for its holder.
     *
     * @param index from 0 to {@link #count()} - 1.
     * @throws IllegalStateException once closed.
     */
    public void lock(final int index)
    {
        if (index < 0 || index >= count)
        {
            throw new IllegalArgumentException("index=" + index + " is outside [0, " + count + ")");
        }
        for (int attempt = 0; !tryLock(index); attempt++)
        {
            backOff(attempt);
        }
    }

    /**
     * Unlocks lock {@code index}: a release store, so that whatever the holder wrote is visible
     * to the next holder. Call it directly from the frame that took the lock (or a deeper one),
     * never through a wrapper, and catch its {@link StackOverflowError} there with the fallback of
     * the class comment: releasing needs no more stack than taking did in the interpreter (see
     * {@link #compareAndSetWord}), but the JIT can compile the two differently.
     *
     * @param index a lock the caller holds.
     */
    public void unlock(final int index)
    {
        UnsafeApi.putIntRelease(words, wordOffset(index), 0); // StoreStore: publishes what the holder wrote
    }

    /**
     * Marks the locks closed and takes all of them, waiting for their holders, for good. When
     * another thread is already closing, waits until it has finished instead.
     *
     * @return true when the caller closed the locks and must free what they guard, then call
     *         {@link #endClose()}; false when another thread did (and is done).
     */
    public boolean beginClose()
    {
        if (!closing.compareAndSet(false, true))
        {
            while (!released)
            {
                Thread.yield(); // another thread is closing: return once it is done
            }
            return false;
        }
        closed = true;
        for (int index = 0; index < count; index++)
        {
            for (int attempt = 0; !UnsafeApi.compareAndSetInt(words, wordOffset(index), 0, 1); attempt++)
            {
                releaseIfOverflowed(index, wordOffset(index));
                pause(attempt); // held for ever: nobody touches the guarded memory again
            }
        }
        return true;
    }

    /** Says that the memory the locks guarded is gone: threads waiting in {@link #beginClose()} return. */
    public void endClose()
    {
        released = true;
    }

    /** @return the exception every call gets once the locks are closed. */
    public IllegalStateException closedException()
    {
        return new IllegalStateException(closedMessage);
    }

    private boolean tryLock(final int index)
    {
        final long wordOffset = wordOffset(index);
        if (UnsafeApi.getIntVolatile(words, wordOffset) == 0 && compareAndSetWord(wordOffset))
        {
            if (closed)
            {
                UnsafeApi.putIntRelease(words, wordOffset, 0);
                throw closedException();
            }
            return true;
        }
        // Only after a failed attempt: every caller tries again, and takes what this released.
        releaseIfOverflowed(index, wordOffset);
        return false;
    }

    /**
     * Takes a free lock word: one call deeper than anything {@link #unlock} calls, on purpose.
     * A {@link StackOverflowError} can be thrown at any call; a thread that took a lock with the
     * stack this deep has the stack to release it (from the same frame or a shallower one),
     * whereas the other way round the release could overflow and leave the lock held for ever.
     * The JIT inlines all of it, which is why callers also catch an overflow of the release.
     */
    private boolean compareAndSetWord(final long wordOffset)
    {
        return UnsafeApi.compareAndSetInt(words, wordOffset, 0, 1);
    }

    /**
     * Releases lock {@code index} for a holder whose {@code unlock} overflowed, if one did and no
     * other thread has done it yet: the flag's compare-and-set picks one releaser, and reading the
     * flag made the holder's writes visible to it, which its release store passes on.
     */
    private void releaseIfOverflowed(final int index, final long wordOffset)
    {
        final OverflowedRelease overflowed = overflowedReleases[index];
        if (overflowed.pending != 0 && UnsafeApi.compareAndSetInt(overflowed, PENDING_OFFSET, 1, 0))
        {
            UnsafeApi.putIntRelease(words, wordOffset, 0);
        }
    }

    /**
     * Lock {@code index}'s word: the first is {@link #SPACING} ints in, not at element 0, so that
     * no lock word shares a line with the array's header.
     */
    private static long wordOffset(final int index)
    {
        return INT_ARRAY_BASE + (long)(index + 1) * SPACING * Integer.BYTES;
    }

    private void backOff(final int attempt)
    {
        if (closed)
        {
            throw closedException();
        }
        pause(attempt);
    }

    private static void pause(final int attempt)
    {
        SpinWait.pause(attempt);
    }
}
