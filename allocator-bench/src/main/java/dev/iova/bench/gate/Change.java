package dev.iova.bench.gate;

/**
 * How much slower the candidate is than the baseline, with a confidence interval, always as a
 * slowdown: the candidate's time per operation over the baseline's, minus 1. For {@code thrpt}
 * (higher is better) the time ratio is baseline throughput over candidate throughput. +0.25 is 25%
 * slower (a time ratio of 1.25), -0.20 is 20% less time per operation (a time ratio of 0.8, or
 * 1.25x the throughput).
 *
 * <p>The interval is symmetric on the log scale, {@code ln(timeRatio) ± t × standardError}, so it
 * is not symmetric around {@link #slowdown()}.
 *
 * @param slowdown         the estimate: time ratio − 1.
 * @param slowdownLow      the interval's lower end.
 * @param slowdownHigh     the interval's upper end.
 * @param logTimeRatio     {@code ln(time ratio)} of the estimate.
 * @param logLow           {@code ln(time ratio)} of the lower end.
 * @param logHigh          {@code ln(time ratio)} of the upper end.
 * @param confidence       the interval's confidence level for this one benchmark, in (0, 1): after
 *                         the Bonferroni split of the family-wise level.
 * @param degreesOfFreedom Student's t degrees of freedom of the interval.
 * @param units            forks (two runs) or rounds (paired) behind it.
 */
public record Change(
    double slowdown,
    double slowdownLow,
    double slowdownHigh,
    double logTimeRatio,
    double logLow,
    double logHigh,
    double confidence,
    double degreesOfFreedom,
    int units)
{
    /**
     * @param scoreRatio     {@code ln(candidate score / baseline score)} with its error.
     * @param higherIsBetter true for throughput, false for time per operation.
     * @param confidence     the interval's confidence level, in (0, 1).
     * @return the change as a slowdown with its interval.
     */
    public static Change of(final LogRatio scoreRatio, final boolean higherIsBetter, final double confidence)
    {
        final double logTimeRatio = higherIsBetter ? -scoreRatio.estimate() : scoreRatio.estimate();
        final double halfWidth = scoreRatio.standardError() == 0 ? 0 :
            StudentT.criticalValue(1 - confidence, scoreRatio.degreesOfFreedom()) * scoreRatio.standardError();
        final double logLow = logTimeRatio - halfWidth;
        final double logHigh = logTimeRatio + halfWidth;
        return new Change(Math.expm1(logTimeRatio), Math.expm1(logLow), Math.expm1(logHigh), logTimeRatio, logLow, logHigh,
            confidence, scoreRatio.degreesOfFreedom(), scoreRatio.units());
    }
}
