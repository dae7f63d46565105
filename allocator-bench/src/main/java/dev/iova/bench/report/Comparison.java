package dev.iova.bench.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Two runs matched result by result (same method, mode, threads and parameters), with the
 * candidate's score over the baseline's and whether JMH's confidence intervals overlap.
 *
 * <p>This is description, not a verdict: intervals that do not overlap say the difference is
 * larger than the noise JMH saw within each run, not that it would hold on a third run or on a
 * quieter machine. A statistical regression gate is a separate tool.
 *
 * @param rows            the results both runs have, in the candidate's order.
 * @param onlyInBaseline  results the candidate lacks.
 * @param onlyInCandidate results the baseline lacks.
 */
public record Comparison(List<Row> rows, List<BenchmarkResult> onlyInBaseline, List<BenchmarkResult> onlyInCandidate)
{
    /**
     * One result in both runs.
     *
     * @param baseline        the baseline's result.
     * @param candidate       the candidate's result.
     * @param candidateScore  the candidate's score in the baseline's unit.
     * @param candidateError  the candidate's error in the baseline's unit.
     * @param ratio           candidate over baseline, in the same unit (NaN when the units cannot be converted).
     * @param overlap         whether the two 99.9% confidence intervals overlap (true when either is unknown).
     */
    public record Row(BenchmarkResult baseline, BenchmarkResult candidate, double candidateScore, double candidateError,
        double ratio, boolean overlap)
    {
        /**
         * @return "overlap", or "better"/"worse" for the candidate when the intervals are apart
         *         (higher throughput, lower time per operation is better).
         */
        public String verdict()
        {
            if (overlap || !Double.isFinite(ratio))
            {
                return "overlap";
            }
            return (ratio > 1) == baseline.higherIsBetter() ? "better" : "worse";
        }
    }

    /**
     * @param baseline  the baseline run's results.
     * @param candidate the candidate run's results.
     * @return the two matched.
     */
    public static Comparison of(final List<BenchmarkResult> baseline, final List<BenchmarkResult> candidate)
    {
        final Map<String, BenchmarkResult> baseByKey = new LinkedHashMap<>();
        baseline.forEach(r -> baseByKey.putIfAbsent(r.key(), r));
        final List<Row> rows = new ArrayList<>();
        final List<BenchmarkResult> onlyInCandidate = new ArrayList<>();
        for (final BenchmarkResult cand : candidate)
        {
            final BenchmarkResult base = baseByKey.remove(cand.key());
            if (base == null)
            {
                onlyInCandidate.add(cand);
                continue;
            }
            rows.add(row(base, cand));
        }
        return new Comparison(List.copyOf(rows), List.copyOf(baseByKey.values()), List.copyOf(onlyInCandidate));
    }

    private static Row row(final BenchmarkResult base, final BenchmarkResult cand)
    {
        final double toBaseUnit = Units.conversion(cand.unit(), base.unit());
        final double score = cand.score() * toBaseUnit;
        final double error = cand.scoreError() * toBaseUnit;
        final double low = cand.scoreLow() * toBaseUnit;
        final double high = cand.scoreHigh() * toBaseUnit;
        final boolean known = Double.isFinite(low) && Double.isFinite(high) &&
            Double.isFinite(base.scoreLow()) && Double.isFinite(base.scoreHigh());
        final boolean overlap = !known || (low <= base.scoreHigh() && base.scoreLow() <= high);
        return new Row(base, cand, score, error, score / base.score(), overlap);
    }
}
