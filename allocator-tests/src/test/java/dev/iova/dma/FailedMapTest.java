package dev.iova.dma;

import dev.iova.region.Protection;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A map that cannot get the page tables it needs leaves the table budget as it found it (leaves only: blocks need few tables). */
class FailedMapTest
{
    private static final long MIB = 1L << 20;

    @Test
    void mapNeedingMoreTablesThanTheBudgetFailsBeforeBuildingAny()
    {
        try (DmaDomain domain = DmaDomain.builder().maxTables(64).blockMappings(false).build())
        {
            final int tablesBefore = domain.pageTable().liveTables();

            assertEquals(DmaDomain.NO_ADDRESS, domain.map(0, 1L << 30, Protection.READ));

            assertEquals(tablesBefore, domain.pageTable().liveTables());
            assertNotEquals(DmaDomain.NO_ADDRESS, domain.map(0, 4 * MIB, Protection.READ));
        }
    }

    @Test
    void hugeMapWithDefaultsFailsWithoutBuildingAMillionTables()
    {
        try (DmaDomain domain = DmaDomain.builder().blockMappings(false).build())
        {
            assertEquals(DmaDomain.NO_ADDRESS, domain.map(0, 1L << 47, Protection.READ));

            assertEquals(1, domain.pageTable().liveTables(), "only the root");
            domain.iovaDomain().flushCaches();
            assertEquals(0, domain.iovaDomain().liveRanges());
        }
    }

    @Test
    void mapThatRunsOutHalfWayGivesBackTheTablesItBuilt()
    {
        try (DmaDomain domain = DmaDomain.builder().maxTables(64).blockMappings(false).build())
        {
            assertNotEquals(DmaDomain.NO_ADDRESS, domain.map(0, 100 * MIB, Protection.READ)); // 50 leaf tables
            final int tablesBefore = domain.pageTable().liveTables();

            assertEquals(DmaDomain.NO_ADDRESS, domain.map(0, 100 * MIB, Protection.READ)); // fits the budget alone, not now

            assertEquals(tablesBefore, domain.pageTable().liveTables());
            assertEquals(0, domain.pageTable().retiredTables());
            assertNotEquals(DmaDomain.NO_ADDRESS, domain.map(0, 4 * MIB, Protection.READ));
        }
    }

    @Test
    void pageTableMapThatRunsOutHalfWayDetachesWhatItBuiltUntilAnInvalidation()
    {
        try (IoPageTable table = new IoPageTable(12, 9, 48, 16).blockMappings(false))
        {
            assertFalse(table.map(0, 0, 40 * MIB, Protection.READ), "22 tables needed, 16 in all");
            assertEquals(1, table.liveTables(), "nothing built");
            assertTrue(table.map(0, 0, 16 * MIB, Protection.READ)); // two tables above, eight leaf tables
            assertEquals(11, table.liveTables());

            assertFalse(table.map(1L << 30, 0, 20 * MIB, Protection.READ), "11 more needed, 5 left: runs out half way");

            assertEquals(Translation.FAULT, table.translate(1L << 30));
            table.rangeInvalidated(1L << 30, 20 * MIB);
            assertEquals(12, table.liveTables(), "only the table above the range stays, as its neighbours would share it");
            assertTrue(table.map((1L << 30) + 512 * MIB, 0, 8 * MIB, Protection.READ), "the four tables left");
        }
    }
}
