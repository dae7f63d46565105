package dev.iova.bench.gate;

/**
 * The natural log of a ratio of scores, candidate over baseline, with the spread that
 * {@link HierarchicalBootstrap} found for it: what a confidence interval is made from.
 *
 * @param estimate         {@code ln(candidate / baseline)} as measured: of the means of fork means
 *                         (two runs), or the mean of the rounds' log ratios (paired A/B).
 * @param standardError    the bootstrap's standard error of {@code estimate}, corrected for small
 *                         samples (see {@link HierarchicalBootstrap}); 0 when the data has no spread.
 * @param degreesOfFreedom for Student's t: rounds − 1 (paired), or Welch-Satterthwaite over the
 *                         two sides' forks − 1 (iterations − 1 for a side with a single fork).
 * @param units            the independent units behind it: rounds (paired), or the smaller side's
 *                         forks (two runs).
 */
public record LogRatio(double estimate, double standardError, double degreesOfFreedom, int units)
{
}
