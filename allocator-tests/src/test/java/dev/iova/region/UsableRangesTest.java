package dev.iova.region;

import static dev.iova.region.RegionType.DIRECT;
import static dev.iova.region.RegionType.DIRECT_RELAXABLE;
import static dev.iova.region.RegionType.MSI;
import static dev.iova.region.RegionType.RESERVED;
import static dev.iova.region.RegionType.SW_MSI;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

/** Usable ranges as VFIO reports them, and their reverse. */
class UsableRangesTest
{
    private static final long TOP = 0xffffffffffffffffL;
    private static final long APERTURE_48_BIT = 0xffffffffffffL;

    private static ReservedRegion region(final long startByte, final long endByte, final RegionType type)
    {
        return ReservedRegion.of(startByte, endByte, type);
    }

    private static ByteRange range(final long startByte, final long endByte)
    {
        return new ByteRange(startByte, endByte);
    }

    @Test
    void shouldReturnWholeApertureWhenThereAreNoRegions()
    {
        assertEquals(List.of(range(0x1000, 0xffff)), ReservedRegionList.empty().usableRanges(0x1000, 0xffff));
    }

    @Test
    void shouldExcludeX86MsiWindow()
    {
        final ReservedRegionList list = ReservedRegionList.of(region(0xfee00000L, 0xfeefffffL, MSI));

        assertEquals(
            List.of(range(0x0, 0xfedfffffL), range(0xfef00000L, APERTURE_48_BIT)),
            list.usableRanges(0x0, APERTURE_48_BIT));
    }

    @Test
    void shouldExcludeRegionAtApertureStart()
    {
        final ReservedRegionList list = ReservedRegionList.of(region(0x0, 0xfff, RESERVED));

        assertEquals(List.of(range(0x1000, 0xffff)), list.usableRanges(0x0, 0xffff));
    }

    @Test
    void shouldExcludeRegionAtApertureEnd()
    {
        final ReservedRegionList list = ReservedRegionList.of(region(0xf000, 0xffff, RESERVED));

        assertEquals(List.of(range(0x0, 0xefff)), list.usableRanges(0x0, 0xffff));
    }

    @Test
    void shouldClipRegionsStraddlingApertureEdges()
    {
        final ReservedRegionList list = ReservedRegionList.of(region(0x0, 0x1fff, RESERVED), region(0xf000, 0x1ffff, MSI));

        assertEquals(List.of(range(0x2000, 0xefff)), list.usableRanges(0x1000, 0xffff));
    }

    @Test
    void shouldIgnoreRegionsBeyondAperture()
    {
        final ReservedRegionList list = ReservedRegionList.of(
            region(0x0, 0xfff, RESERVED), region(0x10000, 0x1ffff, MSI), region(0xffffffff00000000L, TOP, RESERVED));

        assertEquals(List.of(range(0x1000, 0xffff)), list.usableRanges(0x1000, 0xffff));
    }

    @Test
    void shouldIgnoreDirectRelaxableRegions()
    {
        final ReservedRegionList list = ReservedRegionList.of(
            region(0x7b800000L, 0x7fffffffL, DIRECT_RELAXABLE), region(0xe8000, 0xe8fff, DIRECT));

        assertEquals(
            List.of(range(0x0, 0xe7fff), range(0xe9000, APERTURE_48_BIT)),
            list.usableRanges(0x0, APERTURE_48_BIT));
    }

    @Test
    void shouldExcludeEveryOtherType()
    {
        for (final RegionType type : RegionType.values())
        {
            final ReservedRegionList list = ReservedRegionList.of(region(0x1000, 0x1fff, type));
            final List<ByteRange> expected = type == DIRECT_RELAXABLE ?
                List.of(range(0x0, 0xffff)) : List.of(range(0x0, 0xfff), range(0x2000, 0xffff));

            assertEquals(expected, list.usableRanges(0x0, 0xffff), type.sysfsWord());
        }
    }

    @Test
    void shouldExcludeOverlappingRegionsOfDifferentTypesAsOneHole()
    {
        final ReservedRegionList list = ReservedRegionList.of(
            region(0x2000, 0x5fff, RESERVED), region(0x3000, 0x3fff, SW_MSI), region(0x5000, 0x6fff, DIRECT));

        assertEquals(List.of(range(0x0, 0x1fff), range(0x7000, 0xffff)), list.usableRanges(0x0, 0xffff));
    }

