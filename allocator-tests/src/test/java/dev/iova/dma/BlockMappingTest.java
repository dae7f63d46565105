package dev.iova.dma;

import dev.iova.region.Protection;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Block (huge-page) entries: where a map writes them, what translate and unmap make of them. */
class BlockMappingTest
{
    private static final long PAGE = 4096;
    private static final long MIB = 1L << 20;
    private static final long TWO_MIB = 2 * MIB;
    private static final long GIB = 1L << 30;

    @Test
    void defaultGeometryHasTwoMiBAndOneGiBBlocks()
    {
        try (IoPageTable table = new IoPageTable();
             IoPageTable sixteenK = new IoPageTable(14, 11, 47, 16);
             IoPageTable tiny = new IoPageTable(12, 3, 30, 16);
             IoPageTable twoLevels = new IoPageTable(12, 9, 30, 16))
        {
            assertArrayEquals(new long[] {TWO_MIB, GIB}, table.blockSizes());
            assertArrayEquals(new long[] {32 * MIB}, sixteenK.blockSizes(), "three levels: the root holds no blocks");
            assertArrayEquals(new long[] {8 * PAGE, 64 * PAGE}, tiny.blockSizes());
            assertArrayEquals(new long[] {}, twoLevels.blockSizes(), "above the leaf level is the root");
        }
    }

    @Test
    void twoMiBAlignedMapIsOneEntryWithNoLeafTable()
    {
        try (IoPageTable table = new IoPageTable();
             IoPageTable leaves = new IoPageTable().blockMappings(false))
        {
            assertTrue(table.map(7 * TWO_MIB, 0x40_0000_0000L + 3 * TWO_MIB, TWO_MIB, Protection.READ_WRITE));
            assertTrue(leaves.map(7 * TWO_MIB, 0x40_0000_0000L + 3 * TWO_MIB, TWO_MIB, Protection.READ_WRITE));

            assertEquals(3, table.liveTables(), "the root and the two tables above the block: no leaf table");
            assertEquals(4, leaves.liveTables(), "blocks off: a leaf table of 512 leaves");
            for (final long offset : new long[] {0, 1, PAGE - 1, PAGE, MIB + 123, TWO_MIB - PAGE, TWO_MIB - 1})
            {
                assertEquals(0x40_0000_0000L + 3 * TWO_MIB + offset, Translation.phys(table.translate(7 * TWO_MIB + offset)));
                assertEquals(table.translate(7 * TWO_MIB + offset), leaves.translate(7 * TWO_MIB + offset));
            }
            assertEquals(Protection.READ_WRITE, table.translation(7 * TWO_MIB + MIB).protection());
            assertTrue(Translation.isFault(table.translate(7 * TWO_MIB - 1)));
            assertTrue(Translation.isFault(table.translate(8 * TWO_MIB)));

            assertEquals(TWO_MIB, table.unmap(7 * TWO_MIB, TWO_MIB));
            assertTrue(Translation.isFault(table.translate(7 * TWO_MIB + MIB)));
            assertEquals(0, table.retiredTables(), "a cleared block frees no table");
        }
    }

    @Test
    void oneGiBAlignedMapIsOneEntryEvenWithFewTables()
    {
        try (IoPageTable table = new IoPageTable(12, 9, 48, 2)) // the root and one table: all a 1 GiB block needs
        {
            assertTrue(table.map(5 * GIB, 9 * GIB, GIB, Protection.READ));

            assertEquals(2, table.liveTables());
            for (final long offset : new long[] {0, PAGE, TWO_MIB - 1, TWO_MIB, GIB / 2 + 5, GIB - PAGE, GIB - 1})
            {
                assertEquals(9 * GIB + offset, Translation.phys(table.translate(5 * GIB + offset)));
            }
            assertTrue(Translation.isFault(table.translate(6 * GIB)));
            assertEquals(GIB, table.unmap(5 * GIB, GIB));
            assertTrue(Translation.isFault(table.translate(5 * GIB)));
        }
    }

