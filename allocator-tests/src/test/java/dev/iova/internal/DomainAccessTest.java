package dev.iova.internal;

import dev.iova.IovaDomain;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The trusted (unchecked-free) path the DMA layer allocates through: it hands out the same
 * ranges as the checked path, takes them back without the live map, and its ranges stay
 * cache-owned, so a stray free of one through the public API is refused and changes nothing.
 */
class DomainAccessTest
{
    private static final long LAST_PFN = 0xfffff;
    private static final DomainAccess ACCESS = DomainAccess.get();

    @Test
    void getReturnsTheOneInstalledImplementation()
    {
        assertSame(ACCESS, DomainAccess.get());
    }

    @Test
    void secondInstallIsRefused()
    {
        final IllegalStateException ex = assertThrows(IllegalStateException.class, () -> DomainAccess.install(ACCESS));
        assertTrue(ex.getMessage().contains("installed already"), ex.getMessage());
        assertSame(ACCESS, DomainAccess.get());
    }

    @Test
    void trustedRangesAreDistinctAlignedAndReusedAfterTheirFree()
    {
        try (IovaDomain domain = IovaDomain.builder().lastPfn(LAST_PFN).build())
        {
            final Set<Long> pfns = new HashSet<>();
            final long[] live = new long[300];
            for (int i = 0; i < live.length; i++)
            {
                live[i] = ACCESS.allocFastTrusted(domain, 4, LAST_PFN);
                assertNotEquals(IovaDomain.NO_ADDRESS, live[i]);
                assertEquals(0, live[i] & 3, "size-aligned");
                assertTrue(pfns.add(live[i]), "handed out twice: " + Long.toHexString(live[i]));
            }
            for (final long pfn : live)
            {
                ACCESS.freeFastTrusted(domain, pfn, 4);
            }
            final long again = ACCESS.allocFastTrusted(domain, 4, LAST_PFN);
            assertTrue(pfns.contains(again), "a freed range comes back from the caches");
            ACCESS.freeFastTrusted(domain, again, 4);
            domain.flushCaches();
            assertEquals(0, domain.liveRanges());
            domain.verify();
        }
    }

    @Test
    void strayPublicFreeOfATrustedRangeIsRefusedAndChangesNothing()
    {
        try (IovaDomain domain = IovaDomain.builder().lastPfn(LAST_PFN).build())
        {
            final long pfn = ACCESS.allocFastTrusted(domain, 1, LAST_PFN);
            final long freePages = domain.freePages(LAST_PFN);
            assertThrows(IllegalArgumentException.class, () -> domain.freeFast(pfn, 1));
            assertThrows(IllegalArgumentException.class, () -> domain.free(pfn, 1));
            assertEquals(freePages, domain.freePages(LAST_PFN));
            // Still the trusted owner's: its free works, and the range is not handed out meanwhile.
            final long other = domain.allocFast(1, LAST_PFN);
            assertNotEquals(pfn, other);
            ACCESS.freeFastTrusted(domain, pfn, 1);
            domain.freeFast(other, 1);
            domain.flushCaches();
            assertEquals(0, domain.liveRanges());
        }
    }

    @Test
    void checkedRangesStillRefuseADoubleFreeBesideTrustedOnes()
    {
        try (IovaDomain domain = IovaDomain.builder().lastPfn(LAST_PFN).build())
        {
            final long trusted = ACCESS.allocFastTrusted(domain, 2, LAST_PFN);
            final long checked = domain.allocFast(2, LAST_PFN);
            ACCESS.freeFastTrusted(domain, trusted, 2);
            domain.freeFast(checked, 2);
            assertThrows(IllegalArgumentException.class, () -> domain.freeFast(checked, 2));
            // The trusted range, back in a magazine, is handed out checked now, and checked from then on.
            final long reused = domain.allocFast(2, LAST_PFN);
            domain.freeFast(reused, 2);
            assertThrows(IllegalArgumentException.class, () -> domain.freeFast(reused, 2));
        }
    }

    @Test
    void rangesAboveTheCachesGoThroughTheCheckedTreeFree()
    {
        try (IovaDomain domain = IovaDomain.builder().lastPfn(LAST_PFN).maxCachedPages(32).build())
        {
            final long pfn = ACCESS.allocFastTrusted(domain, 100, LAST_PFN);
            ACCESS.freeFastTrusted(domain, pfn, 100);
            assertThrows(IllegalArgumentException.class, () -> ACCESS.freeFastTrusted(domain, pfn, 100));
            assertEquals(0, domain.liveRanges());
        }
    }

    @Test
    void badArgumentsAndClosedDomainsThrow()
    {
        final IovaDomain domain = IovaDomain.builder().startPfn(16).lastPfn(LAST_PFN).build();
        assertThrows(IllegalArgumentException.class, () -> ACCESS.allocFastTrusted(domain, 0, LAST_PFN));
        assertThrows(IllegalArgumentException.class, () -> ACCESS.allocFastTrusted(domain, 1, 15));
        domain.close();
        assertThrows(IllegalStateException.class, () -> ACCESS.allocFastTrusted(domain, 1, LAST_PFN));
        assertThrows(IllegalStateException.class, () -> ACCESS.freeFastTrusted(domain, 32, 1));
    }
}