    @Test
    void shouldReturnNothingWhenRegionsCoverAperture()
    {
        final ReservedRegionList list = ReservedRegionList.of(region(0x0, 0x7fff, RESERVED), region(0x8000, 0xffff, MSI));

        assertTrue(list.usableRanges(0x0, 0xffff).isEmpty());
        assertTrue(list.usableRanges(0x4000, 0x4000).isEmpty());
    }

    @Test
    void shouldHandleApertureEndingAtTopOfAddressSpace()
    {
        final ReservedRegionList list = ReservedRegionList.of(
            region(0x7ffffffffffff000L, 0x8000000000000fffL, RESERVED), region(0xfffffffffffff000L, TOP, MSI));

        assertEquals(
            List.of(range(0x0, 0x7fffffffffffefffL), range(0x8000000000001000L, 0xffffffffffffefffL)),
            list.usableRanges(0x0, TOP));
        assertEquals(List.of(range(0x0, TOP)), ReservedRegionList.empty().usableRanges(0x0, TOP));
    }

    @Test
    void shouldRejectApertureEndingBelowItsStart()
    {
        final IllegalArgumentException ex = assertThrows(
            IllegalArgumentException.class, () -> ReservedRegionList.empty().usableRanges(0x2000, 0x1fff));

        assertEquals("apertureEndByte=0x1fff is below apertureStartByte=0x2000", ex.getMessage());
    }

    @Test
    void shouldTurnUsableRangesIntoReservedComplement()
    {
        final ReservedRegionList list = ReservedRegionList.fromUsableRanges(
            List.of(range(0x8000, 0xbfff), range(0x1000, 0x3fff)), 0x0, 0xffff);

        assertEquals(List.of(
            region(0x0, 0xfff, RESERVED),
            region(0x4000, 0x7fff, RESERVED),
            region(0xc000, 0xffff, RESERVED)), list.regions());
        assertEquals(List.of(range(0x1000, 0x3fff), range(0x8000, 0xbfff)), list.usableRanges(0x0, 0xffff));
    }

    @Test
    void shouldMergeOverlappingAndTouchingUsableRanges()
    {
        final ReservedRegionList list = ReservedRegionList.fromUsableRanges(
            List.of(range(0x1000, 0x2fff), range(0x2000, 0x3fff), range(0x4000, 0x4fff), range(0x2800, 0x28ff)), 0x0, 0xffff);

        assertEquals(List.of(region(0x0, 0xfff, RESERVED), region(0x5000, 0xffff, RESERVED)), list.regions());
    }

    @Test
    void shouldReserveWholeApertureWhenNothingIsUsable()
    {
        assertEquals(
            List.of(region(0x1000, 0xffff, RESERVED)),
            ReservedRegionList.fromUsableRanges(List.of(), 0x1000, 0xffff).regions());
    }

    @Test
    void shouldReserveNothingWhenWholeApertureIsUsable()
    {
        assertTrue(ReservedRegionList.fromUsableRanges(List.of(range(0x0, TOP)), 0x1000, 0xffff).isEmpty());
        assertTrue(ReservedRegionList.fromUsableRanges(List.of(range(0x0, TOP)), 0x0, TOP).isEmpty());
    }

    @Test
    void shouldIgnoreUsableRangesOutsideAperture()
    {
        final ReservedRegionList list = ReservedRegionList.fromUsableRanges(
            List.of(range(0x0, 0x1fff), range(0x20000, 0x2ffff), range(0xf000, 0x10fff)), 0x1000, 0xffff);

        assertEquals(List.of(region(0x2000, 0xefff, RESERVED)), list.regions());
    }

    @Test
    void shouldComplementUpToTopOfAddressSpace()
    {
        final ReservedRegionList list = ReservedRegionList.fromUsableRanges(
            List.of(range(0x1000, 0x7fffffffffffffffL)), 0x0, TOP);

        assertEquals(List.of(region(0x0, 0xfff, RESERVED), region(0x8000000000000000L, TOP, RESERVED)), list.regions());
    }
}
