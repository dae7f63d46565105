package dev.iova;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/** The placement API's contract: bad arguments, defaults, the iommufd alignment rule, the order of allocAt's outcomes. */
class PlacementApiTest
{
    private static IovaDomain domain()
    {
        return IovaDomain.builder().lastPfn(0xfff).maxCachedPages(0).build();
    }

    @Test
    void badArgumentsNameTheirValuesAndChangeNothing()
    {
        try (IovaDomain domain = domain())
        {
            assertTrue(assertThrows(IllegalArgumentException.class, () -> domain.alloc(1, 0xfff, 3, Fit.HIGHEST))
                .getMessage().contains("alignPages=3"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> domain.alloc(1, 0xfff, 0, Fit.LOWEST))
                .getMessage().contains("alignPages=0"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> domain.alloc(1, 0xfff, 1, null))
                .getMessage().contains("fit is null"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> domain.alloc(0, 0xfff, 1, Fit.BEST))
                .getMessage().contains("pages=0"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> domain.allocAt(0x10, 0))
                .getMessage().contains("pages=0"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> domain.allow(0x20, 0x10))
                .getMessage().contains("hiPfn is below loPfn"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> domain.allow(0x10, 0x1000))
                .getMessage().contains("outside the domain"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> domain.reserve(0, 0x10, "dev"))
                .getMessage().contains("outside the domain"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> domain.unreserve(null))
                .getMessage().contains("owner is null"));
            assertThrows(IllegalArgumentException.class, () -> IovaDomain.builder().fit(null));
            assertEquals(0, domain.liveRanges());
            assertEquals(0, domain.reservedRanges());
            domain.verify();
        }
    }

    @Test
    void closedDomainRefusesEveryPlacementCall()
    {
        final IovaDomain domain = domain();
        domain.close();
        assertThrows(IllegalStateException.class, () -> domain.alloc(1, 0xfff, 1, Fit.LOWEST));
        assertThrows(IllegalStateException.class, () -> domain.allocAt(0x10, 1));
        assertThrows(IllegalStateException.class, () -> domain.reserve(0x10, 0x11, "dev"));
        assertThrows(IllegalStateException.class, () -> domain.unreserve("dev"));
        assertThrows(IllegalStateException.class, () -> domain.allow(0x10, 0x11));
        assertThrows(IllegalStateException.class, () -> domain.forEachAllowed((lo, hi, reserved) -> { }));
        assertThrows(IllegalStateException.class, () -> domain.forEachReservation((lo, hi, owner) -> { }));
    }

    @Test
    void theDomainsFitAppliesToTheSizeAlignedCall()
    {
        try (IovaDomain lowest = IovaDomain.builder().lastPfn(0xfff).fit(Fit.LOWEST).maxCachedPages(0).build())
        {
            assertEquals(4, lowest.alloc(3, 0xfff, true));  // 4-aligned, lowest
            assertEquals(1, lowest.alloc(3, 0xfff, false)); // unaligned, lowest: pfns 1..3
            assertEquals(0xff0, lowest.alloc(16, 0xfff, 16, Fit.HIGHEST)); // a call that names its fit uses it
        }
    }

    @Test
    void allocAtNamesTheFirstReasonInTheEnumsOrder()
    {
        try (IovaDomain domain = domain())
        {
            assertEquals(AllocAtOutcome.OUTSIDE_DOMAIN, domain.allocAt(0, 2));
            assertEquals(AllocAtOutcome.OUTSIDE_DOMAIN, domain.allocAt(0xfff, 2));
            assertEquals(AllocAtOutcome.OUTSIDE_DOMAIN, domain.allocAt(0x10, Long.MAX_VALUE));
            assertEquals(AllocAtOutcome.PLACED, domain.allocAt(0x100, 0x10));
            assertTrue(domain.reserve(0x110, 0x11f, "msi"));
            assertEquals(AllocAtOutcome.RESERVED, domain.allocAt(0x108, 0x10)); // live and reserved: reserved first
            assertEquals(AllocAtOutcome.LIVE, domain.allocAt(0xff, 2));
            domain.allow(0x100, 0x7ff);
            assertEquals(AllocAtOutcome.OUTSIDE_ALLOWED, domain.allocAt(0x7f0, 0x20)); // reserved above 0x7ff too
            assertEquals(AllocAtOutcome.PLACED, domain.allocAt(0x7f0, 0x10));
            domain.free(0x100, 0x10);
            assertEquals(1, domain.liveRanges());
            domain.verify();
        }
    }

    @Test
    void reservationsOfDifferentOwnersCoexistAndGoOneOwnerAtATime()
    {
        try (IovaDomain domain = domain())
        {
            assertTrue(domain.reserve(0x100, 0x1ff, "group"));
            assertTrue(domain.reserve(0x180, 0x27f, "device"));
            assertTrue(domain.reserve(0x200, 0x20f, "device")); // merges with device's own
            final long live = domain.alloc(8, 0x2ff, 8, Fit.HIGHEST);
            assertFalse(domain.reserve(live, live, "late")); // overlaps a live allocation: refused
            final List<String> seen = new ArrayList<>();
            domain.forEachReservation((lo, hi, owner) -> seen.add(owner + " " + Long.toHexString(lo) + "-" + Long.toHexString(hi)));
            assertEquals(List.of("group 100-1ff", "device 180-27f"), seen);
            assertEquals(1, domain.unreserve("group"));
            assertTrue(domain.find(0x180).reserved()); // still the device's
            assertEquals(null, domain.find(0x17f));
            assertEquals(0, domain.unreserve("group"));
            assertEquals(1, domain.unreserve("device"));
            assertEquals(0, domain.reservedRanges());
            domain.verify();
        }
    }

    @Test
    void iommufdAlignmentFollowsTheAddressLengthAndCap()
    {
        final long kib = 1024;
        final long mib = 1024 * kib;
        // Length rounded up to a power of two, no address constraint.
        assertEquals(4, Alignments.iommufdAlignmentPages(0, 13 * kib, 2 * mib, 4 * kib));
        // The address's lowest set bit lowers it: a buffer at 64 KiB keeps 64 KiB alignment.
        assertEquals(16, Alignments.iommufdAlignmentPages(64 * kib, 8 * mib, 2 * mib, 4 * kib));
        // Capped at the block size.
        assertEquals(512, Alignments.iommufdAlignmentPages(1L << 30, 64 * mib, 2 * mib, 4 * kib));
        // At least one granule, whatever the sub-page offset.
        assertEquals(1, Alignments.iommufdAlignmentPages(0x1234, 1, 2 * mib, 4 * kib));
        assertThrows(IllegalArgumentException.class, () -> Alignments.iommufdAlignmentPages(0, 0, 2 * mib, 4 * kib));
        assertThrows(IllegalArgumentException.class, () -> Alignments.iommufdAlignmentPages(0, 1, 3 * mib, 4 * kib));
    }
}
