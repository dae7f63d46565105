package dev.iova.dma;

import dev.iova.IovaDomain;
import dev.iova.region.Protection;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a driver author writing a NIC + NVMe model on the public API needs (issue 16, item 6). */
class DriverApiTest
{
    private static final long PAGE = 4096;
    private static final long PHYS = 0x1_0000_0000L;

    /** A 64-page aperture in lazy mode whose queues never flush on their own. */
    private static DmaDomain smallLazyDomain()
    {
        return DmaDomain.builder().aperture(PAGE, 65 * PAGE - 1).invalidationMode(InvalidationMode.LAZY)
            .flushTimer(false).flushTimeoutNanos(Long.MAX_VALUE / 2).flushQueueEntries(4096).build();
    }

    private static int fill(final DmaDomain domain, final List<Long> dmas)
    {
        int mapped = 0;
        long dma;
        while ((dma = domain.map(PHYS + mapped * PAGE, PAGE, DmaDirection.BIDIRECTIONAL)) != DmaDomain.NO_ADDRESS)
        {
            dmas.add(dma);
            mapped++;
        }
        return mapped;
    }

    @Test
    void lazyMapDrainsTheFlushQueuesBeforeReportingExhaustion()
    {
        try (DmaDomain domain = smallLazyDomain())
        {
            final List<Long> dmas = new ArrayList<>();
            final int first = fill(domain, dmas);
            assertEquals(MapFailure.IOVA_SPACE, domain.lastMapFailure());
            assertEquals(1, domain.mapFailures(MapFailure.IOVA_SPACE));
            for (final long dma : dmas)
            {
                domain.unmap(dma, PAGE);
            }
            assertEquals(first, domain.queuedUnmaps(), "every unmap waits in a queue");

            final int refill = fill(domain, new ArrayList<>());

            assertEquals(first, refill, "the refill drained the queues instead of failing early");
            assertEquals(64, first);
            assertEquals(2, domain.mapFailures(MapFailure.IOVA_SPACE));
            assertEquals(0, domain.mapFailures(MapFailure.PAGE_TABLES));
        }
    }

    @Test
    void lazyScatterGatherMapDrainsTheQueuesToo()
    {
        try (DmaDomain domain = smallLazyDomain())
        {
            final long[] phys = {PHYS, PHYS + 0x10_0000L};
            final long[] bytes = {16 * PAGE, 16 * PAGE}; // 32 pages, size-aligned: only pfn 32 fits in pfns [1, 64]
            final long[] dmas = new long[2];
            assertNotEquals(DmaDomain.NO_ADDRESS, domain.mapSg(phys, bytes, 2, Protection.READ, dmas));
            domain.unmapSg(dmas, bytes, 2);

            assertNotEquals(DmaDomain.NO_ADDRESS, domain.mapSg(phys, bytes, 2, Protection.READ, dmas));
            assertEquals(0, domain.mapFailures(MapFailure.IOVA_SPACE));
        }
    }

    @Test
    void mapOutOfPageTablesSaysSo()
    {
        try (DmaDomain domain = DmaDomain.builder().maxTables(4).try32BitFirst(false).blockMappings(false).build())
        {
            assertEquals(DmaDomain.NO_ADDRESS, domain.map(PHYS, 4 << 20, Protection.READ)); // two leaf tables: five in all

            assertEquals(MapFailure.PAGE_TABLES, domain.lastMapFailure());
            assertEquals(1, domain.mapFailures(MapFailure.PAGE_TABLES));
            assertEquals(0, domain.liveIovaRanges());
        }
    }

