package dev.iova.cache;

import dev.iova.HeapAllocationProbe;
import dev.iova.IovaDomain;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import static dev.iova.IovaDomain.NO_ADDRESS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fast API allocates nothing on the Java heap in the steady state: magazine hits, depot
 * trades and overflows, misses that go to the tree, requests above {@code maxCachedPages}, the
 * flush-and-retry on exhaustion, and frees on another thread than the allocation. Counted with
 * {@link HeapAllocationProbe} (bytes the thread allocated, per HotSpot): a count, not a timing.
 *
 * <h2>Best of three</h2>
 * Each workload is measured three times and the least count must be 0. HotSpot itself may
 * allocate a few hundred bytes once, on the thread, while it moves a running loop into
 * freshly compiled code (on-stack replacement: 128 to 760 bytes were seen here, and none with
 * {@code -XX:-UseOnStackReplacement}). A per-call allocation costs at least 16 bytes on every one
 * of the 50 000 or more calls of each measurement, so it shows in all three.
 */
class GarbageFreeCacheTest
{
    private static final long LAST_PFN = 0xfffff;
    private static final int PAIRS = 200_000;

    @Test
    void allocFastAndFreeFastPairsAllocateNothingOnTheHeap()
    {
        try (IovaDomain domain = IovaDomain.builder().lastPfn(LAST_PFN).build())
        {
            final long[] pfns = allocateSlots(domain, 1000);
            churn(domain, pfns); // warm up: every leaf, chunk and code path exists

            final long bytes = steadyStateBytes(() -> churn(domain, pfns));

            assertEquals(0, bytes, "heap bytes allocated by " + PAIRS + " allocFast/freeFast pairs");
            assertTrue(domain.cacheStats().allocHits() > PAIRS, "the pairs were meant to hit the caches");
        }
    }

    @Test
    void depotTradesAndOverflowsToTheTreeAllocateNothing()
    {
        try (IovaDomain domain = IovaDomain.builder().lastPfn(LAST_PFN).cacheStripes(1).magazineRanges(2).depotMagazines(2).build())
        {
            final long[] pfns = new long[16];
            burst(domain, pfns, 1000);
            final RangeCacheStats warm = domain.cacheStats();

            final long bytes = steadyStateBytes(() -> burst(domain, pfns, 10_000));

            final RangeCacheStats after = domain.cacheStats();
            assertEquals(0, bytes, "heap bytes allocated by bursts through magazines, depot and tree");
            assertTrue(after.treeFrees() > warm.treeFrees() && after.allocMisses() > warm.allocMisses(), "the depot overflowed");
        }
    }

    @Test
    void requestsAboveMaxCachedPagesAllocateNothing()
    {
        try (IovaDomain domain = IovaDomain.builder().lastPfn(LAST_PFN).maxCachedPages(8).build())
        {
            final Runnable pairs = () ->
            {
                for (int i = 0; i < PAIRS; i++)
                {
                    final long pages = 9 + (i % 50);
                    domain.freeFast(domain.allocFast(pages, LAST_PFN), pages);
                }
            };
            pairs.run();

            assertEquals(0, steadyStateBytes(pairs), "heap bytes allocated by uncached allocFast/freeFast pairs");
        }
    }

    @Test
    void flushAndRetryOnExhaustionAllocatesNothing()
    {
        final long lastPfn = 0xff;
        try (IovaDomain domain = IovaDomain.builder().lastPfn(lastPfn).build())
        {
            final long[] pfns = new long[Math.toIntExact(lastPfn)];
            final Runnable rounds = () ->
            {
                for (int round = 0; round < 200; round++)
                {
                    for (int i = 0; i < pfns.length; i++)
                    {
                        pfns[i] = domain.allocFast(1, lastPfn);
                    }
                    if (domain.allocFast(1, lastPfn) != NO_ADDRESS) // flushes, retries and fails
                    {
                        throw new AssertionError("the space was meant to be full");
                    }
                    for (final long pfn : pfns)
                    {
                        domain.freeFast(pfn, 1);
                    }
                    domain.freeFast(domain.allocFast(2, lastPfn), 2); // every page is cached: flushes and retries
                    domain.flushCaches();
                }
            };
            rounds.run();
            final long flushesBefore = domain.cacheStats().flushes();

            final long bytes = steadyStateBytes(rounds);

            assertEquals(0, bytes, "heap bytes allocated by exhaustion, flush-and-retry and flushCaches()");
            assertEquals(flushesBefore + 3 * 3 * 200, domain.cacheStats().flushes());
        }
    }

