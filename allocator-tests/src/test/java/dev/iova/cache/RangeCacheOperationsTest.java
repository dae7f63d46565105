package dev.iova.cache;

import dev.iova.IovaDomain;
import dev.iova.IovaRange;
import dev.iova.concurrent.ThreadProbe;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import static dev.iova.IovaDomain.NO_ADDRESS;
import static dev.iova.cache.DomainSnapshot.flushedSnapshotOf;
import static dev.iova.cache.DomainSnapshot.roundUpToPowerOfTwo;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The range caches' semantics, one behaviour per test, single-threaded unless the behaviour is
 * about threads: rounding and alignment, the limit, caches off, the flush-and-retry on
 * exhaustion, the depot, the live map's reach, and what threads that die leave behind.
 */
class RangeCacheOperationsTest
{
    private static final long LAST_PFN = 0xfffff;

    private static IovaDomain.Builder domainBuilder()
    {
        return IovaDomain.builder().lastPfn(LAST_PFN);
    }

    // ---------------------------------------------------------------------------------------------
    // Rounding, alignment, the limit
    // ---------------------------------------------------------------------------------------------

    @Test
    void cachedRequestIsRoundedUpToAPowerOfTwoAndSizeAligned()
    {
        try (IovaDomain domain = domainBuilder().build())
        {
            for (long pages = 1; pages <= domain.maxCachedPages(); pages++)
            {
                final long classPages = roundUpToPowerOfTwo(pages);
                final long pfn = domain.allocFast(pages, LAST_PFN);

                final IovaRange range = domain.find(pfn);
                assertAll("allocFast(" + pages + ")",
                    () -> assertEquals(0, pfn % classPages, "pfn=0x" + Long.toHexString(pfn) + " not aligned to " + classPages),
                    () -> assertEquals(pfn, range.loPfn()),
                    () -> assertEquals(classPages, range.pages()));
            }
            domain.verify();
        }
    }

    @Test
    void requestAboveMaxCachedPagesBehavesLikeSizeAlignedTreeAlloc()
    {
        try (IovaDomain cached = domainBuilder().maxCachedPages(8).build();
             IovaDomain plain = domainBuilder().build())
        {
            final long[] limits = {LAST_PFN, 0x7ffff, 0x1234, 0x9ff};
            final List<long[]> ranges = new ArrayList<>();
            for (long pages = 9; pages <= 80; pages++)
            {
                final long limitPfn = limits[(int)(pages % limits.length)];
                final long pfn = cached.allocFast(pages, limitPfn);

                assertEquals(plain.alloc(pages, limitPfn, true), pfn, "allocFast(" + pages + ", 0x" + Long.toHexString(limitPfn) + ")");
                assertEquals(pages, cached.find(pfn).pages(), "a request above maxCachedPages is not rounded");
                ranges.add(new long[] {pfn, pages});
            }
            for (final long[] range : ranges)
            {
                cached.freeFast(range[0], range[1]);
            }
            assertEquals(0, cached.liveRanges(), "ranges above maxCachedPages go back to the tree, not to a cache");
            assertEquals(0, cached.cacheStats().fastFrees());
            cached.verify();
        }
    }

    @Test
    void requestAboveLastPfnIsClampedToLastPfn()
    {
        try (IovaDomain domain = domainBuilder().build())
        {
            final long pfn = domain.allocFast(4, Long.MAX_VALUE);
            assertEquals(LAST_PFN - 3, pfn);
            domain.freeFast(pfn, 4);
            assertEquals(pfn, domain.allocFast(4, Long.MAX_VALUE), "the cached range is within any limit above lastPfn");
        }
    }

