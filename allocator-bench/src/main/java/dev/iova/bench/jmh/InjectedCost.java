package dev.iova.bench.jmh;

import org.openjdk.jmh.infra.Blackhole;

/**
 * A known, deliberate cost added to the hot paths of {@link AllocFreePairBenchmark}, for the
 * regression gate's sensitivity proof ({@code docs/gate.md}) and nothing else: it lets the proof
 * run the same jar as baseline and as candidate, with a slowdown of a known size injected into
 * the candidate's forks only.
 *
 * <p>The cost is {@link Blackhole#consumeCPU(long)} of {@link #TOKENS} tokens, a fixed loop of
 * arithmetic that neither allocates nor touches memory. {@code TOKENS} comes from the system
 * property {@value #PROPERTY} when the class is loaded; it is 0 unless the property is given,
 * and being a {@code static final} the JIT compiles {@link #apply()} away entirely then, so the
 * benchmarks measure what they did before the knob existed.
 *
 * <pre>
 * java -jar allocator-bench/target/allocator-bench.jar gate --ab HEAD --suite 'AllocFreePairBenchmark.tree$' \
 *     --candidate-jvm-arg=-Diova.bench.injectedCostTokens=20
 * </pre>
 */
public final class InjectedCost
{
    /** The system property that sets {@link #TOKENS} in a fork: {@code -Diova.bench.injectedCostTokens=20}. */
    public static final String PROPERTY = "iova.bench.injectedCostTokens";

    /** {@code Blackhole.consumeCPU} tokens spent per operation; 0 (the default) spends nothing. */
    static final long TOKENS = Long.getLong(PROPERTY, 0L);

    private InjectedCost()
    {
    }

    /** Spends {@link #TOKENS} tokens of CPU; compiled to nothing when they are 0. */
    static void apply()
    {
        if (TOKENS > 0)
        {
            Blackhole.consumeCPU(TOKENS);
        }
    }
}
