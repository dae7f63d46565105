package dev.iova.dma;

import dev.iova.region.Protection;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The two-step API (issue 16, item 3): reserve, link, sync, unlink, destroy. */
class TwoStepApiTest
{
    private static final long PAGE = 4096;
    private static final long PHYS = 0x2_0000_0000L;

    @Test
    void linksPagesAtOffsetsWithoutInvalidatingAndSyncsOnce()
    {
        final List<long[]> synced = new ArrayList<>();
        final SimulatedIotlb counting = new SimulatedIotlb();
        final Iotlb iotlb = new Iotlb()
        {
            @Override
            public void invalidateRange(final long iova, final long bytes)
            {
                counting.invalidateRange(iova, bytes);
            }

            @Override
            public void invalidateAll()
            {
                counting.invalidateAll();
            }

            @Override
            public void mapped(final long iova, final long bytes)
            {
                synced.add(new long[] {iova, bytes});
            }
        };
        try (DmaDomain domain = DmaDomain.builder().iotlb(iotlb).build())
        {
            final DmaDevice nvme = domain.device(64);
            final DmaIova range = new DmaIova();
            assertTrue(nvme.reserve(range, 64 * PAGE));
            final long base = range.dmaAddress();
            assertEquals(Translation.FAULT, domain.translate(base), "reserved, nothing mapped");

            assertTrue(nvme.link(range, 0, PHYS + 0x7000, PAGE, DmaDirection.TO_DEVICE));
            assertTrue(nvme.link(range, 5 * PAGE, PHYS, 3 * PAGE, DmaDirection.FROM_DEVICE));
            nvme.sync(range, 0, 8 * PAGE);

            assertEquals(0, counting.rangeInvalidations() + counting.allInvalidations(), "links invalidate nothing");
            assertEquals(1, synced.size());
            assertEquals(base, synced.get(0)[0]);
            assertEquals(PHYS + 0x7000 + 5, Translation.phys(domain.translate(base + 5)));
            assertEquals(PHYS + PAGE + 1, Translation.phys(domain.translate(base + 6 * PAGE + 1)));
            assertEquals(Protection.WRITE, domain.translation(base + 5 * PAGE).protection());
            assertEquals(Translation.FAULT, domain.translate(base + PAGE));

            nvme.unlink(range, 5 * PAGE, 3 * PAGE);

            assertEquals(1, counting.rangeInvalidations(), "unlink invalidates its range at once");
            assertEquals(Translation.FAULT, domain.translate(base + 5 * PAGE));
            assertTrue(nvme.link(range, 5 * PAGE, PHYS + 0x10_0000L, PAGE, DmaDirection.TO_DEVICE), "the offset links again");
            nvme.destroy(range);
            assertFalse(range.isReserved());
            assertEquals(Translation.FAULT, domain.translate(base));
            assertEquals(0, domain.liveIovaRanges());
        }
    }

    @Test
    void badLinksAndUnlinksChangeNothing()
    {
        try (DmaDomain domain = DmaDomain.builder().build())
        {
            final DmaDevice nvme = domain.device(64);
            final DmaDevice nic = domain.device(64);
            final DmaIova range = new DmaIova();
            assertThrows(IllegalStateException.class, () -> nvme.link(range, 0, PHYS, PAGE, DmaDirection.TO_DEVICE));
            assertTrue(nvme.reserve(range, 16 * PAGE));
            final long base = range.dmaAddress();
            assertTrue(nvme.link(range, 0, PHYS, 4 * PAGE, DmaDirection.TO_DEVICE));

            assertThrows(IllegalArgumentException.class, () -> nvme.link(range, 2 * PAGE, PHYS, PAGE, DmaDirection.TO_DEVICE), "overlap");
            assertThrows(IllegalArgumentException.class, () -> nvme.link(range, 15 * PAGE, PHYS, 2 * PAGE, DmaDirection.TO_DEVICE), "beyond");
            assertThrows(IllegalArgumentException.class, () -> nvme.link(range, 100, PHYS, PAGE, DmaDirection.TO_DEVICE), "unaligned offset");
            assertThrows(IllegalArgumentException.class, () -> nvme.link(range, PAGE * 8, PHYS + 1, PAGE, DmaDirection.TO_DEVICE));
            assertThrows(IllegalStateException.class, () -> nic.link(range, 8 * PAGE, PHYS, PAGE, DmaDirection.TO_DEVICE), "not its range");
            assertThrows(IllegalArgumentException.class, () -> nvme.unlink(range, PAGE, PAGE), "part of a piece");
            assertThrows(IllegalArgumentException.class, () -> nvme.unlink(range, 8 * PAGE, PAGE), "nothing linked there");
            final IllegalArgumentException plain = assertThrows(IllegalArgumentException.class, () -> domain.unmap(base, 4 * PAGE));
            assertTrue(plain.getMessage().contains("two-step IOVA reservation"), plain.getMessage());
            assertEquals(0, nvme.unmapAll(), "linked pages belong to the reservation, not to the device's mappings");
            assertThrows(IllegalStateException.class, () -> nvme.reserve(range, PAGE), "already reserves");

            assertEquals(PHYS + 3 * PAGE, Translation.phys(domain.translate(base + 3 * PAGE)));
            nvme.unlink(range, 0, 4 * PAGE);
            nvme.destroy(range);
            assertThrows(IllegalStateException.class, () -> nvme.destroy(range), "destroyed twice");
            domain.flush();
            assertEquals(0, domain.liveIovaRanges());
            assertEquals(1, domain.liveTables());
        }
    }

    @Test
    void lazyDestroyGoesThroughTheFlushQueue()
    {
        final SimulatedIotlb iotlb = new SimulatedIotlb();
        try (DmaDomain domain = DmaDomain.builder().iotlb(iotlb).invalidationMode(InvalidationMode.LAZY).flushTimer(false).build())
        {
            final DmaDevice nvme = domain.device(64);
            final DmaIova range = new DmaIova();
            assertTrue(nvme.reserve(range, 8 * PAGE));
            assertTrue(nvme.link(range, 0, PHYS, 8 * PAGE, DmaDirection.BIDIRECTIONAL));

            nvme.destroy(range);

            assertEquals(1, domain.queuedUnmaps());
            assertEquals(0, iotlb.rangeInvalidations() + iotlb.allInvalidations());
            domain.flush();
            assertEquals(0, domain.liveIovaRanges());
        }
    }

    @Test
    void linkOutOfPageTablesLinksNothingAndSaysSo()
    {
        try (DmaDomain domain = DmaDomain.builder().maxTables(4).try32BitFirst(false).blockMappings(false).build())
        {
            final DmaDevice nvme = domain.device(64);
            final DmaIova range = new DmaIova();
            assertTrue(nvme.reserve(range, 4L << 20));

            assertFalse(nvme.link(range, 0, PHYS, 4L << 20, DmaDirection.TO_DEVICE), "two leaf tables: five in all");

            assertEquals(MapFailure.PAGE_TABLES, domain.lastMapFailure());
            assertEquals(Translation.FAULT, domain.translate(range.dmaAddress()));
            assertTrue(nvme.link(range, 0, PHYS, PAGE, DmaDirection.TO_DEVICE));
            nvme.destroy(range);
        }
    }
}
