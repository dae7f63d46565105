package dev.iova.concurrent;

import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The stripes' locks: geometry checked once at construction, {@code lockAny} within the stripes,
 * a thread without a probe starting at stripe 0 and seeded when it meets a busy stripe, and no
 * lock taken once closed.
 */
class StripedSpinLocksTest
{
    @ParameterizedTest
    @CsvSource({"0, 1", "4, 0", "4, 3", "4, 8", "-1, -1"})
    void badGeometryIsRefusedByName(final int count, final int stripes)
    {
        final IllegalArgumentException ex =
            assertThrows(IllegalArgumentException.class, () -> new StripedSpinLocks(count, stripes, "closed"));

        assertTrue(ex.getMessage().startsWith("count=" + count + " stripes=" + stripes + ":"), ex.getMessage());
    }

    @Test
    void lockAnyTakesAStripeNeverTheLocksAfterTheStripes() throws InterruptedException
    {
        final StripedSpinLocks locks = new StripedSpinLocks(6, 4, "closed"); // 4 stripes, then 2 other locks
        locks.lock(4);
        locks.lock(5);
        final int[] taken = new int[4];
        for (int i = 0; i < taken.length; i++)
        {
            taken[i] = onFreshThread(locks::lockAny); // each keeps its stripe: the next must find another
        }

        assertEquals(4, java.util.Arrays.stream(taken).distinct().count(), java.util.Arrays.toString(taken));
        for (final int stripe : taken)
        {
            assertTrue(stripe >= 0 && stripe < 4, "stripe " + stripe);
        }
    }

    @Test
    void aThreadWithoutAProbeStartsAtStripeZeroAndIsSeededWhenItIsBusy() throws InterruptedException
    {
        final StripedSpinLocks locks = new StripedSpinLocks(8, 8, "closed");
        final int[] probes = new int[3];

        final int first = onFreshThread(() ->
        {
            probes[0] = ThreadProbe.getUnseeded(Thread.currentThread());
            return locks.lockAny();
        });
        final int second = onFreshThread(() ->
        {
            final int stripe = locks.lockAny(); // stripe 0 is held by the first thread
            probes[1] = ThreadProbe.getUnseeded(Thread.currentThread());
            return stripe;
        });

        assertEquals(0, probes[0], "a fresh thread has no probe");
        assertEquals(0, first);
        assertNotEquals(0, second);
        assertNotEquals(0, probes[1], "meeting a busy stripe seeds the probe");
        assertEquals(second, probes[1] & 7, "and the thread keeps the probe that found its stripe");
    }

    @Test
    void afterCloseLockAnyAndLockThrowAndTakeNothing() throws InterruptedException
    {
        final StripedSpinLocks locks = new StripedSpinLocks(3, 2, "the locks are closed");
        assertTrue(locks.beginClose());
        locks.endClose();

        final AtomicReference<Throwable> anyFailure = new AtomicReference<>();
        final Thread thread = new Thread(() -> anyFailure.set(assertThrows(IllegalStateException.class, locks::lockAny)));
        thread.start();
        thread.join();
        final IllegalStateException lockFailure = assertThrows(IllegalStateException.class, () -> locks.lock(2));

        assertEquals("the locks are closed", anyFailure.get().getMessage());
        assertEquals("the locks are closed", lockFailure.getMessage());
        assertTrue(locks.isClosed());
    }

    @Test
    void aHolderThatTookItsLockBeforeCloseFinishesAndCloseWaitsForIt() throws InterruptedException
    {
        final StripedSpinLocks locks = new StripedSpinLocks(1, 1, "closed");
        final int held = locks.lockAny();
        final AtomicReference<Throwable> closer = new AtomicReference<>();
        final Thread closing = new Thread(() ->
        {
            try
            {
                locks.beginClose();
                locks.endClose();
            }
            catch (final Throwable ex)
            {
                closer.set(ex);
            }
        });
        closing.start();
        while (!locks.isClosed())
        {
            Thread.onSpinWait();
        }
        closing.join(50);

        assertTrue(closing.isAlive(), "close waits for the holder");
        locks.unlock(held);
        closing.join();
        assertNull(closer.get());
    }

    /** Runs {@code call} on a new thread (whose probe is not seeded) and returns its result; the thread keeps what it locked. */
    @Test
    @Timeout(30) // without the fallback, lockAny would wait for ever
    void aLockWhoseReleaseOverflowedIsReleasedByTheNextThreadThatFindsItHeld() throws InterruptedException
    {
        final StripedSpinLocks locks = new StripedSpinLocks(3, 1, "closed"); // one stripe, then two other locks
        final long[] guarded = new long[1];
        // A holder writes, then its unlock overflows: it sets the flag instead (the documented fallback).
        onFreshThread(() ->
        {
            final int stripe = locks.lockAny();
            guarded[0] = 42;
            locks.overflowedReleases[stripe].pending = 1;
            return stripe;
        });
        locks.lock(2);
        locks.overflowedReleases[2].pending = 1;

        // lockAny from another thread (the stripe is the only one), lock(index) from this one.
        final int stripe = onFreshThread(() ->
        {
            final int taken = locks.lockAny();
            final int seen = (int)guarded[0];
            locks.unlock(taken);
            return taken * 1000 + seen;
        });
        assertEquals(42, stripe % 1000, "the holder's write reached the thread that released for it");
        assertEquals(0, locks.overflowedReleases[0].pending);
        locks.lock(2);
        assertEquals(0, locks.overflowedReleases[2].pending);
        locks.unlock(2);
    }

    @Test
    @Timeout(30) // without the fallback, beginClose would wait for ever
    void closingReleasesALockWhoseReleaseOverflowed()
    {
        final StripedSpinLocks locks = new StripedSpinLocks(2, 2, "closed");
        locks.lock(1);
        locks.overflowedReleases[1].pending = 1;

        assertTrue(locks.beginClose()); // would wait for ever for the holder otherwise
        locks.endClose();
        assertEquals(0, locks.overflowedReleases[1].pending);
        assertThrows(IllegalStateException.class, locks::lockAny);
    }

    private static int onFreshThread(final java.util.function.IntSupplier call) throws InterruptedException
    {
        final int[] result = new int[1];
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final Thread thread = new Thread(() ->
        {
            try
            {
                result[0] = call.getAsInt();
            }
            catch (final Throwable ex)
            {
                failure.set(ex);
            }
        });
        thread.start();
        thread.join();
        assertNull(failure.get());
        return result[0];
    }
}
