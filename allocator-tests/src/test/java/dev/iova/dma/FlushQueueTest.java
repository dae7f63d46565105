package dev.iova.dma;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;

import dev.iova.concurrent.ThreadProbe;
import dev.iova.region.Protection;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Lazy invalidation: when flush queues invalidate, what they free, and what they hold. */
class FlushQueueTest
{
    private static final long PAGE = 4096;

    /** Lazy, one queue, no timer, and a timeout long enough that a slow machine never reaches it unless a test asks. */
    private static DmaDomain.Builder lazy(final SimulatedIotlb iotlb)
    {
        return DmaDomain.builder().iotlb(iotlb).invalidationMode(InvalidationMode.LAZY).flushQueueStripes(1).flushTimer(false)
            .flushTimeoutNanos(TimeUnit.MINUTES.toNanos(1));
    }

    private static void mapAndUnmap(final DmaDomain domain, final int times)
    {
        for (int i = 0; i < times; i++)
        {
            final long dma = domain.map(i * PAGE, PAGE, Protection.READ);
            domain.unmap(dma, PAGE);
        }
    }

    private static long liveRanges(final DmaDomain domain)
    {
        domain.iovaDomain().flushCaches();
        return domain.iovaDomain().liveRanges();
    }

    @Test
    void theTimeoutFreesAQueueIntoItsOwnStripesCachesNotTheCallers() throws Exception
    {
        try (DmaDomain domain = DmaDomain.builder().invalidationMode(InvalidationMode.LAZY).flushTimer(false)
            .flushTimeoutNanos(TimeUnit.MILLISECONDS.toNanos(200)).build()) // longer than the worker's 100 maps take
        {
            final Set<Long> first = new HashSet<>();
            final Set<Long> second = new HashSet<>();
            final int[] workerProbe = new int[1];
            final CyclicBarrier flushed = new CyclicBarrier(2);
            final CyclicBarrier queued = new CyclicBarrier(2);
            final Thread worker = new Thread(() ->
            {
                try
                {
                    for (int i = 0; i < 100; i++) // fewer than a batch: all 100 wait in this thread's queue
                    {
                        final long dma = domain.map(0x10_0000L, 4096, Protection.READ);
                        first.add(dma);
                        domain.unmap(dma, 4096);
                    }
                    workerProbe[0] = ThreadProbe.get(Thread.currentThread());
                    queued.await();
                    flushed.await();
                    for (int i = 0; i < 100; i++)
                    {
                        second.add(domain.map(0x10_0000L, 4096, Protection.READ));
                    }
                }
                catch (final Exception ex)
                {
                    throw new IllegalStateException(ex);
                }
            });
            worker.start();
            queued.await();
            final Thread self = Thread.currentThread();
            int probe = ThreadProbe.get(self);
            while (((probe ^ workerProbe[0]) & (DmaDomain.defaultStripes() - 1)) == 0)
            {
                probe = ThreadProbe.advance(self, probe); // this thread on another stripe than the worker
            }
            while (!domain.flushExpired())
            {
                Thread.onSpinWait(); // until the worker's entries are 200 ms old
            }
            assertEquals(probe, ThreadProbe.get(self), "the caller's probe is its own again");
            flushed.await();
            worker.join();

            assertEquals(100, first.size(), "no batch ran in the worker's queue");
            second.retainAll(first);
            assertEquals(100, second.size(), "the worker's next maps reuse what the timeout freed: it went into the worker's stripe");
        }
    }

    @Test
    void aThreadsFlushBatchGoesBackIntoItsOwnMagazinesNotTheDepot()
    {
        try (DmaDomain domain = DmaDomain.builder().invalidationMode(InvalidationMode.LAZY).flushTimer(false).build())
        {
            for (int round = 0; round < 3000; round++)
            {
                domain.unmap(domain.map(0x10_0000L, 4096, Protection.READ), 4096);
            }

            assertEquals(0, domain.iovaDomain().cacheStats().depotMagazines(),
                "batches of 256 fit the thread's magazines: none spilled into the depot, where other threads would take them");
        }
    }

