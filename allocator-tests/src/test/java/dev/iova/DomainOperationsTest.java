package dev.iova;

import java.util.ArrayList;
import java.util.List;

import dev.iova.tree.IntervalTree;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static dev.iova.IovaDomain.NO_ADDRESS;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Worked examples of every operation of {@link IovaDomain}, each with the answer computed by
 * hand from the contract in its javadoc.
 */
class DomainOperationsTest
{
    static IovaDomain domain(final long startPfn, final long lastPfn)
    {
        return IovaDomain.builder().granuleBytes(4096).startPfn(startPfn).lastPfn(lastPfn).chunkRanges(64).build();
    }

    static List<IovaRange> listing(final IovaDomain domain)
    {
        return ReferenceModel.listingOf(domain);
    }

    static IovaRange allocated(final long loPfn, final long hiPfn)
    {
        return new IovaRange(loPfn, hiPfn, false);
    }

    static IovaRange reserved(final long loPfn, final long hiPfn)
    {
        return new IovaRange(loPfn, hiPfn, true);
    }

    static String hex(final long value)
    {
        return "0x" + Long.toHexString(value);
    }

    @Nested
    class Placement
    {
        @Test
        void shouldPlaceRangeBelowLimitPfn()
        {
            try (IovaDomain domain = domain(1, 0xfffff))
            {
                assertEquals(0xfff, domain.alloc(1, 0xfff, false), "the first range ends at the limit");
                assertEquals(0xffb, domain.alloc(4, 0xfff, false), "the next one right below it");
                assertEquals(0xfe0, domain.alloc(16, 0x1000, true), "16-aligned: [0xff0, 0xfff] is taken, so [0xfe0, 0xfef]");
                assertEquals(List.of(allocated(0xfe0, 0xfef), allocated(0xffb, 0xffe), allocated(0xfff, 0xfff)), listing(domain));
                domain.verify();
            }
        }

        @Test
        void shouldPlaceFirstRangeAtTopOfDomain()
        {
            try (IovaDomain domain = domain(1, 0xfffff))
            {
                assertEquals(0xfffff, domain.alloc(1, Long.MAX_VALUE, false));
                assertEquals(0xffffc, domain.alloc(3, Long.MAX_VALUE, false));
                assertEquals(0xffff8, domain.alloc(3, 0xfffff, true), "3 pages align to 4: [0xffffc, 0xffffe] is taken");
            }
        }

        @Test
        void limitAboveLastPfnMeansLastPfn()
        {
            try (IovaDomain domain = domain(1, 0xff))
            {
                assertEquals(0xff, domain.alloc(1, 0x1000, false));
                assertEquals(0xfe, domain.alloc(1, Long.MAX_VALUE, false));
                assertEquals(0xfd, domain.alloc(1, 0x100, false));
            }
        }

        @Test
        void limitEqualToStartPfnLeavesOnlyStartPfn()
        {
            try (IovaDomain domain = domain(0x10, 0xff))
            {
                assertEquals(0x10, domain.alloc(1, 0x10, false));
                assertEquals(NO_ADDRESS, domain.alloc(1, 0x10, false), "the only page under the limit is taken");
                assertEquals(NO_ADDRESS, domain.alloc(2, 0x11, false), "two pages cannot fit in [0x11, 0x11]");
                assertEquals(0x11, domain.alloc(1, 0x11, false));
            }
        }

        @Test
        void shouldReuseFreedHoleWhenItIsTheHighestFit()
        {
            try (IovaDomain domain = domain(1, 0xfff))
            {
                for (long expected = 0x3f; expected >= 1; expected--)
                {
                    assertEquals(expected, domain.alloc(1, 0x3f, false), "filling [1, 0x3f] top-down");
                }
                assertEquals(NO_ADDRESS, domain.alloc(1, 0x3f, false), "full under the limit");
                domain.free(0x20);
                assertEquals(0x20, domain.alloc(1, 0x3f, false), "the only hole is reused");
                domain.free(0x10);
                domain.free(0x30, 1);
                assertEquals(0x30, domain.alloc(1, 0x3f, false), "the higher hole first");
                assertEquals(0x10, domain.alloc(1, 0x3f, false), "then the lower one");
                assertEquals(NO_ADDRESS, domain.alloc(1, 0x3f, false));
                assertEquals(0x3f, domain.liveRanges());
                domain.verify();
            }
        }