    @Test
    void edgesUseSmallPagesAndEveryBoundaryTranslates()
    {
        try (IoPageTable table = new IoPageTable())
        {
            // 3 pages, a 2 MiB block, a 1 GiB block, another 2 MiB block, 2 pages: IOVA and phys congruent modulo 1 GiB
            final long iova = 3 * GIB - TWO_MIB - 3 * PAGE;
            final long phys = 0x7_0000_0000L + GIB - TWO_MIB - 3 * PAGE;
            final long bytes = 3 * PAGE + TWO_MIB + GIB + TWO_MIB + 2 * PAGE;
            assertTrue(table.map(iova, phys, bytes, Protection.READ));

            assertEquals(1 + 1 + 2 + 2, table.liveTables(), "root, one table at level 1, two at level 2, two leaf tables at the edges");
            final long[] boundaries = {0, 3 * PAGE, 3 * PAGE + TWO_MIB, 3 * PAGE + TWO_MIB + GIB, 3 * PAGE + 2 * TWO_MIB + GIB, bytes};
            for (final long boundary : boundaries)
            {
                for (final long delta : new long[] {-PAGE, -1, 0, 1, PAGE})
                {
                    final long offset = boundary + delta;
                    final long translation = table.translate(iova + offset);
                    if (offset < 0 || offset >= bytes)
                    {
                        assertTrue(Translation.isFault(translation), "offset " + offset);
                    }
                    else
                    {
                        assertEquals(phys + offset, Translation.phys(translation), "offset " + offset);
                    }
                }
            }
            assertEquals(bytes, table.unmap(iova, bytes), "unmap across mixed sizes returns the bytes");
            for (final long boundary : boundaries)
            {
                assertTrue(Translation.isFault(table.translate(iova + boundary)));
            }
            table.invalidationCompleted(table.invalidationStarted());
            assertEquals(1, table.liveTables(), "the tables that held only blocks and edges are reclaimed like any other");
        }
    }

    @Test
    void misalignedPhysFallsBackToPages()
    {
        try (IoPageTable table = new IoPageTable())
        {
            assertTrue(table.map(4 * TWO_MIB, 6 * TWO_MIB + PAGE, 2 * TWO_MIB, Protection.READ));

            assertEquals(1 + 2 + 2, table.liveTables(), "two leaf tables: phys is not 2 MiB aligned");
            for (long offset = 0; offset < 2 * TWO_MIB; offset += 97 * PAGE + 1)
            {
                assertEquals(6 * TWO_MIB + PAGE + offset, Translation.phys(table.translate(4 * TWO_MIB + offset)));
            }
            assertEquals(2 * TWO_MIB, table.unmap(4 * TWO_MIB, 2 * TWO_MIB));
        }
    }

    @Test
    void unmapThatWouldSplitABlockThrowsNamingItAndChangesNothing()
    {
        try (IoPageTable table = new IoPageTable())
        {
            table.map(GIB, GIB, 2 * TWO_MIB, Protection.READ);

            final IllegalArgumentException middle = assertThrows(IllegalArgumentException.class, () -> table.unmap(GIB + MIB, MIB));
            assertEquals("[0x40100000, 0x401fffff] would split a block: the 2097152-byte block mapping [0x40000000, 0x401fffff] " +
                "is not wholly inside it (an unmap covers whole mappings)", middle.getMessage());
            final IllegalArgumentException head = assertThrows(IllegalArgumentException.class, () -> table.unmap(GIB, MIB));
            assertTrue(head.getMessage().contains("would split a block"), head.getMessage());
            final IllegalArgumentException firstBlock = assertThrows(IllegalArgumentException.class, () -> table.unmap(GIB, TWO_MIB));
            assertEquals("[0x40000000, 0x401fffff] ends inside a mapping: iova=0x401ff000 is not the last page of a map call",
                firstBlock.getMessage());
            final IllegalArgumentException tail = assertThrows(IllegalArgumentException.class,
                () -> table.unmap(GIB + TWO_MIB + PAGE, TWO_MIB - PAGE));
            assertTrue(tail.getMessage().contains("would split a block"), tail.getMessage());

            for (long offset = 0; offset < 2 * TWO_MIB; offset += 61 * PAGE + 3)
            {
                assertEquals(GIB + offset, Translation.phys(table.translate(GIB + offset)), "nothing changed");
            }
            assertEquals(2 * TWO_MIB, table.unmap(GIB, 2 * TWO_MIB));
        }
    }