    @Test
    void requestThatCannotFitBelowItsLimitReturnsNoAddress()
    {
        try (IovaDomain domain = domainBuilder().build())
        {
            assertEquals(NO_ADDRESS, domain.allocFast(4, 2), "4 aligned pages cannot end at or below pfn 2");
            assertEquals(NO_ADDRESS, domain.allocFast(64, 0x3e), "64 aligned pages cannot end at or below pfn 0x3e");
            assertEquals(0, domain.liveRanges());
            domain.verify();
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Runs: a miss takes an aligned block of RUN_PAGES pages' worth of ranges
    // ---------------------------------------------------------------------------------------------

    @Test
    void missTakesAnAlignedRunAndHandsOutItsRangesTopDown()
    {
        try (IovaDomain domain = domainBuilder().build())
        {
            final long first = domain.allocFast(1, LAST_PFN);
            assertEquals(LAST_PFN, first, "the run's highest range is the highest fit");
            for (long i = 1; i < TreeRefill.RUN_PAGES; i++)
            {
                assertEquals(first - i, domain.allocFast(1, LAST_PFN), "range " + i + " of the run");
            }
            final RangeCacheStats stats = domain.cacheStats();
            assertEquals(1, stats.allocMisses());
            assertEquals(TreeRefill.RUN_PAGES - 1, stats.allocHits());
            assertEquals(TreeRefill.RUN_PAGES, stats.treeAllocs());
            assertEquals(TreeRefill.RUN_PAGES, domain.liveRanges(), "each range of the run is its own range in the tree");
            assertEquals(0, (first + 1) % TreeRefill.RUN_PAGES, "the run is aligned to its length");
            domain.verify();
        }
    }

    @Test
    void runRangesAreFreedOneByOne()
    {
        try (IovaDomain domain = domainBuilder().build())
        {
            final long[] pfns = new long[(int)TreeRefill.RUN_PAGES / 2];
            for (int i = 0; i < pfns.length; i++)
            {
                pfns[i] = domain.allocFast(2, LAST_PFN);
            }
            for (final long pfn : pfns)
            {
                domain.freeFast(pfn, 2);
                assertThrows(IllegalArgumentException.class, () -> domain.freeFast(pfn, 2), "a double free of a run's range");
            }
            domain.flushCaches();
            assertEquals(0, domain.liveRanges());
            domain.verify();
        }
    }

    @Test
    void runStopsAtTheFirstSlotThatIsNotFreeSoPlacementStaysHighestFit()
    {
        try (IovaDomain domain = domainBuilder().build())
        {
            // Below 0x400, pages are free only in pairs: 0x3fc-0x3fd, 0x3f8-0x3f9, ...
            final long limitPfn = 0x3ff;
            for (long pfn = 0x3ff; pfn >= 0x200; pfn -= 4)
            {
                domain.reserve(pfn - 1, pfn);
            }
            assertEquals(0x3fd, domain.allocFast(1, limitPfn), "the highest free page below the limit");
            assertEquals(2, domain.cacheStats().treeAllocs(), "a run of two: 0x3fb is reserved");
            assertEquals(0x3fc, domain.allocFast(1, limitPfn));
            assertEquals(1, domain.cacheStats().allocHits());
            assertEquals(0x3f9, domain.allocFast(1, limitPfn), "the next miss: the next pair");
            assertEquals(4, domain.cacheStats().treeAllocs());
            domain.verify();
        }
    }

    @Test
    void missTakesOneRangeWhenTheMagazineHasNoRoomForTheRun()
    {
        try (IovaDomain domain = domainBuilder().magazineRanges((int)TreeRefill.RUN_PAGES - 2).build())
        {
            domain.allocFast(1, LAST_PFN);
            assertEquals(1, domain.cacheStats().treeAllocs());
            assertEquals(1, domain.liveRanges());
        }
    }

    @Test
    void largerClassesTakeOneRangePerMiss()
    {
        try (IovaDomain domain = domainBuilder().build())
        {
            domain.allocFast(TreeRefill.RUN_PAGES, LAST_PFN);
            domain.allocFast(2 * TreeRefill.RUN_PAGES, LAST_PFN);
            assertEquals(2, domain.cacheStats().treeAllocs());
            assertEquals(2, domain.liveRanges());
        }
    }

    // ---------------------------------------------------------------------------------------------
    // The depot gives a stripe back the magazines it parked itself
    // ---------------------------------------------------------------------------------------------

    @Test
    void stripeTakesBackItsOwnParkedMagazineBeforeAnotherStripes()
    {
        try (IovaDomain domain = domainBuilder().cacheStripes(2).magazineRanges(2).depotMagazines(4).build())
        {
            final long[] a = new long[6];
            final long[] b = new long[6];
            useStripe(0);
            allocOnePageEach(domain, a);
            useStripe(1);
            allocOnePageEach(domain, b);

            useStripe(0);
            freeOnePageEach(domain, a); // parks a full magazine of a's, tagged stripe 0
            useStripe(1);
            freeOnePageEach(domain, b); // parks one of b's on top of it
            assertEquals(2, domain.cacheStats().depotMagazines());

            useStripe(0);
            final Set<Long> handedOut = new HashSet<>();
            for (int i = 0; i < a.length; i++)
            {
                handedOut.add(domain.allocFast(1, LAST_PFN));
            }
            assertEquals(Arrays.stream(a).boxed().collect(Collectors.toSet()), handedOut,
                "stripe 0 got its own ranges back, not the magazine stripe 1 parked last");
        }
    }

    private static void allocOnePageEach(final IovaDomain domain, final long[] pfns)
    {
        for (int i = 0; i < pfns.length; i++)
        {
            pfns[i] = domain.allocFast(1, LAST_PFN);
        }
    }

    private static void freeOnePageEach(final IovaDomain domain, final long[] pfns)
    {
        for (final long pfn : pfns)
        {
            domain.freeFast(pfn, 1);
        }
    }

    /** Moves the calling thread's probe until a 2-stripe cache picks {@code stripe} for it. */
    private static void useStripe(final int stripe)
    {
        final Thread thread = Thread.currentThread();
        int probe = ThreadProbe.get(thread);
        while ((probe & 1) != stripe)
        {
            probe = ThreadProbe.advance(thread, probe);
        }
    }

    @Test
    void freedRangeIsHandedOutAgainByTheNextRequestOfItsSizeClass()
    {
        try (IovaDomain domain = domainBuilder().build())
        {
            final long pfn = domain.allocFast(3, LAST_PFN);
            domain.freeFast(pfn, 3);

            assertEquals(pfn, domain.allocFast(4, LAST_PFN));
            final RangeCacheStats stats = domain.cacheStats();
            assertAll(
                () -> assertEquals(1, stats.allocHits()),
                () -> assertEquals(1, stats.allocMisses()),
                () -> assertEquals(1, stats.fastFrees()),
                () -> assertEquals(TreeRefill.RUN_PAGES / 4, stats.treeAllocs(), "one run of 4-page ranges"),
                () -> assertEquals(0.5, stats.hitRatio()));
        }
    }

    @Test
    void freeFastAcceptsAnyLengthOfTheSameSizeClass()
    {
        try (IovaDomain domain = domainBuilder().build())
        {
            final long threePages = domain.allocFast(3, LAST_PFN);
            domain.freeFast(threePages, 4);
            final long fourPages = domain.allocFast(4, LAST_PFN);
            domain.freeFast(fourPages, 3);
            final long fivePages = domain.allocFast(5, LAST_PFN);
            domain.freeFast(fivePages, 8);

            assertEquals(3, domain.cacheStats().fastFrees());
            assertEquals(LAST_PFN, flushedSnapshotOf(domain).freePages());
        }
    }

    @Test
    void cachedRangeIsHandedOutOnlyWhenItEndsWithinTheLimit()
    {
        try (IovaDomain domain = domainBuilder().build())
        {
            final long cachedPfn = domain.allocFast(4, LAST_PFN);
            domain.freeFast(cachedPfn, 4);

            final long lowerPfn = domain.allocFast(4, cachedPfn + 2);
            assertNotEquals(cachedPfn, lowerPfn, "the cached range ends at 0x" + Long.toHexString(cachedPfn + 3) + ", above the limit");
            assertTrue(lowerPfn + 3 <= cachedPfn + 2, "pfn=0x" + Long.toHexString(lowerPfn) + " ends above the limit");
            assertEquals(cachedPfn - 4, lowerPfn, "the other range of the first miss's run, cached below it");
            assertEquals(1, domain.cacheStats().allocHits());

            assertEquals(cachedPfn, domain.allocFast(4, cachedPfn + 3), "a cached range ending exactly at the limit is within it");
            assertEquals(2, domain.cacheStats().allocHits());
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Accounting, caches off
    // ---------------------------------------------------------------------------------------------

    @Test
    void cachedRangesCountAsLiveUntilTheCachesAreFlushed()
    {
        try (IovaDomain domain = domainBuilder().build())
        {
            final long pfn = domain.allocFast(8, LAST_PFN);
            domain.freeFast(pfn, 8);

            assertEquals(1, domain.liveRanges());
            assertEquals(LAST_PFN - 8, domain.freePages(LAST_PFN));
            assertEquals(1, domain.cacheStats().cachedRanges());

            domain.flushCaches();

            final RangeCacheStats stats = domain.cacheStats();
            assertAll(
                () -> assertEquals(0, domain.liveRanges()),
                () -> assertEquals(LAST_PFN, domain.freePages(LAST_PFN)),
                () -> assertEquals(0, stats.cachedRanges()),
                () -> assertEquals(1, stats.flushes()),
                () -> assertEquals(1, stats.treeFrees()));
            domain.verify();
        }
    }

    @Test
    void zeroMaxCachedPagesMakesTheFastApiTheTreeApi()
    {
        try (IovaDomain uncached = domainBuilder().maxCachedPages(0).build();
             IovaDomain plain = domainBuilder().build())
        {
            assertEquals(0, uncached.maxCachedPages());
            final long[] limits = {LAST_PFN, 0x3ffff, 0x777, 0x1000};
            final List<long[]> ranges = new ArrayList<>();
            for (long pages = 1; pages <= 40; pages++)
            {
                final long limitPfn = limits[(int)(pages % limits.length)];
                final long pfn = uncached.allocFast(pages, limitPfn);
                assertEquals(plain.alloc(pages, limitPfn, true), pfn, "allocFast(" + pages + ", 0x" + Long.toHexString(limitPfn) + ")");
                assertEquals(pages, uncached.find(pfn).pages(), "nothing is rounded when the caches are off");
                ranges.add(new long[] {pfn, pages});
            }
            assertEquals(DomainSnapshot.rangesOf(plain), DomainSnapshot.rangesOf(uncached));

            final DomainSnapshot before = flushedSnapshotOf(uncached);
            uncached.flushCaches();
            assertEquals(before, flushedSnapshotOf(uncached), "flushCaches() does nothing when the caches are off");

            for (final long[] range : ranges)
            {
                uncached.freeFast(range[0], range[1]);
            }
            assertEquals(0, uncached.liveRanges(), "freeFast frees in the tree at once");
            assertEquals(new RangeCacheStats(0, 0, 0, 0, 0, 0, 0, 0, 0), uncached.cacheStats());
            uncached.verify();
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Exhaustion: flush and retry
    // ---------------------------------------------------------------------------------------------

    @Test
    void cachesHoldingTheWholeSpaceStillServeAnotherSizeClass()
    {
        try (IovaDomain domain = IovaDomain.builder().lastPfn(0x3ff).build())
        {
            final long[] pfns = allocateEverySinglePage(domain);
            freeAll(domain, pfns);
            assertEquals(0x3ff, domain.cacheStats().cachedRanges(), "every page sits in a cache");
            assertEquals(0, domain.freePages(0x3ff), "the tree alone has no free page");
            final long flushesBefore = domain.cacheStats().flushes();

            assertEquals(0x3fe, domain.allocFast(2, 0x3ff), "the highest pair, after flushing the caches");
            assertEquals(flushesBefore + 1, domain.cacheStats().flushes());
            assertEquals(0x3c0, domain.allocFast(32, 0x3ff), "the block under the pair's is the highest free one");
            domain.verify();
        }
    }

    @Test
    void cachesHoldingTheWholeSpaceStillServeALowLimitOfTheSameClass()
    {
        try (IovaDomain domain = IovaDomain.builder().lastPfn(0x3ff).build())
        {
            final long[] pfns = allocateEverySinglePage(domain);
            for (int i = pfns.length - 1; i >= 0; i--)
            {
                domain.freeFast(pfns[i], 1); // lowest first: the loaded magazine ends up with the highest pfns
            }

            final long pfn = domain.allocFast(1, 0x10);
            assertNotEquals(NO_ADDRESS, pfn);
            assertTrue(pfn <= 0x10, "pfn=0x" + Long.toHexString(pfn) + " is above the limit 0x10");
            domain.verify();
        }
    }

    /**
     * The documented guarantee of {@link IovaDomain#allocFast}: "When the tree has no room, every
     * cache is flushed back and the tree is asked once more, so the caches never make an
     * allocation fail that the tree alone would satisfy" (Linux's {@code alloc_iova_fast} does
     * the same for every size). A request above {@code maxCachedPages} is a size class of its own.
     */
    @Test
    void requestAboveMaxCachedPagesFlushesTheCachesWhenTheTreeIsFull()
    {
        try (IovaDomain domain = IovaDomain.builder().lastPfn(0x3f).maxCachedPages(4).build())
        {
            freeAll(domain, allocateEverySinglePage(domain));
            assertEquals(0x3f, domain.cacheStats().cachedRanges(), "every page sits in a cache");

            assertEquals(0x38, domain.allocFast(8, 0x3f), "8 pages fit at 0x38 once the caches are flushed");
        }
    }

    @Test
    void rangesCachedByAThreadThatDiedAreFoundOnExhaustion() throws InterruptedException
    {
        try (IovaDomain domain = IovaDomain.builder().lastPfn(0x3ff).build())
        {
            runInThread(() -> freeAll(domain, allocateEverySinglePage(domain)));
            assertEquals(0x3ff, domain.liveRanges(), "every page sits in the caches the dead thread used");

            final long page = domain.allocFast(1, 0x3ff);
            final long pair = domain.allocFast(2, 0x3ff);
            assertNotEquals(NO_ADDRESS, page);
            assertNotEquals(NO_ADDRESS, pair);

            domain.freeFast(page, 1);
            domain.freeFast(pair, 2);
            domain.flushCaches();
            assertEquals(0, domain.liveRanges());
            assertEquals(0x3ff, domain.freePages(0x3ff));
            domain.verify();
        }
    }

    @Test
    void threadsThatDieLeaveTheirCachedRangesReachable() throws InterruptedException
    {
        try (IovaDomain domain = domainBuilder().magazineRanges(4).depotMagazines(2).build())
        {
            final Thread[] threads = new Thread[16];
            for (int t = 0; t < threads.length; t++)
            {
                final int seed = t;
                threads[t] = new Thread(() ->
                {
                    final long[] pfns = new long[50];
                    for (int i = 0; i < pfns.length; i++)
                    {
                        pfns[i] = domain.allocFast(1 + (i + seed) % 48, LAST_PFN);
                    }
                    for (int i = 0; i < pfns.length; i++)
                    {
                        domain.freeFast(pfns[i], 1 + (i + seed) % 48);
                    }
                });
                threads[t].start();
            }
            for (final Thread thread : threads)
            {
                thread.join();
            }
            final RangeCacheStats stats = domain.cacheStats();
            assertTrue(stats.cachedRanges() > 0, "the dead threads left ranges in the caches");
            assertEquals(stats.cachedRanges(), domain.liveRanges(), "only cached ranges are live");

            domain.flushCaches();

            assertEquals(0, domain.liveRanges());
            assertEquals(LAST_PFN, domain.freePages(LAST_PFN));
            assertEquals(0, domain.cacheStats().cachedRanges());
            domain.verify();
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Magazines and the depot
    // ---------------------------------------------------------------------------------------------

    @Test
    void depotOverflowReturnsRangesToTheTree()
    {
        try (IovaDomain domain = domainBuilder().cacheStripes(1).magazineRanges(2).depotMagazines(1).build())
        {
            final long[] pfns = new long[10];
            for (int i = 0; i < pfns.length; i++)
            {
                pfns[i] = domain.allocFast(1, LAST_PFN);
            }
            freeAll(domain, pfns);

            // Loaded and previous magazines hold 2 each, the depot one magazine of 2: the other 4 went to the tree.
            final RangeCacheStats afterFrees = domain.cacheStats();
            assertAll(
                () -> assertEquals(10, afterFrees.fastFrees()),
                () -> assertEquals(6, afterFrees.cachedRanges()),
                () -> assertEquals(1, afterFrees.depotMagazines()),
                () -> assertEquals(4, afterFrees.treeFrees()),
                () -> assertEquals(6, domain.liveRanges()));

            for (int i = 0; i < 6; i++)
            {
                assertNotEquals(NO_ADDRESS, domain.allocFast(1, LAST_PFN));
            }
            final RangeCacheStats afterAllocs = domain.cacheStats();
            assertAll(
                () -> assertEquals(6, afterAllocs.allocHits(), "loaded, previous, then the depot's magazine"),
                () -> assertEquals(10, afterAllocs.allocMisses()),
                () -> assertEquals(0, afterAllocs.depotMagazines()),
                () -> assertEquals(0, afterAllocs.cachedRanges()));
            domain.verify();
        }
    }

    @Test
    void depotOfZeroMagazinesSendsEveryOverflowToTheTree()
    {
        try (IovaDomain domain = domainBuilder().cacheStripes(1).magazineRanges(2).depotMagazines(0).build())
        {
            final long[] pfns = new long[6];
            for (int i = 0; i < pfns.length; i++)
            {
                pfns[i] = domain.allocFast(2, LAST_PFN);
            }
            freeAll(domain, pfns, 2);

            final RangeCacheStats stats = domain.cacheStats();
            assertAll(
                () -> assertEquals(4, stats.cachedRanges()),
                () -> assertEquals(0, stats.depotMagazines()),
                () -> assertEquals(2, stats.treeFrees()),
                () -> assertEquals(4, domain.liveRanges()));
        }
    }

    @Test
    void rangesFreedOnOneThreadAreHandedOutOnAnother() throws InterruptedException
    {
        final int magazineRanges = 8;
        try (IovaDomain domain = domainBuilder().magazineRanges(magazineRanges).depotMagazines(32).build())
        {
            final long[] pfns = new long[100];
            for (int i = 0; i < pfns.length; i++)
            {
                pfns[i] = domain.allocFast(1, LAST_PFN);
            }
            runInThread(() -> freeAll(domain, pfns));

            for (int i = 0; i < pfns.length; i++)
            {
                pfns[i] = domain.allocFast(1, LAST_PFN);
            }

            // Whatever the two threads' stripes, at most the freeing stripe's two magazines stay out of reach.
            final long hits = domain.cacheStats().allocHits();
            assertTrue(hits >= pfns.length - 2 * magazineRanges, "only " + hits + " of " + pfns.length + " allocations hit");
            freeAll(domain, pfns);
            assertEquals(LAST_PFN, flushedSnapshotOf(domain).freePages());
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Ordinary tree ranges through freeFast, reserve, the live map's reach
    // ---------------------------------------------------------------------------------------------

    @Test
    void freeFastFreesOrdinaryTreeRangesInTheTree()
    {
        try (IovaDomain domain = domainBuilder().build())
        {
            final long single = domain.alloc(1, LAST_PFN, false);
            final long unalignedFour = domain.alloc(4, LAST_PFN, false);
            final long alignedFour = domain.alloc(4, LAST_PFN, true);
            final long large = domain.alloc(40, LAST_PFN, false);
            assertNotEquals(0, unalignedFour % 4, "the test wants a misaligned range here");

            domain.freeFast(single, 1);
            domain.freeFast(unalignedFour, 4);
            domain.freeFast(alignedFour, 4);
            domain.freeFast(large, 40);

            assertEquals(0, domain.liveRanges(), "ordinary ranges go straight back to the tree");
            assertEquals(0, domain.cacheStats().fastFrees());
            domain.verify();
        }
    }

    /**
     * {@link IovaDomain#freeFast}'s contract: "Ordinary ranges from {@link IovaDomain#alloc} are
     * accepted too and go to the tree", with {@code pages} "the length it was allocated with".
     */
    @Test
    void freeFastFreesAnOrdinaryTreeRangeWhoseLengthIsNotAPowerOfTwo()
    {
        try (IovaDomain domain = domainBuilder().build())
        {
            final long pfn = domain.alloc(3, LAST_PFN, true);

            domain.freeFast(pfn, 3);

            assertEquals(0, domain.liveRanges());
            assertNull(domain.find(pfn));
        }
    }

    @Test
    void reserveTakesBackRangesSittingInTheCaches()
    {
        try (IovaDomain domain = domainBuilder().build())
        {
            final long pfn = domain.allocFast(16, LAST_PFN);
            domain.freeFast(pfn, 16);

            domain.reserve(pfn, pfn + 15);

            assertTrue(domain.find(pfn).reserved());
            assertEquals(0, domain.liveRanges());
            for (int i = 0; i < 64; i++)
            {
                final long next = domain.allocFast(16, LAST_PFN);
                assertTrue(next + 15 < pfn || next > pfn + 15, "pfn=0x" + Long.toHexString(next) + " overlaps the reserved range");
            }
            domain.verify();
        }
    }

    @Test
    void rangesBeyondTheLiveMapsReachAreHandedOutUntrackedAndFreedThroughTheTree()
    {
        // One free page per 32 Ki-page window of the live map, in more windows than its directory holds.
        final int windows = LiveRangeMap.DIRECTORY_SLOTS + 6;
        final long windowPages = LiveRangeMap.LEAF_SLOTS;
        final long lastPfn = windows * windowPages - 1;
        try (IovaDomain domain = IovaDomain.builder().lastPfn(lastPfn).build())
        {
            final long[] loPfns = new long[windows];
            final long[] hiPfns = new long[windows];
            for (int w = 0; w < windows; w++)
            {
                loPfns[w] = Math.max(1, w * windowPages);
                hiPfns[w] = w * windowPages + windowPages - 2;
            }
            domain.reserveAll(loPfns, hiPfns);

            final long[] pfns = new long[windows];
            for (int i = 0; i < windows; i++)
            {
                pfns[i] = domain.allocFast(1, lastPfn);
                assertEquals(windowPages - 1, pfns[i] % windowPages, "the only free page of its window");
            }
            assertEquals(6, domain.cacheStats().untrackedAllocs());
            assertEquals(NO_ADDRESS, domain.allocFast(1, lastPfn));

            freeAll(domain, pfns);
            assertEquals(LiveRangeMap.DIRECTORY_SLOTS, domain.cacheStats().fastFrees());
            assertEquals(LiveRangeMap.DIRECTORY_SLOTS, domain.liveRanges(), "untracked ranges went straight to the tree");
            final long untracked = pfns[windows - 1];
            final IllegalArgumentException doubleFree = assertThrows(IllegalArgumentException.class, () -> domain.freeFast(untracked, 1));
            assertTrue(doubleFree.getMessage().contains("pfn=0x" + Long.toHexString(untracked)), doubleFree.getMessage());

            domain.flushCaches();
            assertEquals(0, domain.liveRanges());
            assertEquals(windows, domain.freePages(lastPfn));
            domain.verify();
        }
    }

    /**
     * Devices with different DMA limits take one class's ranges in different live-map windows,
     * interleaved, so that a stripe's leaf hint (the last window it used) changes on nearly every
     * call: six windows, freed in a new order each round. Every free finds its own byte: each
     * range frees once, a second free of it and a free of a pfn below its window's ranges (never
     * handed out) are refused, and nothing is left once the caches are flushed.
     */
    @Test
    void interleavedWindowsOfOneClassFreeEachRangeOnceWhateverTheHintHolds()
    {
        final long windowPages = LiveRangeMap.LEAF_SLOTS; // class 0: one pfn per slot
        final int windows = 6;
        final int perWindow = 40;
        try (IovaDomain domain = IovaDomain.builder().lastPfn(windows * windowPages - 1).cacheStripes(1).build())
        {
            // Allocated top window first, so that no cached range of a higher window is under a lower window's limit.
            final long[][] pfns = new long[windows][perWindow];
            for (int window = windows - 1; window >= 0; window--)
            {
                for (int i = 0; i < perWindow; i++)
                {
                    final long pfn = domain.allocFast(1, (window + 1) * windowPages - 1);
                    assertEquals(window, pfn / windowPages, "pfn=0x" + Long.toHexString(pfn) + " outside window " + window);
                    pfns[window][i] = pfn;
                }
            }
            // Freed across the windows in turn, each round in a new order: every free leaves the hint's window.
            for (int i = 0; i < perWindow; i++)
            {
                for (int w = 0; w < windows; w++)
                {
                    final int window = (w * 5 + i) % windows;
                    final long pfn = pfns[window][i];
                    domain.freeFast(pfn, 1);
                    assertThrows(IllegalArgumentException.class, () -> domain.freeFast(pfn, 1), "a double free of pfn=0x" +
                        Long.toHexString(pfn) + " in window " + window);
                    final long unallocated = (window + 1) * windowPages - 1 - perWindow; // below every range of its window
                    assertThrows(IllegalArgumentException.class, () -> domain.freeFast(unallocated, 1), "a free of pfn=0x" +
                        Long.toHexString(unallocated) + " that nobody allocated, in window " + window);
                }
                // allocations under each window's limit take cached ranges back (of that window or a lower one)
                for (int w = 0; w < windows; w++)
                {
                    final int window = (w * 5 + i + 1) % windows;
                    final long pfn = domain.allocFast(1, (window + 1) * windowPages - 1);
                    assertNotEquals(NO_ADDRESS, pfn);
                    domain.freeFast(pfn, 1);
                }
            }
            assertEquals(2L * perWindow * windows, domain.cacheStats().fastFrees());
            domain.flushCaches();
            assertEquals(0, domain.liveRanges());
            domain.verify();
        }
    }

    // ---------------------------------------------------------------------------------------------

    /** Allocates every page of a domain starting at pfn 1, one at a time, through the caches. */
    private static long[] allocateEverySinglePage(final IovaDomain domain)
    {
        final long[] pfns = new long[Math.toIntExact(domain.lastPfn())];
        for (int i = 0; i < pfns.length; i++)
        {
            pfns[i] = domain.allocFast(1, domain.lastPfn());
            assertNotEquals(NO_ADDRESS, pfns[i], "page " + i + " of " + pfns.length);
        }
        assertEquals(NO_ADDRESS, domain.allocFast(1, domain.lastPfn()));
        assertFalse(domain.cacheStats().cachedRanges() > 0);
        return pfns;
    }

    private static void freeAll(final IovaDomain domain, final long[] pfns)
    {
        freeAll(domain, pfns, 1);
    }

    private static void freeAll(final IovaDomain domain, final long[] pfns, final long pages)
    {
        for (final long pfn : pfns)
        {
            domain.freeFast(pfn, pages);
        }
    }

    private static void runInThread(final Runnable action) throws InterruptedException
    {
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final Thread thread = new Thread(action);
        thread.setUncaughtExceptionHandler((t, e) -> failure.set(e));
        thread.start();
        thread.join();
        if (failure.get() != null)
        {
            throw new AssertionError("the other thread failed", failure.get());
        }
    }
}
