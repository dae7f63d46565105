package dev.iova.region;

import static dev.iova.region.RegionType.DIRECT;
import static dev.iova.region.RegionType.DIRECT_RELAXABLE;
import static dev.iova.region.RegionType.MSI;
import static dev.iova.region.RegionType.RESERVED;
import static dev.iova.region.RegionType.SW_MSI;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

/** The merge rule of {@link ReservedRegionList}: Linux's {@code iommu_insert_resv_region}. */
class ReservedRegionListTest
{
    private static ReservedRegion region(final long startByte, final long endByte, final RegionType type)
    {
        return ReservedRegion.of(startByte, endByte, type);
    }

    @Test
    void shouldMergeTouchingRegionsOfSameType()
    {
        final ReservedRegionList list = ReservedRegionList.of(
            region(0x1000, 0x1fff, RESERVED),
            region(0x2000, 0x2fff, RESERVED));

        assertEquals(List.of(region(0x1000, 0x2fff, RESERVED)), list.regions());
    }

    @Test
    void shouldNotMergeRegionsOfSameTypeOneByteApart()
    {
        final ReservedRegionList list = ReservedRegionList.of(
            region(0x1000, 0x1fff, RESERVED),
            region(0x2001, 0x2fff, RESERVED));

        assertEquals(2, list.size());
    }

    @Test
    void shouldMergeOverlappingRegionsOfSameType()
    {
        final ReservedRegionList list = ReservedRegionList.of(
            region(0x40000000L, 0x4fffffffL, RESERVED),
            region(0x48000000L, 0x57ffffffL, RESERVED));

        assertEquals(List.of(region(0x40000000L, 0x57ffffffL, RESERVED)), list.regions());
    }

    @Test
    void shouldSwallowNestedRegionOfSameType()
    {
        final ReservedRegionList list = ReservedRegionList.of(
            region(0x1000, 0x8fff, DIRECT),
            region(0x3000, 0x3fff, DIRECT));

        assertEquals(List.of(region(0x1000, 0x8fff, DIRECT)), list.regions());
    }

    @Test
    void shouldMergeChainOfRegionsIntoOne()
    {
        final ReservedRegionList list = ReservedRegionList.of(
            region(0x5000, 0x5fff, MSI),
            region(0x1000, 0x1fff, MSI),
            region(0x3000, 0x4fff, MSI),
            region(0x2000, 0x2fff, MSI));

        assertEquals(List.of(region(0x1000, 0x5fff, MSI)), list.regions());
    }

    @Test
    void shouldKeepOverlappingRegionsOfDifferentTypesApart()
    {
        final ReservedRegionList list = ReservedRegionList.of(
            region(0x08000000L, 0x0fffffffL, RESERVED),
            region(0x08000000L, 0x080fffffL, SW_MSI),
            region(0x0c000000L, 0x0c000fffL, DIRECT));

        assertEquals(List.of(
            region(0x08000000L, 0x0fffffffL, RESERVED),
            region(0x08000000L, 0x080fffffL, SW_MSI),
            region(0x0c000000L, 0x0c000fffL, DIRECT)), list.regions());
    }

    @Test
    void shouldNotMergeTouchingRegionsOfDifferentTypes()
    {
        final ReservedRegionList list = ReservedRegionList.of(
            region(0x1000, 0x1fff, DIRECT),
            region(0x2000, 0x2fff, DIRECT_RELAXABLE));

        assertEquals(2, list.size());
    }

    @Test
    void shouldMergeSameTypeAcrossRegionOfAnotherTypeInBetween()
    {
        final ReservedRegionList list = ReservedRegionList.of(
            region(0x1000, 0x2fff, RESERVED),
            region(0x2000, 0x2fff, MSI),
            region(0x3000, 0x3fff, RESERVED));

        assertEquals(List.of(region(0x1000, 0x3fff, RESERVED), region(0x2000, 0x2fff, MSI)), list.regions());
    }

    @Test
    void shouldSortByStartThenByTypeOrder()
    {
        final ReservedRegionList list = ReservedRegionList.of(
            region(0x3000, 0x3fff, DIRECT),
            region(0x1000, 0x1fff, SW_MSI),
            region(0x1000, 0x1fff, DIRECT),
            region(0x1000, 0x1fff, MSI));

        assertEquals(List.of(
            region(0x1000, 0x1fff, DIRECT),
            region(0x1000, 0x1fff, MSI),
            region(0x1000, 0x1fff, SW_MSI),
            region(0x3000, 0x3fff, DIRECT)), list.regions());
    }

    @Test
    void shouldGiveSameListForAnyInsertionOrder()
    {
        final List<ReservedRegion> regions = new ArrayList<>(List.of(
            region(0x0, 0xfff, RESERVED),
            region(0x800, 0x17ff, RESERVED),
            region(0x1800, 0x1fff, RESERVED),
            region(0x1000, 0x1fff, MSI),
            region(0x1000, 0x1fff, DIRECT),
            region(0x1400, 0x14ff, DIRECT),
            region(0x2000, 0x2fff, DIRECT),
            region(0x5000, 0x5fff, DIRECT_RELAXABLE)));
        final ReservedRegionList expected = ReservedRegionList.of(regions);

        final Random random = new Random(42);
        for (int round = 0; round < 200; round++)
        {
            Collections.shuffle(regions, random);
            ReservedRegionList oneByOne = ReservedRegionList.empty();
            for (final ReservedRegion region : regions)
            {
                oneByOne = oneByOne.with(region);
            }
            assertEquals(expected, oneByOne, "order " + regions);
            assertEquals(expected, ReservedRegionList.of(regions), "order " + regions);
        }
    }

