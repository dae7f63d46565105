package dev.iova.dma;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

import dev.iova.IovaDomain;
import dev.iova.region.Protection;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The safety rule, in both modes, with more threads than cores: an IOVA is never handed out again
 * before the invalidation that covers its last unmap has completed. A {@link RecordingIotlb}
 * caches what the "device" used and fails the moment a map returns an address it still caches.
 */
class InvalidationSafetyTest
{
    private static final long PAGE = 4096;
    private static final int THREADS = 8;
    private static final int OPS_PER_THREAD = 2500;

    /** A live mapping waiting for some thread to unmap it. */
    private record Mapping(long dma, long bytes, long[] sgDma, long[] sgBytes, DmaDevice device, DmaIova range, DmaMapping handle)
    {
        Mapping(final long dma, final long bytes, final long[] sgDma, final long[] sgBytes)
        {
            this(dma, bytes, sgDma, sgBytes, null, null, null);
        }
    }

    @Test
    void strictModeNeverReusesAnIovaBeforeItsInvalidation() throws InterruptedException
    {
        final RecordingIotlb iotlb = new RecordingIotlb(2_000);
        try (DmaDomain domain = DmaDomain.builder().iotlb(iotlb).aperture(0, (1L << 32) - 1).build())
        {
            hammer(domain, iotlb);

            assertTrue(iotlb.rangeInvalidations() >= THREADS * OPS_PER_THREAD / 2, "one invalidation per unmap");
            assertTrue(iotlb.allInvalidations() <= 1 + iotlb.rangeInvalidations() / 16,
                "whole invalidations only for reclaim passes, one per 64 emptied tables: " + iotlb.allInvalidations());
            assertEverythingFreed(domain);
        }
    }

    @Test
    void lazyModeNeverReusesAnIovaBeforeItsInvalidation() throws InterruptedException
    {
        final RecordingIotlb iotlb = new RecordingIotlb(20_000);
        try (DmaDomain domain = DmaDomain.builder().iotlb(iotlb).aperture(0, (1L << 32) - 1)
            .invalidationMode(InvalidationMode.LAZY).flushQueueEntries(32).flushQueueStripes(4)
            .flushTimeoutNanos(200_000).flushTimer(true).build())
        {
            hammer(domain, iotlb);

            assertTrue(iotlb.rangeInvalidations() < THREADS * OPS_PER_THREAD / 8, "range invalidations come from unlinks only");
            assertTrue(iotlb.allInvalidations() > 0 && iotlb.allInvalidations() < THREADS * OPS_PER_THREAD / 8,
                () -> "batched: " + iotlb.allInvalidations() + " invalidations");
            domain.flush();
            assertEquals(0, domain.queuedUnmaps());
            assertEverythingFreed(domain);
        }
    }

    @Test
    void lazyModeWithOneEntryPerQueueAndNoTimerIsStillSafe() throws InterruptedException
    {
        final RecordingIotlb iotlb = new RecordingIotlb(5_000);
        try (DmaDomain domain = DmaDomain.builder().iotlb(iotlb).aperture(0, (1L << 32) - 1)
            .invalidationMode(InvalidationMode.LAZY).flushQueueEntries(1).flushQueueStripes(2).flushTimer(false).build())
        {
            hammer(domain, iotlb);
            domain.flush();
            assertEverythingFreed(domain);
        }
    }

    @Test
    void theRecordingIotlbCatchesAnIovaFreedBeforeItsInvalidation()
    {
        final RecordingIotlb iotlb = new RecordingIotlb(0);
        try (IovaDomain iovas = IovaDomain.builder().build(); IoPageTable table = new IoPageTable())
        {
            final long pfn = iovas.allocFast(1, 0xfffffL);
            table.map(pfn * PAGE, 0x5000, PAGE, Protection.READ);
            iotlb.load(table::translate, pfn * PAGE, PAGE, 0x5000);
            table.unmap(pfn * PAGE, PAGE);
            iovas.freeFast(pfn, 1); // the broken order: freed, never invalidated

            final long again = iovas.allocFast(1, 0xfffffL);

            assertEquals(pfn, again);
            assertThrows(AssertionError.class, () -> iotlb.checkFresh(again * PAGE, PAGE));
            assertTrue(iotlb.violation().contains("reused before the invalidation covering its last unmap completed"));
        }
    }

