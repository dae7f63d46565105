package dev.iova.dma;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The benchmarks' simulated IOTLB, whole-capable and range-only. */
class SimulatedIotlbTest
{
    @Test
    void theDefaultCanInvalidateEverythingAndCountsIt()
    {
        final SimulatedIotlb iotlb = new SimulatedIotlb(0, 0);
        assertTrue(iotlb.canInvalidateAll());
        iotlb.invalidateAll();
        iotlb.invalidateRange(0x1000, 0x2000);
        assertEquals(1, iotlb.allInvalidations());
        assertEquals(1, iotlb.rangeInvalidations());
        assertEquals(0x2000, iotlb.bytesInvalidated());
    }

    @Test
    void aRangesOnlyIotlbRefusesAWholeInvalidationAndCountsNothingForIt()
    {
        final SimulatedIotlb iotlb = SimulatedIotlb.rangesOnly(0);
        assertFalse(iotlb.canInvalidateAll());
        final IllegalStateException refused = assertThrows(IllegalStateException.class, iotlb::invalidateAll);
        assertTrue(refused.getMessage().contains("ranges only"), refused.getMessage());
        assertEquals(0, iotlb.allInvalidations());
        assertThrows(IllegalArgumentException.class, () -> SimulatedIotlb.rangesOnly(-1));
    }

    @Test
    void aLazyDomainOnARangesOnlyIotlbInvalidatesEachQueuedRange()
    {
        final SimulatedIotlb iotlb = SimulatedIotlb.rangesOnly(0);
        try (DmaDomain domain = DmaDomain.builder().invalidationMode(InvalidationMode.LAZY).iotlb(iotlb).build())
        {
            for (int i = 0; i < 10; i++)
            {
                final long dma = domain.map(0x1_0000_0000L, 4096, dev.iova.region.Protection.READ_WRITE);
                domain.unmap(dma, 4096);
            }
            domain.flush();
            assertEquals(0, iotlb.allInvalidations());
            assertEquals(10, iotlb.rangeInvalidations());
            assertEquals(10 * 4096, iotlb.bytesInvalidated());
        }
    }
}
