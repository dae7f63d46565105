package dev.iova.cache;

import dev.iova.IovaDomain;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static dev.iova.cache.DomainSnapshot.assertUnchanged;
import static dev.iova.cache.DomainSnapshot.flushedSnapshotOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every bad input of the fast API throws at once, with a message that names the bad value, and
 * leaves the domain as it was: the same counters straight after the call, and the same ranges,
 * counts and free pages once the caches are flushed (the tree's listing depends on what sits in
 * the caches, so both sides are compared flushed).
 *
 * <p>The domain is populated with a reserved range, live fast ranges of several classes, a
 * range above {@code maxCachedPages}, an ordinary tree range and a cached range, so that a bad
 * call has something to damage.
 */
class RangeCacheBadInputTest
{
    private static final long LAST_PFN = 0xfffff;
    private static final long RESERVED_LO_PFN = 0x1000;
    private static final long RESERVED_HI_PFN = 0x1fff;

    private IovaDomain domain;
    private long onePage;
    private long fourPages;
    private long fortyPages;

    @BeforeEach
    void populate()
    {
        domain = IovaDomain.builder().lastPfn(LAST_PFN).maxCachedPages(32).build(); // the forty-page range is above the caches
        domain.reserve(RESERVED_LO_PFN, RESERVED_HI_PFN);
        onePage = domain.allocFast(1, LAST_PFN);
        fourPages = domain.allocFast(4, LAST_PFN);
        domain.allocFast(16, 0x7ffff);
        fortyPages = domain.allocFast(40, LAST_PFN);
        domain.alloc(3, LAST_PFN, false);
        domain.freeFast(domain.allocFast(8, LAST_PFN), 8);
    }

    @AfterEach
    void close()
    {
        domain.close();
    }

    // ---------------------------------------------------------------------------------------------
    // allocFast
    // ---------------------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(longs = {0, -1, -33, Long.MIN_VALUE})
    void allocFastOfFewerThanOnePageThrows(final long pages)
    {
        assertRejected("allocFast(" + pages + ")", "pages=" + pages, () -> domain.allocFast(pages, LAST_PFN));
    }

    @Test
    void allocFastWithALimitBelowStartPfnThrows()
    {
        try (IovaDomain highStart = IovaDomain.builder().startPfn(0x100).lastPfn(LAST_PFN).build())
        {
            highStart.allocFast(1, LAST_PFN);
            final DomainSnapshot before = flushedSnapshotOf(highStart);

            final IllegalArgumentException cached = assertThrows(IllegalArgumentException.class, () -> highStart.allocFast(1, 0xff));
            final IllegalArgumentException large = assertThrows(IllegalArgumentException.class, () -> highStart.allocFast(64, 0xff));

            assertEquals("limitPfn=0xff is below startPfn=0x100", cached.getMessage());
            assertEquals("limitPfn=0xff is below startPfn=0x100", large.getMessage());
            assertUnchanged(before, highStart, "allocFast(1, 0xff)");
        }
    }

    /** The fast path decides "cached request" in one branch over differences; a negative limit must not overflow past it. */
    @ParameterizedTest
    @ValueSource(longs = {-1, Long.MIN_VALUE, Long.MIN_VALUE + 1, Long.MIN_VALUE + 0x100})
    void allocFastWithANegativeLimitThrows(final long limitPfn)
    {
        for (final long pages : new long[] {1, 32, 33, Long.MAX_VALUE})
        {
            assertRejected("allocFast(" + pages + ", " + limitPfn + ")", hex("limitPfn=", limitPfn) + " is below startPfn=0x1",
                () -> domain.allocFast(pages, limitPfn));
        }
    }

    @Test
    void allocFastAtAndAboveMaxCachedPagesTakesTheCachesThenTheTree()
    {
        final RangeCacheStats before = domain.cacheStats();

        final long cached = domain.allocFast(32, LAST_PFN);
        final long tree = domain.allocFast(33, LAST_PFN);

        assertEquals(before.allocHits() + before.allocMisses() + 1, domain.cacheStats().allocHits() + domain.cacheStats().allocMisses(),
            "only the 32-page request goes through the caches");
        assertEquals(0, cached & 31, "a cached range is size-aligned");
        domain.freeFast(cached, 32);
        domain.freeFast(tree, 33);
        assertThrows(IllegalArgumentException.class, () -> domain.freeFast(tree, 33), "the 33-page range went back to the tree");
    }