    @Test
    void staleHandleUnmapThrowsAndLeavesTheBufferThatReusedTheIovaMapped()
    {
        try (DmaDomain domain = DmaDomain.builder().build())
        {
            final DmaDevice nic = domain.device(64);
            final DmaMapping first = new DmaMapping();
            final DmaMapping second = new DmaMapping();
            assertTrue(nic.map(first, PHYS + 0x80, 9000, DmaDirection.TO_DEVICE));
            final long firstDma = first.dmaAddress();
            nic.unmap(first);
            assertTrue(nic.map(second, PHYS + 0x4000_0000L + 0x80, 9000, DmaDirection.FROM_DEVICE));
            assertEquals(firstDma, second.dmaAddress(), "the IOVA was reused (the caches hand back the last freed range)");

            final IllegalStateException stale = assertThrows(IllegalStateException.class, () -> nic.unmap(first));

            assertTrue(stale.getMessage().contains("maps nothing"), stale.getMessage());
            assertEquals(PHYS + 0x4000_0000L + 0x80, Translation.phys(domain.translate(second.dmaAddress())));
            assertEquals(9000, second.bytes());
            nic.unmap(second);
            assertEquals(0, domain.liveIovaRanges());
        }
    }

    @Test
    void handleRefusesASecondMapAndAnotherDevicesUnmap()
    {
        try (DmaDomain domain = DmaDomain.builder().build())
        {
            final DmaDevice nic = domain.device(64);
            final DmaDevice nvme = domain.device(64);
            final DmaMapping mapping = new DmaMapping();
            assertTrue(nic.map(mapping, PHYS, PAGE, DmaDirection.BIDIRECTIONAL));

            assertThrows(IllegalStateException.class, () -> nic.map(mapping, PHYS, PAGE, DmaDirection.BIDIRECTIONAL));
            final IllegalStateException other = assertThrows(IllegalStateException.class, () -> nvme.unmap(mapping));

            assertTrue(other.getMessage().contains("belongs to device 1"), other.getMessage());
            assertTrue(mapping.isMapped());
            nic.unmap(mapping);
            assertFalse(mapping.isMapped());
            assertEquals(DmaDomain.NO_ADDRESS, mapping.dmaAddress());
        }
    }

    @Test
    void handleUnmapsExactlyWhatItMapped()
    {
        final SimulatedIotlb iotlb = new SimulatedIotlb();
        try (DmaDomain domain = DmaDomain.builder().iotlb(iotlb).build())
        {
            final DmaDevice nvme = domain.device(64);
            final DmaMapping mapping = new DmaMapping();
            assertTrue(nvme.map(mapping, PHYS + 0xff0, 0x20, DmaDirection.TO_DEVICE)); // two pages for 32 bytes

            nvme.unmap(mapping);

            assertEquals(2 * PAGE, iotlb.bytesInvalidated());
            assertEquals(Translation.FAULT, domain.translate(mapping.dmaAddress()));
        }
    }

