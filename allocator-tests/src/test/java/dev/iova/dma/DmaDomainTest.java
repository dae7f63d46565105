package dev.iova.dma;

import dev.iova.region.Protection;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DmaDomainTest
{
    private static final long PAGE = 4096;
    private static final long GIB = 1L << 30;
    private static final long FOUR_GIB = 4 * GIB;

    @Test
    void mapReturnsTheIovaPlusTheOffsetOfPhysInItsPage()
    {
        try (DmaDomain domain = DmaDomain.builder().build())
        {
            final long phys = 0x1_2345_6080L;

            final long dma = domain.map(phys, 8192, Protection.READ_WRITE);

            assertNotEquals(DmaDomain.NO_ADDRESS, dma);
            assertEquals(0x080, dma & (PAGE - 1));
            assertEquals(phys, Translation.phys(domain.translate(dma)));
            assertEquals(phys + 8191, Translation.phys(domain.translate(dma + 8191)));
            assertEquals(Protection.READ_WRITE, domain.translation(dma).protection());
            domain.iovaDomain().flushCaches(); // the rest of the caches' run is cached, not mapped
            assertEquals(1, domain.iovaDomain().liveRanges());
        }
    }

    @Test
    void unmapClearsTheEntriesInvalidatesAndFreesTheIova()
    {
        final SimulatedIotlb iotlb = new SimulatedIotlb();
        try (DmaDomain domain = DmaDomain.builder().iotlb(iotlb).build())
        {
            final long dma = domain.map(0x5000_0010L, 3 * PAGE, Protection.READ);

            domain.unmap(dma, 3 * PAGE);

            for (long at = dma; at < dma + 3 * PAGE; at += PAGE)
            {
                assertTrue(Translation.isFault(domain.translate(at)));
            }
            assertEquals(1, iotlb.rangeInvalidations());
            assertEquals(4 * PAGE, iotlb.bytesInvalidated(), "four pages: the offset pushes the buffer into a fourth");
            domain.iovaDomain().flushCaches();
            assertEquals(0, domain.iovaDomain().liveRanges());
        }
    }

    @Test
    void aWideDeviceGetsAnIovaBelow4GiBFirst()
    {
        try (DmaDomain domain = DmaDomain.builder().build())
        {
            final long dma = domain.map(0x7_0000_0000L, PAGE, Protection.READ);

            assertTrue(dma < FOUR_GIB, () -> "dma=0x" + Long.toHexString(dma));
            assertTrue(dma > FOUR_GIB - GIB, "top-down from the 32-bit limit");
        }
    }

    @Test
    void aWideDeviceFallsBackAbove4GiBWhenTheLowSpaceIsFull()
    {
        try (DmaDomain domain = DmaDomain.builder().aperture(PAGE, 16 * GIB - 1).build())
        {
            for (int i = 0; i < 3; i++)
            {
                final long dma = domain.map(i * GIB, GIB, Protection.READ);
                assertTrue(dma >= GIB && dma < FOUR_GIB, "size-aligned 1 GiB ranges fill [1 GiB, 4 GiB)");
            }

            final long above = domain.map(8 * GIB, GIB, Protection.READ);

            assertEquals(15 * GIB, above, "the highest fit below the 64-bit mask, clipped to the aperture");
            final long small = domain.map(0, PAGE, Protection.READ);
            assertTrue(small < GIB, "smaller requests still fit below 4 GiB");
        }
    }

    @Test
    void withThe32BitFirstPolicyOffAWideDeviceAllocatesAtTheTopOfItsMask()
    {
        try (DmaDomain domain = DmaDomain.builder().aperture(PAGE, 16 * GIB - 1).try32BitFirst(false).build())
        {
            assertEquals(16 * GIB - PAGE, domain.map(0, PAGE, Protection.READ));
            assertEquals(8 * GIB - PAGE, domain.map(0, PAGE, Protection.READ, 33), "a 33-bit device: below 8 GiB");
        }
    }

    @Test
    void a32BitDeviceStaysBelow4GiBAndGetsNoAddressWhenThatIsFull()
    {
        try (DmaDomain domain = DmaDomain.builder().aperture(PAGE, 16 * GIB - 1).build())
        {
            final DmaDevice device = domain.device(32);
            for (int i = 0; i < 3; i++)
            {
                assertTrue(device.map(0, GIB, Protection.READ) < FOUR_GIB);
            }

            assertEquals(DmaDomain.NO_ADDRESS, device.map(0, GIB, Protection.READ));
            assertEquals(3, domain.iovaDomain().liveRanges(), "the failed map holds nothing");
            assertTrue(domain.map(0, GIB, Protection.READ) >= FOUR_GIB, "a wider device still fits");
        }
    }

    @Test
    void mapBeyondTheMaskThrowsAndChangesNothing()
    {
        try (DmaDomain domain = DmaDomain.builder().build())
        {
            final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> domain.map(0, 5 * GIB, Protection.READ, 32));

            assertEquals("bytes=0x140000000 (1310720 pages) cannot fit below the 32-bit DMA mask: usable pfns [0x1, 0xfffff]",
                ex.getMessage());
            assertEquals("maskBits=0 must be in [1, 64]",
                assertThrows(IllegalArgumentException.class, () -> domain.map(0, PAGE, Protection.READ, 0)).getMessage());
            assertThrows(IllegalArgumentException.class, () -> domain.map(0, PAGE, Protection.READ, 12), "the mask holds no page but 0");
            assertEquals(0, domain.iovaDomain().liveRanges());
        }
    }

    @Test
    void mapSgPlacesSegmentsInOneContiguousRange()
    {
        try (DmaDomain domain = DmaDomain.builder().build())
        {
            final long[] phys = {0x10_0800L, 0x20_0000L, 0x30_0100L};
            final long[] bytes = {0x800, 0x2000, 0x10};
            final long[] dma = new long[3];

            final long first = domain.mapSg(phys, bytes, 3, Protection.READ_WRITE, dma);

            assertEquals(dma[0], first);
            final long base = dma[0] & ~(PAGE - 1);
            assertEquals(base + 0x800, dma[0]);
            assertEquals(base + PAGE, dma[1]);
            assertEquals(dma[0] + bytes[0], dma[1], "a segment ending on a page boundary runs into the next one");
            assertEquals(base + 3 * PAGE + 0x100, dma[2]);
            for (int i = 0; i < 3; i++)
            {
                assertEquals(phys[i], Translation.phys(domain.translate(dma[i])));
                assertEquals(phys[i] + bytes[i] - 1, Translation.phys(domain.translate(dma[i] + bytes[i] - 1)));
            }
            domain.iovaDomain().flushCaches();
            assertEquals(1, domain.iovaDomain().liveRanges(), "one IOVA range for the whole list");

            domain.unmapSg(dma, bytes, 3);

            for (int i = 0; i < 3; i++)
            {
                assertTrue(Translation.isFault(domain.translate(dma[i])));
            }
        }
    }

    @Test
    void unmapSgOfSegmentsOutOfOrderThrowsAndChangesNothing()
    {
        try (DmaDomain domain = DmaDomain.builder().build())
        {
            final long[] phys = {0x10_0000L, 0x20_0000L};
            final long[] bytes = {PAGE, PAGE};
            final long[] dma = new long[2];
            domain.mapSg(phys, bytes, 2, Protection.READ, dma);

            final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> domain.unmapSg(new long[] {dma[1], dma[0]}, bytes, 2));

            assertTrue(ex.getMessage().startsWith("dmaAddresses[1]=0x"), ex.getMessage());
            assertThrows(IllegalArgumentException.class, () -> domain.unmap(dma[0], PAGE), "one segment is not the whole mapping");
            assertThrows(IllegalArgumentException.class, () -> domain.unmapSg(dma, bytes, 1));
            assertEquals(phys[1], Translation.phys(domain.translate(dma[1])));
            domain.unmapSg(dma, bytes, 2);
        }
    }

    @Test
    void unmapOfWhatIsNotExactlyOneLiveMappingThrowsAndChangesNothing()
    {
        try (DmaDomain domain = DmaDomain.builder().build())
        {
            final long dma = domain.map(0x4000_0000L, 4 * PAGE, Protection.READ_WRITE);
            final long other = domain.map(0x5000_0000L, PAGE, Protection.READ_WRITE);

            assertEquals("iova=0x10000 is not mapped (unmap of [0x10000, 0x10fff])",
                assertThrows(IllegalArgumentException.class, () -> domain.unmap(0x10000, PAGE)).getMessage());
            assertTrue(assertThrows(IllegalArgumentException.class, () -> domain.unmap(dma, 3 * PAGE)).getMessage()
                .endsWith("ends inside a mapping: iova=0x" + Long.toHexString(dma + 2 * PAGE) + " is not the last page of a map call"),
                "a size too small");
            assertTrue(assertThrows(IllegalArgumentException.class, () -> domain.unmap(dma, 5 * PAGE)).getMessage()
                .startsWith("iova=0x" + Long.toHexString(dma + 4 * PAGE) + " is not mapped"), "a size too large: part of it is a hole");
            assertThrows(IllegalArgumentException.class, () -> domain.unmap(dma + PAGE, 3 * PAGE), "starts inside");
            assertThrows(IllegalArgumentException.class, () -> domain.unmap(dma, 0));
            if (other == dma + 4 * PAGE || other == dma - PAGE)
            {
                final long low = Math.min(dma, other);
                assertTrue(assertThrows(IllegalArgumentException.class, () -> domain.unmap(low, 5 * PAGE)).getMessage()
                    .contains("covers more than one mapping"));
            }

            for (long page = 0; page < 4; page++)
            {
                assertEquals(0x4000_0000L + page * PAGE, Translation.phys(domain.translate(dma + page * PAGE)));
            }
            domain.iovaDomain().flushCaches();
            assertEquals(2, domain.iovaDomain().liveRanges());

            domain.unmap(dma, 4 * PAGE);
            assertEquals("iova=0x" + Long.toHexString(dma) + " is not mapped (unmap of [0x" + Long.toHexString(dma) + ", 0x" +
                Long.toHexString(dma + 4 * PAGE - 1) + "])",
                assertThrows(IllegalArgumentException.class, () -> domain.unmap(dma, 4 * PAGE)).getMessage(), "double unmap");
            assertEquals(0x5000_0000L, Translation.phys(domain.translate(other)));
        }
    }

    @Test
    void aMappingWhoseLastPageIsAdjacentToAnotherIsStillUnmappedAlone()
    {
        try (DmaDomain domain = DmaDomain.builder().build())
        {
            // two 3-page maps of 4-page IOVA ranges, then four 1-page maps: neighbours in the page table
            final long[] dmas = new long[6];
            for (int i = 0; i < dmas.length; i++)
            {
                dmas[i] = domain.map(i * 0x10_0000L, i < 2 ? 3 * PAGE : PAGE, Protection.READ);
            }
            for (int i = dmas.length - 1; i >= 0; i--)
            {
                domain.unmap(dmas[i], i < 2 ? 3 * PAGE : PAGE);
            }
            domain.iovaDomain().flushCaches();
            assertEquals(0, domain.iovaDomain().liveRanges());
        }
    }

    @Test
    void aMapThatRunsOutOfPageTablesReturnsNoAddressAndGivesItsIovaBack()
    {
        final SimulatedIotlb iotlb = new SimulatedIotlb();
        try (DmaDomain domain = DmaDomain.builder().maxTables(4).iotlb(iotlb).blockMappings(false).build()) // the root and one path, leaves only
        {
            final long dma = domain.map(0x1000_0000L, PAGE, Protection.READ);
            assertNotEquals(DmaDomain.NO_ADDRESS, dma);

            assertEquals(DmaDomain.NO_ADDRESS, domain.map(0x2000_0000L, 513 * PAGE, Protection.READ), "needs two more leaf tables");

            assertEquals(1, iotlb.rangeInvalidations(), "what the map wrote is invalidated before its IOVA is freed");
            domain.iovaDomain().flushCaches();
            assertEquals(1, domain.iovaDomain().liveRanges());
            assertEquals(0x1000_0000L, Translation.phys(domain.translate(dma)));
        }
    }

    @Test
    void badMapInputThrowsNamingTheValues()
    {
        try (DmaDomain domain = DmaDomain.builder().build())
        {
            assertEquals("phys=0x1000 bytes=0x0: bytes must be at least 1",
                assertThrows(IllegalArgumentException.class, () -> domain.map(PAGE, 0, Protection.READ)).getMessage());
            assertEquals("phys=0xfffffffffff00 bytes=0x200: goes beyond 52-bit physical addresses",
                assertThrows(IllegalArgumentException.class, () -> domain.map((1L << 52) - 0x100, 0x200, Protection.READ)).getMessage());
            assertEquals("protection=NO_MAP grants no access: map with READ, WRITE or READ_WRITE",
                assertThrows(IllegalArgumentException.class, () -> domain.map(PAGE, PAGE, Protection.NO_MAP)).getMessage());
            assertThrows(IllegalArgumentException.class, () -> domain.mapSg(new long[1], new long[] {PAGE}, 2, Protection.READ, new long[2]));
            assertThrows(IllegalArgumentException.class, () -> domain.mapSg(new long[] {0, 0}, new long[] {PAGE, 0}, 2,
                Protection.READ, new long[2]));
            assertEquals(0, domain.iovaDomain().liveRanges());
        }
    }

    @Test
    void everyCallAfterCloseThrows()
    {
        final DmaDomain domain = DmaDomain.builder().regions(dev.iova.region.ReservedRegionList.of(
            dev.iova.region.ReservedRegion.of(0x800_0000L, 0x80f_ffffL, dev.iova.region.RegionType.SW_MSI))).build();
        final long dma = domain.map(PAGE, PAGE, Protection.READ);
        domain.close();
        domain.close();

        assertTrue(domain.isClosed());
        assertEquals(0, domain.offHeapBytes());
        assertEquals("domain is closed: " + domain,
            assertThrows(IllegalStateException.class, () -> domain.map(PAGE, PAGE, Protection.READ)).getMessage());
        assertThrows(IllegalStateException.class, () -> domain.unmap(dma, PAGE));
        assertThrows(IllegalStateException.class, () -> domain.translate(dma));
        assertThrows(IllegalStateException.class, () -> domain.mapSg(new long[1], new long[] {1}, 1, Protection.READ, new long[1]));
        assertThrows(IllegalStateException.class, () -> domain.unmapSg(new long[] {dma}, new long[] {PAGE}, 1));
        assertThrows(IllegalStateException.class, () -> domain.mapMsi(0xfee0_0000L));
        assertThrows(IllegalStateException.class, () -> domain.unmapMsi(0x800_0000L));
        assertThrows(IllegalStateException.class, domain::flush);
        assertThrows(IllegalStateException.class, domain::flushExpired);
    }

    @Test
    void badBuilderValuesThrow()
    {
        assertThrows(IllegalArgumentException.class, () -> DmaDomain.builder().granuleBytes(2048));
        assertThrows(IllegalArgumentException.class, () -> DmaDomain.builder().granuleBytes(3 * 4096));
        assertThrows(IllegalArgumentException.class, () -> DmaDomain.builder().dmaMaskBits(65));
        assertThrows(IllegalArgumentException.class, () -> DmaDomain.builder().flushQueueEntries(0));
        assertThrows(IllegalArgumentException.class, () -> DmaDomain.builder().flushQueueStripes(3));
        assertThrows(IllegalArgumentException.class, () -> DmaDomain.builder().aperture(PAGE, 0));
        assertEquals("aperture [0x1000, 0x1000000000000] must be a non-empty range within the IOVA space [0x0, 0xffffffffffff]",
            assertThrows(IllegalArgumentException.class, () -> DmaDomain.builder().aperture(PAGE, 1L << 48).build()).getMessage());
        assertEquals("aperture [0x1000, 0x1ffffe] must start and end on 4096-byte page boundaries",
            assertThrows(IllegalArgumentException.class, () -> DmaDomain.builder().aperture(PAGE, 0x1f_fffeL).build()).getMessage());
    }

    @Test
    void otherGranulesWork()
    {
        try (DmaDomain domain = DmaDomain.builder().granuleBytes(64 * 1024).bitsPerLevel(13).iovaBits(42).build())
        {
            final long dma = domain.map(0x12_3456_789aL, 100_000, Protection.WRITE);

            assertEquals(0x789aL, dma & 0xffff);
            assertEquals(0x12_3456_789aL + 99_999, Translation.phys(domain.translate(dma + 99_999)));
            domain.unmap(dma, 100_000);
            assertTrue(Translation.isFault(domain.translate(dma)));
        }
    }
}