    @Test
    void iovaMagazinesHoldOneFlushBatchWhenEachStripeHasItsQueue()
    {
        assertEquals(256, DmaDomain.magazineRanges(DmaDomain.builder().invalidationMode(InvalidationMode.LAZY)),
            "a 256-entry queue's batch fits one magazine");
        assertEquals(1000, DmaDomain.magazineRanges(DmaDomain.builder().invalidationMode(InvalidationMode.LAZY).flushQueueEntries(1000)));
        assertEquals(DmaDomain.MAX_BATCH_MAGAZINE_RANGES,
            DmaDomain.magazineRanges(DmaDomain.builder().invalidationMode(InvalidationMode.LAZY).flushQueueEntries(65536)));
        assertEquals(127, DmaDomain.magazineRanges(DmaDomain.builder().invalidationMode(InvalidationMode.LAZY).flushQueueEntries(16)),
            "never below Linux's 127");
        assertEquals(127, DmaDomain.magazineRanges(DmaDomain.builder()), "strict: no batches");
        assertEquals(127, DmaDomain.magazineRanges(DmaDomain.builder().singleFlushQueue()), "one queue for all threads");
        assertEquals(127, DmaDomain.magazineRanges(DmaDomain.builder().invalidationMode(InvalidationMode.LAZY).flushQueueStripes(1)));
    }

    @Test
    void unmappedIovasWaitInTheQueueUntilFlush()
    {
        final SimulatedIotlb iotlb = new SimulatedIotlb();
        try (DmaDomain domain = lazy(iotlb).build())
        {
            mapAndUnmap(domain, 10);

            assertEquals(10, domain.queuedUnmaps());
            assertEquals(10, liveRanges(domain), "queued IOVAs are still allocated: none can be handed out");
            assertEquals(0, iotlb.allInvalidations() + iotlb.rangeInvalidations());

            domain.flush();

            assertEquals(0, domain.queuedUnmaps());
            assertEquals(0, liveRanges(domain));
            assertEquals(1, iotlb.allInvalidations(), "one invalidation for the whole batch");
            assertEquals(0, iotlb.rangeInvalidations());
        }
    }

    @Test
    void aFullQueueInvalidatesOnceAndFreesItsBatch()
    {
        final SimulatedIotlb iotlb = new SimulatedIotlb();
        try (DmaDomain domain = lazy(iotlb).flushQueueEntries(4).build())
        {
            mapAndUnmap(domain, 100);

            // The 5th unmap finds 4 entries: it invalidates, frees them, and queues itself. Its tag was
            // taken before that invalidation began, so the 6th unmap frees it without another one;
            // from then on every 5th unmap finds the queue full: the 5th, 10th, ... 100th.
            assertEquals(20, iotlb.allInvalidations());
            assertEquals(20, domain.flushBatches());
            assertEquals(1, domain.queuedUnmaps());
            assertEquals(1, liveRanges(domain));
        }
    }

    @Test
    void theDefaultsAreLinuxs()
    {
        assertEquals(256, DmaDomain.DEFAULT_FLUSH_QUEUE_ENTRIES);
        assertEquals(TimeUnit.MILLISECONDS.toNanos(10), DmaDomain.DEFAULT_FLUSH_TIMEOUT_NANOS);
        try (DmaDomain domain = DmaDomain.builder().build())
        {
            assertEquals(InvalidationMode.STRICT, domain.invalidationMode());
        }
    }

    @Test
    void theDefaultQueueHolds256Entries()
    {
        final SimulatedIotlb iotlb = new SimulatedIotlb();
        try (DmaDomain domain = lazy(iotlb).build())
        {
            mapAndUnmap(domain, 256);
            assertEquals(0, iotlb.allInvalidations());
            mapAndUnmap(domain, 1);
            assertEquals(1, iotlb.allInvalidations());
            assertEquals(1, domain.queuedUnmaps());
        }
    }

    @Test
    void anExpiredQueueIsFlushedByTheNextUnmap() throws InterruptedException
    {
        final SimulatedIotlb iotlb = new SimulatedIotlb();
        try (DmaDomain domain = lazy(iotlb).flushTimeoutNanos(TimeUnit.MILLISECONDS.toNanos(1)).build())
        {
            mapAndUnmap(domain, 3);
            Thread.sleep(3);

            mapAndUnmap(domain, 1);

            assertEquals(1, iotlb.allInvalidations());
            assertEquals(1, domain.queuedUnmaps());
        }
    }

    @Test
    void flushExpiredAppliesTheTimeoutWithoutAnUnmap() throws InterruptedException
    {
        final SimulatedIotlb iotlb = new SimulatedIotlb();
        try (DmaDomain domain = lazy(iotlb).flushTimeoutNanos(TimeUnit.MILLISECONDS.toNanos(1)).build())
        {
            assertFalse(domain.flushExpired(), "nothing queued");
            mapAndUnmap(domain, 3);
            Thread.sleep(3);

            assertTrue(domain.flushExpired());

            assertEquals(0, domain.queuedUnmaps());
            assertEquals(1, iotlb.allInvalidations());
            assertFalse(domain.flushExpired());
        }
    }