        @Test
        void shouldPlaceInHighestHoleThatIsLargeEnough()
        {
            try (IovaDomain domain = domain(1, 0xfff))
            {
                for (long pfn = 0x3f; pfn >= 1; pfn--)
                {
                    assertEquals(pfn, domain.alloc(1, 0x3f, false));
                }
                domain.free(0x30);                               // a 1-page hole high up
                for (long pfn = 0x10; pfn <= 0x13; pfn++)        // a 4-page hole lower down
                {
                    domain.free(pfn);
                }
                assertEquals(0x12, domain.alloc(2, 0x3f, false), "2 pages skip the 1-page hole, top of [0x10, 0x13]");
                assertEquals(0x30, domain.alloc(1, 0x3f, false), "1 page takes the highest hole");
                assertEquals(0x10, domain.alloc(2, 0x3f, true), "[0x10, 0x11] is the only 2-aligned pair left");
                assertEquals(NO_ADDRESS, domain.alloc(1, 0x3f, false));
            }
        }

        @Test
        void shouldAlignTwoPageRequestToEvenPfn()
        {
            try (IovaDomain aligned = domain(1, 0x100); IovaDomain unaligned = domain(1, 0x100))
            {
                for (final IovaDomain domain : List.of(aligned, unaligned))
                {
                    assertEquals(0x100, domain.alloc(1, 0x100, false));
                    assertEquals(0xff, domain.alloc(1, 0x100, false));
                }
                assertEquals(0xfc, aligned.alloc(2, 0x100, true), "[0xfd, 0xfe] starts at an odd pfn");
                assertEquals(0xfd, unaligned.alloc(2, 0x100, false), "unaligned: right below 0xff");
            }
        }

        @Test
        void shouldAlignThreePageRequestToFourPages()
        {
            try (IovaDomain aligned = domain(1, 0x100); IovaDomain unaligned = domain(1, 0x100))
            {
                assertEquals(0xfc, aligned.alloc(3, 0x100, true), "[0xfe, 0x100] is not 4-aligned; [0xfc, 0xfe] is");
                assertEquals(0xf8, aligned.alloc(3, 0x100, true));
                assertEquals(0xf0, aligned.alloc(5, 0x100, true), "5 pages align to 8: [0xf8, 0xfc] is taken");
                assertEquals(0xfe, unaligned.alloc(3, 0x100, false));
                assertEquals(0xfb, unaligned.alloc(3, 0x100, false));
                assertEquals(0xf6, unaligned.alloc(5, 0x100, false));
            }
        }

        @Test
        void alignmentIsOfThePfnNotOfTheOffsetFromStartPfn()
        {
            try (IovaDomain domain = domain(5, 12))
            {
                assertEquals(8, domain.alloc(4, 12, true), "[8, 11] is the only 4-aligned run in [5, 12]");
                assertEquals(NO_ADDRESS, domain.alloc(4, 12, true), "4 would be below startPfn 5");
                assertEquals(NO_ADDRESS, domain.alloc(4, 12, false), "[5, 7] and [12, 12] are the free runs");
                assertEquals(5, domain.alloc(3, 12, false));
                assertEquals(12, domain.alloc(1, 12, true));
                assertEquals(0, domain.freePages(Long.MAX_VALUE));
            }
        }

        @Test
        void shouldSkipReservedRangeUnderLimit()
        {
            try (IovaDomain domain = domain(1, 0xfff))
            {
                domain.reserve(0xf0, 0xff);
                assertEquals(0xe0, domain.alloc(16, 0xff, false), "the 16 pages below the limit are reserved");
                assertEquals(0xdf, domain.alloc(1, 0xff, false));
                assertEquals(0x100, domain.alloc(1, 0x100, false), "right above the reserved range");
                assertEquals(0xc0, domain.alloc(16, 0xff, true), "16-aligned below 0xdf");
                assertEquals(reserved(0xf0, 0xff), domain.find(0xf5));
            }
        }

