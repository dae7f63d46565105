package dev.iova.dma;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;

import dev.iova.region.MsiKind;
import dev.iova.region.Protection;
import dev.iova.region.RegionType;
import dev.iova.region.ReservedRegion;
import dev.iova.region.ReservedRegionList;
import dev.iova.region.SysfsRegionReader;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a domain does with its reserved regions at creation, and MSI doorbells. */
class DmaRegionsTest
{
    private static final long PAGE = 4096;

    @Test
    void directRegionsTranslateToThemselvesWithTheirProtection()
    {
        final ReservedRegionList regions = ReservedRegionList.of(
            ReservedRegion.of(0xe8000L, 0xe8fffL, RegionType.DIRECT),
            new ReservedRegion(0x7b80_0000L, 0x7b80_ffffL, RegionType.DIRECT_RELAXABLE, Protection.READ),
            new ReservedRegion(0xbdf6_e800L, 0xbdf7_07ffL, RegionType.DIRECT, Protection.WRITE)); // not page-aligned
        try (DmaDomain domain = DmaDomain.builder().regions(regions).build())
        {
            assertEquals(new Translation(0xe8123L, Protection.READ_WRITE), domain.translation(0xe8123L));
            for (long iova = 0x7b80_0000L; iova < 0x7b81_0000L; iova += PAGE)
            {
                assertEquals(new Translation(iova + 5, Protection.READ), domain.translation(iova + 5));
            }
            assertEquals(new Translation(0xbdf6_e000L, Protection.WRITE), domain.translation(0xbdf6_e000L), "rounded outward");
            assertEquals(new Translation(0xbdf7_0fffL, Protection.WRITE), domain.translation(0xbdf7_0fffL));
            assertTrue(Translation.isFault(domain.translate(0xe7fffL)));
            assertTrue(Translation.isFault(domain.translate(0xbdf7_1000L)));
        }
    }

    @Test
    void overlappingDirectRegionsOfBothKindsGetTheUnionOfTheirProtections()
    {
        final ReservedRegionList regions = ReservedRegionList.of(
            new ReservedRegion(0x10_0000L, 0x10_2fffL, RegionType.DIRECT, Protection.READ),
            new ReservedRegion(0x10_2000L, 0x10_3fffL, RegionType.DIRECT_RELAXABLE, Protection.WRITE));
        try (DmaDomain domain = DmaDomain.builder().regions(regions).build())
        {
            assertEquals(Protection.READ, domain.translation(0x10_1000L).protection());
            assertEquals(Protection.READ_WRITE, domain.translation(0x10_2000L).protection());
            assertEquals(Protection.WRITE, domain.translation(0x10_3000L).protection());
        }
    }

    @Test
    void unmapRefusesAnIdentityMapping()
    {
        try (DmaDomain domain = DmaDomain.builder().regions(ReservedRegionList.of(
            ReservedRegion.of(0xe8000L, 0xe8fffL, RegionType.DIRECT))).build())
        {
            assertEquals("iova=0xe8000 is an identity or MSI mapping the domain made itself, not a DMA mapping",
                assertThrows(IllegalArgumentException.class, () -> domain.unmap(0xe8000L, PAGE)).getMessage());
            assertEquals(0xe8000L, Translation.phys(domain.translate(0xe8000L)));
        }
    }

    @Test
    void mapNeverReturnsAnAddressInAnyRegion()
    {
        final ReservedRegionList regions = ReservedRegionList.of(
            ReservedRegion.of(0x2000L, 0x2fffL, RegionType.DIRECT),
            ReservedRegion.of(0x5000L, 0x6fffL, RegionType.DIRECT_RELAXABLE),
            ReservedRegion.of(0x10_0000L, 0x1f_ffffL, RegionType.RESERVED),
            ReservedRegion.of(0x30_0000L, 0x30_ffffL, RegionType.MSI),
            ReservedRegion.of(0x38_0000L, 0x38_ffffL, RegionType.SW_MSI));
        final long apertureEnd = 0x40_0000L - 1;
        try (DmaDomain domain = DmaDomain.builder().aperture(0, apertureEnd).regions(regions).build())
        {
            long mapped = 0;
            while (true)
            {
                final long dma = domain.map(0x1_0000_0000L + mapped * PAGE, PAGE, Protection.READ_WRITE);
                if (dma == DmaDomain.NO_ADDRESS)
                {
                    break;
                }
                for (final ReservedRegion region : regions.regions())
                {
                    assertFalse(region.range().contains(dma), () -> "dma=0x" + Long.toHexString(dma) + " is in " + region);
                }
                mapped++;
            }
            final long regionPages = 1 + 2 + 256 + 16 + 16;
            assertEquals(apertureEnd / PAGE + 1 - 1 - regionPages, mapped, "every other page but pfn 0 was handed out");
        }
    }

