package dev.iova.bench.gate;

import java.util.SplittableRandom;

/**
 * The standard error of a log ratio of benchmark scores, by a two-level (hierarchical)
 * bootstrap over JMH's raw data.
 *
 * <h2>Why two levels</h2>
 * JMH's {@code rawData} is {@code [[iterations of fork 1], [fork 2], ...]}. Forks are the
 * independent units: each is a new JVM, with its own JIT decisions, memory layout and moment on a
 * shared machine. Iterations within a fork are not independent (they share all of that), so
 * treating every iteration as a sample, as a plain t-test over iterations would, understates the
 * noise. One resample draws the forks with replacement, then, within each drawn fork, its
 * iterations with replacement, and takes the mean of the fork means. Resampling both levels
 * counts the iteration noise a second time (Davison &amp; Hinkley 1997, section 3.8; Ren et al.
 * 2010): the error errs on the wide side, which for a gate means fewer false alarms.
 *
 * <h2>From the bootstrap to an interval</h2>
 * The bootstrap gives the standard error; the interval is {@code estimate ± t × error} on the log
 * scale, with Student's t at {@link LogRatio#degreesOfFreedom()}. Percentile intervals of the
 * bootstrap are too narrow with the 3 to 10 forks or rounds a benchmark run has (Hesterberg 2015,
 * "What teachers should know about the bootstrap"), and their tails cannot be read at the
 * Bonferroni levels of a gate over dozens of benchmarks without hundreds of thousands of
 * resamples; the t quantile fixes both. The bootstrap variance divides by {@code n}, not
 * {@code n − 1}: it is multiplied by {@code n / (n − 1)}, with {@code n} the top-level units.
 *
 * <h2>Two designs</h2>
 * <ul>
 *   <li>{@link #unpaired}: two runs measured apart (a stored baseline and a fresh run). Each side
 *       is resampled on its own; the variances add; degrees of freedom by Welch-Satterthwaite.
 *       A side with a single fork has no fork-to-fork spread to resample: its iterations are the
 *       units then, and the interval ignores fork-to-fork variation (the summary says so).</li>
 *   <li>{@link #paired}: the A/B gate's rounds, round {@code i} being one baseline fork and one
 *       candidate fork run back to back. A resample draws rounds with replacement and, within
 *       each, both forks' iterations; the statistic is the mean of the rounds' log ratios (the log
 *       of the geometric mean ratio). Pairing removes the machine's slow drift from the ratio.</li>
 * </ul>
 *
 * <p>Every resample comes from one {@link SplittableRandom} seeded by the caller: the same data
 * and seed give the same result, bit for bit.
 */
public final class HierarchicalBootstrap
{
    private HierarchicalBootstrap()
    {
    }

    /**
     * @param baselineForks  the baseline's iterations by fork; at least one fork, every fork with at
     *                       least one iteration, at least two values in all; positive values.
     * @param candidateForks the candidate's, likewise.
     * @param resamples      bootstrap resamples, at least 2.
     * @param seed           the random seed.
     * @return {@code ln(mean(candidate) / mean(baseline))}, means of fork means, with its error.
     */
    public static LogRatio unpaired(final double[][] baselineForks, final double[][] candidateForks, final int resamples,
        final long seed)
    {
        checkResamples(resamples);
        final SplittableRandom random = new SplittableRandom(seed);
        final Side baseline = side(baselineForks, resamples, random);
        final Side candidate = side(candidateForks, resamples, random);
        final double variance = baseline.variance + candidate.variance;
        final double degreesOfFreedom = variance == 0 ? baseline.degreesOfFreedom + candidate.degreesOfFreedom :
            variance * variance / (square(baseline.variance) / baseline.degreesOfFreedom +
                square(candidate.variance) / candidate.degreesOfFreedom);
        return new LogRatio(candidate.logMean - baseline.logMean, Math.sqrt(variance), degreesOfFreedom,
            Math.min(baselineForks.length, candidateForks.length));
    }

    /**
     * @param baselineRounds  round {@code i}'s baseline fork: its iterations; at least 2 rounds.
     * @param candidateRounds round {@code i}'s candidate fork, as many rounds.
     * @param resamples       bootstrap resamples, at least 2.
     * @param seed            the random seed.
     * @return the mean over rounds of {@code ln(mean(candidate fork) / mean(baseline fork))}, with its error.
     */
    public static LogRatio paired(final double[][] baselineRounds, final double[][] candidateRounds, final int resamples,
        final long seed)
    {
        checkResamples(resamples);
        final int rounds = baselineRounds.length;
        if (rounds != candidateRounds.length || rounds < 2)
        {
            throw new IllegalArgumentException("paired data needs the same number of rounds on both sides, at least 2: " +
                "baseline has " + rounds + ", candidate " + candidateRounds.length);
        }
        double observed = 0;
        for (int i = 0; i < rounds; i++)
        {
            observed += Math.log(mean(candidateRounds[i]) / mean(baselineRounds[i]));
        }
        observed /= rounds;
        final SplittableRandom random = new SplittableRandom(seed);
        final double[] statistics = new double[resamples];
        for (int r = 0; r < resamples; r++)
        {
            double sum = 0;
            for (int i = 0; i < rounds; i++)
            {
                final int round = random.nextInt(rounds);
                sum += Math.log(resampledMean(candidateRounds[round], random) / resampledMean(baselineRounds[round], random));
            }
            statistics[r] = sum / rounds;
        }
        final double variance = variance(statistics) * rounds / (rounds - 1.0);
        return new LogRatio(observed, Math.sqrt(variance), rounds - 1, rounds);
    }

    /** One side of an unpaired comparison: its observed log mean and the variance of it. */
    private record Side(double logMean, double variance, double degreesOfFreedom)
    {
    }

    private static Side side(final double[][] forks, final int resamples, final SplittableRandom random)
    {
        final int forkCount = forks.length;
        double meanOfForkMeans = 0;
        for (final double[] fork : forks)
        {
            meanOfForkMeans += mean(fork);
        }
        meanOfForkMeans /= forkCount;
        final double[] statistics = new double[resamples];
        for (int r = 0; r < resamples; r++)
        {
            double sum = 0;
            for (int f = 0; f < forkCount; f++)
            {
                sum += resampledMean(forks[random.nextInt(forkCount)], random);
            }
            statistics[r] = Math.log(sum / forkCount);
        }
        // the top-level units: forks, or a single fork's iterations
        final int units = forkCount >= 2 ? forkCount : forks[0].length;
        final double variance = units >= 2 ? variance(statistics) * units / (units - 1.0) : 0;
        return new Side(Math.log(meanOfForkMeans), variance, Math.max(1, units - 1));
    }

    private static double resampledMean(final double[] values, final SplittableRandom random)
    {
        final int n = values.length;
        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            sum += values[random.nextInt(n)];
        }
        return sum / n;
    }

    /**
     * @param values at least one value.
     * @return their arithmetic mean.
     */
    static double mean(final double[] values)
    {
        double sum = 0;
        for (final double value : values)
        {
            sum += value;
        }
        return sum / values.length;
    }

    /** @return the plug-in variance (divided by n) of the values. */
    private static double variance(final double[] values)
    {
        final double mean = mean(values);
        double sum = 0;
        for (final double value : values)
        {
            sum += square(value - mean);
        }
        return sum / values.length;
    }

    private static double square(final double value)
    {
        return value * value;
    }

    private static void checkResamples(final int resamples)
    {
        if (resamples < 2)
        {
            throw new IllegalArgumentException("resamples=" + resamples + " must be at least 2");
        }
    }
}