        @Test
        void reservedPagesAreNeverHandedOut()
        {
            try (IovaDomain domain = domain(1, 0x40))
            {
                domain.reserve(1, 0x3f);
                assertEquals(0x40, domain.alloc(1, Long.MAX_VALUE, false));
                assertEquals(NO_ADDRESS, domain.alloc(1, Long.MAX_VALUE, false));
                assertEquals(NO_ADDRESS, domain.alloc(1, 0x3f, false));
                assertEquals(0, domain.freePages(Long.MAX_VALUE));
                assertEquals(0, domain.largestFreeGapPages(Long.MAX_VALUE));
            }
        }

        @Test
        void requestLargerThanTheDomainReturnsNoAddress()
        {
            try (IovaDomain domain = domain(1, 0xff))
            {
                assertEquals(NO_ADDRESS, domain.alloc(0x100, Long.MAX_VALUE, false));
                assertEquals(NO_ADDRESS, domain.alloc(0xff, Long.MAX_VALUE, true), "0xff pages align to 0x100, above startPfn 1 only at 0x100");
                assertEquals(NO_ADDRESS, domain.alloc(Long.MAX_VALUE, Long.MAX_VALUE, false));
                assertEquals(NO_ADDRESS, domain.alloc(Long.MAX_VALUE, Long.MAX_VALUE, true));
                assertEquals(NO_ADDRESS, domain.alloc((1L << 62) + 1, Long.MAX_VALUE, true), "rounding up to 2^63 must not overflow");
                assertEquals(0x80, domain.alloc(0x80, 0xff, true));
                assertEquals(1, domain.liveRanges());
                domain.free(0x80);
                assertEquals(1, domain.alloc(0xff, 0xff, false), "exactly the whole domain");
                domain.verify();
            }
        }

        @Test
        void hugeRequestInDefaultDomainReturnsNoAddress()
        {
            try (IovaDomain domain = IovaDomain.builder().build())
            {
                assertEquals(NO_ADDRESS, domain.alloc(Long.MAX_VALUE, Long.MAX_VALUE, false));
                assertEquals(NO_ADDRESS, domain.alloc(Long.MAX_VALUE, Long.MAX_VALUE, true));
                assertEquals(NO_ADDRESS, domain.alloc(1L << 62, Long.MAX_VALUE, true));
                assertEquals(0, domain.liveRanges());
                domain.verify();
            }
        }

        @Test
        void shouldPlaceAsTheJavadocExampleSays()
        {
            try (IovaDomain domain = IovaDomain.builder().granuleBytes(4096).startPfn(1).build())
            {
                final long pfn = domain.alloc(8, 0xfffffL, true);
                assertEquals(0xffff8, pfn, "8 pages below 4 GiB, 8-page aligned");
                domain.free(pfn, 8);
                assertEquals(0, domain.liveRanges());
            }
        }

        @Test
        void placementDependsOnlyOnTheRangesNotOnHistory()
        {
            try (IovaDomain direct = domain(1, 0x3ff); IovaDomain winding = domain(1, 0x3ff))
            {
                // Same final set of ranges, reached two ways.
                assertEquals(0x3ff, direct.alloc(1, 0x3ff, false));
                assertEquals(0x1f0, direct.alloc(16, 0x1ff, true));
                final long[] temporary = new long[20];
                for (int i = 0; i < temporary.length; i++)
                {
                    temporary[i] = winding.alloc(1 + i % 5, 0x3ff, i % 2 == 0);
                }
                assertEquals(0x1f0, winding.alloc(16, 0x1ff, true));
                for (final long pfn : temporary)
                {
                    winding.free(pfn);
                }
                assertEquals(0x3ff, winding.alloc(1, 0x3ff, false));
                assertEquals(listing(direct), listing(winding));

                for (int pages = 1; pages <= 40; pages += 3)
                {
                    final long limitPfn = 0x400 - pages * 7L;
                    final boolean sizeAligned = pages % 2 == 1;
                    assertEquals(direct.alloc(pages, limitPfn, sizeAligned), winding.alloc(pages, limitPfn, sizeAligned),
                        "alloc(" + pages + ", " + hex(limitPfn) + ", " + sizeAligned + ") after different histories");
                }
            }
        }

        @Test
        void singlePageDomainHandsOutItsPageAgainAfterFree()
        {
            try (IovaDomain domain = domain(7, 7))
            {
                assertEquals(7, domain.alloc(1, 7, true));
                assertEquals(NO_ADDRESS, domain.alloc(1, Long.MAX_VALUE, false));
                domain.free(7);
                assertEquals(7, domain.alloc(1, Long.MAX_VALUE, false));
            }
        }
    }