    @Test
    void mapOverABlockThrowsAndChangesNothing()
    {
        try (IoPageTable table = new IoPageTable())
        {
            table.map(GIB, 0, TWO_MIB, Protection.READ);
            final int tables = table.liveTables();

            final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> table.map(GIB + TWO_MIB - PAGE, 0x9000, 2 * PAGE, Protection.WRITE));
            assertEquals("iova=0x401ff000 is already mapped to phys=0x1ff000 (a 2097152-byte block): " +
                "cannot map [0x401ff000, 0x40200fff] over it", ex.getMessage());
            assertThrows(IllegalArgumentException.class, () -> table.map(GIB - GIB / 2, 0, GIB, Protection.READ));

            assertEquals(tables, table.liveTables());
            assertTrue(Translation.isFault(table.translate(GIB + TWO_MIB)));
            assertEquals(TWO_MIB - PAGE, Translation.phys(table.translate(GIB + TWO_MIB - PAGE)));
        }
    }

    @Test
    void aBlockSizedPieceGoesIntoAnInstalledTableAsLeavesUntilTheTableIsReclaimed()
    {
        try (IoPageTable table = new IoPageTable())
        {
            table.map(GIB + PAGE, 0x5000, PAGE, Protection.READ);
            table.unmap(GIB + PAGE, PAGE); // the leaf table stays installed, empty, offered to the next pass
            assertEquals(4, table.liveTables());

            assertTrue(table.map(GIB, 4 * TWO_MIB, TWO_MIB, Protection.READ));
            assertEquals(4, table.liveTables(), "written as leaves into the installed table");
            assertEquals(4 * TWO_MIB + 5, Translation.phys(table.translate(GIB + 5)));
            table.invalidationCompleted(table.invalidationStarted());
            assertEquals(4, table.liveTables(), "not empty: not reclaimed");
            table.unmap(GIB, TWO_MIB);
            table.invalidationCompleted(table.invalidationStarted());
            table.invalidationCompleted(table.invalidationStarted());

            assertTrue(table.map(GIB, 4 * TWO_MIB, TWO_MIB, Protection.READ));
            assertEquals(3, table.liveTables(), "the table was reclaimed: a block now");
            assertEquals(4 * TWO_MIB + TWO_MIB - 1, Translation.phys(table.translate(GIB + TWO_MIB - 1)));
        }
    }

    @Test
    void unmapAcrossBlocksFindsTheHoleInATableBetweenThemAndChangesNothing()
    {
        try (IoPageTable table = new IoPageTable())
        {
            table.map(GIB, 0x10_0000_0000L, TWO_MIB, Protection.READ);
            table.map(GIB + TWO_MIB, 0x5000, PAGE, Protection.READ); // a leaf table in the second block's place
            table.map(GIB + 2 * TWO_MIB, 0x10_0000_0000L + 2 * TWO_MIB, 2 * TWO_MIB, Protection.READ);
            final int tables = table.liveTables();

            final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> table.unmap(GIB, 4 * TWO_MIB));
            assertTrue(ex.getMessage().startsWith("iova=0x40201000 is not mapped"), ex.getMessage());

            assertEquals(tables, table.liveTables());
            assertEquals(0x10_0000_0000L + 5, Translation.phys(table.translate(GIB + 5)), "nothing changed");
            assertEquals(0x5000 + 5, Translation.phys(table.translate(GIB + TWO_MIB + 5)));
            assertEquals(0x10_0000_0000L + 3 * TWO_MIB, Translation.phys(table.translate(GIB + 3 * TWO_MIB)));
            assertEquals(TWO_MIB, table.unmap(GIB, TWO_MIB));
            assertEquals(PAGE, table.unmap(GIB + TWO_MIB, PAGE));
            assertEquals(2 * TWO_MIB, table.unmap(GIB + 2 * TWO_MIB, 2 * TWO_MIB));
        }
    }

    @Test
    void unmapTakesSeveralWholeMappingsOfMixedSizes()
    {
        try (IoPageTable table = new IoPageTable())
        {
            table.map(GIB - PAGE, 0x10_0000_0000L - PAGE, PAGE, Protection.READ);
            table.map(GIB, 0x10_0000_0000L, 2 * TWO_MIB, Protection.READ);
            table.map(GIB + 2 * TWO_MIB, 0x20_0000_0000L + PAGE, 3 * PAGE, Protection.WRITE);

            assertEquals(PAGE + 2 * TWO_MIB + 3 * PAGE, table.unmap(GIB - PAGE, PAGE + 2 * TWO_MIB + 3 * PAGE));
            assertTrue(Translation.isFault(table.translate(GIB + TWO_MIB)));
        }
    }

    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS) // a one-level table once walked to level -1 for ever
    void oneLevelTableMapsTranslatesAndUnmaps()
    {
        try (IoPageTable table = new IoPageTable(12, 16, 28, 4)) // 65,536 entries: the root is the leaf table
        {
            assertEquals(1, table.levels());
            assertArrayEquals(new long[] {}, table.blockSizes());

            assertTrue(table.map(0x10_0000L, 0x7000_0000L, 3 * PAGE, Protection.READ));
            assertEquals(0x7000_2123L, Translation.phys(table.translate(0x10_2123L)));
            assertEquals(3 * PAGE, table.unmap(0x10_0000L, 3 * PAGE));
            table.invalidationCompleted(table.invalidationStarted());
            assertTrue(Translation.isFault(table.translate(0x10_0000L)));
            assertEquals(1, table.liveTables());
        }
    }

    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void oneLevelDomainDestroysATwoStepRange()
    {
        try (DmaDomain domain = DmaDomain.builder().bitsPerLevel(16).iovaBits(28).try32BitFirst(false).build())
        {
            assertEquals(1, domain.pageTable().levels());
            final DmaDevice device = domain.device(64);
            final DmaIova range = new DmaIova();
            assertTrue(device.reserve(range, 8 * PAGE));
            assertTrue(device.link(range, 0, 0x7000_0000L, 2 * PAGE, DmaDirection.TO_DEVICE));
            assertEquals(0x7000_1000L, Translation.phys(domain.translate(range.dmaAddress() + PAGE)));

            device.destroy(range);

            assertTrue(Translation.isFault(domain.translate(range.dmaAddress())), "destroy cleared the root's leaves");
            assertTrue(Translation.isFault(domain.translate(range.dmaAddress() + PAGE)));
        }
    }

    @Test
    void domainMapOfAnAlignedBufferUsesBlocksAndItsUnmapFreesNoTable()
    {
        try (DmaDomain domain = DmaDomain.builder().try32BitFirst(false).build())
        {
            final int before = domain.pageTable().liveTables();
            final long dma = domain.map(0x8_0000_0000L + 0x80, 2 * TWO_MIB - 0x80, Protection.READ);

            assertEquals(0x80, dma & (TWO_MIB - 1), "2 MiB aligned, the offset in the page kept");
            assertEquals(before + 2, domain.pageTable().liveTables(), "no leaf table: two blocks under the tables at levels 1 and 2");
            assertEquals(0x8_0000_0000L + TWO_MIB + 5, Translation.phys(domain.translate(dma - 0x80 + TWO_MIB + 5)));
            domain.unmap(dma, 2 * TWO_MIB - 0x80);
            assertTrue(Translation.isFault(domain.translate(dma)));
            assertEquals(0, domain.pageTable().retiredTables());
        }
    }

    @Test
    void aScatterGatherListIsSizeAlignedSoItsAlignedSegmentsGetBlocks()
    {
        try (DmaDomain domain = DmaDomain.builder().try32BitFirst(false).build())
        {
            final int before = domain.pageTable().liveTables();
            final long[] dmas = new long[2];

            final long dma = domain.mapSg(new long[] {0x8_0000_0000L, 0x9_0000_0000L}, new long[] {TWO_MIB, TWO_MIB}, 2,
                Protection.READ, dmas);

            assertEquals(dmas[0], dma);
            assertEquals(0, dma & (2 * TWO_MIB - 1), "a 4 MiB list: 4 MiB aligned");
            assertEquals(dma + TWO_MIB, dmas[1]);
            assertEquals(before + 2, domain.pageTable().liveTables(), "two blocks: no leaf table");
            assertEquals(0x9_0000_0000L + 5, Translation.phys(domain.translate(dmas[1] + 5)));
            domain.unmapSg(dmas, new long[] {TWO_MIB, TWO_MIB}, 2);
        }
    }

    @Test
    void largeMapsAreAlignedToThePhysicalAddressCappedAtTheBlockSize()
    {
        try (DmaDomain domain = DmaDomain.builder().try32BitFirst(false).build())
        {
            final long top = 1L << 48;
            final long pageAligned = domain.map(0x9_0000_1000L, 3 * MIB, Protection.READ);
            assertEquals(top - 3 * MIB, pageAligned, "phys only page aligned: no alignment beyond the page");
            final long blockAligned = domain.map(0x9_0020_0000L, 3 * MIB, Protection.READ);
            assertEquals(top - 6 * MIB, blockAligned, "phys 2 MiB aligned: the IOVA too, and not to 4 MiB as size alignment would");
            assertEquals(0x9_0020_0000L + TWO_MIB + 7, Translation.phys(domain.translate(blockAligned + TWO_MIB + 7)));
            final long small = domain.map(0x9_0000_0000L, 4 * PAGE, Protection.READ);
            assertEquals(0, small & (4 * PAGE - 1), "small maps stay size-aligned, on the range caches");
            domain.unmap(pageAligned, 3 * MIB);
            domain.unmap(blockAligned, 3 * MIB);
            domain.unmap(small, 4 * PAGE);
            domain.iovaDomain().flushCaches();
            assertEquals(0, domain.iovaDomain().liveRanges());
        }
    }

    @Test
    void unmapAllFindsBlockMappings()
    {
        try (DmaDomain domain = DmaDomain.builder().try32BitFirst(false).build())
        {
            final DmaDevice nic = domain.device(64);
            final DmaDevice other = domain.device(64);
            final long big = nic.map(0x4_0000_0000L, GIB + 2 * TWO_MIB + PAGE, DmaDirection.TO_DEVICE);
            final long block = nic.map(0x4_8000_0000L, TWO_MIB, DmaDirection.FROM_DEVICE);
            final long kept = other.map(0x5_0000_0000L, TWO_MIB, DmaDirection.TO_DEVICE);
            assertNotEquals(DmaDomain.NO_ADDRESS, big);

            assertEquals(2, nic.unmapAll());

            assertTrue(Translation.isFault(domain.translate(big)));
            assertTrue(Translation.isFault(domain.translate(big + GIB)));
            assertTrue(Translation.isFault(domain.translate(block)));
            assertEquals(0x5_0000_0000L, Translation.phys(domain.translate(kept)));
        }
    }

    @Test
    void aMapWhoseTableAllocationThrowsAfterWritingABlockLeavesNothingMapped()
    {
        try (IoPageTable table = new IoPageTable())
        {
            // a leaf at the head (three tables), a block, a leaf at the tail (a fourth table: it throws)
            table.throwOnTableAllocation(4);
            assertThrows(OutOfMemoryError.class, () -> table.map(TWO_MIB - PAGE, TWO_MIB - PAGE, TWO_MIB + 2 * PAGE, Protection.READ));

            assertTrue(Translation.isFault(table.translate(TWO_MIB - PAGE)), "the head leaf was taken back");
            assertTrue(Translation.isFault(table.translate(TWO_MIB + MIB)), "the block was taken back");
            table.rangeInvalidated(TWO_MIB - PAGE, TWO_MIB + 2 * PAGE);
            assertTrue(table.map(TWO_MIB - PAGE, TWO_MIB - PAGE, TWO_MIB + 2 * PAGE, Protection.READ), "nothing left in the way");
            assertEquals(2 * TWO_MIB + 5, Translation.phys(table.translate(2 * TWO_MIB + 5)));
        }
    }

    @Test
    void aDomainMapWhoseTableAllocationThrowsGivesItsIovaBack()
    {
        try (DmaDomain domain = DmaDomain.builder().try32BitFirst(false).build())
        {
            domain.pageTable().throwOnTableAllocation(4);
            assertThrows(OutOfMemoryError.class, () -> domain.map(TWO_MIB - PAGE, TWO_MIB + 2 * PAGE, Protection.READ));

            domain.iovaDomain().flushCaches();
            assertEquals(0, domain.iovaDomain().liveRanges(), "the IOVA went back");
            final long dma = domain.map(TWO_MIB - PAGE, TWO_MIB + 2 * PAGE, Protection.READ);
            assertEquals(TWO_MIB - PAGE + 7, Translation.phys(domain.translate(dma + 7)));
        }
    }

    @Test
    void aBlockMapThatRunsOutOfTablesAfterItsBlocksTakesThemBack()
    {
        try (IoPageTable table = new IoPageTable())
        {
            table.failTableAllocation(4); // the tail's leaf table, after the head leaf and two blocks
            assertFalse(table.map(TWO_MIB - PAGE, TWO_MIB - PAGE, 2 * TWO_MIB + 2 * PAGE, Protection.READ));

            assertTrue(Translation.isFault(table.translate(TWO_MIB - PAGE)));
            assertTrue(Translation.isFault(table.translate(TWO_MIB)));
            assertTrue(Translation.isFault(table.translate(2 * TWO_MIB + MIB)));
            table.rangeInvalidated(TWO_MIB - PAGE, 2 * TWO_MIB + 2 * PAGE);
            assertTrue(table.map(TWO_MIB - PAGE, TWO_MIB - PAGE, 2 * TWO_MIB + 2 * PAGE, Protection.READ));
            assertEquals(3 * TWO_MIB, Translation.phys(table.translate(3 * TWO_MIB)));
        }
    }
}
