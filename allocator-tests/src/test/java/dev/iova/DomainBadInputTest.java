package dev.iova;

import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every kind of misuse: each must throw the documented exception, with a message that names
 * the offending value, and leave the domain exactly as it was.
 *
 * <p>The domain under test, {@code [0x10, 0xfff]}, holds two reserved ranges and three
 * allocations; "unchanged" means the same {@code forEachRange} listing, live and reserved counts,
 * free pages and largest gap, a passing {@code verify()}, and the same answer to the next
 * allocation.
 */
class DomainBadInputTest
{
    private static final long START_PFN = 0x10;
    private static final long LAST_PFN = 0xfff;

    private IovaDomain domain;
    /** An 8-page, 8-aligned allocation. */
    private long eightPfn;
    /** A 3-page allocation right below it. */
    private long threePfn;
    /** A 1-page allocation low down. */
    private long onePfn;

    /** Everything observable about a domain. */
    record Snapshot(List<IovaRange> listing, long liveRanges, long reservedRanges, long freePages, long largestGapPages)
    {
        static Snapshot of(final IovaDomain domain)
        {
            return new Snapshot(ReferenceModel.listingOf(domain), domain.liveRanges(), domain.reservedRanges(),
                domain.freePages(Long.MAX_VALUE), domain.largestFreeGapPages(Long.MAX_VALUE));
        }
    }

    @BeforeEach
    void createDomain()
    {
        domain = IovaDomain.builder().granuleBytes(4096).startPfn(START_PFN).lastPfn(LAST_PFN).chunkRanges(64).build();
        domain.reserve(0x100, 0x10f);
        domain.reserve(0x200, 0x2ff);
        eightPfn = domain.alloc(8, 0x7ff, true);
        threePfn = domain.alloc(3, 0x7ff, false);
        onePfn = domain.alloc(1, 0x50, false);
        assertEquals(List.of(new IovaRange(0x50, 0x50, false), new IovaRange(0x100, 0x10f, true), new IovaRange(0x200, 0x2ff, true),
            new IovaRange(0x7f5, 0x7f7, false), new IovaRange(0x7f8, 0x7ff, false)), ReferenceModel.listingOf(domain),
            "the fixture itself");
    }

    @AfterEach
    void closeDomain()
    {
        domain.close();
    }

    // ---------------------------------------------------------------------------------------
    // alloc
    // ---------------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(longs = {0, -1, -4096, Long.MIN_VALUE})
    void allocOfLessThanOnePageThrows(final long pages)
    {
        assertRejected(IllegalArgumentException.class, () -> domain.alloc(pages, LAST_PFN, false), pages);
        assertRejected(IllegalArgumentException.class, () -> domain.alloc(pages, LAST_PFN, true), pages);
    }

    @ParameterizedTest
    @ValueSource(longs = {0xf, 0xa, 0, -1, Long.MIN_VALUE})
    void allocWithLimitBelowStartPfnThrows(final long limitPfn)
    {
        assertRejected(IllegalArgumentException.class, () -> domain.alloc(1, limitPfn, false), limitPfn);
        assertRejected(IllegalArgumentException.class, () -> domain.alloc(4, limitPfn, true), limitPfn);
    }