    @Nested
    class FreeAndFind
    {
        @Test
        void freeByAnyPfnFreesTheWholeRange()
        {
            try (IovaDomain domain = domain(1, 0xfff))
            {
                final long before = domain.freePages(Long.MAX_VALUE);
                final long pfn = domain.alloc(8, Long.MAX_VALUE, true);
                assertEquals(0xff8, pfn);
                assertEquals(before - 8, domain.freePages(Long.MAX_VALUE));
                domain.free(pfn + 5);
                assertNull(domain.find(pfn));
                assertNull(domain.find(pfn + 7));
                assertEquals(0, domain.liveRanges());
                assertEquals(before, domain.freePages(Long.MAX_VALUE));
            }
        }

        @Test
        void freeOfExactRangeFreesIt()
        {
            try (IovaDomain domain = domain(1, 0xfff))
            {
                final long low = domain.alloc(3, 0x7ff, false);
                final long high = domain.alloc(5, Long.MAX_VALUE, false);
                domain.free(high, 5);
                assertEquals(List.of(allocated(low, low + 2)), listing(domain));
                domain.free(low, 3);
                assertEquals(List.of(), listing(domain));
                domain.verify();
            }
        }

        @Test
        void findReturnsTheAllocationForEveryPfnInIt()
        {
            try (IovaDomain domain = domain(1, 0xfff))
            {
                final long pfn = domain.alloc(5, 0x800, false);
                assertEquals(0x7fc, pfn);
                for (long p = pfn; p < pfn + 5; p++)
                {
                    assertEquals(allocated(0x7fc, 0x800), domain.find(p), "find(" + hex(p) + ")");
                }
                assertEquals(5, domain.find(pfn).pages());
                assertNull(domain.find(pfn - 1));
                assertNull(domain.find(pfn + 5));
            }
        }

        @Test
        void findReturnsReservedRange()
        {
            try (IovaDomain domain = domain(1, 0xfff))
            {
                domain.reserve(0x100, 0x1ff);
                assertEquals(reserved(0x100, 0x1ff), domain.find(0x100));
                assertEquals(reserved(0x100, 0x1ff), domain.find(0x1ff));
                assertTrue(domain.find(0x150).reserved());
                assertNull(domain.find(0xff));
                assertNull(domain.find(0x200));
            }
        }

        @ParameterizedTest
        @ValueSource(longs = {0, 0xf, 0x1000, 0x1001, -1, Long.MIN_VALUE, Long.MAX_VALUE})
        void findOutsideTheDomainReturnsNull(final long pfn)
        {
            try (IovaDomain domain = domain(0x10, 0xfff))
            {
                domain.reserve(0x10, 0x1f);
                domain.reserve(0xff0, 0xfff);
                assertNull(domain.find(pfn), () -> "find(" + hex(pfn) + ") in [0x10, 0xfff]");
            }
        }

        @Test
        void freedRangeCanBeReserved()
        {
            try (IovaDomain domain = domain(1, 0xfff))
            {
                final long pfn = domain.alloc(16, Long.MAX_VALUE, true);
                domain.free(pfn);
                domain.reserve(pfn, pfn + 15);
                assertEquals(List.of(reserved(pfn, pfn + 15)), listing(domain));
                assertEquals(pfn - 16, domain.alloc(16, Long.MAX_VALUE, true));
            }
        }
    }

    @Nested
    class Reserve
    {
        @Test
        void reserveMergesWithTouchingReserveBelow()
        {
            try (IovaDomain domain = domain(1, 0xfff))
            {
                domain.reserve(0x10, 0x1f);
                domain.reserve(0x20, 0x2f);
                assertEquals(List.of(reserved(0x10, 0x2f)), listing(domain));
                assertEquals(1, domain.reservedRanges());
            }
        }

        @Test
        void reserveMergesWithTouchingReserveAbove()
        {
            try (IovaDomain domain = domain(1, 0xfff))
            {
                domain.reserve(0x20, 0x2f);
                domain.reserve(0x10, 0x1f);
                assertEquals(List.of(reserved(0x10, 0x2f)), listing(domain));
                assertEquals(1, domain.reservedRanges());
            }
        }