    @Test
    void shouldCompareAddressesUnsigned()
    {
        final ReservedRegionList list = ReservedRegionList.of(
            region(0x8000000000000000L, 0x8000000000000fffL, RESERVED),
            region(0x7ffffffffffff000L, 0x7fffffffffffffffL, RESERVED),
            region(0x1000, 0x1fff, RESERVED));

        assertEquals(List.of(
            region(0x1000, 0x1fff, RESERVED),
            region(0x7ffffffffffff000L, 0x8000000000000fffL, RESERVED)), list.regions());
    }

    @Test
    void shouldMergeAtTopOfAddressSpaceWithoutOverflow()
    {
        final ReservedRegionList list = ReservedRegionList.of(
            region(0xfffffffffffff000L, 0xffffffffffffffffL, MSI),
            region(0xffffffffffff0000L, 0xfffffffffffff7ffL, MSI),
            region(0x0, 0xfff, MSI));

        assertEquals(List.of(
            region(0x0, 0xfff, MSI),
            region(0xffffffffffff0000L, 0xffffffffffffffffL, MSI)), list.regions());
    }

    @Test
    void shouldKeepRegionCoveringWholeAddressSpace()
    {
        final ReservedRegionList list = ReservedRegionList.of(
            region(0x0, 0xffffffffffffffffL, RESERVED),
            region(0x1000, 0x1fff, RESERVED),
            region(0xfffffffffffff000L, 0xffffffffffffffffL, RESERVED));

        assertEquals(List.of(region(0x0, 0xffffffffffffffffL, RESERVED)), list.regions());
    }

    @Test
    void shouldUnionProtectionsWhenDirectRegionsMerge()
    {
        final ReservedRegionList list = ReservedRegionList.of(
            new ReservedRegion(0x1000, 0x1fff, DIRECT, Protection.READ),
            new ReservedRegion(0x2000, 0x2fff, DIRECT, Protection.WRITE));

        assertEquals(List.of(new ReservedRegion(0x1000, 0x2fff, DIRECT, Protection.READ_WRITE)), list.regions());
    }

    @Test
    void shouldLeaveListUnchangedWhenAddingToIt()
    {
        final ReservedRegionList before = ReservedRegionList.of(region(0x1000, 0x1fff, RESERVED));

        final ReservedRegionList after = before.with(region(0x2000, 0x2fff, RESERVED));

        assertEquals(List.of(region(0x1000, 0x1fff, RESERVED)), before.regions());
        assertEquals(List.of(region(0x1000, 0x2fff, RESERVED)), after.regions());
    }

    @Test
    void shouldMergeAcrossListsWithWithAll()
    {
        final ReservedRegionList group0 = ReservedRegionList.of(region(0x1000, 0x1fff, DIRECT), region(0xfee00000L, 0xfeefffffL, MSI));
        final ReservedRegionList group1 = ReservedRegionList.of(region(0x2000, 0x2fff, DIRECT), region(0xfee00000L, 0xfeefffffL, MSI));

        assertEquals(
            List.of(region(0x1000, 0x2fff, DIRECT), region(0xfee00000L, 0xfeefffffL, MSI)),
            group0.withAll(group1).regions());
        assertSame(group0, group0.withAll(ReservedRegionList.empty()));
    }

    @Test
    void shouldRefuseToBeModified()
    {
        final ReservedRegionList list = ReservedRegionList.of(region(0x1000, 0x1fff, RESERVED));

        assertThrows(UnsupportedOperationException.class, () -> list.regions().add(region(0x0, 0x1, RESERVED)));
        assertThrows(UnsupportedOperationException.class, () -> list.regions().set(0, region(0x0, 0x1, RESERVED)));
    }

    @Test
    void shouldNotBeChangedByChangingTheArrayItWasBuiltFrom()
    {
        final ReservedRegion[] regions = {region(0x1000, 0x1fff, RESERVED)};
        final ReservedRegionList list = ReservedRegionList.of(regions);

        regions[0] = region(0x5000, 0x5fff, MSI);

        assertEquals(List.of(region(0x1000, 0x1fff, RESERVED)), list.regions());
    }

    @Test
    void shouldListRegionsOfOneType()
    {
        final ReservedRegionList list = ReservedRegionList.of(
            region(0x1000, 0x1fff, DIRECT), region(0x1000, 0x1fff, MSI), region(0x3000, 0x3fff, DIRECT));

        assertEquals(List.of(region(0x1000, 0x1fff, DIRECT), region(0x3000, 0x3fff, DIRECT)), list.regionsOfType(DIRECT));
        assertTrue(list.regionsOfType(SW_MSI).isEmpty());
    }

    @Test
    void shouldPrintInSysfsFormat()
    {
        final ReservedRegionList list = ReservedRegionList.of(
            region(0xfee00000L, 0xfeefffffL, MSI), region(0x08000000L, 0x080fffffL, SW_MSI));

        assertEquals(
            "0x0000000008000000 0x00000000080fffff sw-msi\n0x00000000fee00000 0x00000000feefffff msi\n",
            list.toSysfsText());
    }

    @Test
    void shouldRejectNullRegion()
    {
        assertThrows(NullPointerException.class, () -> ReservedRegionList.of(Arrays.asList(region(0, 1, MSI), null)));
        assertThrows(NullPointerException.class, () -> ReservedRegionList.empty().with(null));
    }
}
