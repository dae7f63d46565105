package dev.iova.bench.jmh;

import dev.iova.IovaDomain;

/**
 * A known, deliberate slowdown of the pairs of {@link AllocFreePairBenchmark}, for the regression
 * gate's sensitivity proof ({@code docs/gate.md}, {@code scripts/gate-proof.sh}) and nothing else:
 * the proof runs the same jar as baseline and as candidate, and sets {@value #PROPERTY} in the
 * candidate's forks only.
 *
 * <p>With {@code -Diova.bench.extraPairPercent=P} (0 to 100), {@code P} operations in every 100 do
 * one more pair of the same kind (tree or fast API) on the same domain, spread evenly (each
 * operation adds {@code P} to a credit, and the one that brings it to 100 or more does an extra pair
 * and takes 100 off), so the operation's average cost grows
 * by {@code P}% of a pair, whatever a pair costs on the machine: +5% for 5, +15% for 15.
 * {@link #EXTRA_PAIR_PERCENT} is read when the class is loaded and is 0 unless the property is
 * given; being a {@code static final}, the JIT then compiles {@link #afterPair} to nothing, and the
 * benchmarks measure what they did without the knob.
 *
 * <h2>Why not {@code Blackhole.consumeCPU}</h2>
 * A fixed amount of arithmetic is not a known slowdown of the tree pair: it is independent of the
 * pair, so the CPU runs it in the shadow of the pair's cache misses. In
 * {@code gate --baseline-jar J --candidate-jar J --suite 'AllocFreePairBenchmark\.tree$' --mode avgt --rounds 5}
 * with {@code consumeCPU} in the candidate's pairs, on the 2-core VM, 12 tokens measured +0.2%, 30
 * tokens +1.4% and 60 tokens +23.6%: nothing, then a jump. An extra pair costs what a pair costs.
 *
 * <p>The credit is a plain static field: the proof measures single-threaded benchmarks
 * ({@code cached}, {@code tree}); from several threads the knob still slows the pairs, by an amount
 * less exactly known.
 */
public final class InjectedCost
{
    /** The system property that sets {@link #EXTRA_PAIR_PERCENT} in a fork: {@code -Diova.bench.extraPairPercent=10}. */
    public static final String PROPERTY = "iova.bench.extraPairPercent";

    /** Extra pairs per 100 operations; 0 (the default) never. */
    static final int EXTRA_PAIR_PERCENT = percent(Integer.getInteger(PROPERTY, 0));

    /**
     * Hundredths of an extra pair owed, 0 to 99: an add and a compare per operation, as cheap as
     * the countdown of the knob's first form (one extra pair every N operations). A first version
     * multiplied and divided an operation counter by 100 twice per operation; the one campaign run
     * it made measured +16.7% (cached) and +19.2% (tree) for +10%, and it was replaced before the
     * cause was separated from the day's noise (the campaign's own runs measure the credit's).
     */
    private static int credit;

    private InjectedCost()
    {
    }

    static int percent(final int value)
    {
        if (value < 0 || value > 100)
        {
            throw new IllegalArgumentException("-D" + PROPERTY + "=" + value + " is not a percentage from 0 to 100");
        }
        return value;
    }

    /**
     * Called after each pair: {@link #EXTRA_PAIR_PERCENT} calls in every 100 do one more pair;
     * compiled to nothing when the knob is off.
     *
     * @param domain   the pair's domain.
     * @param treePath true for {@code alloc}/{@code free}, false for {@code allocFast}/{@code freeFast}.
     */
    static void afterPair(final IovaDomain domain, final boolean treePath)
    {
        if (EXTRA_PAIR_PERCENT > 0 && takesExtraPair(EXTRA_PAIR_PERCENT))
        {
            extraPair(domain, treePath);
        }
    }

    /**
     * Adds {@code percent} to the credit and says whether this operation does an extra pair: exactly
     * {@code percent} of every 100 consecutive calls do, as evenly spaced as integers allow.
     *
     * @param percent extra pairs per 100 operations, 0 to 100.
     * @return true when this operation does one.
     */
    static boolean takesExtraPair(final int percent)
    {
        final int owed = credit + percent;
        final boolean extra = owed >= 100;
        credit = extra ? owed - 100 : owed;
        return extra;
    }

    /** Clears the credit (tests only: each fork starts at 0). */
    static void resetCredit()
    {
        credit = 0;
    }

    private static void extraPair(final IovaDomain domain, final boolean treePath)
    {
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