        @Test
        void reserveMergesWithOverlappingReserve()
        {
            try (IovaDomain domain = domain(1, 0xfff))
            {
                domain.reserve(0x10, 0x20);
                domain.reserve(0x18, 0x30);
                assertEquals(List.of(reserved(0x10, 0x30)), listing(domain));
                domain.reserve(0x8, 0x12);
                assertEquals(List.of(reserved(0x8, 0x30)), listing(domain));
            }
        }

        @Test
        void reserveInsideAReserveChangesNothing()
        {
            try (IovaDomain domain = domain(1, 0xfff))
            {
                domain.reserve(0x10, 0x30);
                domain.reserve(0x18, 0x20);
                domain.reserve(0x10, 0x30);
                domain.reserve(0x30, 0x30);
                assertEquals(List.of(reserved(0x10, 0x30)), listing(domain));
                assertEquals(1, domain.reservedRanges());
            }
        }

        @Test
        void reserveAroundAReserveSwallowsIt()
        {
            try (IovaDomain domain = domain(1, 0xfff))
            {
                domain.reserve(0x18, 0x20);
                domain.reserve(0x10, 0x30);
                assertEquals(List.of(reserved(0x10, 0x30)), listing(domain));
            }
        }

        @Test
        void reserveBridgingTwoReservesMergesAllThree()
        {
            try (IovaDomain domain = domain(1, 0xfff))
            {
                domain.reserve(0x10, 0x1f);
                domain.reserve(0x30, 0x3f);
                assertEquals(2, domain.reservedRanges());
                domain.reserve(0x20, 0x2f);
                assertEquals(List.of(reserved(0x10, 0x3f)), listing(domain));
                assertEquals(1, domain.reservedRanges());
            }
        }

        @Test
        void reserveOverManyReservesMergesThemAll()
        {
            try (IovaDomain domain = domain(1, 0xfff))
            {
                for (long loPfn = 0x100; loPfn < 0x200; loPfn += 0x10)
                {
                    domain.reserve(loPfn, loPfn + 3);
                }
                domain.reserve(0x50, 0x60);
                assertEquals(17, domain.reservedRanges());
                domain.reserve(0x104, 0x1f0);
                assertEquals(List.of(reserved(0x50, 0x60), reserved(0x100, 0x1f3)), listing(domain));
                domain.verify();
            }
        }

        @Test
        void reservesOnePageApartStaySeparate()
        {
            try (IovaDomain domain = domain(1, 0xfff))
            {
                domain.reserve(0x10, 0x1f);
                domain.reserve(0x21, 0x2f);
                assertEquals(List.of(reserved(0x10, 0x1f), reserved(0x21, 0x2f)), listing(domain));
                assertEquals(0x20, domain.alloc(1, 0x2f, false), "the page between them is free");
            }
        }

        @Test
        void reserveNextToAnAllocationDoesNotMergeWithIt()
        {
            try (IovaDomain domain = domain(1, 0xfff))
            {
                assertEquals(0x20, domain.alloc(1, 0x20, false));
                domain.reserve(0x21, 0x30);
                domain.reserve(0x10, 0x1f);
                assertEquals(List.of(reserved(0x10, 0x1f), allocated(0x20, 0x20), reserved(0x21, 0x30)), listing(domain));
                assertEquals(2, domain.reservedRanges());
                assertEquals(1, domain.liveRanges());
                domain.free(0x20);
                assertEquals(List.of(reserved(0x10, 0x1f), reserved(0x21, 0x30)), listing(domain), "freeing does not merge them either");
                domain.verify();
            }
        }

        @Test
        void reserveAllReservesAndMergesEveryRange()
        {
            try (IovaDomain domain = domain(1, 0xfff))
            {
                domain.reserveAll(new long[] {0x10, 0x20, 0x100}, new long[] {0x1f, 0x2f, 0x100});
                assertEquals(List.of(reserved(0x10, 0x2f), reserved(0x100, 0x100)), listing(domain));
                domain.reserveAll(new long[0], new long[0]);
                assertEquals(2, domain.reservedRanges());
            }
        }

        @Test
        void reserveOverARangeSittingInACacheSucceeds()
        {
            try (IovaDomain domain = domain(1, 0xfff))
            {
                final long pfn = domain.allocFast(1, 0xfff);
                domain.freeFast(pfn, 1);                       // free for the user, held by a cache
                domain.reserve(pfn, pfn);
                assertEquals(reserved(pfn, pfn), domain.find(pfn));
                assertEquals(0, domain.liveRanges(), "the reserve flushed the caches");
                assertEquals(List.of(reserved(pfn, pfn)), listing(domain));
                domain.verify();
            }
        }

