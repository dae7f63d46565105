package dev.iova.dma;

import dev.iova.region.Protection;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IoPageTableTest
{
    private static final long PAGE = 4096;
    private static final long LEAF_SPAN = 512 * PAGE; // 2 MiB: what one leaf table maps

    @Test
    void defaultGeometryHasFourLevels()
    {
        try (IoPageTable table = new IoPageTable())
        {
            assertEquals(4, table.levels());
            assertEquals(1, table.liveTables(), "only the root");
        }
    }

    @Test
    void shouldTranslateEveryPageOfAMappingWithItsOffset()
    {
        try (IoPageTable table = new IoPageTable())
        {
            assertTrue(table.map(0x4000_0000L, 0x12_3400_0000L, 3 * PAGE, Protection.READ));

            for (int page = 0; page < 3; page++)
            {
                final long translation = table.translate(0x4000_0000L + page * PAGE + 0x123);
                assertFalse(Translation.isFault(translation));
                assertEquals(0x12_3400_0000L + page * PAGE + 0x123, Translation.phys(translation));
                assertEquals(Protection.READ, Translation.protection(translation));
            }
            assertTrue(Translation.isFault(table.translate(0x4000_0000L + 3 * PAGE)));
            assertTrue(Translation.isFault(table.translate(0x4000_0000L - 1)));
            assertEquals(new Translation(0x12_3400_0000L, Protection.READ), table.translation(0x4000_0000L));
        }
    }

    @Test
    void shouldKeepEachProtection()
    {
        try (IoPageTable table = new IoPageTable())
        {
            table.map(PAGE, PAGE, PAGE, Protection.READ);
            table.map(2 * PAGE, PAGE, PAGE, Protection.WRITE);
            table.map(3 * PAGE, PAGE, PAGE, Protection.READ_WRITE);

            assertTrue(Translation.canRead(table.translate(PAGE)) && !Translation.canWrite(table.translate(PAGE)));
            assertTrue(!Translation.canRead(table.translate(2 * PAGE)) && Translation.canWrite(table.translate(2 * PAGE)));
            assertEquals(Protection.READ_WRITE, table.translation(3 * PAGE).protection());
        }
    }

    @Test
    void shouldMapAcrossLeafTables()
    {
        try (IoPageTable table = new IoPageTable())
        {
            final long iova = LEAF_SPAN - 2 * PAGE;
            table.map(iova, 0x100_0000L, 4 * PAGE, Protection.READ_WRITE);

            assertEquals(1 + 3 + 1, table.liveTables(), "root, one table per level, and a second leaf table");
            for (int page = 0; page < 4; page++)
            {
                assertEquals(0x100_0000L + page * PAGE, Translation.phys(table.translate(iova + page * PAGE)));
            }
            assertEquals(4 * PAGE, table.unmap(iova, 4 * PAGE));
            for (int page = 0; page < 4; page++)
            {
                assertTrue(Translation.isFault(table.translate(iova + page * PAGE)));
            }
        }
    }

    @Test
    void shouldTranslateTheHighestPageOfThe48BitSpace()
    {
        try (IoPageTable table = new IoPageTable())
        {
            final long top = (1L << 48) - PAGE;
            table.map(top, 0xf_ffff_f000L, PAGE, Protection.READ_WRITE);

            assertEquals(0xf_ffff_ffffL, Translation.phys(table.translate(top + 0xfff)));
            assertTrue(Translation.isFault(table.translate(1L << 48)));
            assertTrue(Translation.isFault(table.translate(-1L)));
        }
    }

    @Test
    void otherGeometriesWork()
    {
        try (IoPageTable table = new IoPageTable(14, 11, 47, 1024)) // 16 KiB granule, 2048 entries: Arm's 16K
        {
            assertEquals(3, table.levels());
            table.map(0x7f_ffff_c000L, 0x1_0000_0000L, 0x8000, Protection.WRITE);
            assertEquals(0x1_0000_7ffeL, Translation.phys(table.translate(0x80_0000_3ffeL)));
            table.unmap(0x7f_ffff_c000L, 0x8000);
            assertTrue(Translation.isFault(table.translate(0x7f_ffff_c000L)));
        }
        try (IoPageTable table = new IoPageTable(12, 1, 16, 64)) // binary tables: 4 levels for 16 bits
        {
            assertEquals(4, table.levels());
            table.map(0x3000, 0x5000, 0x2000, Protection.READ);
            assertEquals(0x6fff, Translation.phys(table.translate(0x4fff)));
        }
    }

    @Test
    void mappingOverAnExistingEntryThrowsAndChangesNothing()
    {
        try (IoPageTable table = new IoPageTable())
        {
            table.map(0x10_0000L + 2 * PAGE, 0x9000, PAGE, Protection.READ);
            final int tables = table.liveTables();

            final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> table.map(0x10_0000L, 0x20_0000L, 4 * PAGE, Protection.READ_WRITE));

            assertEquals("iova=0x102000 is already mapped to phys=0x9000: cannot map [0x100000, 0x103fff] over it", ex.getMessage());
            assertTrue(Translation.isFault(table.translate(0x10_0000L)), "the pages before the clash were not written");
            assertEquals(0x9000, Translation.phys(table.translate(0x10_2000L)));
            assertEquals(tables, table.liveTables());
        }
    }

    @Test
    void unmappingAHoleThrowsAndChangesNothing()
    {
        try (IoPageTable table = new IoPageTable())
        {
            table.map(0x10_0000L, 0x8000, PAGE, Protection.READ);
            table.map(0x10_2000L, 0xa000, PAGE, Protection.READ);

            final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> table.unmap(0x10_0000L, 3 * PAGE));

            assertEquals("iova=0x101000 is not mapped (unmap of [0x100000, 0x102fff])", ex.getMessage());
            assertEquals(0x8000, Translation.phys(table.translate(0x10_0000L)));
            assertEquals(0xa000, Translation.phys(table.translate(0x10_2000L)));
            assertThrows(IllegalArgumentException.class, () -> table.unmap(0x7000_0000L, PAGE), "no table at all there");
        }
    }

    @Test
    void unmappingPartOfAMappingThrowsAndChangesNothing()
    {
        try (IoPageTable table = new IoPageTable())
        {
            table.map(0x10_0000L, 0x8000, 4 * PAGE, Protection.READ);

            assertEquals("[0x100000, 0x102fff] ends inside a mapping: iova=0x102000 is not the last page of a map call",
                assertThrows(IllegalArgumentException.class, () -> table.unmap(0x10_0000L, 3 * PAGE)).getMessage());
            assertEquals("[0x101000, 0x103fff] starts inside a mapping: iova=0x101000 is not the first page of a map call",
                assertThrows(IllegalArgumentException.class, () -> table.unmap(0x10_1000L, 3 * PAGE)).getMessage());
            for (int page = 0; page < 4; page++)
            {
                assertEquals(0x8000 + page * PAGE, Translation.phys(table.translate(0x10_0000L + page * PAGE)));
            }
        }
    }

    @Test
    void unmapTakesSeveralWholeMappingsAtOnce()
    {
        try (IoPageTable table = new IoPageTable())
        {
            table.map(0x10_0000L, 0x8000, PAGE, Protection.READ);
            table.map(0x10_1000L, 0x9000, 2 * PAGE, Protection.WRITE);

            assertEquals(3 * PAGE, table.unmap(0x10_0000L, 3 * PAGE));
            assertTrue(Translation.isFault(table.translate(0x10_2000L)));
        }
    }

    @Test
    void badValuesThrowNamingThem()
    {
        try (IoPageTable table = new IoPageTable())
        {
            assertEquals("iova=0x1001 is not aligned to the 4096-byte granule",
                assertThrows(IllegalArgumentException.class, () -> table.map(0x1001, 0, PAGE, Protection.READ)).getMessage());
            assertEquals("phys=0x10 is not aligned to the 4096-byte granule",
                assertThrows(IllegalArgumentException.class, () -> table.map(PAGE, 0x10, PAGE, Protection.READ)).getMessage());
            assertEquals("bytes=0x1800 must be a positive multiple of the 4096-byte granule (iova=0x1000)",
                assertThrows(IllegalArgumentException.class, () -> table.map(PAGE, 0, 0x1800, Protection.READ)).getMessage());
            assertEquals("bytes=0x0 must be a positive multiple of the 4096-byte granule (iova=0x1000)",
                assertThrows(IllegalArgumentException.class, () -> table.unmap(PAGE, 0)).getMessage());
            assertEquals("iova=0xfffffffff000 bytes=0x2000 goes beyond the 48-bit IOVA space (last iova 0xffffffffffff)",
                assertThrows(IllegalArgumentException.class,
                    () -> table.map((1L << 48) - PAGE, 0, 2 * PAGE, Protection.READ)).getMessage());
            assertEquals("phys=0xffffffffff000 bytes=0x2000 goes beyond 52-bit physical addresses",
                assertThrows(IllegalArgumentException.class,
                    () -> table.map(PAGE, (1L << 52) - PAGE, 2 * PAGE, Protection.READ)).getMessage());
            assertEquals("protection=NO_MAP grants no access: map with READ, WRITE or READ_WRITE",
                assertThrows(IllegalArgumentException.class, () -> table.map(PAGE, 0, PAGE, Protection.NO_MAP)).getMessage());
            assertThrows(IllegalArgumentException.class, () -> table.map(PAGE, 0, PAGE, null));
            assertEquals(1, table.liveTables(), "no bad call installed a table");
        }
    }

    @Test
    void badGeometryThrows()
    {
        assertThrows(IllegalArgumentException.class, () -> new IoPageTable(11, 9, 48, 16));
        assertThrows(IllegalArgumentException.class, () -> new IoPageTable(12, 0, 48, 16));
        assertThrows(IllegalArgumentException.class, () -> new IoPageTable(12, 9, 64, 16));
        assertThrows(IllegalArgumentException.class, () -> new IoPageTable(12, 9, 12, 16));
        assertThrows(IllegalArgumentException.class, () -> new IoPageTable(12, 9, 48, 0));
    }

    @Test
    void shouldReturnFalseAndMapNothingWhenOutOfTables()
    {
        try (IoPageTable table = new IoPageTable(12, 9, 48, 4)) // the root and one path of three
        {
            final long iova = LEAF_SPAN - 2 * PAGE; // needs a second leaf table

            assertFalse(table.map(iova, 0, 4 * PAGE, Protection.READ));

            for (int page = 0; page < 4; page++)
            {
                assertTrue(Translation.isFault(table.translate(iova + page * PAGE)));
            }
            assertTrue(table.map(iova, 0, 2 * PAGE, Protection.READ), "the first leaf table still serves");
        }
    }

    @Test
    void unmapOfAWholeLeafSpanDetachesTheTableUntilInvalidated()
    {
        try (IoPageTable table = new IoPageTable().blockMappings(false))
        {
            table.map(4 * LEAF_SPAN, 0, LEAF_SPAN, Protection.READ);
            table.map(5 * LEAF_SPAN, 0, PAGE, Protection.READ);
            assertEquals(5, table.liveTables());

            table.unmap(4 * LEAF_SPAN, LEAF_SPAN);

            assertEquals(1, table.retiredTables());
            assertEquals(5, table.liveTables(), "the detached table waits for an invalidation");
            assertTrue(Translation.isFault(table.translate(4 * LEAF_SPAN + 7 * PAGE)));

            table.rangeInvalidated(5 * LEAF_SPAN, PAGE);
            assertEquals(1, table.retiredTables(), "an invalidation of another range does not cover it");

            table.rangeInvalidated(4 * LEAF_SPAN, LEAF_SPAN);
            assertEquals(0, table.retiredTables());
            assertEquals(4, table.liveTables());

            assertTrue(table.map(4 * LEAF_SPAN + PAGE, 0x5000, PAGE, Protection.WRITE), "the span maps again, into a zeroed table");
            assertEquals(0x5000, Translation.phys(table.translate(4 * LEAF_SPAN + PAGE)));
            assertTrue(Translation.isFault(table.translate(4 * LEAF_SPAN)));
        }
    }

    @Test
    void aWholeSpanUnmapDetachesTheLargestCoveredTableWithEverythingUnderIt()
    {
        try (IoPageTable table = new IoPageTable(12, 2, 20, 1024).blockMappings(false)) // 4 entries: a leaf table maps 16 KiB, levels of 64 KiB, 256 KiB
        {
            assertEquals(4, table.levels());
            table.map(0x4_0000L, 0x100_0000L, 0x4_0000L, Protection.READ); // all of one 256 KiB table's span
            final int tables = table.liveTables();
            assertEquals(1 + 1 + 4 + 16, tables);

            table.unmap(0x4_0000L, 0x4_0000L);
            assertEquals(1, table.retiredTables(), "one detached subtree");

            final long ticket = table.invalidationStarted();
            table.invalidationCompleted(ticket);
            assertEquals(0, table.retiredTables());
            assertEquals(1, table.liveTables());
        }
    }

    @Test
    void aTableDetachedAfterAnInvalidationBeganWaitsForTheNextOne()
    {
        try (IoPageTable table = new IoPageTable().blockMappings(false))
        {
            table.map(0, 0, LEAF_SPAN, Protection.READ);
            final long ticket = table.invalidationStarted();
            table.unmap(0, LEAF_SPAN);

            table.invalidationCompleted(ticket);
            assertEquals(1, table.retiredTables());

            table.invalidationCompleted(table.invalidationStarted());
            assertEquals(0, table.retiredTables());
        }
    }

    @Test
    void tablesEmptiedPieceByPieceAreReclaimedAtTheNextInvalidation()
    {
        try (IoPageTable table = new IoPageTable())
        {
            table.map(0, 0, LEAF_SPAN / 2, Protection.READ);
            table.map(LEAF_SPAN / 2, 0, LEAF_SPAN / 2, Protection.READ);
            table.unmap(0, LEAF_SPAN / 2);
            table.unmap(LEAF_SPAN / 2, LEAF_SPAN / 2);
            assertEquals(0, table.retiredTables(), "an emptied table stays installed until a reclaim pass");
            assertEquals(4, table.liveTables());

            final long ticket = table.invalidationStarted(); // the pass: three empty tables detached
            assertEquals(3, table.retiredTables());
            table.invalidationCompleted(ticket);

            assertEquals(0, table.retiredTables());
            assertEquals(1, table.liveTables(), "only the root");
        }
    }

    @Test
    void anEmptiedTableThatIsReusedBeforeThePassStaysInstalled()
    {
        try (IoPageTable table = new IoPageTable())
        {
            table.map(PAGE, 0, PAGE, Protection.READ);
            table.unmap(PAGE, PAGE);
            table.map(2 * PAGE, 0x5000, PAGE, Protection.READ);

            table.invalidationCompleted(table.invalidationStarted());

            assertEquals(4, table.liveTables());
            assertEquals(0x5000, Translation.phys(table.translate(2 * PAGE)));
            table.unmap(2 * PAGE, PAGE);
            table.invalidationCompleted(table.invalidationStarted());
            assertEquals(1, table.liveTables());
        }
    }

    @Test
    void callsAfterCloseThrow()
    {
        final IoPageTable table = new IoPageTable();
        table.map(PAGE, 0, PAGE, Protection.READ);
        table.close();
        table.close();

        assertTrue(table.isClosed());
        assertEquals(0, table.offHeapBytes());
        assertThrows(IllegalStateException.class, () -> table.translate(PAGE));
        assertThrows(IllegalStateException.class, () -> table.map(2 * PAGE, 0, PAGE, Protection.READ));
        assertThrows(IllegalStateException.class, () -> table.unmap(PAGE, PAGE));
    }
}
