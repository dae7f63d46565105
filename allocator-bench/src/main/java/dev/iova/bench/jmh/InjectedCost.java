package dev.iova.bench.jmh;

import dev.iova.IovaDomain;

/**
 * A known, deliberate slowdown of the pairs of {@link AllocFreePairBenchmark}, for the regression
 * gate's sensitivity proof ({@code docs/gate.md}, {@code scripts/gate-proof.sh}) and nothing else:
 * the proof runs the same jar as baseline and as candidate, and sets {@value #PROPERTY} in the
 * candidate's forks only.
 *
 * <p>With {@code -Diova.bench.extraPairEvery=N}, every {@code N}-th operation does one more pair of
 * the same kind (tree or fast API) on the same domain, so the operation's average cost grows by
 * {@code 1/N} of a pair: +2% for N = 50, +10% for N = 10, +50% for N = 2, whatever a pair costs on
 * the machine. {@link #EXTRA_PAIR_EVERY} is read when the class is loaded and is 0 unless the
 * property is given; being a {@code static final}, the JIT then compiles {@link #afterPair} to
 * nothing, and the benchmarks measure what they did before the knob existed.
 *
 * <h2>Why not {@code Blackhole.consumeCPU}</h2>
 * A fixed amount of arithmetic is not a known slowdown of the tree pair: it is independent of the
 * pair, so the CPU runs it in the shadow of the pair's cache misses. In
 * {@code gate --baseline-jar J --candidate-jar J --suite 'AllocFreePairBenchmark\.tree$' --mode avgt --rounds 5}
 * with {@code consumeCPU} in the candidate's pairs, on the 2-core VM, 12 tokens measured +0.2%, 30
 * tokens +1.4% and 60 tokens +23.6%: nothing, then a jump. An extra pair costs what a pair costs.
 *
 * <p>The countdown is a plain static field: the proof measures single-threaded benchmarks
 * ({@code cached}, {@code tree}); from several threads the knob still slows the pairs, by an amount
 * less exactly known.
 */
public final class InjectedCost
{
    /** The system property that sets {@link #EXTRA_PAIR_EVERY} in a fork: {@code -Diova.bench.extraPairEvery=10}. */
    public static final String PROPERTY = "iova.bench.extraPairEvery";

    /** One extra pair every this many operations; 0 (the default) never. */
    static final int EXTRA_PAIR_EVERY = Integer.getInteger(PROPERTY, 0);

    /** Operations until the next extra pair. */
    private static int countdown = EXTRA_PAIR_EVERY;

    private InjectedCost()
    {
    }

    /**
     * Called after each pair: every {@link #EXTRA_PAIR_EVERY}-th call does one more pair; compiled
     * to nothing when the knob is off.
     *
     * @param domain   the pair's domain.
     * @param treePath true for {@code alloc}/{@code free}, false for {@code allocFast}/{@code freeFast}.
     */
    static void afterPair(final IovaDomain domain, final boolean treePath)
    {
        if (EXTRA_PAIR_EVERY > 0 && --countdown == 0)
        {
            extraPair(domain, treePath);
        }
    }

    private static void extraPair(final IovaDomain domain, final boolean treePath)
    {
        countdown = EXTRA_PAIR_EVERY;
        if (treePath)
        {
            domain.free(domain.alloc(AllocFreePairBenchmark.PAIR_PAGES, AllocFreePairBenchmark.LIMIT_PFN, true),
                AllocFreePairBenchmark.PAIR_PAGES);
        }
        else
        {
            domain.freeFast(domain.allocFast(AllocFreePairBenchmark.PAIR_PAGES, AllocFreePairBenchmark.LIMIT_PFN),
                AllocFreePairBenchmark.PAIR_PAGES);
        }
    }
}