        @Test
        void reserveOfTheWholeDomainIsAllowed()
        {
            try (IovaDomain domain = domain(0x10, 0xfff))
            {
                domain.reserve(0x10, 0xfff);
                assertEquals(NO_ADDRESS, domain.alloc(1, Long.MAX_VALUE, false));
                assertEquals(List.of(reserved(0x10, 0xfff)), listing(domain));
            }
        }
    }

    @Nested
    class Inspection
    {
        @Test
        void freePagesAndLargestGapOfAnEmptyDomain()
        {
            try (IovaDomain domain = domain(1, 0xff))
            {
                assertEquals(0xff, domain.freePages(Long.MAX_VALUE));
                assertEquals(0xff, domain.freePages(0xff));
                assertEquals(0x10, domain.freePages(0x10));
                assertEquals(1, domain.freePages(1));
                assertEquals(0, domain.freePages(0));
                assertEquals(0xff, domain.largestFreeGapPages(Long.MAX_VALUE));
                assertEquals(0x10, domain.largestFreeGapPages(0x10));
                assertEquals(0, domain.largestFreeGapPages(0));
            }
        }

        @Test
        void freePagesAndLargestGapCountOnlyBelowTheLimit()
        {
            try (IovaDomain domain = domain(1, 0xff))
            {
                domain.reserve(0x40, 0x4f);
                assertEquals(0x80, domain.alloc(1, 0x80, false));
                assertEquals(0x20, domain.alloc(2, 0x21, false));
                // Free runs: [1, 0x1f] 31, [0x22, 0x3f] 30, [0x50, 0x7f] 48, [0x81, 0xff] 127.
                assertAll(
                    () -> assertEquals(255 - 16 - 1 - 2, domain.freePages(Long.MAX_VALUE)),
                    () -> assertEquals(0x4f - 18, domain.freePages(0x4f)),
                    () -> assertEquals(0x45 - 8, domain.freePages(0x45), "a limit inside a reserved range counts part of it"),
                    () -> assertEquals(0x1f, domain.freePages(0x1f)),
                    () -> assertEquals(0x1f, domain.freePages(0x21), "a limit inside an allocation"),
                    () -> assertEquals(127, domain.largestFreeGapPages(Long.MAX_VALUE)),
                    () -> assertEquals(48, domain.largestFreeGapPages(0x80)),
                    () -> assertEquals(48, domain.largestFreeGapPages(0x7f)),
                    () -> assertEquals(48, domain.largestFreeGapPages(0xa0), "[0x81, 0xa0] is only 32"),
                    () -> assertEquals(80, domain.largestFreeGapPages(0xd0), "[0x81, 0xd0] cut by the limit"),
                    () -> assertEquals(31, domain.largestFreeGapPages(0x60), "[0x50, 0x60] is only 17"),
                    () -> assertEquals(31, domain.largestFreeGapPages(0x3f)),
                    () -> assertEquals(16, domain.largestFreeGapPages(0x10)));
            }
        }

        @Test
        void freePagesAndLargestGapBelowStartPfnAreZero()
        {
            try (IovaDomain domain = domain(0x10, 0xff))
            {
                assertEquals(0, domain.freePages(0xf));
                assertEquals(0, domain.freePages(Long.MIN_VALUE));
                assertEquals(0, domain.largestFreeGapPages(0xf));
                assertEquals(0, domain.largestFreeGapPages(-1));
                assertEquals(0xf0, domain.freePages(Long.MAX_VALUE));
            }
        }

        @Test
        void forEachRangeVisitsInAscendingOrder()
        {
            try (IovaDomain domain = domain(1, 0xfff))
            {
                domain.reserve(0x800, 0x80f);
                assertEquals(0xfff, domain.alloc(1, Long.MAX_VALUE, false));
                assertEquals(0x10, domain.alloc(1, 0x10, false));
                assertEquals(0x7f0, domain.alloc(16, 0x80f, true));
                domain.reserve(1, 2);
                assertEquals(0x3c, domain.alloc(4, 0x3f, true));
                final List<IovaRange> visited = new ArrayList<>();
                domain.forEachRange((loPfn, hiPfn, isReserved) -> visited.add(new IovaRange(loPfn, hiPfn, isReserved)));
                assertEquals(List.of(reserved(1, 2), allocated(0x10, 0x10), allocated(0x3c, 0x3f), allocated(0x7f0, 0x7ff),
                    reserved(0x800, 0x80f), allocated(0xfff, 0xfff)), visited);
            }
        }

