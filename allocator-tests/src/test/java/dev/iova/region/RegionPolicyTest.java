package dev.iova.region;

import dev.iova.IovaDomain;
import dev.iova.IovaRange;
import dev.iova.RegionCarving;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link RegionPolicy}: the same regions carve differently for the DMA layer (every type but
 * software MSI; direct ones identity-mapped) and for VFIO/iommufd (every type but
 * direct-relaxable), in {@link RegionCarving} and in usable ranges alike.
 */
class RegionPolicyTest
{
    /** One region of each type, one page each at 4 KiB, pfns 0x10, 0x20, ..., 0x50 in type order. */
    private static final ReservedRegionList ONE_OF_EACH = ReservedRegionList.of(
        ReservedRegion.of(0x10000, 0x10fff, RegionType.DIRECT),
        ReservedRegion.of(0x20000, 0x20fff, RegionType.DIRECT_RELAXABLE),
        ReservedRegion.of(0x30000, 0x30fff, RegionType.RESERVED),
        ReservedRegion.of(0x40000, 0x40fff, RegionType.MSI),
        ReservedRegion.of(0x50000, 0x50fff, RegionType.SW_MSI));

    @Test
    void dmaLayerExcludesEveryTypeButSoftwareMsiAndIdentityMapsDirectOnes()
    {
        assertEquals(EnumSet.complementOf(EnumSet.of(RegionType.SW_MSI)), excluded(RegionPolicy.DMA_LAYER));
        assertEquals(EnumSet.of(RegionType.DIRECT, RegionType.DIRECT_RELAXABLE), identityMapped(RegionPolicy.DMA_LAYER));
    }

    @Test
    void vfioExcludesEveryTypeButDirectRelaxableAndMapsNothing()
    {
        assertEquals(EnumSet.complementOf(EnumSet.of(RegionType.DIRECT_RELAXABLE)), excluded(RegionPolicy.VFIO));
        assertEquals(EnumSet.noneOf(RegionType.class), identityMapped(RegionPolicy.VFIO));
    }

    @Test
    void carvingReservesWhatThePolicyExcludes()
    {
        assertEquals(List.of(reserved(0x10, 0x10), reserved(0x20, 0x20), reserved(0x30, 0x30), reserved(0x40, 0x40)),
            carved(RegionPolicy.DMA_LAYER));
        assertEquals(List.of(reserved(0x10, 0x10), reserved(0x30, 0x30), reserved(0x40, 0x40), reserved(0x50, 0x50)),
            carved(RegionPolicy.VFIO));
        assertEquals(5, carved(null).size(), "without a policy every type is carved");
    }

    @Test
    void pfnRangesAndCarveAgreeUnderEachPolicy()
    {
        for (final RegionPolicy policy : RegionPolicy.values())
        {
            try (IovaDomain domain = IovaDomain.builder().startPfn(1).lastPfn(0xff).build())
            {
                final List<IovaRange> planned = RegionCarving.pfnRanges(domain, ONE_OF_EACH, policy);
                RegionCarving.carve(domain, ONE_OF_EACH, policy);
                assertEquals(planned, ranges(domain), policy.word());
            }
        }
    }

    @Test
    void usableRangesAreTheApertureMinusWhatThePolicyExcludes()
    {
        assertEquals(List.of(new ByteRange(0, 0xffff), new ByteRange(0x11000, 0x1ffff), new ByteRange(0x21000, 0x2ffff),
                new ByteRange(0x31000, 0x3ffff), new ByteRange(0x41000, 0xfffff)),
            ONE_OF_EACH.usableRanges(RegionPolicy.DMA_LAYER, 0, 0xfffff));
        assertEquals(List.of(new ByteRange(0, 0xffff), new ByteRange(0x11000, 0x2ffff), new ByteRange(0x31000, 0x3ffff),
                new ByteRange(0x41000, 0x4ffff), new ByteRange(0x51000, 0xfffff)),
            ONE_OF_EACH.usableRanges(RegionPolicy.VFIO, 0, 0xfffff));
        assertEquals(ONE_OF_EACH.usableRanges(RegionPolicy.VFIO, 0, 0xfffff), ONE_OF_EACH.usableRanges(0, 0xfffff),
            "the policy-less usableRanges is VFIO's");
    }

    @Test
    void carvingUnderAPolicyOverALiveAllocationChangesNothingAndNamesThePolicy()
    {
        try (IovaDomain domain = IovaDomain.builder().startPfn(1).lastPfn(0xff).build())
        {
            assertEquals(dev.iova.AllocAtOutcome.PLACED, domain.allocAt(0x30, 1));
            final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> RegionCarving.carve(domain, ONE_OF_EACH, RegionPolicy.VFIO));
            assertTrue(ex.getMessage().contains("under the vfio policy, nothing was reserved"), ex.getMessage());
            assertEquals(List.of(new IovaRange(0x30, 0x30, false)), ranges(domain));
        }
    }

    @Test
    void policyWordsAreReadInAnyCaseAndUnknownOnesNamed()
    {
        assertEquals(RegionPolicy.DMA_LAYER, RegionPolicy.byWord("DMA"));
        assertEquals(RegionPolicy.VFIO, RegionPolicy.byWord("vfio"));
        assertEquals("policy 'iommufd' is neither dma (the DMA layer's) nor vfio (VFIO's and iommufd's)",
            assertThrows(IllegalArgumentException.class, () -> RegionPolicy.byWord("iommufd")).getMessage());
    }

    private static EnumSet<RegionType> excluded(final RegionPolicy policy)
    {
        final EnumSet<RegionType> types = EnumSet.noneOf(RegionType.class);
        for (final RegionType type : RegionType.values())
        {
            if (policy.excludes(type))
            {
                types.add(type);
            }
        }
        return types;
    }

    private static EnumSet<RegionType> identityMapped(final RegionPolicy policy)
    {
        final EnumSet<RegionType> types = EnumSet.noneOf(RegionType.class);
        for (final RegionType type : RegionType.values())
        {
            if (policy.identityMaps(type))
            {
                types.add(type);
            }
        }
        return types;
    }

    private static List<IovaRange> carved(final RegionPolicy policy)
    {
        try (IovaDomain domain = IovaDomain.builder().startPfn(1).lastPfn(0xff).build())
        {
            RegionCarving.carve(domain, ONE_OF_EACH, policy);
            return ranges(domain);
        }
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
}