    @Test
    void mapWorksWithRegionsReadFromAnX86Host() throws IOException
    {
        final ReservedRegionList regions = new SysfsRegionReader(MsiKind.HARDWARE).read(sample("x86-host/iommu_groups"));
        try (DmaDomain domain = DmaDomain.builder().regions(regions).build())
        {
            for (final ReservedRegion region : regions.regionsOfType(RegionType.DIRECT))
            {
                assertEquals(region.startByte(), Translation.phys(domain.translate(region.startByte())));
                assertEquals(region.endByte(), Translation.phys(domain.translate(region.endByte())));
            }
            assertTrue(Translation.isFault(domain.translate(0xfee0_0000L)), "the hardware MSI window is not mapped");
            final DmaDevice device = domain.device(32);
            for (int i = 0; i < 1000; i++)
            {
                final long dma = device.map(i * PAGE, 16 * PAGE, Protection.READ);
                for (final ReservedRegion region : regions.regions())
                {
                    assertFalse(region.range().overlaps(dma, dma + 16 * PAGE - 1), () -> "dma=0x" + Long.toHexString(dma));
                }
            }
        }
    }

    @Test
    void msiDoorbellsOfOnePageShareOneIovaInTheWindow() throws IOException
    {
        final ReservedRegionList regions = new SysfsRegionReader(MsiKind.SOFTWARE).read(sample("arm-host/iommu_groups"));
        final SimulatedIotlb iotlb = new SimulatedIotlb();
        try (DmaDomain domain = DmaDomain.builder().regions(regions).iotlb(iotlb).build())
        {
            final long first = domain.mapMsi(0x2_0000_0040L);
            final long second = domain.mapMsi(0x2_0000_0040L);
            final long samePage = domain.mapMsi(0x2_0000_0f00L);
            final long otherPage = domain.mapMsi(0x2_0000_1040L);

            assertEquals(first, second);
            assertEquals(first + 0xec0, samePage);
            assertNotEquals(first & ~(PAGE - 1), otherPage & ~(PAGE - 1));
            for (final long msi : new long[] {first, otherPage})
            {
                assertTrue(msi >= 0x800_0000L && msi <= 0x80f_ffffL, () -> "msi=0x" + Long.toHexString(msi) + " is in the sw-msi window");
            }
            assertEquals(new Translation(0x2_0000_0040L, Protection.WRITE), domain.translation(first));
            assertEquals(2, domain.msiPages());
            assertEquals(0x40, first & (PAGE - 1), "the doorbell's offset is kept");

            domain.unmapMsi(first);
            domain.unmapMsi(second);
            assertFalse(Translation.isFault(domain.translate(first)), "one user is left");
            domain.unmapMsi(samePage);
            assertTrue(Translation.isFault(domain.translate(first)));
            assertEquals(1, iotlb.rangeInvalidations(), "the last unmap invalidates before the page can be reused");
            assertEquals("iova=0x" + Long.toHexString(first) + " is not a mapped MSI doorbell",
                assertThrows(IllegalArgumentException.class, () -> domain.unmapMsi(first)).getMessage());
            assertThrows(IllegalArgumentException.class, () -> domain.unmap(otherPage, 0x10), "an MSI page is not a DMA mapping");
            assertEquals(1, domain.msiPages());
        }
    }

    @Test
    void mapMsiReturnsNoAddressWhenTheWindowIsFull()
    {
        try (DmaDomain domain = DmaDomain.builder().regions(ReservedRegionList.of(
            ReservedRegion.of(0x800_0000L, 0x800_1fffL, RegionType.SW_MSI))).build())
        {
            assertNotEquals(DmaDomain.NO_ADDRESS, domain.mapMsi(0xfee0_0000L));
            assertNotEquals(DmaDomain.NO_ADDRESS, domain.mapMsi(0xfee0_1000L));
            assertEquals(DmaDomain.NO_ADDRESS, domain.mapMsi(0xfee0_2000L));
            assertNotEquals(DmaDomain.NO_ADDRESS, domain.mapMsi(0xfee0_1004L), "a page already there is shared");
        }
    }

    @Test
    void mapMsiWithoutASoftwareMsiWindowThrows()
    {
        try (DmaDomain domain = DmaDomain.builder().regions(ReservedRegionList.of(
            ReservedRegion.of(0xfee0_0000L, 0xfeef_ffffL, RegionType.MSI))).build())
        {
            assertEquals("no software-MSI window: the domain's reserved regions have no sw-msi region within the IOVA space (1 regions)",
                assertThrows(IllegalStateException.class, () -> domain.mapMsi(0xfee0_0000L)).getMessage());
        }
    }

    private static Path sample(final String relativePath)
    {
        try
        {
            return Path.of(DmaRegionsTest.class.getResource("/regions").toURI()).resolve(relativePath);
        }
        catch (final URISyntaxException ex)
        {
            throw new IllegalStateException(ex);
        }
    }
}
