package dev.iova.dma;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import dev.iova.region.Protection;
import dev.iova.region.RegionType;
import dev.iova.region.ReservedRegion;
import dev.iova.region.ReservedRegionList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The contract when the {@link Iotlb} throws: the call rethrows it; the range is unmapped and
 * quarantined, never handed out again before an invalidation that began after its unmap has
 * completed, and the next flush frees it; the flush timer survives and reports.
 */
class IotlbFailureTest
{
    private static final long PAGE = 4096;

    @Test
    void strictUnmapWhoseInvalidationThrowsQuarantinesTheRangeUntilAFlush()
    {
        final FaultyIotlb iotlb = new FaultyIotlb();
        try (DmaDomain domain = DmaDomain.builder().iotlb(iotlb).build())
        {
            final long dma = domain.map(0x10_0000L, PAGE, Protection.READ);
            iotlb.failNextRanges(1);

            assertThrows(FaultyIotlb.InjectedFault.class, () -> domain.unmap(dma, PAGE));

            assertTrue(Translation.isFault(domain.translate(dma)), "unmapped all the same");
            assertEquals(1, domain.quarantinedUnmaps());
            for (int i = 0; i < 64; i++)
            {
                assertNotEquals(dma, domain.map(0x20_0000L + i * PAGE, PAGE, Protection.READ), "reused before any invalidation");
            }
            domain.flush();
            assertEquals(0, domain.quarantinedUnmaps());
            assertEquals(1, iotlb.completedAlls());
            assertNoRangeLeftAfterUnmapping(domain, 0x20_0000L, 64);
        }
    }

    @Test
    void strictQuarantineIsRetriedByTheNextUnmapWhoseInvalidationWorks()
    {
        final FaultyIotlb iotlb = new FaultyIotlb();
        try (DmaDomain domain = DmaDomain.builder().iotlb(iotlb).build())
        {
            final long first = domain.map(0x10_0000L, PAGE, Protection.READ);
            final long second = domain.map(0x20_0000L, PAGE, Protection.READ);
            iotlb.failNextRanges(1);
            assertThrows(FaultyIotlb.InjectedFault.class, () -> domain.unmap(first, PAGE));

            domain.unmap(second, PAGE);

            assertEquals(0, domain.quarantinedUnmaps());
            domain.iovaDomain().flushCaches();
            assertEquals(0, domain.iovaDomain().liveRanges());
        }
    }

    @Test
    void lazyUnmapWhoseFullQueueCannotBeFlushedKeepsItsRangeForTheNextFlush()
    {
        final FaultyIotlb iotlb = new FaultyIotlb();
        try (DmaDomain domain = DmaDomain.builder().iotlb(iotlb).invalidationMode(InvalidationMode.LAZY)
            .flushQueueEntries(1).flushQueueStripes(1).flushTimer(false).build())
        {
            final long first = domain.map(0x10_0000L, PAGE, Protection.READ);
            final long second = domain.map(0x20_0000L, PAGE, Protection.READ);
            domain.unmap(first, PAGE); // fills the one-entry queue
            iotlb.failNextAlls(1);

            assertThrows(FaultyIotlb.InjectedFault.class, () -> domain.unmap(second, PAGE));

            assertTrue(Translation.isFault(domain.translate(second)));
            assertEquals(1, domain.queuedUnmaps());
            assertEquals(1, domain.quarantinedUnmaps());
            domain.flush();
            assertEquals(0, domain.queuedUnmaps());
            assertEquals(0, domain.quarantinedUnmaps());
            domain.iovaDomain().flushCaches();
            assertEquals(0, domain.iovaDomain().liveRanges(), "both ranges freed by the flush");
        }
    }

    @Test
    void lazyFlushThatThrowsFreesNothingAndTheNextFlushFreesEverything()
    {
        final FaultyIotlb iotlb = new FaultyIotlb();
        try (DmaDomain domain = DmaDomain.builder().iotlb(iotlb).invalidationMode(InvalidationMode.LAZY).flushTimer(false).build())
        {
            final long dma = domain.map(0x10_0000L, PAGE, Protection.READ);
            domain.unmap(dma, PAGE);
            iotlb.failNextAlls(1);

            assertThrows(FaultyIotlb.InjectedFault.class, domain::flush);

            assertEquals(1, domain.queuedUnmaps());
            domain.flush();
            assertEquals(0, domain.queuedUnmaps());
        }
    }

