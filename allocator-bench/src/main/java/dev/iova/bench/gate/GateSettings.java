package dev.iova.bench.gate;

/**
 * How strict the gate is. The defaults, and why, are in {@code docs/gate.md}.
 *
 * @param confidence                the family-wise confidence level over all the benchmarks compared,
 *                                  in (0, 1): 0.99 by default. Each benchmark's interval gets
 *                                  {@code 1 − (1 − confidence) / k} for {@code k} benchmarks (Bonferroni).
 * @param minEffectFraction         the smallest slowdown that matters, 0.10 (10%) by default.
 * @param resamples                 bootstrap resamples per benchmark, 4000 by default.
 * @param seed                      the bootstrap's random seed, 1 by default: same inputs, same verdicts.
 * @param allocThresholdBytesPerOp  {@code gc.alloc.rate.norm} at or below which a benchmark counts as
 *                                  allocating nothing ("~0"): 1 B/op by default.
 */
public record GateSettings(double confidence, double minEffectFraction, int resamples, long seed, double allocThresholdBytesPerOp)
{
    /** The default family-wise confidence level. */
    public static final double DEFAULT_CONFIDENCE = 0.99;

    /** The default minimum effect: 10%. */
    public static final double DEFAULT_MIN_EFFECT_FRACTION = 0.10;

    /** The default number of bootstrap resamples. */
    public static final int DEFAULT_RESAMPLES = 4000;

    /** The default seed. */
    public static final long DEFAULT_SEED = 1;

    /** The default "allocates nothing" threshold, bytes per operation. */
    public static final double DEFAULT_ALLOC_THRESHOLD_BYTES_PER_OP = 1.0;

    /** @throws IllegalArgumentException naming the value out of range. */
    public GateSettings
    {
        if (!(confidence > 0 && confidence < 1))
        {
            throw new IllegalArgumentException("confidence=" + confidence + " must be in (0, 1)");
        }
        if (!(minEffectFraction > 0 && minEffectFraction < 10))
        {
            throw new IllegalArgumentException("minEffectFraction=" + minEffectFraction + " must be in (0, 10)");
        }
        if (resamples < 100)
        {
            throw new IllegalArgumentException("resamples=" + resamples + " must be at least 100");
        }
        if (!(allocThresholdBytesPerOp >= 0))
        {
            throw new IllegalArgumentException("allocThresholdBytesPerOp=" + allocThresholdBytesPerOp + " must be at least 0");
        }
    }

    /** @return the defaults. */
    public static GateSettings defaults()
    {
        return new GateSettings(DEFAULT_CONFIDENCE, DEFAULT_MIN_EFFECT_FRACTION, DEFAULT_RESAMPLES, DEFAULT_SEED,
            DEFAULT_ALLOC_THRESHOLD_BYTES_PER_OP);
    }

    /**
     * @param comparisons how many benchmarks' timings are judged at once, at least 1.
     * @return each one's confidence level: {@code 1 − (1 − confidence) / comparisons}.
     */
    public double perBenchmarkConfidence(final int comparisons)
    {
        return 1 - (1 - confidence) / Math.max(1, comparisons);
    }
}