    @Test
    void deviceUnmapRefusesAnotherDevicesMappingAndChangesNothing()
    {
        try (DmaDomain domain = DmaDomain.builder().build())
        {
            final DmaDevice nic = domain.device(64);
            final DmaDevice nvme = domain.device(64);
            final long dma = nic.map(PHYS, 3 * PAGE, DmaDirection.FROM_DEVICE);

            final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> nvme.unmap(dma, 3 * PAGE));

            assertEquals("dma=" + hex(dma) + " is mapped by device 1, not by device 2 (64-bit DMA mask)", ex.getMessage());
            assertEquals(PHYS, Translation.phys(domain.translate(dma)));
            nic.unmap(dma, 3 * PAGE);
        }
    }

    @Test
    void unmapAllTakesEveryMappingOfOneDeviceAndNoOther()
    {
        for (final InvalidationMode mode : InvalidationMode.values())
        {
            try (DmaDomain domain = DmaDomain.builder().invalidationMode(mode).flushTimer(false).build())
            {
                final DmaDevice nic = domain.device(64);
                final DmaDevice nvme = domain.device(32);
                final List<Long> nicDmas = new ArrayList<>();
                final DmaMapping handle = new DmaMapping();
                for (int i = 0; i < 5; i++)
                {
                    nicDmas.add(nic.map(PHYS + i * 0x10_0000L, (i + 1) * 3000L, DmaDirection.TO_DEVICE));
                }
                assertTrue(nic.map(handle, PHYS + 0x900_0000L, 2 << 20, DmaDirection.BIDIRECTIONAL)); // a whole leaf table
                final long[] sgDmas = new long[3];
                nic.mapSg(new long[] {PHYS, PHYS + 0x2000, PHYS + 0x8000}, new long[] {0x2000, 0x10, 0x100}, 3,
                    DmaDirection.FROM_DEVICE, sgDmas);
                final long nvmeDma = nvme.map(PHYS + 0x800, 5000, DmaDirection.FROM_DEVICE);
                final long plainDma = domain.map(PHYS, PAGE, DmaDirection.TO_DEVICE);

                assertEquals(7, nic.unmapAll(), mode.toString());

                for (final long dma : nicDmas)
                {
                    assertEquals(Translation.FAULT, domain.translate(dma));
                }
                assertEquals(Translation.FAULT, domain.translate(sgDmas[2]));
                assertFalse(handle.isMapped());
                assertThrows(IllegalStateException.class, () -> nic.unmap(handle));
                assertEquals(PHYS + 0x800, Translation.phys(domain.translate(nvmeDma)));
                assertEquals(PHYS, Translation.phys(domain.translate(plainDma)));
                assertEquals(0, nic.unmapAll());
                assertTrue(nic.map(handle, PHYS, PAGE, DmaDirection.TO_DEVICE), "a torn-down handle maps again");
                nic.unmap(handle);
                nvme.unmap(nvmeDma, 5000);
                domain.unmap(plainDma, PAGE);
                domain.flush();
                assertEquals(0, domain.liveIovaRanges());
            }
        }
    }

    @Test
    void directionsBecomeProtections()
    {
        try (DmaDomain domain = DmaDomain.builder().build())
        {
            final DmaDevice device = domain.device(64);
            assertEquals(Protection.READ, domain.translation(device.map(PHYS, PAGE, DmaDirection.TO_DEVICE)).protection());
            assertEquals(Protection.WRITE, domain.translation(device.map(PHYS, PAGE, DmaDirection.FROM_DEVICE)).protection());
            assertEquals(Protection.READ_WRITE, domain.translation(domain.map(PHYS, PAGE, DmaDirection.BIDIRECTIONAL)).protection());
            assertEquals("direction is null: map with TO_DEVICE, FROM_DEVICE or BIDIRECTIONAL",
                assertThrows(IllegalArgumentException.class, () -> device.map(PHYS, PAGE, (DmaDirection)null)).getMessage());
        }
    }

    @Test
    void domainHandsOutNoMutableAllocatorOrPageTable()
    {
        for (final Method method : DmaDomain.class.getMethods())
        {
            if (Modifier.isPublic(method.getModifiers()))
            {
                assertNotEquals(IovaDomain.class, method.getReturnType(), method.toString());
                assertNotEquals(IoPageTable.class, method.getReturnType(), method.toString());
            }
        }
    }

    @Test
    void dmaRangesCannotBeFreedBehindTheDomainsBack()
    {
        try (DmaDomain dma = DmaDomain.builder().build())
        {
            final long iova = dma.map(0x5000_0000L, 4096, Protection.READ_WRITE);
            final long pfn = iova >>> 12;
            final IovaDomain iovas = dma.iovaDomain(); // package-private: only this package's tests reach it
            assertThrows(IllegalArgumentException.class, () -> iovas.freeFast(pfn, 1));
            assertEquals(0x5000_0000L, Translation.phys(dma.translate(iova)));
            dma.unmap(iova, 4096);
        }
    }

    @Test
    void messagesSpeakPlainly()
    {
        try (DmaDomain domain = DmaDomain.builder().aperture(0x1_0000_0000L, 0x2_0000_0000L - 1).build())
        {
            assertEquals("a 32-bit DMA mask reaches no usable IOVA: the mask ends at pfn 0xfffff and the domain's aperture " +
                "starts above it, at pfn 0x100000",
                assertThrows(IllegalArgumentException.class, () -> domain.map(PHYS, PAGE, Protection.READ, 32)).getMessage());
            assertEquals("protection is null: map with READ, WRITE or READ_WRITE",
                assertThrows(IllegalArgumentException.class, () -> domain.map(PHYS, PAGE, (Protection)null)).getMessage());
            assertEquals("phys is null: pass one array of 2 or more entries",
                assertThrows(IllegalArgumentException.class,
                    () -> domain.mapSg(null, new long[2], 2, Protection.READ, new long[2])).getMessage());
            assertEquals("dmaAddresses is null: pass one array of 1 or more entries",
                assertThrows(IllegalArgumentException.class, () -> domain.unmapSg(null, new long[1], 1)).getMessage());

            final long dma = domain.map(PHYS, 3 * PAGE, Protection.READ);
            final String sg = assertThrows(IllegalArgumentException.class,
                () -> domain.unmapSg(new long[] {dma, dma + 2 * PAGE}, new long[] {PAGE, PAGE}, 2)).getMessage();
            assertEquals("dmaAddresses[1]=" + hex(dma + 2 * PAGE) + " does not start on the page after dmaAddresses[0] ends (" +
                hex(dma + PAGE) + "): unmapSg takes the addresses mapSg returned, in order, with the same lengths", sg);
            domain.unmap(dma, 3 * PAGE);
        }
    }

    @Test
    void mapHookSeesEveryMappingAndAFailingHookLeavesNothingMapped()
    {
        final AtomicInteger hooks = new AtomicInteger();
        final AtomicInteger failNext = new AtomicInteger();
        final Iotlb deviceModel = new Iotlb()
        {
            @Override
            public void invalidateRange(final long iova, final long bytes)
            {
            }

            @Override
            public void invalidateAll()
            {
            }

            @Override
            public void mapped(final long iova, final long bytes)
            {
                hooks.incrementAndGet();
                assertEquals(2 * PAGE, bytes);
                if (failNext.getAndSet(0) != 0)
                {
                    throw new IllegalStateException("device model refused");
                }
            }
        };
        try (DmaDomain domain = DmaDomain.builder().iotlb(deviceModel).build())
        {
            domain.unmap(domain.map(PHYS + 0x800, PAGE, Protection.READ), PAGE);
            failNext.set(1);

            assertThrows(IllegalStateException.class, () -> domain.map(PHYS + 0x800, PAGE, Protection.READ));

            assertEquals(2, hooks.get());
            assertEquals(0, domain.liveIovaRanges());
        }
    }

    /** Records what each strict unmap gathered: iova, bytes, page bytes, tables freed (1 or 0). */
    private static final class GatheringIotlb implements Iotlb
    {
        final List<long[]> gathered = new ArrayList<>();

        @Override
        public void invalidateRange(final long iova, final long bytes)
        {
            throw new AssertionError("the gathered form is called");
        }

        @Override
        public synchronized void invalidateRange(final long iova, final long bytes, final long pageBytes, final boolean tablesFreed)
        {
            gathered.add(new long[] {iova, bytes, pageBytes, tablesFreed ? 1 : 0});
        }

        @Override
        public void invalidateAll()
        {
        }

        List<Long> gather(final int index)
        {
            final long[] g = gathered.get(index);
            return List.of(g[0], g[1], g[2], g[3]);
        }
    }

    @Test
    void strictUnmapGathersPageSizeAndFreedTables()
    {
        final GatheringIotlb iotlb = new GatheringIotlb();
        try (DmaDomain domain = DmaDomain.builder().iotlb(iotlb).try32BitFirst(false).blockMappings(false).build()) // leaves: tables to free
        {
            final long neighbour = domain.map(PHYS, PAGE, Protection.READ); // keeps the small one's leaf table from emptying
            final long small = domain.map(PHYS, 3 * PAGE, Protection.READ);
            final long big = domain.map(PHYS, 4 << 20, Protection.READ);
            domain.unmap(small, 3 * PAGE);
            domain.unmap(big, 4 << 20);

            assertEquals(2, iotlb.gathered.size());
            assertEquals(neighbour >>> 21, small >>> 21, "one leaf table");
            assertEquals(List.of(small, 3 * PAGE, PAGE, 0L), iotlb.gather(0));
            assertEquals(List.of(big, 4L << 20, PAGE, 1L), iotlb.gather(1));
        }
    }

    @Test
    void strictUnmapOfBlocksGathersTheBlockSizeAndOfMixedSizesTheSmallest()
    {
        final long twoMiB = 2L << 20;
        final GatheringIotlb iotlb = new GatheringIotlb();
        try (DmaDomain domain = DmaDomain.builder().iotlb(iotlb).try32BitFirst(false).build())
        {
            final long blocks = domain.map(0x8_0000_0000L, 2 * twoMiB, Protection.READ); // two 2 MiB blocks
            final long mixed = domain.map(0x8_0000_0000L + twoMiB - PAGE, twoMiB + 2 * PAGE, Protection.READ); // leaf, block, leaf
            domain.unmap(blocks, 2 * twoMiB);
            domain.unmap(mixed, twoMiB + 2 * PAGE);

            assertEquals(List.of(blocks, 2 * twoMiB, twoMiB, 0L), iotlb.gather(0), "only blocks: their size, no table freed");
            assertEquals(mixed, iotlb.gather(1).get(0));
            assertEquals(List.of(twoMiB + 2 * PAGE, PAGE), iotlb.gather(1).subList(1, 3), "leaves and a block: the smallest, the granule");
        }
    }

    @Test
    void rangeOnlyIotlbWorksInLazyModeWithoutWholeInvalidations()
    {
        final List<long[]> ranges = new ArrayList<>();
        final Iotlb vfio = new Iotlb()
        {
            @Override
            public synchronized void invalidateRange(final long iova, final long bytes)
            {
                ranges.add(new long[] {iova, bytes});
            }

            @Override
            public void invalidateAll()
            {
                throw new AssertionError("a range-only IOTLB is never asked to invalidate everything");
            }

            @Override
            public boolean canInvalidateAll()
            {
                return false;
            }
        };
        // No timeout: on a loaded machine 10 ms between two unmaps would flush a queue before it is full.
        try (DmaDomain domain = DmaDomain.builder().iotlb(vfio).invalidationMode(InvalidationMode.LAZY).flushTimer(false)
            .flushTimeoutNanos(Long.MAX_VALUE / 2).flushQueueEntries(4).flushQueueStripes(1).build())
        {
            final List<Long> dmas = new ArrayList<>();
            for (int i = 0; i < 10; i++)
            {
                dmas.add(domain.map(PHYS + i * PAGE, PAGE, Protection.READ));
            }
            for (final long dma : dmas)
            {
                domain.unmap(dma, PAGE);
            }
            assertEquals(8, ranges.size(), "two full queues of four, each range by range");
            domain.flush();

            assertEquals(10, ranges.size());
            for (int i = 0; i < 10; i++)
            {
                assertEquals(dmas.get(i), ranges.get(i)[0]);
                assertEquals(PAGE, ranges.get(i)[1]);
            }
            assertEquals(0, domain.liveIovaRanges());
        }
    }

    @Test
    void deviceUsesItsFullMaskForGoodAfterItsFirstFailureBelow4GiB()
    {
        final List<DmaDevice> heard = new ArrayList<>();
        try (DmaDomain domain = DmaDomain.builder().fullMaskListener(heard::add).build())
        {
            final DmaDevice nic = domain.device(64);
            final DmaDevice nvme = domain.device(64);
            final long halfBelow4GiB = 1L << 31;
            final long big = nic.map(PHYS, halfBelow4GiB, DmaDirection.TO_DEVICE); // size-aligned: at 2 GiB
            assertEquals(halfBelow4GiB, big);
            assertFalse(nic.usesFullMask());

            final long spill = nic.map(PHYS, halfBelow4GiB, DmaDirection.TO_DEVICE); // [0, 2 GiB) holds pfn 0: no fit

            assertTrue(spill >= 1L << 32);
            assertTrue(nic.usesFullMask());
            assertEquals(List.of(nic), heard);
            assertEquals(1, domain.fullMaskSwitches());
            final long small = nic.map(PHYS, PAGE, DmaDirection.TO_DEVICE);
            assertTrue(small >= 1L << 32, "one-shot: no more attempts below 4 GiB, though a page is free there");
            final long other = nvme.map(PHYS, PAGE, DmaDirection.TO_DEVICE);
            assertTrue(other < 1L << 32, "another device still tries below 4 GiB first");
            assertFalse(nvme.usesFullMask());
            assertEquals(1, heard.size());
            assertEquals(3, nic.unmapAll());
            nvme.unmapAll();
        }
    }

    @Test
    void singleFlushQueueBatches32768UnmapsPerInvalidation()
    {
        final SimulatedIotlb iotlb = new SimulatedIotlb();
        // The 1,000 ms timeout is taken off: on a loaded two-core machine 32,768 calls may take longer.
        assertEquals(1_000_000_000L, DmaDomain.SINGLE_FLUSH_QUEUE_TIMEOUT_NANOS);
        try (DmaDomain domain = DmaDomain.builder().iotlb(iotlb).singleFlushQueue().flushTimeoutNanos(Long.MAX_VALUE / 2)
            .flushTimer(false).build())
        {
            assertSame(InvalidationMode.LAZY, domain.invalidationMode());
            for (int i = 0; i < 32768; i++)
            {
                domain.unmap(domain.map(PHYS, PAGE, Protection.READ), PAGE);
            }
            assertEquals(0, domain.flushBatches());
            assertEquals(32768, domain.queuedUnmaps());

            domain.unmap(domain.map(PHYS, PAGE, Protection.READ), PAGE);

            assertEquals(1, domain.flushBatches());
            assertEquals(1, domain.queuedUnmaps());
        }
    }

    @Test
    void tooManyDevicesIsAClearError()
    {
        try (DmaDomain domain = DmaDomain.builder().build())
        {
            for (int i = 1; i <= 2046; i++)
            {
                assertEquals(i, domain.device(64).id());
            }
            final IllegalStateException ex = assertThrows(IllegalStateException.class, () -> domain.device(64));
            assertTrue(ex.getMessage().startsWith("a domain tells at most 2046 devices apart"), ex.getMessage());
        }
    }

    @Test
    void failedHandleMapSaysWhatRanOut()
    {
        try (DmaDomain domain = smallLazyDomain())
        {
            final DmaDevice device = domain.device(64);
            final DmaMapping mapping = new DmaMapping();
            final long taken = domain.map(PHYS, PAGE, DmaDirection.TO_DEVICE);
            assertFalse(device.map(mapping, PHYS, 64 * PAGE, DmaDirection.TO_DEVICE));
            assertEquals(MapFailure.IOVA_SPACE, mapping.failure());
            assertFalse(mapping.isMapped());
            domain.unmap(taken, PAGE);
            assertTrue(device.map(mapping, PHYS, 32 * PAGE, DmaDirection.TO_DEVICE));
            assertNull(mapping.failure());
        }
    }

    private static String hex(final long value)
    {
        return "0x" + Long.toHexString(value);
    }
}