    @Test
    void msiPageWhoseInvalidationThrowsIsNotReusedBeforeAnInvalidationCompletes()
    {
        final FaultyIotlb iotlb = new FaultyIotlb();
        final ReservedRegionList window = ReservedRegionList.of(ReservedRegion.of(0x800_0000L, 0x800_0fffL, RegionType.SW_MSI));
        try (DmaDomain domain = DmaDomain.builder().iotlb(iotlb).regions(window).build())
        {
            final long doorbell = domain.mapMsi(0xfee0_0000L);
            iotlb.failNextRanges(1);

            assertThrows(FaultyIotlb.InjectedFault.class, () -> domain.unmapMsi(doorbell));

            assertTrue(Translation.isFault(domain.translate(doorbell)));
            assertEquals(DmaDomain.NO_ADDRESS, domain.mapMsi(0xfee1_0000L), "the window's only page waits for an invalidation");
            domain.flush();
            assertEquals(doorbell & ~(PAGE - 1), domain.mapMsi(0xfee1_0000L));
            assertEquals(1, domain.msiPages());
        }
    }

    @Test
    void failedMapWhoseInvalidationThrowsQuarantinesItsRange()
    {
        final FaultyIotlb iotlb = new FaultyIotlb();
        try (DmaDomain domain = DmaDomain.builder().iotlb(iotlb).maxTables(4).build())
        {
            iotlb.failNextRanges(1);

            assertThrows(FaultyIotlb.InjectedFault.class, () -> domain.map(0x10_0000L, 4 << 20, Protection.READ));

            assertEquals(1, domain.quarantinedUnmaps());
            domain.flush();
            assertEquals(0, domain.quarantinedUnmaps());
            domain.iovaDomain().flushCaches();
            assertEquals(0, domain.iovaDomain().liveRanges());
        }
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS)
    void flushTimerSurvivesAThrowingInvalidationReportsItAndDrainsLater() throws InterruptedException
    {
        final FaultyIotlb iotlb = new FaultyIotlb();
        final AtomicReference<Throwable> reported = new AtomicReference<>();
        final CountDownLatch failed = new CountDownLatch(1);
        try (DmaDomain domain = DmaDomain.builder().iotlb(iotlb).invalidationMode(InvalidationMode.LAZY)
            .flushTimeoutNanos(TimeUnit.MILLISECONDS.toNanos(2))
            .flushTimerFailureHandler(ex ->
            {
                reported.compareAndSet(null, ex);
                failed.countDown();
            })
            .build())
        {
            iotlb.failNextAlls(1);
            final long dma = domain.map(0x10_0000L, PAGE, Protection.READ);
            domain.unmap(dma, PAGE);

            failed.await();
            while (domain.queuedUnmaps() != 0)
            {
                Thread.onSpinWait(); // the timer's next period drains it; the test's timeout catches a dead timer
            }

            assertInstanceOf(FaultyIotlb.InjectedFault.class, reported.get());
            assertEquals(1, domain.flushTimerFailures());
            assertTrue(domain.flushTimerThread().isAlive());
        }
    }

    @Test
    void closeWhoseFinalInvalidationThrowsFreesEverythingAndRethrows()
    {
        final FaultyIotlb iotlb = new FaultyIotlb();
        final DmaDomain domain = DmaDomain.builder().iotlb(iotlb).invalidationMode(InvalidationMode.LAZY).flushTimer(true).build();
        final IoPageTable table = domain.pageTable();
        final Thread timer = domain.flushTimerThread();
        final long dma = domain.map(0x10_0000L, PAGE, Protection.READ);
        domain.unmap(dma, PAGE);
        iotlb.failNextAlls(Integer.MAX_VALUE);

        assertThrows(FaultyIotlb.InjectedFault.class, domain::close);

        assertTrue(domain.isClosed());
        assertTrue(table.isClosed(), "page-table memory freed");
        assertEquals(0, domain.offHeapBytes());
        assertTrue(!timer.isAlive(), "timer stopped");
        domain.close(); // harmless
    }

    /** Unmaps {@code count} one-page mappings of consecutive pages from {@code firstPhys}, then checks nothing is left. */
    private static void assertNoRangeLeftAfterUnmapping(final DmaDomain domain, final long firstPhys, final int count)
    {
        // the test mapped them in order; find each by translating the allocator's ranges is overkill:
        // walk the IOVA ranges through forEachRange and unmap every mapped one.
        domain.iovaDomain().flushCaches();
        final long[] pfns = new long[count];
        final int[] found = {0};
        domain.iovaDomain().forEachRange((loPfn, hiPfn, reserved) ->
        {
            if (!reserved && found[0] < count)
            {
                pfns[found[0]++] = loPfn;
            }
        });
        assertEquals(count, found[0], "exactly the live mappings are live ranges");
        for (int i = 0; i < count; i++)
        {
            domain.unmap(pfns[i] * PAGE, PAGE);
        }
        domain.iovaDomain().flushCaches();
        assertEquals(0, domain.iovaDomain().liveRanges());
    }
}