    @Test
    void allocFastOnOneThreadAndFreeFastOnAnotherAllocateNothing() throws InterruptedException
    {
        final int warmRounds = 600;
        final int windowRounds = 800;
        final int windows = 3;
        final int rounds = warmRounds + windows * windowRounds;
        try (IovaDomain domain = IovaDomain.builder().lastPfn(LAST_PFN).magazineRanges(16).build())
        {
            final long[] batch = new long[64];
            final AtomicInteger phase = new AtomicInteger();
            final long[] freerBytes = new long[windows];
            final AtomicReference<Throwable> freerFailure = new AtomicReference<>();
            final Thread freer = new Thread(() ->
            {
                long startBytes = 0;
                for (int round = 0; round < rounds; round++)
                {
                    if (round >= warmRounds && (round - warmRounds) % windowRounds == 0)
                    {
                        startBytes = HeapAllocationProbe.allocatedBytes();
                    }
                    awaitPhase(phase, 2 * round + 1);
                    for (int i = 0; i < batch.length; i++)
                    {
                        domain.freeFast(batch[i], 1 + (i % 7));
                    }
                    phase.set(2 * round + 2);
                    if (round >= warmRounds && (round - warmRounds + 1) % windowRounds == 0)
                    {
                        freerBytes[(round - warmRounds) / windowRounds] = measuredBytesSince(startBytes);
                    }
                }
            });
            freer.setUncaughtExceptionHandler((t, e) -> freerFailure.set(e));
            freer.start();

            final long[] allocatorBytes = new long[windows];
            long startBytes = 0;
            for (int round = 0; round < rounds && freerFailure.get() == null; round++)
            {
                if (round >= warmRounds && (round - warmRounds) % windowRounds == 0)
                {
                    startBytes = HeapAllocationProbe.allocatedBytes();
                }
                awaitPhase(phase, 2 * round);
                for (int i = 0; i < batch.length; i++)
                {
                    batch[i] = domain.allocFast(1 + (i % 7), LAST_PFN);
                }
                phase.set(2 * round + 1);
                if (round >= warmRounds && (round - warmRounds + 1) % windowRounds == 0)
                {
                    allocatorBytes[(round - warmRounds) / windowRounds] = measuredBytesSince(startBytes);
                }
            }
            freer.join();

            assertNull(freerFailure.get(), "the freeing thread failed");
            assertEquals(0, Arrays.stream(allocatorBytes).min().getAsLong(),
                "heap bytes allocated by the allocating thread, per window: " + Arrays.toString(allocatorBytes));
            assertEquals(0, Arrays.stream(freerBytes).min().getAsLong(),
                "heap bytes allocated by the freeing thread, per window: " + Arrays.toString(freerBytes));
            assertTrue(domain.cacheStats().allocHits() > 0);
        }
    }

    // ---------------------------------------------------------------------------------------------

    private static long[] allocateSlots(final IovaDomain domain, final int slots)
    {
        final long[] pfns = new long[slots];
        for (int slot = 0; slot < slots; slot++)
        {
            pfns[slot] = domain.allocFast(pagesOf(slot), LAST_PFN);
            assertNotEquals(NO_ADDRESS, pfns[slot]);
        }
        return pfns;
    }

    private static long pagesOf(final int slot)
    {
        return 1 + (slot * 7L) % 32;
    }

    /** Frees one range and allocates one of the same size, over and over. */
    private static void churn(final IovaDomain domain, final long[] pfns)
    {
        for (int i = 0; i < PAIRS; i++)
        {
            final int slot = i % pfns.length;
            domain.freeFast(pfns[slot], pagesOf(slot));
            pfns[slot] = domain.allocFast(pagesOf(slot), LAST_PFN);
        }
    }

    /** Allocates a burst of single pages, then frees it: magazines fill, trade with the depot and overflow. */
    private static void burst(final IovaDomain domain, final long[] pfns, final int bursts)
    {
        for (int b = 0; b < bursts; b++)
        {
            for (int i = 0; i < pfns.length; i++)
            {
                pfns[i] = domain.allocFast(1, LAST_PFN);
            }
            for (final long pfn : pfns)
            {
                domain.freeFast(pfn, 1);
            }
        }
    }

    private static void awaitPhase(final AtomicInteger phase, final int wanted)
    {
        while (phase.get() != wanted)
        {
            Thread.yield(); // two cores shared with others: spinning would starve the other side
        }
    }

    /** @return the least of three counts of the heap bytes {@code workload} allocates (see the class comment). */
    private static long steadyStateBytes(final Runnable workload)
    {
        long leastBytes = Long.MAX_VALUE;
        for (int measurement = 0; measurement < 3; measurement++)
        {
            leastBytes = Math.min(leastBytes, HeapAllocationProbe.bytesAllocatedBy(workload));
        }
        return leastBytes;
    }

    /** @return bytes the calling thread allocated since it read {@code startBytes}, less what one reading costs. */
    private static long measuredBytesSince(final long startBytes)
    {
        final long endBytes = HeapAllocationProbe.allocatedBytes();
        final long probeCostBytes = HeapAllocationProbe.allocatedBytes() - endBytes;
        return endBytes - startBytes - probeCostBytes;
    }
}
