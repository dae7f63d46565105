package dev.iova.region;

import static dev.iova.region.RegionSamples.sample;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iova.IovaDomain;
import dev.iova.IovaRange;
import dev.iova.RegionCarving;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/** {@link RegionCarving}: regions rounded outward to pfns, clipped, reserved all or nothing. */
class RegionCarvingTest
{
    private static final long PAGE_BYTES = 4096;

    private static ReservedRegion region(final long startByte, final long endByte, final RegionType type)
    {
        return ReservedRegion.of(startByte, endByte, type);
    }

    /** A 4 KiB-granule domain of pfns 1 to {@code lastPfn}. */
    private static IovaDomain domain(final long lastPfn)
    {
        return IovaDomain.builder().granuleBytes(PAGE_BYTES).startPfn(1).lastPfn(lastPfn).build();
    }

    private static List<IovaRange> ranges(final IovaDomain domain)
    {
        final List<IovaRange> ranges = new ArrayList<>();
        domain.forEachRange((loPfn, hiPfn, reserved) -> ranges.add(new IovaRange(loPfn, hiPfn, reserved)));
        return ranges;
    }

    private static IovaRange reserved(final long loPfn, final long hiPfn)
    {
        return new IovaRange(loPfn, hiPfn, true);
    }

    @Test
    void shouldRoundRegionOutwardToWholePfns()
    {
        try (IovaDomain domain = domain(0xff))
        {
            RegionCarving.carve(domain, ReservedRegionList.of(region(0x1800, 0x2800, RegionType.RESERVED)));

            assertEquals(List.of(reserved(1, 2)), ranges(domain));
        }
    }

    @Test
    void shouldReserveWholePageForOneByteRegion()
    {
        try (IovaDomain domain = domain(0xff))
        {
            RegionCarving.carve(domain, ReservedRegionList.of(region(0x5fff, 0x5fff, RegionType.MSI)));

            assertEquals(List.of(reserved(5, 5)), ranges(domain));
        }
    }

    @Test
    void shouldClipRegionsToDomainAndDropWhatLiesOutside()
    {
        try (IovaDomain domain = domain(0xff))
        {
            final ReservedRegionList regions = ReservedRegionList.of(
                region(0x0, 0xfff, RegionType.RESERVED),             // pfn 0: below startPfn, dropped
                region(0x0, 0x1fff, RegionType.MSI),                 // pfns 0-1: clipped to 1
                region(0xff000, 0x100fff, RegionType.DIRECT),        // pfns 0xff-0x100: clipped to 0xff
                region(0x200000, 0x2fffff, RegionType.RESERVED),     // beyond lastPfn, dropped
                region(0xfffffffffffff000L, -1L, RegionType.RESERVED)); // top of the 64-bit space, dropped

            final int pfnRanges = RegionCarving.carve(domain, regions);

            assertEquals(2, pfnRanges);
            assertEquals(List.of(reserved(1, 1), reserved(0xff, 0xff)), ranges(domain));
        }
    }

    @Test
    void shouldCarveEveryTypeIncludingDirectRelaxableAndSoftwareMsi()
    {
        try (IovaDomain domain = domain(0xff))
        {
            final List<ReservedRegion> regions = new ArrayList<>();
            long pfn = 0x10;
            for (final RegionType type : RegionType.values())
            {
                regions.add(region(pfn * PAGE_BYTES, pfn * PAGE_BYTES + PAGE_BYTES - 1, type));
                pfn += 0x10;
            }

            RegionCarving.carve(domain, ReservedRegionList.of(regions));

            assertEquals(
                List.of(reserved(0x10, 0x10), reserved(0x20, 0x20), reserved(0x30, 0x30), reserved(0x40, 0x40), reserved(0x50, 0x50)),
                ranges(domain));
        }
    }

    @Test
    void shouldMergeOverlappingAndTouchingRegionsOfAnyTypeIntoOnePfnRange()
    {
        try (IovaDomain domain = domain(0xfffff))
        {
            final ReservedRegionList regions = ReservedRegionList.of(
                region(0x8000000, 0x80fffff, RegionType.SW_MSI),
                region(0x8000000, 0xbffffff, RegionType.RESERVED),
                region(0xc000000, 0xc000fff, RegionType.DIRECT),
                region(0xc001800, 0xc0018ff, RegionType.MSI));

            assertEquals(List.of(reserved(0x8000, 0xc001)), RegionCarving.pfnRanges(domain, regions));
        }
    }