    // ---------------------------------------------------------------------------------------
    // free
    // ---------------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(longs = {0x400, 0x4f, 0x51, 0x7f4, 0x110, 0x1ff, 0x300, START_PFN, LAST_PFN})
    void freeOfUnknownPfnThrows(final long pfn)
    {
        assertRejected(IllegalArgumentException.class, () -> domain.free(pfn), pfn);
        assertRejected(IllegalArgumentException.class, () -> domain.free(pfn, 1), pfn);
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 0xf, 0x1000, 0x1001, -1, Long.MIN_VALUE, Long.MAX_VALUE})
    void freeOfPfnOutsideTheDomainThrows(final long pfn)
    {
        assertRejected(IllegalArgumentException.class, () -> domain.free(pfn), pfn);
        assertRejected(IllegalArgumentException.class, () -> domain.free(pfn, 1), pfn);
    }

    @Test
    void freeOfExactRangeByAPfnThatIsNotItsFirstThrows()
    {
        for (long pfn = eightPfn + 1; pfn <= eightPfn + 7; pfn++)
        {
            final long inside = pfn;
            assertRejected(IllegalArgumentException.class, () -> domain.free(inside, 8), inside);
            assertRejected(IllegalArgumentException.class, () -> domain.free(inside, eightPfn + 8 - inside), inside);
        }
        assertRejected(IllegalArgumentException.class, () -> domain.free(threePfn + 2, 1), threePfn + 2);
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 7, 9, 11, 16, Long.MAX_VALUE})
    void freeWithWrongPagesThrows(final long pages)
    {
        assertRejected(IllegalArgumentException.class, () -> domain.free(eightPfn, pages), eightPfn, pages);
    }

    @Test
    void freeWithPagesSpanningTwoAllocationsThrows()
    {
        // [threePfn, threePfn + 10] is exactly the 3-page and the 8-page allocations side by side.
        assertEquals(eightPfn, threePfn + 3, "fixture: the two allocations touch");
        assertRejected(IllegalArgumentException.class, () -> domain.free(threePfn, 11), threePfn, 11);
    }

    @ParameterizedTest
    @ValueSource(longs = {0, -1, -8, Long.MIN_VALUE})
    void freeWithLessThanOnePageThrows(final long pages)
    {
        assertRejected(IllegalArgumentException.class, () -> domain.free(eightPfn, pages), pages);
    }

    @Test
    void doubleFreeThrows()
    {
        domain.free(eightPfn, 8);
        assertRejected(IllegalArgumentException.class, () -> domain.free(eightPfn, 8), eightPfn);
        assertRejected(IllegalArgumentException.class, () -> domain.free(eightPfn), eightPfn);
        assertRejected(IllegalArgumentException.class, () -> domain.free(eightPfn + 3), eightPfn + 3);
        domain.free(onePfn);
        assertRejected(IllegalArgumentException.class, () -> domain.free(onePfn), onePfn);
        assertRejected(IllegalArgumentException.class, () -> domain.free(onePfn, 1), onePfn);
    }

    @Test
    void freeOfReservedRangeThrows()
    {
        assertRejected(IllegalArgumentException.class, () -> domain.free(0x100), 0x100);
        assertRejected(IllegalArgumentException.class, () -> domain.free(0x105), 0x105);
        assertRejected(IllegalArgumentException.class, () -> domain.free(0x10f), 0x10f);
        assertRejected(IllegalArgumentException.class, () -> domain.free(0x100, 16), 0x100);
        assertRejected(IllegalArgumentException.class, () -> domain.free(0x200, 0x100), 0x200);
        assertRejected(IllegalArgumentException.class, () -> domain.free(0x280, 1), 0x280);
    }

    @Test
    void freeOfARangeSittingInACacheThrows()
    {
        // freeFast puts the range in a cache: for the user it is freed, so freeing it again
        // through the tree is a double free, whatever the tree still holds.
        final long pfn = domain.allocFast(1, LAST_PFN);
        domain.freeFast(pfn, 1);
        assertRejected(IllegalArgumentException.class, () -> domain.free(pfn), pfn);
        assertRejected(IllegalArgumentException.class, () -> domain.free(pfn, 1), pfn);
        domain.flushCaches();
        assertRejected(IllegalArgumentException.class, () -> domain.free(pfn), pfn);
    }

    // ---------------------------------------------------------------------------------------
    // reserve
    // ---------------------------------------------------------------------------------------

    @Test
    void reserveOverlappingALiveAllocationThrows()
    {
        final long[][] overlapping = {
            {eightPfn, eightPfn},                        // its first page
            {eightPfn + 7, eightPfn + 7},                // its last page
            {eightPfn + 2, eightPfn + 4},                // inside
            {eightPfn - 0x10, eightPfn + 1},             // across its start
            {eightPfn + 7, LAST_PFN},                    // across its end
            {0x400, LAST_PFN},                           // around two allocations
            {onePfn, onePfn},
            {START_PFN, 0x10f},                          // an allocation and a reserved range
            {0x110, 0x7f5},                              // touches a reserve, then reaches an allocation
        };
        for (final long[] loHi : overlapping)
        {
            assertRejected(IllegalArgumentException.class, () -> domain.reserve(loHi[0], loHi[1]), loHi[0], loHi[1]);
        }
    }

    @Test
    void reserveOutsideTheDomainThrows()
    {
        final long[][] outside = {
            {0xf, 0x20}, {0, 0}, {0, START_PFN}, {-1, 5}, {Long.MIN_VALUE, START_PFN},
            {0xff0, 0x1000}, {0x1000, 0x1000}, {START_PFN, Long.MAX_VALUE}, {LAST_PFN, LAST_PFN + 1}};
        for (final long[] loHi : outside)
        {
            assertRejected(IllegalArgumentException.class, () -> domain.reserve(loHi[0], loHi[1]), loHi[0], loHi[1]);
        }
    }

    @Test
    void reserveWithHiBelowLoThrows()
    {
        assertRejected(IllegalArgumentException.class, () -> domain.reserve(0x30, 0x2f), 0x30, 0x2f);
        assertRejected(IllegalArgumentException.class, () -> domain.reserve(0x110, 0x100), 0x110, 0x100);
        assertRejected(IllegalArgumentException.class, () -> domain.reserve(LAST_PFN, START_PFN), LAST_PFN, START_PFN);
    }

    @Test
    void reserveAllWithOneRangeOutOfBoundsReservesNothing()
    {
        assertRejected(IllegalArgumentException.class,
            () -> domain.reserveAll(new long[] {0x300, 0x110, 0xf}, new long[] {0x30f, 0x11f, 0x20}), 0xf, 0x20);
        assertRejected(IllegalArgumentException.class,
            () -> domain.reserveAll(new long[] {0x300, 0x900}, new long[] {0x30f, 0x1000}), 0x900, 0x1000);
    }

    @Test
    void reserveAllWithOneRangeOverlappingAnAllocationReservesNothing()
    {
        assertRejected(IllegalArgumentException.class,
            () -> domain.reserveAll(new long[] {0x300, 0x110, eightPfn + 1}, new long[] {0x30f, 0x11f, eightPfn + 1}),
            eightPfn + 1);
        assertRejected(IllegalArgumentException.class,
            () -> domain.reserveAll(new long[] {onePfn - 1, 0x300}, new long[] {onePfn, 0x30f}), onePfn - 1, onePfn);
    }

    @Test
    void reserveAllWithHiBelowLoReservesNothing()
    {
        assertRejected(IllegalArgumentException.class,
            () -> domain.reserveAll(new long[] {0x300, 0x420}, new long[] {0x30f, 0x41f}), 0x420, 0x41f);
    }

    @Test
    void reserveAllWithArraysOfDifferentLengthsReservesNothing()
    {
        assertRejected(IllegalArgumentException.class,
            () -> domain.reserveAll(new long[] {0x300, 0x400}, new long[] {0x30f}), 2, 1);
    }

    // ---------------------------------------------------------------------------------------
    // capacity (maxRanges counts reserved ranges too)
    // ---------------------------------------------------------------------------------------

    @Test
    void reserveBeyondMaxRangesThrowsAndChangesNothing()
    {
        useDomainWithRoomForOneMoreRange();
        domain.reserve(0x300, 0x30f);                     // the last free slot
        final Snapshot before = Snapshot.of(domain);
        final RuntimeException e = assertThrows(RuntimeException.class, () -> domain.reserve(0x500, 0x50f));
        assertTrue(e instanceof IllegalStateException || e instanceof IllegalArgumentException, () -> "reserve at maxRanges threw " + e);
        assertTrue(names(e.getMessage(), 0x500), e::getMessage);
        domain.verify();
        assertEquals(before, Snapshot.of(domain));
        assertEquals(IovaDomain.NO_ADDRESS, domain.alloc(1, LAST_PFN, false), "no range left for an allocation either");
    }

    @Test
    void reserveThatMergesIsAcceptedAtMaxRanges()
    {
        useDomainWithRoomForOneMoreRange();
        domain.reserve(0x300, 0x30f);
        domain.reserve(0x310, 0x31f);                     // touches: merges, needs no new range
        domain.reserve(0x2f0, 0x305);                     // overlaps: merges
        domain.reserve(0x110, 0x2ef);                     // bridges two reserved ranges: one fewer range
        assertEquals(List.of(new IovaRange(0x100, 0x31f, true), new IovaRange(0x7f8, 0x7ff, false)), ReferenceModel.listingOf(domain));
        assertEquals(0xff8, domain.alloc(8, LAST_PFN, true), "the bridge freed a range for an allocation");
        domain.verify();
    }

    @Test
    void reserveAllBeyondMaxRangesReservesNothing()
    {
        // reserveAll is documented as all or nothing, and a call that throws leaves the domain as
        // it was: here the first range fits in the last slot, the second does not.
        useDomainWithRoomForOneMoreRange();
        final Snapshot before = Snapshot.of(domain);
        final RuntimeException e = assertThrows(RuntimeException.class,
            () -> domain.reserveAll(new long[] {0x300, 0x500}, new long[] {0x30f, 0x50f}));
        assertTrue(e instanceof IllegalStateException || e instanceof IllegalArgumentException, () -> "reserveAll at maxRanges threw " + e);
        domain.verify();
        assertEquals(before, Snapshot.of(domain), () -> "reserveAll threw \"" + e.getMessage() + "\" but kept part of its work");
    }

    /** Replaces the fixture with a domain of maxRanges 3 holding two ranges: one reserved, one allocated. */
    private void useDomainWithRoomForOneMoreRange()
    {
        domain.close();
        domain = IovaDomain.builder().startPfn(START_PFN).lastPfn(LAST_PFN).maxRanges(3).chunkRanges(64).build();
        domain.reserve(0x100, 0x10f);
        assertEquals(0x7f8, domain.alloc(8, 0x7ff, true));
    }

    // ---------------------------------------------------------------------------------------
    // after close
    // ---------------------------------------------------------------------------------------

    @TestFactory
    Stream<DynamicTest> everyCallAfterCloseThrows()
    {
        final List<Object[]> calls = List.of(
            new Object[] {"alloc", (Consumer<IovaDomain>)d -> d.alloc(1, LAST_PFN, false)},
            new Object[] {"alloc size-aligned", (Consumer<IovaDomain>)d -> d.alloc(8, LAST_PFN, true)},
            new Object[] {"free(pfn)", (Consumer<IovaDomain>)d -> d.free(0x7f8)},
            new Object[] {"free(pfn, pages)", (Consumer<IovaDomain>)d -> d.free(0x7f8, 8)},
            new Object[] {"find", (Consumer<IovaDomain>)d -> d.find(0x7f8)},
            new Object[] {"reserve", (Consumer<IovaDomain>)d -> d.reserve(0x400, 0x40f)},
            new Object[] {"reserveAll", (Consumer<IovaDomain>)d -> d.reserveAll(new long[] {0x400}, new long[] {0x40f})},
            new Object[] {"liveRanges", (Consumer<IovaDomain>)IovaDomain::liveRanges},
            new Object[] {"reservedRanges", (Consumer<IovaDomain>)IovaDomain::reservedRanges},
            new Object[] {"freePages", (Consumer<IovaDomain>)d -> d.freePages(LAST_PFN)},
            new Object[] {"largestFreeGapPages", (Consumer<IovaDomain>)d -> d.largestFreeGapPages(LAST_PFN)},
            new Object[] {"forEachRange", (Consumer<IovaDomain>)d -> d.forEachRange((lo, hi, reserved) -> fail("visited after close"))},
            new Object[] {"verify", (Consumer<IovaDomain>)IovaDomain::verify},
            new Object[] {"allocFast (cached size)", (Consumer<IovaDomain>)d -> d.allocFast(1, LAST_PFN)},
            new Object[] {"allocFast (beyond the caches)", (Consumer<IovaDomain>)d -> d.allocFast(d.maxCachedPages() * 2, LAST_PFN)},
            new Object[] {"freeFast", (Consumer<IovaDomain>)d -> d.freeFast(0x7f8, 8)},
            new Object[] {"flushCaches", (Consumer<IovaDomain>)IovaDomain::flushCaches},
            new Object[] {"cacheStats", (Consumer<IovaDomain>)IovaDomain::cacheStats});
        return calls.stream().map(call -> DynamicTest.dynamicTest(call[0] + " after close throws IllegalStateException", () -> {
            @SuppressWarnings("unchecked") final Consumer<IovaDomain> operation = (Consumer<IovaDomain>)call[1];
            final IovaDomain closed = IovaDomain.builder().startPfn(START_PFN).lastPfn(LAST_PFN).chunkRanges(64).build();
            assertEquals(0x7f8, closed.alloc(8, 0x7ff, true));
            closed.close();
            final IllegalStateException e = assertThrows(IllegalStateException.class, () -> operation.accept(closed),
                () -> call[0] + " after close");
            assertNotNull(e.getMessage(), "the exception says why");
            assertTrue(e.getMessage().toLowerCase(Locale.ROOT).contains("closed"), e::getMessage);
            assertTrue(closed.isClosed());
            assertEquals(0, closed.offHeapBytes());
            assertDoesNotThrow(closed::close);
        }));
    }

    // ---------------------------------------------------------------------------------------

    /**
     * Runs {@code call}, requires an exception of {@code type} whose message names every one of
     * {@code values} (in hex with {@code 0x}, or in decimal), and then that the domain is unchanged.
     */
    private void assertRejected(final Class<? extends RuntimeException> type, final Executable call, final long... values)
    {
        final Snapshot before = Snapshot.of(domain);
        final RuntimeException e = assertThrows(type, call);
        final String message = e.getMessage();
        assertNotNull(message, () -> type.getSimpleName() + " without a message");
        for (final long value : values)
        {
            assertTrue(names(message, value),
                () -> "the message should name " + value + " (0x" + Long.toHexString(value) + "): \"" + message + "\"");
        }
        try
        {
            domain.verify();
        }
        catch (final IllegalStateException broken)
        {
            fail("verify() fails after a rejected call that threw \"" + message + "\"", broken);
        }
        assertEquals(before, Snapshot.of(domain), () -> "the domain changed although the call threw \"" + message + "\"");
        assertNextAllocationUnchanged();
    }

    /**
     * The next allocations land where they land in a fresh twin domain given the same ranges:
     * catches a rejected call that left the tree's bookkeeping (not just its ranges) damaged.
     */
    private void assertNextAllocationUnchanged()
    {
        try (IovaDomain twin = IovaDomain.builder().granuleBytes(4096).startPfn(START_PFN).lastPfn(LAST_PFN).chunkRanges(64).build())
        {
            for (final IovaRange range : ReferenceModel.listingOf(domain))
            {
                if (range.reserved())
                {
                    twin.reserve(range.loPfn(), range.hiPfn());
                }
                else
                {
                    assertEquals(range.loPfn(), twin.alloc(range.pages(), range.hiPfn(), false), "twin set-up");
                }
            }
            for (final long[] request : new long[][] {{8, 0x7ff, 1}, {1, 0x50, 0}, {0x40, LAST_PFN, 1}})
            {
                final long expected = twin.alloc(request[0], request[1], request[2] == 1);
                final long actual = domain.alloc(request[0], request[1], request[2] == 1);
                assertEquals(expected, actual, "next allocation after a rejected call");
                if (actual != IovaDomain.NO_ADDRESS)
                {
                    domain.free(actual);
                }
            }
        }
    }

    private static boolean names(final String message, final long value)
    {
        final String lower = message.toLowerCase(Locale.ROOT);
        if (lower.matches("(?s).*0x0*" + Long.toHexString(value) + "(?![0-9a-f]).*"))
        {
            return true;
        }
        return Pattern.compile("(?<![0-9a-fx.-])" + Pattern.quote(Long.toString(value)) + "(?![0-9a-f])").matcher(lower).find();
    }
}