    /**
     * Every thread maps buffers of 1 to 40 pages (now and then a 2 MiB one, whose unmap detaches a
     * page table, a block-aligned one of one or two 2 MiB blocks, or a scatter-gather list; some
     * two-step ranges link 2 MiB blocks), checks each address is fresh, lets the device use it,
     * and unmaps buffers that any thread mapped — the completion-thread pattern.
     */
    private static void hammer(final DmaDomain domain, final RecordingIotlb iotlb) throws InterruptedException
    {
        final ConcurrentLinkedQueue<Mapping> inFlight = new ConcurrentLinkedQueue<>();
        final DmaDevice device = domain.device(64);
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final CountDownLatch start = new CountDownLatch(1);
        final List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < THREADS; t++)
        {
            final int id = t;
            threads.add(new Thread(() ->
            {
                try
                {
                    start.await();
                    final SplittableRandom random = new SplittableRandom(id * 31L + 7);
                    for (int op = 0; op < OPS_PER_THREAD && failure.get() == null; op++)
                    {
                        if (random.nextInt(4) != 0 || inFlight.isEmpty())
                        {
                            inFlight.add(mapOne(domain, device, iotlb, random));
                        }
                        final Mapping mapping = random.nextInt(3) != 0 ? inFlight.poll() : null;
                        if (mapping != null)
                        {
                            unmapOne(domain, mapping);
                        }
                    }
                }
                catch (final Throwable ex)
                {
                    failure.compareAndSet(null, ex);
                }
            }, "hammer-" + t));
        }
        threads.forEach(Thread::start);
        start.countDown();
        for (final Thread thread : threads)
        {
            thread.join();
        }
        assertNull(iotlb.violation());
        assertNull(failure.get(), () -> String.valueOf(failure.get()));
        Mapping mapping;
        while ((mapping = inFlight.poll()) != null)
        {
            unmapOne(domain, mapping);
        }
    }

    private static Mapping mapOne(final DmaDomain domain, final DmaDevice device, final RecordingIotlb iotlb,
        final SplittableRandom random)
    {
        final int kind = random.nextInt(60);
        if (kind >= 3 && kind < 9)
        {
            return twoStep(domain, device, iotlb, random);
        }
        if (kind >= 9 && kind < 13)
        {
            final DmaMapping handle = new DmaMapping();
            final long bytes = 1 + random.nextLong(20 * PAGE);
            final long phys = random.nextLong(1L << 40);
            assertTrue(device.map(handle, phys, bytes, DmaDirection.TO_DEVICE));
            iotlb.checkFresh(handle.dmaAddress(), bytes);
            iotlb.load(domain::translate, handle.dmaAddress(), bytes, phys);
            return new Mapping(0, 0, null, null, device, null, handle);
        }
        if (kind == 0)
        {
            final long[] phys = {random.nextLong(1L << 36), random.nextLong(1L << 36) & ~(PAGE - 1), random.nextLong(1L << 36)};
            final long[] bytes = {1 + random.nextInt(9000), 3 * PAGE, 1 + random.nextInt(100)};
            final long[] dma = new long[3];
            assertNotEquals(DmaDomain.NO_ADDRESS, domain.mapSg(phys, bytes, 3, Protection.READ, dma));
            for (int i = 0; i < 3; i++)
            {
                iotlb.checkFresh(dma[i], bytes[i]);
            }
            for (int i = 0; i < 3; i++)
            {
                iotlb.load(domain::translate, dma[i], bytes[i], phys[i]);
            }
            return new Mapping(0, 0, dma, bytes);
        }
        if (kind == 2)
        {
            // block-aligned: one or two 2 MiB blocks, sometimes a page or two of leaves after them
            final long bytes = (1 + random.nextInt(2)) * 512 * PAGE + (random.nextBoolean() ? 0 : 1 + random.nextLong(2 * PAGE));
            final long phys = random.nextLong(1, 1L << 19) << 21;
            final long dma = domain.map(phys, bytes, Protection.READ_WRITE);
            assertNotEquals(DmaDomain.NO_ADDRESS, dma);
            assertEquals(0, dma & (512 * PAGE - 1), "aligned for blocks");
            iotlb.checkFresh(dma, bytes);
            iotlb.load(domain::translate, dma, bytes, phys);
            return new Mapping(dma, bytes, null, null);
        }
        final long bytes = kind == 1 ? 512 * PAGE : 1 + random.nextLong(40 * PAGE);
        final long phys = random.nextLong(1L << 40);
        final long dma = domain.map(phys, bytes, Protection.READ_WRITE);
        assertNotEquals(DmaDomain.NO_ADDRESS, dma);
        iotlb.checkFresh(dma, bytes);
        iotlb.load(domain::translate, dma, bytes, phys);
        return new Mapping(dma, bytes, null, null);
    }

    /**
     * Reserves up to 64 pages, checks the range is fresh, links a few pieces at random offsets and
     * lets the device use them, then unlinks one and links the same offset again to other pages
     * (the unlink's invalidation must have dropped the old ones), and leaves the range to be destroyed.
     */
    private static Mapping twoStep(final DmaDomain domain, final DmaDevice device, final RecordingIotlb iotlb,
        final SplittableRandom random)
    {
        final DmaIova range = new DmaIova();
        final boolean blocks = random.nextInt(6) == 0; // 2 MiB pieces at 2 MiB aligned phys: block entries
        final long pages = blocks ? 512 * (1 + random.nextInt(2)) : 4 + random.nextInt(61);
        assertTrue(device.reserve(range, pages * PAGE));
        final long base = range.dmaAddress();
        iotlb.checkFresh(base, pages * PAGE);
        final long pieces = blocks ? pages / 512 : 1 + random.nextInt(4);
        final long piecePages = pages / pieces;
        for (long piece = 0; piece < pieces; piece++)
        {
            final long phys = blocks ? random.nextLong(1, 1L << 15) << 21 : random.nextLong(1L << 36) & ~(PAGE - 1);
            assertTrue(device.link(range, piece * piecePages * PAGE, phys, piecePages * PAGE, DmaDirection.FROM_DEVICE));
            iotlb.load(domain::translate, base + piece * piecePages * PAGE, piecePages * PAGE, phys);
        }
        device.sync(range, 0, pieces * piecePages * PAGE);
        final long again = random.nextLong(pieces) * piecePages * PAGE;
        device.unlink(range, again, piecePages * PAGE);
        iotlb.checkFresh(base + again, piecePages * PAGE);
        final long phys = blocks ? random.nextLong(1, 1L << 15) << 21 : random.nextLong(1L << 36) & ~(PAGE - 1);
        assertTrue(device.link(range, again, phys, piecePages * PAGE, DmaDirection.FROM_DEVICE));
        iotlb.load(domain::translate, base + again, piecePages * PAGE, phys);
        return new Mapping(0, 0, null, null, device, range, null);
    }

    private static void unmapOne(final DmaDomain domain, final Mapping mapping)
    {
        if (mapping.range != null)
        {
            mapping.device.destroy(mapping.range);
        }
        else if (mapping.handle != null)
        {
            mapping.device.unmap(mapping.handle);
        }
        else if (mapping.sgDma != null)
        {
            domain.unmapSg(mapping.sgDma, mapping.sgBytes, mapping.sgDma.length);
        }
        else
        {
            domain.unmap(mapping.dma, mapping.bytes);
        }
    }

    private static void assertEverythingFreed(final DmaDomain domain)
    {
        domain.iovaDomain().flushCaches();
        assertEquals(0, domain.iovaDomain().liveRanges());
        assertEquals(0, domain.pageTable().retiredTables());
        domain.iovaDomain().verify();
    }
}
