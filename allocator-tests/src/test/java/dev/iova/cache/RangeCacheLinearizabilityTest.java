package dev.iova.cache;

import dev.iova.IovaDomain;

import org.jetbrains.kotlinx.lincheck.LinChecker;
import org.jetbrains.kotlinx.lincheck.annotations.Operation;
import org.jetbrains.kotlinx.lincheck.strategy.stress.StressOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Lincheck (stress strategy) checks that the fast API is linearizable against the user's view of
 * a domain: the set of live ranges, with no overlap and no lost range.
 *
 * <h2>Why so small a domain</h2>
 * Lincheck compares each concurrent run's results with some sequential order of the same calls
 * on a deterministic specification. Which pfn {@code allocFast} returns depends on the stripe a
 * thread hashes to and on what sits in which magazine, so a specification cannot predict pfns in
 * a domain with room for several ranges of a class. The domain here, pfns 2 and 3, has room for
 * exactly one range of each cached class, and the two overlap: the pair {@code [2, 3]} and the
 * page {@code 2} (asked with limit 2). Every result is then determined by the set of live
 * ranges, and a run is linearizable only if
 * <ul>
 *   <li>no two calls ever hold the pair and the page (or either twice) at once: no overlap;</li>
 *   <li>an allocation fails only at a moment when the other range is live: a range freed into a
 *       cache (any stripe, or the depot, with one-range magazines) is never lost to the other
 *       class, which gets it through the flush-and-retry;</li>
 *   <li>a free succeeds exactly when its range is live, and the tree API's {@code free(2)} never
 *       frees a range that {@code allocFast} handed out.</li>
 * </ul>
 * The broader properties (many ranges, sizes, limits and threads) are checked by
 * {@link RangeCacheStressTest}'s shadow ownership map and {@link RangeCachePropertyTest}; why
 * Lincheck's model checking mode is not used is in {@code docs/cache-correctness.md}.
 *
 * <p>Tagged {@code lincheck}: it runs in a JVM of its own (see {@code allocator-tests/pom.xml}),
 * because Lincheck's agent stays attached and transforms every class loaded after it.
 */
@Tag("lincheck")
public class RangeCacheLinearizabilityTest
{
    private static final String FREED = "freed";
    private static final String REJECTED = "rejected";

    /** The domain of the previous instance: Lincheck makes one per run and never closes it. */
    private static IovaDomain previousDomain;

    private final IovaDomain domain;

    public RangeCacheLinearizabilityTest()
    {
        synchronized (RangeCacheLinearizabilityTest.class)
        {
            if (previousDomain != null)
            {
                previousDomain.close(); // Lincheck runs one scenario at a time: the previous one is over
            }
            domain = IovaDomain.builder().startPfn(2).lastPfn(3).maxCachedPages(2)
                .magazineRanges(1).depotMagazines(1).cacheStripes(2).build();
            previousDomain = domain;
        }
    }

    @AfterAll
    static void closeTheLastDomain()
    {
        synchronized (RangeCacheLinearizabilityTest.class)
        {
            previousDomain.close();
        }
    }

    @Test
    void fastApiIsLinearizableAgainstTheSetOfLiveRanges()
    {
        LinChecker.check(RangeCacheLinearizabilityTest.class, new StressOptions()
            .sequentialSpecification(LiveRanges.class)
            .iterations(30)
            .invocationsPerIteration(1000)
            .threads(3)
            .actorsPerThread(3)
            .actorsBefore(3)
            .actorsAfter(3));
    }

    /** @return 2, or {@link IovaDomain#NO_ADDRESS} while the page or the pair is live. */
    @Operation
    public long allocPair()
    {
        return domain.allocFast(2, 3);
    }

    /** @return 2, or {@link IovaDomain#NO_ADDRESS} while the page or the pair is live. */
    @Operation
    public long allocPage()
    {
        return domain.allocFast(1, 2);
    }

    @Operation
    public String freePair()
    {
        return outcome(() -> domain.freeFast(2, 2));
    }

    @Operation
    public String freePage()
    {
        return outcome(() -> domain.freeFast(2, 1));
    }

    /** The tree API never frees what allocFast handed out, live or cached. */
    @Operation
    public String treeFree()
    {
        return outcome(() -> domain.free(2));
    }

    @Operation
    public void flushCaches()
    {
        domain.flushCaches();
    }

    private static String outcome(final Runnable free)
    {
        try
        {
            free.run();
            return FREED;
        }
        catch (final IllegalArgumentException rejected)
        {
            return REJECTED;
        }
    }

    /** The sequential specification: which of the two overlapping ranges the user holds. */
    public static final class LiveRanges
    {
        private boolean pairLive;
        private boolean pageLive;

        public long allocPair()
        {
            if (pairLive || pageLive)
            {
                return IovaDomain.NO_ADDRESS;
            }
            pairLive = true;
            return 2;
        }

        public long allocPage()
        {
            if (pairLive || pageLive)
            {
                return IovaDomain.NO_ADDRESS;
            }
            pageLive = true;
            return 2;
        }

        public String freePair()
        {
            if (!pairLive)
            {
                return REJECTED;
            }
            pairLive = false;
            return FREED;
        }

        public String freePage()
        {
            if (!pageLive)
            {
                return REJECTED;
            }
            pageLive = false;
            return FREED;
        }

        public String treeFree()
        {
            return REJECTED;
        }

        public void flushCaches()
        {
        }

        @Override
        public boolean equals(final Object other)
        {
            return other instanceof LiveRanges that && that.pairLive == pairLive && that.pageLive == pageLive;
        }

        @Override
        public int hashCode()
        {
            return (pairLive ? 1 : 0) | (pageLive ? 2 : 0);
        }
    }
}