        @Test
        void liveRangesCountsAllocationsOnly()
        {
            try (IovaDomain domain = domain(1, 0xfff))
            {
                domain.reserve(0x100, 0x1ff);
                domain.reserve(0x300, 0x3ff);
                domain.alloc(1, Long.MAX_VALUE, false);
                domain.alloc(2, Long.MAX_VALUE, false);
                domain.alloc(3, 0x2ff, true);
                assertEquals(3, domain.liveRanges());
                assertEquals(2, domain.reservedRanges());
            }
        }

        @Test
        void granuleShiftMatchesGranuleBytes()
        {
            try (IovaDomain domain = IovaDomain.builder().granuleBytes(65536).lastPfn(0xffff).build())
            {
                assertEquals(65536, domain.granuleBytes());
                assertEquals(16, domain.granuleShift());
                assertEquals(1, domain.startPfn());
                assertEquals(0xffff, domain.lastPfn());
            }
        }

        @Test
        void defaultLastPfnIsTheTopOfA64BitAddressSpace()
        {
            try (IovaDomain domain = IovaDomain.builder().build())
            {
                assertEquals((1L << 52) - 1, domain.lastPfn(), "2^64 bytes in 4 KiB pages");
                assertEquals(4096, domain.granuleBytes());
                assertEquals(1, domain.startPfn());
                assertEquals((1L << 52) - 1, domain.alloc(1, Long.MAX_VALUE, false));
            }
        }

        @ParameterizedTest
        @ValueSource(longs = {1, 2, 16, 128})
        void defaultLastPfnOfATinyGranuleIsMaxPfn(final long granuleBytes)
        {
            // 2^64 bytes in granules of 128 bytes or less is more than MAX_PFN + 1 pfns.
            try (IovaDomain domain = IovaDomain.builder().granuleBytes(granuleBytes).build())
            {
                assertEquals(IovaDomain.MAX_PFN, domain.lastPfn(), () -> "default lastPfn for granuleBytes=" + granuleBytes);
                assertEquals(IovaDomain.MAX_PFN, domain.alloc(1, Long.MAX_VALUE, false));
                assertEquals(IovaDomain.MAX_PFN - 1, domain.alloc(1, Long.MAX_VALUE, false));
                domain.verify();
            }
        }

        @Test
        void defaultLastPfnOfA512ByteGranuleIsTheTopOfA64BitAddressSpace()
        {
            try (IovaDomain domain = IovaDomain.builder().granuleBytes(512).build())
            {
                assertEquals(Math.min(IovaDomain.MAX_PFN, (1L << 55) - 1), domain.lastPfn());
            }
        }
    }

    @Nested
    class Lifecycle
    {
        @Test
        void closeIsIdempotentAndReleasesOffHeapMemory()
        {
            final IovaDomain domain = domain(1, 0xfff);
            domain.alloc(1, Long.MAX_VALUE, false);
            assertTrue(domain.offHeapBytes() > 0, "an open domain holding a range holds off-heap memory");
            assertFalse(domain.isClosed());
            domain.close();
            assertTrue(domain.isClosed());
            assertEquals(0, domain.offHeapBytes());
            assertDoesNotThrow(domain::close);
            assertTrue(domain.isClosed());
            assertEquals(0, domain.offHeapBytes());
        }

        @Test
        void offHeapBytesGrowWithRanges()
        {
            try (IovaDomain domain = domain(1, 0xfffff))
            {
                final long initialBytes = domain.offHeapBytes();
                for (int i = 0; i < 10_000; i++)
                {
                    domain.alloc(1, Long.MAX_VALUE, false);
                }
                assertTrue(domain.offHeapBytes() > initialBytes,
                    () -> "10,000 ranges in 64-range chunks: " + domain.offHeapBytes() + " bytes, " + initialBytes + " when empty");
                assertTrue(domain.offHeapBytes() >= 10_000L * 16,
                    () -> "each range needs at least its two pfns: " + domain.offHeapBytes() + " bytes for 10,000");
            }
        }
    }