    @Test
    void allocFastWithALimitBelowStartPfnThrowsWhenTheCachesAreOff()
    {
        try (IovaDomain uncached = IovaDomain.builder().startPfn(0x100).lastPfn(LAST_PFN).maxCachedPages(0).build())
        {
            final IllegalArgumentException rejected = assertThrows(IllegalArgumentException.class, () -> uncached.allocFast(1, 0xff));
            assertTrue(rejected.getMessage().contains("limitPfn=0xff"), rejected.getMessage());
            assertEquals(0, uncached.liveRanges());
        }
    }

    // ---------------------------------------------------------------------------------------------
    // freeFast
    // ---------------------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(longs = {0, -1, -4, Long.MIN_VALUE})
    void freeFastOfFewerThanOnePageThrows(final long pages)
    {
        assertRejected("freeFast(pfn, " + pages + ")", "pages=" + pages, () -> domain.freeFast(fourPages, pages));
    }

    @Test
    void doubleFreeFastOfARangeSittingInACacheThrows()
    {
        final DomainSnapshot before = flushedSnapshotOf(domain);
        final long pfn = domain.allocFast(4, LAST_PFN);
        domain.freeFast(pfn, 4);

        assertRejected(before, "second freeFast(0x" + Long.toHexString(pfn) + ", 4)", hex("pfn=", pfn), () -> domain.freeFast(pfn, 4));
    }

