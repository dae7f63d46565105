package dev.iova.cache;

import dev.iova.IovaDomain;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import static dev.iova.IovaDomain.NO_ADDRESS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Short two- and many-thread races on the free protocol, over small and large size classes
 * (1, 64 and 512 pages), each bounded by a count of rounds, not by time:
 * <ul>
 *   <li>a double free racing the owner's own free and reallocation: exactly one free of a
 *       handed-out range succeeds, and a range is never held by two owners;</li>
 *   <li>frees racing {@code flushCaches()}: nothing lost, nothing freed twice;</li>
 *   <li>threads that die with ranges parked in their stripes' magazines: a flush gets them all
 *       back;</li>
 *   <li>frees by strangers (written for a guarded-free variant that was measured and dropped,
 *       {@code docs/caches.md}, and kept): a range freed on another thread than the one whose
 *       stripe handed it out, while its owner keeps using the stripe, two strangers free it at
 *       once and the caches are flushed; ranges whose handing thread died are freed by others;
 *       and 1,024 stripes, more than a byte can name.</li>
 * </ul>
 * Each ends with every range freed, the caches flushed, no range live and the tree sound.
 */
class RangeCacheRaceTest
{
    private static final long LAST_PFN = 0xfffffL;
    private static final long[] SIZES = {1, 64, 512};

    @Test
    void doubleFreeRacingTheOwnersFreeAndReallocationSucceedsOnceAndNeverHandsARangeOutTwice() throws Exception
    {
        for (final long pages : SIZES)
        {
            try (IovaDomain domain = IovaDomain.builder().lastPfn(LAST_PFN).build())
            {
                final int rounds = 2_000;
                final long[] shared = new long[1];
                final AtomicInteger successfulFrees = new AtomicInteger();
                final CyclicBarrier barrier = new CyclicBarrier(2);
                final AtomicReference<Throwable> failure = new AtomicReference<>();
                final Thread owner = new Thread(() -> run(failure, () ->
                {
                    for (int round = 0; round < rounds; round++)
                    {
                        final long pfn = domain.allocFast(pages, LAST_PFN);
                        assertNotEquals(NO_ADDRESS, pfn);
                        shared[0] = pfn;
                        barrier.await(30, TimeUnit.SECONDS);
                        if (tryFree(domain, pfn, pages))
                        {
                            successfulFrees.incrementAndGet();
                        }
                        // Reallocate at once: it may be the same range, which the other free may then take back.
                        final long again = domain.allocFast(pages, LAST_PFN);
                        barrier.await(30, TimeUnit.SECONDS);
                        if (tryFree(domain, again, pages))
                        {
                            successfulFrees.incrementAndGet();
                        }
                        barrier.await(30, TimeUnit.SECONDS);
                    }
                }));
                final Thread stranger = new Thread(() -> run(failure, () ->
                {
                    for (int round = 0; round < rounds; round++)
                    {
                        barrier.await(30, TimeUnit.SECONDS);
                        if (tryFree(domain, shared[0], pages))
                        {
                            successfulFrees.incrementAndGet();
                        }
                        barrier.await(30, TimeUnit.SECONDS);
                        barrier.await(30, TimeUnit.SECONDS);
                    }
                }));
                owner.start();
                stranger.start();
                owner.join();
                stranger.join();
                assertNull(failure.get(), () -> "pages=" + pages + ": " + failure.get());
                // Two allocations per round; every successful free took back one of them, once.
                assertEquals(2L * rounds, successfulFrees.get(), "pages=" + pages + ": frees that succeeded");
                RangeCacheFaultTest.assertFlushLeavesNothingLive(domain);
            }
        }
    }

