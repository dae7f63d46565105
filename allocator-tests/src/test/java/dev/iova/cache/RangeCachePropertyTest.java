package dev.iova.cache;

import dev.iova.IovaDomain;
import dev.iova.IovaRange;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.RandomDistribution;
import net.jqwik.api.Tuple;

import static dev.iova.IovaDomain.NO_ADDRESS;
import static dev.iova.cache.DomainSnapshot.highestFit;
import static dev.iova.cache.DomainSnapshot.pagesOf;
import static dev.iova.cache.DomainSnapshot.rangesOf;
import static dev.iova.cache.DomainSnapshot.roundUpToPowerOfTwo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A cached domain against a model of what its user sees, over random single-threaded sequences
 * of {@code allocFast}, {@code freeFast}, {@code alloc}, {@code free}, {@code reserve} and
 * {@code flushCaches} in small spaces (so that they run out), with small magazines and depots
 * (so that depot trades and overflows happen).
 *
 * <h2>The model</h2>
 * The pages in use by the user (a bit set), the reserved pages, and the list of live ranges.
 * Ranges sitting in a cache are free in the model; the domain's tree still holds them, so the
 * model gets them from the tree's listing: every allocated range the user does not hold.
 *
 * <h2>Checked after every step</h2>
 * <ul>
 *   <li>no two live ranges overlap and none overlaps a reserved page;</li>
 *   <li>every {@code allocFast} result is aligned to the request rounded up to a power of two,
 *       at or above {@code startPfn} and ending at or below its limit;</li>
 *   <li>{@code alloc} (the tree API) returns exactly the highest fit among the tree's ranges,
 *       cached ones included (it never flushes, like Linux's {@code alloc_iova});</li>
 *   <li>the tree holds every live range exactly; the other allocated ranges are cached: aligned
 *       power-of-two ranges of cached sizes, as many as {@code cacheStats().cachedRanges()};
 *       {@code liveRanges()} counts both; the reserved pages are the model's;</li>
 *   <li>{@code reserve} throws exactly when the range overlaps a live range;</li>
 *   <li>{@code verify()} passes; after {@code flushCaches()} the tree holds exactly the live
 *       ranges and {@code freePages(lastPfn)} equals the model's free pages.</li>
 * </ul>
 * Allocation may fail only when the model says the tree alone could not fit the request: no
 * aligned free run of the rounded size below the limit, counting cached ranges as free.
 */
class RangeCachePropertyTest
{
    // ---------------------------------------------------------------------------------------------
    // Properties
    // ---------------------------------------------------------------------------------------------

    /**
     * Every invariant above. An {@code allocFast} of a cached size may fail only when the user's
     * free space has no fit; one above {@code maxCachedPages} only when the tree has none (see the
     * next property for the stricter rule).
     */
    @Property(tries = 2000)
    void liveRangesNeverOverlapAndFlushRestoresTheModelsFreePages(
        @ForAll("configs") final Config config, @ForAll("steps") final List<Step> steps)
    {
        new ModelRun(config, false).run(steps);
    }

    /**
     * "The caches never make an allocation fail that the tree alone would satisfy", for every
     * size, as {@link IovaDomain#allocFast} documents: a failing {@code allocFast} means the
     * user's free space (cached ranges counted as free) holds no fit.
     */
    @Property(tries = 250)
    void allocFastFailsOnlyWhenTheTreeAloneCouldNotFit(
        @ForAll("smallConfigs") final Config config, @ForAll("exhaustingSteps") final List<Step> steps)
    {
        new ModelRun(config, true).run(steps);
    }

    /** With {@code maxCachedPages(0)} the fast API is the tree API: same results, same ranges, step by step. */
    @Property(tries = 200)
    void fastApiWithoutCachesIsTheTreeApi(@ForAll("uncachedConfigs") final Config config, @ForAll("steps") final List<Step> steps)
    {
        try (IovaDomain uncached = config.build();
             IovaDomain plain = IovaDomain.builder().startPfn(config.startPfn()).lastPfn(config.lastPfn()).build())
        {
            final List<long[]> live = new ArrayList<>();
            for (final Step step : steps)
            {
                if (step instanceof AllocFast allocFast)
                {
                    final long limitPfn = config.limitPfn(allocFast.limitPick());
                    final long pfn = uncached.allocFast(allocFast.pages(), limitPfn);
                    assertEquals(plain.alloc(allocFast.pages(), limitPfn, true), pfn, step.toString());
                    if (pfn != NO_ADDRESS)
                    {
                        live.add(new long[] {pfn, allocFast.pages()});
                    }
                }
                else if (step instanceof FreeFast freeFast && !live.isEmpty())
                {
                    final long[] range = live.remove(freeFast.pick() % live.size());
                    uncached.freeFast(range[0], range[1]);
                    plain.free(range[0], range[1]);
                }
                else if (step instanceof Flush)
                {
                    uncached.flushCaches();
                }
                assertEquals(rangesOf(plain), rangesOf(uncached), "after " + step);
            }
            assertEquals(plain.freePages(config.lastPfn()), uncached.freePages(config.lastPfn()));
            uncached.verify();
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Generators
    // ---------------------------------------------------------------------------------------------

    /**
     * A domain's geometry.
     *
     * @param startPfn       lowest pfn.
     * @param lastPfn        highest pfn.
     * @param maxCachedPages 0 (caches off) or a power of two.
     * @param magazineRanges ranges per magazine.
     * @param depotMagazines magazines per depot.
     * @param stripes        cache stripes.
     */
    record Config(long startPfn, long lastPfn, long maxCachedPages, int magazineRanges, int depotMagazines, int stripes)
    {
        IovaDomain build()
        {
            return IovaDomain.builder().startPfn(startPfn).lastPfn(lastPfn).maxCachedPages(maxCachedPages)
                .magazineRanges(magazineRanges).depotMagazines(depotMagazines).cacheStripes(stripes).build();
        }

        /** Maps a random pick to a limit: mostly lastPfn, sometimes above it, else anywhere in the domain. */
        long limitPfn(final int pick)
        {
            return switch (pick % 8)
            {
                case 0, 1, 2, 3, 4 -> lastPfn;
                case 5 -> lastPfn + 7;
                default -> startPfn + (pick / 8) % (lastPfn - startPfn + 1);
            };
        }
    }

    /** One call on the domain, with random picks the run maps to the state at that moment. */
    sealed interface Step permits AllocFast, Alloc, FreeFast, Free, Reserve, Flush
    {
    }

    /** {@code allocFast(pages, limit)}. */
    record AllocFast(long pages, int limitPick) implements Step
    {
    }

    /** {@code alloc(pages, limit, aligned)}. */
    record Alloc(long pages, int limitPick, boolean aligned) implements Step
    {
    }

    /** {@code freeFast} of a live range, with a length of its size class picked by {@code lengthPick}. */
    record FreeFast(int pick, int lengthPick) implements Step
    {
    }

    /** {@code free(pfn)} by an inner pfn, or {@code free(pfn, pages)}, of a live tree range. */
    record Free(int pick, int innerPick, boolean exact) implements Step
    {
    }

    /** {@code reserve(lo, lo + pages - 1)}, clipped to the domain. */
    record Reserve(int loPick, int pages) implements Step
    {
    }

    /** {@code flushCaches()}. */
    record Flush() implements Step
    {
    }

    @Provide
    Arbitrary<Config> configs()
    {
        return configs(Arbitraries.longs().between(40, 1000), Arbitraries.of(0L, 1L, 2L, 8L, 32L, 32L));
    }

    @Provide
    Arbitrary<Config> smallConfigs()
    {
        return configs(Arbitraries.longs().between(20, 160), Arbitraries.of(1L, 2L, 4L, 8L, 32L));
    }

    @Provide
    Arbitrary<Config> uncachedConfigs()
    {
        return configs(Arbitraries.longs().between(40, 700), Arbitraries.just(0L));
    }

    private static Arbitrary<Config> configs(final Arbitrary<Long> lastPfns, final Arbitrary<Long> maxCachedPages)
    {
        return Combinators.combine(
                Arbitraries.of(1L, 1L, 2L, 3L, 5L, 16L), lastPfns, maxCachedPages,
                Arbitraries.of(1, 2, 3, 127), Arbitraries.of(0, 1, 2, 32), Arbitraries.of(1, 2, 8))
            .as(Config::new);
    }

    @Provide
    Arbitrary<List<Step>> steps()
    {
        return Arbitraries.frequencyOf(
                Tuple.of(30, allocFasts(Arbitraries.frequencyOf(
                    Tuple.of(6, Arbitraries.of(1L, 1L, 1L, 2L, 2L, 3L, 4L)),
                    Tuple.of(3, Arbitraries.longs().between(5, 16)),
                    Tuple.of(1, Arbitraries.longs().between(17, 48))))),
                Tuple.of(6, allocs()),
                Tuple.of(32, freeFasts()),
                Tuple.of(6, frees()),
                Tuple.of(3, reserves()),
                Tuple.of(4, Arbitraries.just(new Flush())))
            .list().ofMinSize(20).ofMaxSize(150).withSizeDistribution(RandomDistribution.uniform());
    }

    @Provide
    Arbitrary<List<Step>> exhaustingSteps()
    {
        return Arbitraries.frequencyOf(
                Tuple.of(50, allocFasts(Arbitraries.frequencyOf(
                    Tuple.of(6, Arbitraries.longs().between(1, 2)),
                    Tuple.of(3, Arbitraries.longs().between(3, 16)),
                    Tuple.of(2, Arbitraries.longs().between(17, 40))))),
                Tuple.of(4, allocs()),
                Tuple.of(25, freeFasts()),
                Tuple.of(2, reserves()),
                Tuple.of(2, Arbitraries.just(new Flush())))
            .list().ofMinSize(20).ofMaxSize(200).withSizeDistribution(RandomDistribution.uniform());
    }

    private static Arbitrary<Step> allocFasts(final Arbitrary<Long> pages)
    {
        return Combinators.combine(pages, Arbitraries.integers().between(0, 99_999)).as(AllocFast::new);
    }

    private static Arbitrary<Step> allocs()
    {
        return Combinators.combine(Arbitraries.longs().between(1, 20), Arbitraries.integers().between(0, 99_999),
            Arbitraries.of(true, false)).as(Alloc::new);
    }

    private static Arbitrary<Step> freeFasts()
    {
        return Combinators.combine(Arbitraries.integers().between(0, 9_999), Arbitraries.integers().between(0, 99))
            .as(FreeFast::new);
    }

    private static Arbitrary<Step> frees()
    {
        return Combinators.combine(Arbitraries.integers().between(0, 9_999), Arbitraries.integers().between(0, 99),
            Arbitraries.of(true, false)).as(Free::new);
    }

    private static Arbitrary<Step> reserves()
    {
        return Combinators.combine(Arbitraries.integers().between(0, 99_999), Arbitraries.integers().between(1, 24))
            .as(Reserve::new);
    }

    // ---------------------------------------------------------------------------------------------
    // The run
    // ---------------------------------------------------------------------------------------------

    /**
     * A live range of the user.
     *
     * @param pfn          first pfn.
     * @param spanPages    its length in the tree.
     * @param requestPages what was asked for.
     * @param fast         handed out by {@code allocFast} (else by {@code alloc}).
     */
    private record Live(long pfn, long spanPages, long requestPages, boolean fast)
    {
        long hiPfn()
        {
            return pfn + spanPages - 1;
        }
    }

    /** One sequence of steps against a fresh domain and the model. */
    private static final class ModelRun
    {
        private final Config config;
        private final boolean strictForEverySize;
        private final BitSet userPages = new BitSet();
        private final BitSet reservedPages = new BitSet();
        private final List<Live> live = new ArrayList<>();
        private final long domainPages;
        private IovaDomain domain;
        private String where = "";

        ModelRun(final Config config, final boolean strictForEverySize)
        {
            this.config = config;
            this.strictForEverySize = strictForEverySize;
            this.domainPages = config.lastPfn() - config.startPfn() + 1;
        }

        void run(final List<Step> steps)
        {
            try (IovaDomain domain = config.build())
            {
                this.domain = domain;
                for (int index = 0; index < steps.size(); index++)
                {
                    final Step step = steps.get(index);
                    where = "step " + index + " " + step + " of " + config;
                    apply(step);
                    checkTreeAgainstModel(step instanceof Flush);
                }
                where = "freeing everything at the end of " + config;
                while (!live.isEmpty())
                {
                    freeLive(live.size() - 1, 0);
                }
                domain.flushCaches();
                checkTreeAgainstModel(true);
                assertEquals(0, domain.liveRanges(), where);
            }
        }

        private void apply(final Step step)
        {
            if (step instanceof AllocFast allocFast)
            {
                allocFast(allocFast.pages(), config.limitPfn(allocFast.limitPick()));
            }
            else if (step instanceof Alloc alloc)
            {
                alloc(alloc.pages(), config.limitPfn(alloc.limitPick()), alloc.aligned());
            }
            else if (step instanceof FreeFast freeFast)
            {
                if (!live.isEmpty())
                {
                    freeLive(freeFast.pick() % live.size(), freeFast.lengthPick());
                }
            }
            else if (step instanceof Free free)
            {
                treeFree(free);
            }
            else if (step instanceof Reserve reserve)
            {
                final long loPfn = config.startPfn() + reserve.loPick() % domainPages;
                reserve(loPfn, Math.min(config.lastPfn(), loPfn + reserve.pages() - 1));
            }
            else
            {
                domain.flushCaches();
            }
        }

        private boolean isCached(final long pages)
        {
            return pages <= config.maxCachedPages();
        }

        private void allocFast(final long pages, final long limitPfn)
        {
            final long effectiveLimitPfn = Math.min(limitPfn, config.lastPfn());
            final boolean cached = isCached(pages);
            final long alignPages = roundUpToPowerOfTwo(pages);
            final long spanPages = cached ? alignPages : pages;
            final long treeFit = highestFit(pagesOf(rangesOf(domain)), config.startPfn(), effectiveLimitPfn, spanPages, alignPages);
            final long userFit = highestFit(userOrReservedPages(), config.startPfn(), effectiveLimitPfn, spanPages, alignPages);

            final long pfn = domain.allocFast(pages, limitPfn);

            if (pfn == NO_ADDRESS)
            {
                if (cached || strictForEverySize)
                {
                    assertEquals(NO_ADDRESS, userFit, where + ": allocFast failed, but [0x" + Long.toHexString(userFit) + ", +" +
                        spanPages + ") is free for the user (the tree alone would fit it)");
                }
                else
                {
                    assertEquals(NO_ADDRESS, treeFit, where + ": allocFast above maxCachedPages failed, but the tree has a fit");
                }
                return;
            }
            assertTrue(pfn % alignPages == 0 && pfn >= config.startPfn() && pfn + spanPages - 1 <= effectiveLimitPfn,
                where + ": pfn=0x" + Long.toHexString(pfn) + " is misaligned or outside [startPfn, limit]");
            if (!cached)
            {
                assertEquals(treeFit != NO_ADDRESS ? treeFit : userFit, pfn, where + ": like alloc(pages, limit, true)");
            }
            addLive(new Live(pfn, spanPages, pages, true));
        }

        private void alloc(final long pages, final long limitPfn, final boolean aligned)
        {
            final long expected = highestFit(pagesOf(rangesOf(domain)), config.startPfn(), Math.min(limitPfn, config.lastPfn()),
                pages, aligned ? roundUpToPowerOfTwo(pages) : 1);

            final long pfn = domain.alloc(pages, limitPfn, aligned);

            assertEquals(expected, pfn, where + ": the tree's highest fit");
            if (pfn != NO_ADDRESS)
            {
                addLive(new Live(pfn, pages, pages, false));
            }
        }

        private void addLive(final Live range)
        {
            final int next = userOrReservedPages().nextSetBit(Math.toIntExact(range.pfn()));
            if (next >= 0 && next <= range.hiPfn())
            {
                fail(where + ": " + range + " overlaps pfn 0x" + Integer.toHexString(next) + (reservedPages.get(next) ?
                    ", which is reserved" : ", which is in a live range"));
            }
            userPages.set(Math.toIntExact(range.pfn()), Math.toIntExact(range.hiPfn() + 1));
            live.add(range);
        }

        /** Frees a live range the way its user would: freeFast for fast ranges, any length of the class. */
        private void freeLive(final int index, final int lengthPick)
        {
            final Live range = live.get(index);
            if (range.fast() && isCached(range.requestPages()))
            {
                final long classPages = range.spanPages();
                domain.freeFast(range.pfn(), classPages == 1 ? 1 : classPages / 2 + 1 + lengthPick % (classPages / 2));
            }
            else if (range.fast() || Long.bitCount(range.spanPages()) == 1 || !isCached(range.spanPages()))
            {
                domain.freeFast(range.pfn(), range.requestPages());
            }
            else
            {
                // freeFast of an ordinary range whose length is not a power of two is refused
                // (RangeCacheOperationsTest.freeFastFreesAnOrdinaryTreeRangeWhoseLengthIsNotAPowerOfTwo): free it in the tree.
                domain.free(range.pfn(), range.spanPages());
            }
            removeLive(index);
        }

        private void treeFree(final Free free)
        {
            final List<Integer> treeRanges = new ArrayList<>();
            for (int index = 0; index < live.size(); index++)
            {
                if (!live.get(index).fast())
                {
                    treeRanges.add(index);
                }
            }
            if (treeRanges.isEmpty())
            {
                return;
            }
            final int index = treeRanges.get(free.pick() % treeRanges.size());
            final Live range = live.get(index);
            if (free.exact())
            {
                domain.free(range.pfn(), range.spanPages());
            }
            else
            {
                domain.free(range.pfn() + free.innerPick() % range.spanPages());
            }
            removeLive(index);
        }

        private void removeLive(final int index)
        {
            final Live range = live.remove(index);
            userPages.clear(Math.toIntExact(range.pfn()), Math.toIntExact(range.hiPfn() + 1));
        }

        private void reserve(final long loPfn, final long hiPfn)
        {
            final int next = userPages.nextSetBit(Math.toIntExact(loPfn));
            if (next >= 0 && next <= hiPfn)
            {
                final IllegalArgumentException rejected = assertThrows(IllegalArgumentException.class, () -> domain.reserve(loPfn, hiPfn),
                    where + ": reserve over live pfn 0x" + Integer.toHexString(next));
                assertTrue(rejected.getMessage().contains("overlaps live allocation"), rejected.getMessage());
                return;
            }
            domain.reserve(loPfn, hiPfn);
            reservedPages.set(Math.toIntExact(loPfn), Math.toIntExact(hiPfn + 1));
        }

        private BitSet userOrReservedPages()
        {
            final BitSet pages = (BitSet)userPages.clone();
            pages.or(reservedPages);
            return pages;
        }

        private void checkTreeAgainstModel(final boolean flushed)
        {
            domain.verify();
            final List<IovaRange> ranges = rangesOf(domain);
            final List<IovaRange> reserved = new ArrayList<>();
            final Set<IovaRange> allocated = new HashSet<>();
            for (final IovaRange range : ranges)
            {
                (range.reserved() ? reserved : allocated).add(range);
            }
            assertEquals(reservedPages, pagesOf(reserved), where + ": reserved pages");

            for (final Live range : live)
            {
                if (!allocated.remove(new IovaRange(range.pfn(), range.hiPfn(), false)))
                {
                    fail(where + ": the tree does not hold live range " + range + "; it holds " + ranges);
                }
            }
            // What is left is sitting in the caches.
            for (final IovaRange cachedRange : allocated)
            {
                assertTrue(Long.bitCount(cachedRange.pages()) == 1 && cachedRange.pages() <= config.maxCachedPages() &&
                    cachedRange.loPfn() % cachedRange.pages() == 0, where + ": " + cachedRange + " cannot be a cached range");
            }
            final long cachedRanges = config.maxCachedPages() == 0 ? 0 : domain.cacheStats().cachedRanges();
            assertEquals(allocated.size(), cachedRanges, where + ": cached ranges");
            assertEquals(live.size() + cachedRanges, domain.liveRanges(), where + ": liveRanges() counts live and cached ranges");

            if (flushed)
            {
                assertEquals(0, cachedRanges, where + ": cached ranges after a flush");
                assertEquals(domainPages - userOrReservedPages().cardinality(), domain.freePages(config.lastPfn()),
                    where + ": free pages after a flush");
            }
        }
    }
}
