package dev.iova.concurrent;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The domain's lock: mutual exclusion, a waiter that gets the lock once it is free, and a callback's reentry refused by name. */
class SpinLockTest
{
    private long counter; // written only under the lock

    @Test
    void fourThreadsIncrementingUnderTheLockLoseNoIncrement() throws InterruptedException
    {
        final SpinLock lock = new SpinLock("reentry");
        final int threads = 4;
        final int increments = 200_000;
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final Thread[] workers = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            workers[t] = new Thread(() ->
            {
                for (int i = 0; i < increments; i++)
                {
                    lock.lock();
                    try
                    {
                        counter = counter + 1; // a read and a write: two holders at once would lose increments
                    }
                    finally
                    {
                        lock.unlock();
                    }
                }
            });
            workers[t].setUncaughtExceptionHandler((thread, e) -> failure.set(e));
            workers[t].start();
        }
        for (final Thread worker : workers)
        {
            worker.join();
        }
        assertNull(failure.get());
        lock.lock();
        try
        {
            assertEquals((long)threads * increments, counter);
        }
        finally
        {
            lock.unlock();
        }
    }

    @Test
    void aCallbackAskingAgainForTheLockItsThreadHoldsGetsTheMessageAndTheLockStaysHeld()
    {
        final SpinLock lock = new SpinLock("this thread already holds the lock");
        lock.lockForCallbacks();
        try
        {
            final IllegalStateException e = assertThrows(IllegalStateException.class, lock::lock);
            assertEquals("this thread already holds the lock", e.getMessage());
            assertThrows(IllegalStateException.class, lock::lockForCallbacks);
            assertTrue(lock.isLocked());
        }
        finally
        {
            lock.word = SpinLock.FREE;
        }
        assertFalse(lock.isLocked());
        lock.lock(); // free again: taken at once, and no longer a callback section
        lock.unlock();
        lock.lockForCallbacks();
        lock.word = SpinLock.FREE;
        assertFalse(lock.isLocked());
    }

    @Test
    void aThreadThatOnceHeldTheLockForCallbacksWaitsForAnotherHolderInsteadOfThrowing() throws InterruptedException
    {
        final SpinLock lock = new SpinLock("reentry");
        lock.lockForCallbacks();
        lock.word = SpinLock.FREE; // this thread's name stays behind as the last callback holder
        final CountDownLatch held = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final Thread other = new Thread(() ->
        {
            lock.lock();
            held.countDown();
            try
            {
                release.await();
            }
            catch (final InterruptedException e)
            {
                Thread.currentThread().interrupt();
            }
            finally
            {
                lock.word = SpinLock.FREE;
            }
        });
        other.start();
        held.await();
        final Thread releaser = new Thread(() ->
        {
            try
            {
                Thread.sleep(50);
            }
            catch (final InterruptedException e)
            {
                Thread.currentThread().interrupt();
            }
            release.countDown();
        });
        releaser.start();
        lock.lock(); // must wait for the other holder, not mistake the stale callback holder for itself
        assertTrue(lock.isLocked());
        lock.unlock();
        other.join();
        releaser.join();
        assertFalse(lock.isLocked());
    }

    @Test
    void aWaiterTakesTheLockOnlyOnceTheHolderGivesItBack() throws InterruptedException
    {
        final SpinLock lock = new SpinLock("reentry");
        final CountDownLatch started = new CountDownLatch(1);
        final AtomicBoolean acquired = new AtomicBoolean();
        final AtomicBoolean lockedWhileAcquired = new AtomicBoolean();
        lock.lock();
        final Thread waiter = new Thread(() ->
        {
            started.countDown();
            lock.lock(); // spins, then yields, until the main thread gives the lock back
            try
            {
                lockedWhileAcquired.set(lock.isLocked());
                acquired.set(true);
            }
            finally
            {
                lock.unlock();
            }
        });
        waiter.start();
        assertTrue(started.await(10, TimeUnit.SECONDS));
        Thread.sleep(50); // long enough for the waiter to be past its spins and yielding
        assertFalse(acquired.get(), "the waiter took a lock that was held");
        assertTrue(lock.isLocked(), "the main thread lost the lock");
        lock.unlock();
        waiter.join(10_000);
        assertFalse(waiter.isAlive());
        assertTrue(acquired.get());
        assertTrue(lockedWhileAcquired.get());
        assertFalse(lock.isLocked());
    }

    @Test
    void aStackOverflowAtAnyDepthOfTheCriticalSectionLeavesTheLockFree() throws InterruptedException
    {
        final SpinLock lock = new SpinLock("reentry");
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final Overflows overflows = new Overflows(lock);
        // A small stack. Each round recurses to its end, then every frame from the end up takes the
        // lock and goes 0 to 63 frames deeper inside the critical section, until one such step
        // completes: some overflow while taking the lock, some inside the section, a few while
        // giving it back (then the frame that took it stores the word itself). The lock must be
        // free after each.
        final Thread thread = new Thread(null, () ->
        {
            try
            {
                for (int round = 0; round < 50; round++)
                {
                    overflows.recurse(0);
                    if (lock.isLocked())
                    {
                        throw new AssertionError("round " + round + ": the lock stayed held after a StackOverflowError");
                    }
                }
            }
            catch (final Throwable t)
            {
                failure.set(t);
            }
        }, "stack-overflow", 256 * 1024);
        thread.start();
        thread.join(60_000);
        assertFalse(thread.isAlive());
        assertNull(failure.get());
        assertFalse(lock.isLocked());
        assertTrue(overflows.insideTheSection > 0, "no StackOverflowError struck inside the critical section");
    }

    /** The recursion of {@link #aStackOverflowAtAnyDepthOfTheCriticalSectionLeavesTheLockFree}. */
    private static final class Overflows
    {
        private final SpinLock lock;
        private final java.util.SplittableRandom random = new java.util.SplittableRandom(7);
        private int insideTheSection;
        private int releasesThatOverflowed;

        Overflows(final SpinLock lock)
        {
            this.lock = lock;
        }

        void recurse(final int depth)
        {
            try
            {
                recurse(depth + 1);
            }
            catch (final StackOverflowError deeper)
            {
                step(); // may overflow too: then the frame above tries, with one frame more of room
            }
        }

        private void step()
        {
            final int frames = random.nextInt(64);
            lock.lock();
            try
            {
                deeper(frames);
            }
            catch (final StackOverflowError e)
            {
                insideTheSection++;
                throw e;
            }
            finally
            {
                try
                {
                    lock.unlock();
                }
                catch (final StackOverflowError e)
                {
                    releasesThatOverflowed++;
                    lock.word = SpinLock.FREE; // the documented fallback: a field store, no call
                    throw e;
                }
            }
        }

        private static int deeper(final int frames)
        {
            return frames == 0 ? 0 : 1 + deeper(frames - 1);
        }
    }
}