    @Test
    void doubleFreeFastOfARangeFlushedBackToTheTreeThrows()
    {
        final long pfn = domain.allocFast(2, LAST_PFN);
        domain.freeFast(pfn, 2);
        domain.flushCaches();

        assertRejected("freeFast of a flushed range", hex("pfn=", pfn), () -> domain.freeFast(pfn, 2));
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 4, 32, 64})
    void freeFastOfAPfnNeverHandedOutThrows(final long pages)
    {
        final long freePfn = 0x40000; // aligned for every class, in free space
        assertRejected("freeFast(0x40000, " + pages + ")", hex("pfn=", freePfn), () -> domain.freeFast(freePfn, pages));
    }

    @ParameterizedTest
    @ValueSource(longs = {0, LAST_PFN + 1, LAST_PFN + 0x1000, -1, Long.MIN_VALUE, Long.MAX_VALUE})
    void freeFastOfAPfnOutsideTheDomainThrows(final long pfn)
    {
        assertRejected("freeFast(" + pfn + ", 1)", hex("pfn=", pfn), () -> domain.freeFast(pfn, 1));
    }

    @Test
    void freeFastOfAMisalignedPfnThrows()
    {
        assertRejected("freeFast(start + 1, 4)", hex("pfn=", fourPages + 1), () -> domain.freeFast(fourPages + 1, 4));
        assertRejected("freeFast(start + 2, 1)", hex("pfn=", fourPages + 2), () -> domain.freeFast(fourPages + 2, 1));
        assertRejected("freeFast(start + 3, 40)", hex("pfn=", fortyPages + 3), () -> domain.freeFast(fortyPages + 3, 40));
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 8, 32, 64})
    void freeFastWithTheWrongSizeClassThrows(final long pages)
    {
        assertRejected("freeFast(four-page range, " + pages + ")", "pages=" + pages, () -> domain.freeFast(fourPages, pages));
    }

    @ParameterizedTest
    @ValueSource(longs = {2, 32, 39, 41, 64})
    void freeFastOfARangeAboveMaxCachedPagesWithAnotherLengthThrows(final long pages)
    {
        assertRejected("freeFast(forty-page range, " + pages + ")", "pages=" + pages, () -> domain.freeFast(fortyPages, pages));
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 4, 32, 0x1000})
    void freeFastOfAReservedRangeThrows(final long pages)
    {
        assertRejected("freeFast(reserved, " + pages + ")", "reserved", () -> domain.freeFast(RESERVED_LO_PFN, pages));
        assertRejected("freeFast(reserved, " + pages + ")", hex("pfn=", RESERVED_LO_PFN), () -> domain.freeFast(RESERVED_LO_PFN, pages));
    }

    // ---------------------------------------------------------------------------------------------
    // The tree API on cache ranges, reserve
    // ---------------------------------------------------------------------------------------------

    @Test
    void treeFreeOfARangeHandedOutByAllocFastThrows()
    {
        assertRejected("free(pfn)", hex("pfn=", fourPages), () -> domain.free(fourPages));
        assertRejected("free(inner pfn)", hex("pfn=", fourPages + 3), () -> domain.free(fourPages + 3));
        assertRejected("free(pfn, 4)", hex("pfn=", fourPages), () -> domain.free(fourPages, 4));
        assertRejected("free(pfn, 1)", hex("pfn=", onePage), () -> domain.free(onePage, 1));
        assertRejected("free(pfn)", "allocFast", () -> domain.free(onePage));
    }

    @Test
    void treeFreeOfARangeSittingInACacheThrows()
    {
        final DomainSnapshot before = flushedSnapshotOf(domain);
        final long pfn = domain.allocFast(4, LAST_PFN);
        domain.freeFast(pfn, 4);

        assertRejected(before, "free(cached pfn)", hex("pfn=", pfn), () -> domain.free(pfn));
        assertRejected(before, "free(cached pfn, 4)", hex("pfn=", pfn), () -> domain.free(pfn, 4));
    }

    @Test
    void reserveOverALiveFastRangeThrows()
    {
        // reserve() flushes the caches before it looks (documented), so only the flushed domain is compared.
        final DomainSnapshot before = flushedSnapshotOf(domain);

        final IllegalArgumentException rejected =
            assertThrows(IllegalArgumentException.class, () -> domain.reserve(fourPages + 1, fourPages + 1));

        assertTrue(rejected.getMessage().contains(hex("allocation [", fourPages)), rejected.getMessage());
        assertUnchanged(before, domain, "reserve over a live fast range");
    }

    // ---------------------------------------------------------------------------------------------
    // After close
    // ---------------------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(longs = {0, 1, 32})
    void everyCacheCallAfterCloseThrows(final long maxCachedPages)
    {
        final IovaDomain closed = IovaDomain.builder().lastPfn(LAST_PFN).maxCachedPages(maxCachedPages).build();
        final long live = closed.allocFast(4, LAST_PFN);
        closed.freeFast(closed.allocFast(1, LAST_PFN), 1);
        closed.close();

        assertClosed(() -> closed.allocFast(1, LAST_PFN));
        assertClosed(() -> closed.allocFast(4, LAST_PFN));
        assertClosed(() -> closed.allocFast(64, LAST_PFN));
        assertClosed(() -> closed.freeFast(live, 4));
        assertClosed(() -> closed.freeFast(live + 1, 4));
        assertClosed(() -> closed.freeFast(live, 64));
        assertClosed(closed::flushCaches);
        assertClosed(closed::cacheStats);
        assertClosed(() -> closed.free(live));
        closed.close(); // harmless
        assertTrue(closed.isClosed());
        assertEquals(0, closed.offHeapBytes());
    }

    // ---------------------------------------------------------------------------------------------

    private void assertRejected(final String call, final String named, final Executable badCall)
    {
        assertRejected(flushedSnapshotOf(domain), call, named, badCall);
    }

    /** The bad call throws {@link IllegalArgumentException} naming {@code named}, changes no counter and no range. */
    private void assertRejected(final DomainSnapshot before, final String call, final String named, final Executable badCall)
    {
        final RangeCacheStats statsBefore = domain.cacheStats();

        final IllegalArgumentException rejected = assertThrows(IllegalArgumentException.class, badCall, call);

        assertTrue(rejected.getMessage().contains(named), call + ": the message does not name " + named + ": " + rejected.getMessage());
        assertEquals(statsBefore, domain.cacheStats(), call + " changed the caches");
        assertUnchanged(before, domain, call);
    }

    private static void assertClosed(final Executable call)
    {
        final IllegalStateException closed = assertThrows(IllegalStateException.class, call);
        assertTrue(closed.getMessage().contains("closed"), closed.getMessage());
    }

    private static String hex(final String prefix, final long value)
    {
        return prefix + "0x" + Long.toHexString(value);
    }
}