    @Test
    void shouldRoundTheX86SampleToItsPfns() throws IOException
    {
        final ReservedRegionList x86 = new SysfsRegionReader(MsiKind.HARDWARE).read(sample("x86-host/iommu_groups"));
        try (IovaDomain domain = domain(0xfffffffffL))
        {
            assertEquals(List.of(
                reserved(0xe8, 0xe8),
                reserved(0xf4, 0xf4),
                reserved(0x7b800, 0x7ffff),
                reserved(0xbdf6e, 0xbdf8e),
                reserved(0xfee00, 0xfeeff)), RegionCarving.pfnRanges(domain, x86));
        }
    }

    @Test
    void shouldChangeNothingWhenCarvedTwice() throws IOException
    {
        final ReservedRegionList arm = new SysfsRegionReader(MsiKind.SOFTWARE).read(sample("arm-host/iommu_groups"));
        try (IovaDomain domain = domain(0xfffffffffL))
        {
            RegionCarving.carve(domain, arm);
            final List<IovaRange> once = ranges(domain);
            final long reservedOnce = domain.reservedRanges();

            RegionCarving.carve(domain, arm);

            assertEquals(once, ranges(domain));
            assertEquals(reservedOnce, domain.reservedRanges());
            assertEquals(List.of(reserved(0x8000, 0x80ff), reserved(0x40000, 0x5ffff), reserved(0x8000000, 0xbffffff)), once);
            domain.verify();
        }
    }

    @Test
    void shouldRejectRegionOverlappingLiveAllocationAndReserveNothing()
    {
        try (IovaDomain domain = domain(0xff))
        {
            final long pfn = domain.alloc(1, 0xff, false);
            assertEquals(0xff, pfn);
            final ReservedRegionList regions = ReservedRegionList.of(
                region(0x10000, 0x10fff, RegionType.RESERVED),
                region(0xff800, 0xff8ff, RegionType.MSI));

            final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> RegionCarving.carve(domain, regions));

            assertTrue(ex.getMessage().startsWith("cannot carve 2 reserved regions into IovaDomain{"), ex.getMessage());
            assertTrue(ex.getMessage().contains("nothing was reserved"), ex.getMessage());
            assertEquals(List.of(new IovaRange(0xff, 0xff, false)), ranges(domain));
            assertEquals(0, domain.reservedRanges());
            assertEquals(1, domain.liveRanges());
        }
    }

    @Test
    void shouldNeverHandOutCarvedAddresses()
    {
        try (IovaDomain domain = domain(0x3f))
        {
            final ReservedRegionList regions = ReservedRegionList.of(
                region(0x3000, 0x4fff, RegionType.DIRECT),
                region(0x10800, 0x10800, RegionType.MSI),
                region(0x3e000, 0x3ffff, RegionType.RESERVED));
            RegionCarving.carve(domain, regions);

            int allocated = 0;
            for (long pfn = domain.alloc(1, 0x3f, false); pfn != IovaDomain.NO_ADDRESS; pfn = domain.alloc(1, 0x3f, false))
            {
                assertFalse(pfn == 3 || pfn == 4 || pfn == 0x10 || pfn == 0x3e || pfn == 0x3f, "handed out carved pfn 0x" + Long.toHexString(pfn));
                allocated++;
            }
            assertEquals(0x3f - 5, allocated);
        }
    }

    @Test
    void shouldCompareUnsignedPfnsWithByteGranule()
    {
        // With a 1-byte granule, byte addresses with the top bit set are pfns that are negative as
        // signed longs: a signed comparison would take them for pfns below startPfn.
        try (IovaDomain domain = IovaDomain.builder().granuleBytes(1).startPfn(1).lastPfn(IovaDomain.MAX_PFN).build())
        {
            final ReservedRegionList regions = ReservedRegionList.of(
                region(0x1000, 0xffffffffffffffffL, RegionType.DIRECT),
                region(IovaDomain.MAX_PFN - 0xfff, 0x8000000000000fffL, RegionType.RESERVED),
                region(0xfffffffffffff000L, 0xffffffffffffffffL, RegionType.MSI));

            assertEquals(List.of(reserved(0x1000, IovaDomain.MAX_PFN)), RegionCarving.pfnRanges(domain, regions));
            assertEquals(
                List.of(reserved(IovaDomain.MAX_PFN - 0xfff, IovaDomain.MAX_PFN)),
                RegionCarving.pfnRanges(domain, ReservedRegionList.of(regions.regions().subList(1, 3))));
        }
    }

    @Test
    void shouldCarveNothingFromEmptyList()
    {
        try (IovaDomain domain = domain(0xff))
        {
            assertEquals(0, RegionCarving.carve(domain, ReservedRegionList.empty()));
            assertTrue(ranges(domain).isEmpty());
        }
    }
}