    @Test
    void theFlushTimerFlushesWithoutFurtherUnmaps() throws InterruptedException
    {
        final SimulatedIotlb iotlb = new SimulatedIotlb();
        try (DmaDomain domain = lazy(iotlb).flushTimer(true).flushTimeoutNanos(TimeUnit.MILLISECONDS.toNanos(2)).build())
        {
            mapAndUnmap(domain, 3);

            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (domain.queuedUnmaps() != 0 && System.nanoTime() < deadline)
            {
                Thread.sleep(1);
            }

            assertEquals(0, domain.queuedUnmaps());
            assertTrue(iotlb.allInvalidations() >= 1);
            assertEquals(0, liveRanges(domain));
        }
    }

    @Test
    void whatADeadThreadQueuedIsFreedByTheNextFlush() throws InterruptedException
    {
        final SimulatedIotlb iotlb = new SimulatedIotlb();
        try (DmaDomain domain = lazy(iotlb).flushQueueStripes(8).build())
        {
            final Thread thread = new Thread(() -> mapAndUnmap(domain, 5));
            thread.start();
            thread.join();
            assertEquals(5, domain.queuedUnmaps());

            domain.flush();

            assertEquals(0, domain.queuedUnmaps());
            assertEquals(0, liveRanges(domain));
        }
    }

    @Test
    void memoryStaysTheSameWhateverTheNumberOfThreads() throws InterruptedException
    {
        final SimulatedIotlb iotlb = new SimulatedIotlb();
        try (DmaDomain domain = lazy(iotlb).flushQueueStripes(4).flushQueueEntries(16).build())
        {
            final long queueBytes = domain.offHeapBytes() - domain.iovaDomain().offHeapBytes() - domain.pageTable().offHeapBytes();
            for (int i = 0; i < 50; i++)
            {
                final Thread thread = new Thread(() -> mapAndUnmap(domain, 20));
                thread.start();
                thread.join();
            }

            assertTrue(domain.queuedUnmaps() <= 4 * 16);
            assertEquals(queueBytes, domain.offHeapBytes() - domain.iovaDomain().offHeapBytes() - domain.pageTable().offHeapBytes());
            domain.flush();
            assertEquals(0, liveRanges(domain));
        }
    }

    @Test
    void aTableDetachedByALazyUnmapWaitsForTheBatch()
    {
        final SimulatedIotlb iotlb = new SimulatedIotlb();
        try (DmaDomain domain = lazy(iotlb).blockMappings(false).build())
        {
            final long dma = domain.map(0x4000_0000L, 512 * PAGE, Protection.READ_WRITE);
            assertEquals(0, dma & (512 * PAGE - 1), "a 2 MiB range is 2 MiB aligned");

            domain.unmap(dma, 512 * PAGE);

            assertEquals(1, domain.pageTable().retiredTables());
            domain.flush();
            assertEquals(0, domain.pageTable().retiredTables());
        }
    }

    @Test
    void closeFlushesTheQueues()
    {
        final SimulatedIotlb iotlb = new SimulatedIotlb();
        final DmaDomain domain = lazy(iotlb).build();
        mapAndUnmap(domain, 7);

        domain.close();

        assertEquals(1, iotlb.allInvalidations());
    }

    @Test
    void strictModeInvalidatesEveryUnmapAndFlushOnlyReclaimsEmptiedTables()
    {
        final SimulatedIotlb iotlb = new SimulatedIotlb(1_000, 0);
        try (DmaDomain domain = DmaDomain.builder().iotlb(iotlb).build())
        {
            final long start = System.nanoTime();
            mapAndUnmap(domain, 20);
            final long elapsedNanos = System.nanoTime() - start;

            assertEquals(20, iotlb.rangeInvalidations());
            assertTrue(elapsedNanos >= 20 * 1_000, "each invalidation spins for its cost");
            assertEquals(0, iotlb.allInvalidations(), "fewer than 64 emptied tables wait: no reclaim pass yet");
            assertEquals(4, domain.liveTables(), "the emptied tables stay installed until then");
            domain.flush();
            assertEquals(1, iotlb.allInvalidations(), "the pass detached them, one invalidation covers them");
            assertEquals(1, domain.liveTables());
            domain.flush();
            assertEquals(1, iotlb.allInvalidations(), "nothing waits any more");
            assertEquals(0, domain.queuedUnmaps());
        }
    }
}