    @Test
    void freesRacingFlushCachesLoseNothingAndFreeNothingTwice() throws Exception
    {
        try (IovaDomain domain = IovaDomain.builder().lastPfn(LAST_PFN).build())
        {
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            final AtomicInteger running = new AtomicInteger(3);
            final List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 3; t++)
            {
                final long pages = SIZES[t];
                threads.add(new Thread(() -> run(failure, () ->
                {
                    try
                    {
                        final long[] held = new long[200];
                        for (int round = 0; round < 50; round++)
                        {
                            for (int i = 0; i < held.length; i++)
                            {
                                held[i] = domain.allocFast(pages, LAST_PFN);
                                assertNotEquals(NO_ADDRESS, held[i]);
                            }
                            for (final long pfn : held)
                            {
                                domain.freeFast(pfn, pages);
                            }
                        }
                    }
                    finally
                    {
                        running.decrementAndGet();
                    }
                })));
            }
            threads.add(new Thread(() -> run(failure, () ->
            {
                while (running.get() > 0)
                {
                    domain.flushCaches();
                }
            })));
            threads.forEach(Thread::start);
            for (final Thread thread : threads)
            {
                thread.join();
            }
            assertNull(failure.get(), () -> String.valueOf(failure.get()));
            RangeCacheFaultTest.assertFlushLeavesNothingLive(domain);
            assertEquals(LAST_PFN, domain.freePages(LAST_PFN));
        }
    }

    @Test
    void threadsThatDieWithRangesParkedInTheirStripesLoseNothing() throws Exception
    {
        try (IovaDomain domain = IovaDomain.builder().lastPfn(LAST_PFN).build())
        {
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            for (int wave = 0; wave < 20; wave++)
            {
                final List<Thread> threads = new ArrayList<>();
                for (int t = 0; t < 8; t++)
                {
                    final long pages = SIZES[(wave + t) % SIZES.length];
                    threads.add(new Thread(() -> run(failure, () ->
                    {
                        final long[] held = new long[20];
                        for (int i = 0; i < held.length; i++)
                        {
                            held[i] = domain.allocFast(pages, LAST_PFN);
                        }
                        for (final long pfn : held)
                        {
                            domain.freeFast(pfn, pages); // parked in this thread's stripe; then the thread dies
                        }
                    })));
                }
                threads.forEach(Thread::start);
                for (final Thread thread : threads)
                {
                    thread.join();
                }
            }
            assertNull(failure.get(), () -> String.valueOf(failure.get()));
            assertTrue(domain.cacheStats().cachedRanges() > 0, "the dead threads left ranges parked");
            RangeCacheFaultTest.assertFlushLeavesNothingLive(domain);
            assertEquals(0, domain.cacheStats().cachedRanges());
            assertEquals(LAST_PFN, domain.freePages(LAST_PFN), "every page is free again");
        }
    }

    @Test
    void twoStrangersFreeingWhatAnOwnerHandedOutWhileItKeepsItsStripeBusyAndCachesAreFlushedSucceedOnce() throws Exception
    {
        for (final long pages : SIZES)
        {
            try (IovaDomain domain = IovaDomain.builder().lastPfn(LAST_PFN).build())
            {
                final int rounds = 500;
                final int batch = 16;
                final long[] shared = new long[batch];
                final AtomicInteger successfulFrees = new AtomicInteger();
                final AtomicInteger running = new AtomicInteger(3);
                final CyclicBarrier barrier = new CyclicBarrier(3);
                final AtomicReference<Throwable> failure = new AtomicReference<>();
                final List<Thread> threads = new ArrayList<>();
                threads.add(new Thread(() -> run(failure, () ->
                {
                    try
                    {
                        for (int round = 0; round < rounds; round++)
                        {
                            for (int i = 0; i < batch; i++)
                            {
                                shared[i] = domain.allocFast(pages, LAST_PFN);
                                assertNotEquals(NO_ADDRESS, shared[i]);
                            }
                            barrier.await(30, TimeUnit.SECONDS);
                            // Keep this stripe's lock busy while the strangers free into it, with 2-page
                            // ranges: a shared range handed out again here could be taken back by a stranger.
                            for (int i = 0; i < batch; i++)
                            {
                                domain.freeFast(domain.allocFast(2, LAST_PFN), 2);
                            }
                            barrier.await(30, TimeUnit.SECONDS);
                        }
                    }
                    finally
                    {
                        running.decrementAndGet();
                    }
                })));
                for (int t = 0; t < 2; t++)
                {
                    threads.add(new Thread(() -> run(failure, () ->
                    {
                        try
                        {
                            for (int round = 0; round < rounds; round++)
                            {
                                barrier.await(30, TimeUnit.SECONDS);
                                for (int i = 0; i < batch; i++)
                                {
                                    if (tryFree(domain, shared[i], pages))
                                    {
                                        successfulFrees.incrementAndGet();
                                    }
                                }
                                barrier.await(30, TimeUnit.SECONDS);
                            }
                        }
                        finally
                        {
                            running.decrementAndGet();
                        }
                    })));
                }
                threads.add(new Thread(() -> run(failure, () ->
                {
                    while (running.get() > 0)
                    {
                        domain.flushCaches();
                        Thread.yield();
                    }
                })));
                threads.forEach(Thread::start);
                for (final Thread thread : threads)
                {
                    thread.join();
                }
                assertNull(failure.get(), () -> "pages=" + pages + ": " + failure.get());
                assertEquals((long)rounds * batch, successfulFrees.get(), "pages=" + pages + ": each shared range freed exactly once");
                RangeCacheFaultTest.assertFlushLeavesNothingLive(domain);
                assertEquals(LAST_PFN, domain.freePages(LAST_PFN));
            }
        }
    }

    @Test
    void rangesHandedOutToThreadsThatDiedAreFreedByOthersOnceAndNeverTwice() throws Exception
    {
        try (IovaDomain domain = IovaDomain.builder().lastPfn(LAST_PFN).build())
        {
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            final List<long[]> handedOut = new ArrayList<>();
            final List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 8; t++)
            {
                final long pages = SIZES[t % SIZES.length];
                final long[] held = new long[40];
                handedOut.add(held);
                threads.add(new Thread(() -> run(failure, () ->
                {
                    for (int i = 0; i < held.length; i++)
                    {
                        held[i] = domain.allocFast(pages, LAST_PFN); // live, guarded by this thread's stripe; then the thread dies
                        assertNotEquals(NO_ADDRESS, held[i]);
                    }
                })));
            }
            threads.forEach(Thread::start);
            for (final Thread thread : threads)
            {
                thread.join();
            }
            assertNull(failure.get(), () -> String.valueOf(failure.get()));
            for (int t = 0; t < handedOut.size(); t++)
            {
                final long pages = SIZES[t % SIZES.length];
                for (final long pfn : handedOut.get(t))
                {
                    domain.freeFast(pfn, pages);
                    assertFalse(tryFree(domain, pfn, pages), "a second free of 0x" + Long.toHexString(pfn) + " is refused");
                }
            }
            RangeCacheFaultTest.assertFlushLeavesNothingLive(domain);
            assertEquals(LAST_PFN, domain.freePages(LAST_PFN), "every page is free again");
        }
    }

    /**
     * Many more stripes than threads (1,024 for 32), whose magazines still pass ranges between
     * threads through the depots. The second frees run in a phase of their own, between two
     * barriers: a range freed while other threads allocate can be handed out again at once, and
     * a second free of it then frees the new owner's range, which no checked free can tell from
     * that owner's own (asserted in the allocating phase, it fails in about 1 of 600 runs under
     * load, either way round: a "double free" accepted, or an owner's free refused).
     */
    @Test
    void manyMoreStripesThanThreadsLoseNothingAndRefuseSecondFrees() throws Exception
    {
        try (IovaDomain domain = IovaDomain.builder().lastPfn(LAST_PFN).cacheStripes(1024).build())
        {
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            final List<Thread> threads = new ArrayList<>();
            final long[][] handedOut = new long[32][];
            final CyclicBarrier phase = new CyclicBarrier(handedOut.length);
            for (int t = 0; t < handedOut.length; t++)
            {
                final long pages = SIZES[t % SIZES.length];
                final long[] held = new long[20];
                handedOut[t] = held;
                threads.add(new Thread(() -> run(failure, () ->
                {
                    for (int round = 0; round < 20; round++)
                    {
                        for (int i = 0; i < held.length; i++)
                        {
                            held[i] = domain.allocFast(pages, LAST_PFN);
                            assertNotEquals(NO_ADDRESS, held[i]);
                        }
                        for (final long pfn : held)
                        {
                            domain.freeFast(pfn, pages);
                        }
                        phase.await(60, TimeUnit.SECONDS); // every thread has freed; none allocates until the next await
                        for (final long pfn : held)
                        {
                            assertFalse(tryFree(domain, pfn, pages), "a second free of 0x" + Long.toHexString(pfn) + " is refused");
                        }
                        phase.await(60, TimeUnit.SECONDS);
                    }
                    for (int i = 0; i < held.length; i++)
                    {
                        held[i] = domain.allocFast(pages, LAST_PFN); // left live for the main thread to free
                    }
                })));
            }
            threads.forEach(Thread::start);
            for (final Thread thread : threads)
            {
                thread.join();
            }
            assertNull(failure.get(), () -> String.valueOf(failure.get()));
            for (int t = 0; t < handedOut.length; t++)
            {
                for (final long pfn : handedOut[t])
                {
                    domain.freeFast(pfn, SIZES[t % SIZES.length]);
                }
            }
            RangeCacheFaultTest.assertFlushLeavesNothingLive(domain);
            assertEquals(LAST_PFN, domain.freePages(LAST_PFN), "every page is free again");
        }
    }

    private static boolean tryFree(final IovaDomain domain, final long pfn, final long pages)
    {
        try
        {
            domain.freeFast(pfn, pages);
            return true;
        }
        catch (final IllegalArgumentException refused)
        {
            return false; // a double free: refused, nothing changed
        }
    }

    private interface Body
    {
        void run() throws Exception;
    }

    private static void run(final AtomicReference<Throwable> failure, final Body body)
    {
        try
        {
            body.run();
        }
        catch (final Throwable ex)
        {
            failure.compareAndSet(null, ex);
        }
    }
}