    @Nested
    class BuilderValidation
    {
        @ParameterizedTest
        @ValueSource(longs = {0, 3, 4097, -4096, Long.MIN_VALUE, (1L << 40) + 1})
        void granuleThatIsNotAPowerOfTwoIsRejected(final long granuleBytes)
        {
            final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> IovaDomain.builder().granuleBytes(granuleBytes));
            assertTrue(e.getMessage().contains(Long.toString(granuleBytes)) || e.getMessage().contains(hex(granuleBytes)), e::getMessage);
        }

        @ParameterizedTest
        @ValueSource(longs = {0, -1, Long.MIN_VALUE})
        void startPfnBelowOneIsRejected(final long startPfn)
        {
            final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IovaDomain.builder().startPfn(startPfn));
            assertTrue(e.getMessage().contains(Long.toString(startPfn)) || e.getMessage().contains(hex(startPfn)), e::getMessage);
        }

        @ParameterizedTest
        @ValueSource(longs = {0, -5, Long.MAX_VALUE, Long.MIN_VALUE})
        void lastPfnOutOfRangeIsRejected(final long lastPfn)
        {
            final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IovaDomain.builder().lastPfn(lastPfn));
            assertTrue(e.getMessage().contains(Long.toString(lastPfn)) || e.getMessage().contains(hex(lastPfn)), e::getMessage);
        }

        @Test
        void lastPfnAboveMaxPfnIsRejected()
        {
            final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> IovaDomain.builder().lastPfn(IovaDomain.MAX_PFN + 1));
            assertTrue(e.getMessage().contains(hex(IovaDomain.MAX_PFN + 1)), e::getMessage);
            assertDoesNotThrow(() -> IovaDomain.builder().lastPfn(IovaDomain.MAX_PFN));
        }

        @Test
        void lastPfnBelowStartPfnIsRejected()
        {
            final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> IovaDomain.builder().startPfn(0x100).lastPfn(0xff).build());
            assertTrue(e.getMessage().contains("0xff") && e.getMessage().contains("0x100"), e::getMessage);
        }

        @ParameterizedTest
        @ValueSource(ints = {0, -1, Integer.MIN_VALUE})
        void maxRangesBelowOneIsRejected(final int maxRanges)
        {
            final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IovaDomain.builder().maxRanges(maxRanges));
            assertTrue(e.getMessage().contains(Integer.toString(maxRanges)), e::getMessage);
        }

        @Test
        void maxRangesAboveTheTreeLimitIsRejected()
        {
            assertThrows(IllegalArgumentException.class, () -> IovaDomain.builder().maxRanges(IntervalTree.MAX_NODES - 1));
            assertDoesNotThrow(() -> IovaDomain.builder().maxRanges(IntervalTree.MAX_NODES - 2));
        }

        @ParameterizedTest
        @ValueSource(ints = {0, 1, 32, 63, 100, 1 << 21, -64, Integer.MIN_VALUE})
        void chunkRangesThatIsNotAPowerOfTwoIn64To2Pow20IsRejected(final int chunkRanges)
        {
            final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> IovaDomain.builder().chunkRanges(chunkRanges));
            assertTrue(e.getMessage().contains(Integer.toString(chunkRanges)), e::getMessage);
        }

        @Test
        void boundaryValuesAreAccepted()
        {
            try (IovaDomain a = IovaDomain.builder().granuleBytes(1).startPfn(1).lastPfn(1).maxRanges(1).chunkRanges(64).build();
                 IovaDomain b = IovaDomain.builder().granuleBytes(1L << 62).chunkRanges(1 << 20).build();
                 IovaDomain c = IovaDomain.builder().startPfn(IovaDomain.MAX_PFN).lastPfn(IovaDomain.MAX_PFN).build())
            {
                assertEquals(1, a.alloc(1, 1, true));
                assertEquals(NO_ADDRESS, a.alloc(1, 1, true));
                assertEquals(3, b.lastPfn(), "a 2^62-byte granule leaves pfns 1..3 of a 64-bit space");
                assertEquals(IovaDomain.MAX_PFN, c.alloc(1, Long.MAX_VALUE, false));
                c.verify();
            }
        }
    }
}
