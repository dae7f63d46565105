package dev.iova.bench.report;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * A target of the benchmark issue, judged from one run's results: which results it reads, what
 * it computes from them and the threshold that decides. {@link Targets#ALL} lists them.
 *
 * <h2>Verdicts</h2>
 * A target {@link Verdict#HOLDS HOLDS} or is {@link Verdict#MISSED MISSED} on JMH's scores (the
 * means); it is {@link Verdict#NOT_MEASURED NOT MEASURED} when the run lacks a result it needs (a
 * run of some suites only, {@code run --include}). Each verdict also says whether it survives
 * JMH's 99.9% confidence intervals: a ratio is recomputed from the ends of both intervals that
 * are worst for the verdict (for "A / B at least N": A's lower end over B's upper end), and a
 * verdict that still stands there holds "also at the CI bounds"; otherwise the intervals overlap
 * the threshold and one run does not settle it.
 */
public sealed interface Target permits Target.Ratio, Target.Ceiling, Target.FirstOf, Target.AllocationFree
{
    /** @return what the target promises, as the issue words it. */
    String name();

    /**
     * @param results one run's results.
     * @return the verdict, with the figures it rests on.
     */
    Outcome evaluate(List<BenchmarkResult> results);

    /** What one run says about one target. */
    enum Verdict
    {
        /** The target is met on JMH's scores. */
        HOLDS,
        /** The target is not met on JMH's scores. */
        MISSED,
        /** The run lacks a result the target needs. */
        NOT_MEASURED;

        /** @return "HOLDS", "MISSED", "NOT MEASURED". */
        public String label()
        {
            return name().replace('_', ' ');
        }
    }

    /**
     * A target judged.
     *
     * @param target    the target.
     * @param verdict   on the scores.
     * @param atBounds  whether the verdict also stands at the ends of the confidence intervals
     *                  that are worst for it; false when they overlap the threshold or are unknown
     *                  (and for {@link Verdict#NOT_MEASURED}).
     * @param boundsKnown whether JMH gave confidence intervals for every figure used.
     * @param value     the ratio (or bytes per operation) the verdict rests on, formatted ("3.29x");
     *                  "–" when not measured.
     * @param boundValue the same at the ends of the intervals that are worst for the verdict (the
     *                  worst for the target when it holds, the best when it is missed), formatted.
     * @param threshold the threshold, formatted ("≥ 5x").
     * @param figures   the scores used, with their errors and units, in Markdown; or why nothing
     *                  was measured.
     */
    record Outcome(Target target, Verdict verdict, boolean atBounds, boolean boundsKnown, String value, String boundValue,
        String threshold, String figures)
    {
        /** @return the verdict with what the confidence intervals say, for a report's table cell. */
        public String verdictText()
        {
            if (verdict == Verdict.NOT_MEASURED)
            {
                return "**" + verdict.label() + "**";
            }
            if (!boundsKnown)
            {
                return "**" + verdict.label() + "** on the means (no confidence interval to check)";
            }
            final String ends = verdict == Verdict.HOLDS ? "at their worst ends" : "at their best ends";
            return atBounds ? "**" + verdict.label() + "**, also at the CI bounds (" + boundValue + " " + ends + ")" :
                "**" + verdict.label() + "** on the means; the CIs overlap the threshold (" + boundValue + " " + ends + ")";
        }
    }

    /**
     * Which results a target reads: one benchmark method in one mode, with parameter values.
     *
     * @param label     how the figure is named in the report ("cached", "1 thread").
     * @param className the benchmark class's simple name.
     * @param method    the method (or {@code @Group}) name.
     * @param mode      JMH's mode label: {@code avgt}, {@code thrpt}, ...
     * @param params    parameter values the result must have; the value {@value #MAX} or
     *                  {@value #MIN} takes the largest or smallest numeric value the run has.
     * @param slowestOf for a {@code @Group} whose methods each count their own calls, the methods
     *                  whose lowest throughput is the rate of the whole (a pair mapped on one
     *                  thread and unmapped on another completes at the slower side's rate); empty
     *                  for the primary score.
     */
    record Select(String label, String className, String method, String mode, Map<String, String> params, List<String> slowestOf)
    {
        /** A parameter value: the largest numeric value of the parameter in the run. */
        static final String MAX = "<max>";
        /** A parameter value: the smallest numeric value of the parameter in the run. */
        static final String MIN = "<min>";

        /**
         * @param label     how the figure is named.
         * @param className the benchmark class's simple name.
         * @param method    the method.
         * @param mode      the mode.
         * @param params    {@code name=value} pairs.
         * @return the selection of the primary score.
         */
        static Select of(final String label, final String className, final String method, final String mode, final String... params)
        {
            final Map<String, String> values = new LinkedHashMap<>();
            for (final String param : params)
            {
                final int eq = param.indexOf('=');
                values.put(param.substring(0, eq), param.substring(eq + 1));
            }
            return new Select(label, className, method, mode, Map.copyOf(values), List.of());
        }

        /**
         * @param methods the group's methods.
         * @return this selection reading the slowest of the group's methods instead of the primary score.
         */
        Select slowestOf(final String... methods)
        {
            return new Select(label, className, method, mode, params, List.of(methods));
        }

        Select with(final String param, final String value)
        {
            final Map<String, String> values = new LinkedHashMap<>(params);
            values.put(param, value);
            return new Select(label, className, method, mode, Map.copyOf(values), slowestOf);
        }

        /** @return {@code AllocFreeSizesBenchmark.allocFreePair} avgt pages=1 target=cached. */
        String describe()
        {
            return "`" + className + "." + method + "` " + mode + params.entrySet().stream()
                .map(e -> " " + e.getKey() + "=" + e.getValue()).sorted().collect(Collectors.joining());
        }

        /** @return the results of this method and mode that have every fixed parameter value. */
        List<BenchmarkResult> candidates(final List<BenchmarkResult> results)
        {
            return results.stream().filter(r -> r.simpleClassName().equals(className) && r.method().equals(method) &&
                r.mode().equals(mode) && params.entrySet().stream().allMatch(p -> p.getValue().equals(MAX) ||
                p.getValue().equals(MIN) ? r.params().containsKey(p.getKey()) : p.getValue().equals(r.params().get(p.getKey()))))
                .toList();
        }

        /** @return the figure, or null when the run does not have it. */
        Figure find(final List<BenchmarkResult> results)
        {
            List<BenchmarkResult> matches = candidates(results);
            for (final Map.Entry<String, String> param : params.entrySet())
            {
                if (param.getValue().equals(MAX) || param.getValue().equals(MIN))
                {
                    final TreeSet<Double> values = numericValues(matches, param.getKey());
                    if (values.isEmpty())
                    {
                        return null;
                    }
                    final double wanted = param.getValue().equals(MAX) ? values.last() : values.first();
                    matches = matches.stream().filter(r -> numeric(r.params().get(param.getKey())) == wanted).toList();
                }
            }
            if (matches.isEmpty())
            {
                return null;
            }
            final BenchmarkResult result = matches.get(0);
            if (slowestOf.isEmpty())
            {
                return new Figure(this, result, result.score(), result.scoreLow(), result.scoreHigh(), result.unit(), null);
            }
            BenchmarkResult.Metric slowest = null;
            String slowestName = null;
            for (final String name : slowestOf)
            {
                final BenchmarkResult.Metric metric = result.secondaryMetrics().get(name);
                if (metric == null)
                {
                    return null;
                }
                if (slowest == null || metric.score() < slowest.score())
                {
                    slowest = metric;
                    slowestName = name;
                }
            }
            return new Figure(this, result, slowest.score(), slowest.low(), slowest.high(), slowest.unit(), slowestName);
        }
    }

    /**
     * A score a target uses.
     *
     * @param select where it comes from.
     * @param result the result it was read from.
     * @param score  the score.
     * @param low    its confidence interval's lower end (NaN when unknown).
     * @param high   its confidence interval's upper end (NaN when unknown).
     * @param unit   its unit.
     * @param metric the group method it is, or null for the primary score.
     */
    record Figure(Select select, BenchmarkResult result, double score, double low, double high, String unit, String metric)
    {
        /** @return "cached 30.22 ± 1.19 ns/op", scaled to a readable unit. */
        String text()
        {
            final Units.Scale scale = Units.readable(unit, new double[] {score});
            final double scaled = scale.apply(score);
            final double error = Double.isFinite(low) && Double.isFinite(high) ? scale.apply(high - low) / 2 : Double.NaN;
            return select.label() + (metric != null ? " (`" + metric + "`)" : "") + " " + Format.number(scaled) +
                (Double.isFinite(error) ? " ± " + Format.error(error, scaled) : "") + " " + scale.label();
        }
    }

    /**
     * "A / B at least N" or "A / B at most N", on the scores.
     *
     * @param name        what the target promises.
     * @param atLeast     true for "at least", false for "at most".
     * @param threshold   N.
     * @param numerator   A: the baseline's time for "N times faster", the larger thread count's throughput, ...
     * @param denominator B.
     * @param eachParam   a parameter the target must hold at every value of (the ratio reported is
     *                    the worst); null when the selections fix every parameter they need.
     */
    record Ratio(String name, boolean atLeast, double threshold, Select numerator, Select denominator, String eachParam)
        implements Target
    {
        @Override
        public Outcome evaluate(final List<BenchmarkResult> results)
        {
            final String thresholdText = (atLeast ? "≥ " : "≤ ") + BigDecimal.valueOf(threshold).stripTrailingZeros().toPlainString() + "x";
            final List<String> values = new ArrayList<>();
            if (eachParam == null)
            {
                values.add(null);
            }
            else
            {
                numericValues(numerator.candidates(results), eachParam).descendingSet()
                    .forEach(v -> values.add(textOfNumber(v, numerator.candidates(results), eachParam)));
            }
            final List<Case> cases = new ArrayList<>();
            for (final String value : values)
            {
                final Select num = value == null ? numerator : numerator.with(eachParam, value);
                final Select den = value == null ? denominator : denominator.with(eachParam, value);
                final Figure a = num.find(results);
                final Figure b = den.find(results);
                // the largest and smallest value of a parameter are one result when the run has one value only
                if (a != null && b != null && !(a.result() == b.result() && Objects.equals(a.metric(), b.metric())))
                {
                    cases.add(new Case(value, a, b));
                }
            }
            if (cases.isEmpty())
            {
                return notMeasured(results, thresholdText);
            }
            Case worst = null;
            boolean allHold = true;
            boolean allHoldAtBounds = true;
            boolean someMissAtBounds = false;
            boolean boundsKnown = true;
            for (final Case c : cases)
            {
                final double ratio = c.ratio();
                allHold &= holds(ratio);
                allHoldAtBounds &= holds(c.pessimistic(atLeast));
                someMissAtBounds |= !holds(ratio) && !holds(c.optimistic(atLeast));
                boundsKnown &= c.boundsKnown();
                if (worst == null || (atLeast ? ratio < worst.ratio() : ratio > worst.ratio()))
                {
                    worst = c;
                }
            }
            final Verdict verdict = allHold ? Verdict.HOLDS : Verdict.MISSED;
            final boolean atBounds = boundsKnown && (allHold ? allHoldAtBounds : someMissAtBounds);
            final double bound = allHold ? worst.pessimistic(atLeast) : worst.optimistic(atLeast);
            final StringBuilder figures = new StringBuilder();
            figures.append(sourceOf(numerator, denominator)).append(": ");
            for (int i = 0; i < cases.size(); i++)
            {
                final Case c = cases.get(i);
                figures.append(i == 0 ? "" : "; ").append(c.value() != null ? c.value() + " " + eachParam + ": " : "")
                    .append(c.a().text()).append(" / ").append(c.b().text());
                if (cases.size() > 1)
                {
                    figures.append(" = ").append(Format.ratio(c.ratio()));
                }
            }
            return new Outcome(this, verdict, atBounds, boundsKnown, Format.ratio(worst.ratio()) +
                (cases.size() > 1 ? " (worst: " + worst.value() + " " + eachParam + ")" : ""), Format.ratio(bound), thresholdText,
                figures.toString());
        }

        private boolean holds(final double ratio)
        {
            return atLeast ? ratio >= threshold : ratio <= threshold;
        }

        private Outcome notMeasured(final List<BenchmarkResult> results, final String thresholdText)
        {
            final List<String> missing = new ArrayList<>();
            for (final Select select : List.of(numerator, denominator))
            {
                if (select.candidates(results).isEmpty())
                {
                    missing.add(select.describe() + (select.slowestOf().isEmpty() ? "" :
                        " (" + String.join(", ", select.slowestOf()) + ")"));
                }
            }
            final String why = !missing.isEmpty() ? "no " + String.join(" nor ", missing) + " in this run" :
                eachParam != null ? "no value of " + eachParam + " at which the run has both " + numerator.describe() + " and " +
                    denominator.describe() :
                "the run has " + numerator.describe() + " at one value of the parameter only";
            return new Outcome(this, Verdict.NOT_MEASURED, false, false, "–", "–", thresholdText, why);
        }

        private static String sourceOf(final Select a, final Select b)
        {
            if (a.className().equals(b.className()) && a.method().equals(b.method()))
            {
                final Map<String, String> shared = new LinkedHashMap<>(a.params());
                shared.entrySet().removeIf(e -> !e.getValue().equals(b.params().get(e.getKey())));
                return "`" + a.className() + "." + a.method() + "` " + a.mode() + shared.entrySet().stream()
                    .map(e -> " " + e.getKey() + "=" + e.getValue()).sorted().collect(Collectors.joining());
            }
            return "`" + a.className() + "` " + a.mode();
        }
    }

    /**
     * "A at most N" in absolute terms: one score no higher than a ceiling, in the ceiling's unit
     * (a time per operation: a score in another time unit is converted). At the CI bounds, a
     * ceiling that holds must hold at the interval's upper end, one that is missed at its lower end.
     *
     * @param name    what the target promises.
     * @param ceiling N, in {@code unit}.
     * @param unit    JMH's unit of N: {@code ns/op}, {@code us/op}, ...
     * @param select  A.
     */
    record Ceiling(String name, double ceiling, String unit, Select select) implements Target
    {
        @Override
        public Outcome evaluate(final List<BenchmarkResult> results)
        {
            final String thresholdText = "≤ " + BigDecimal.valueOf(ceiling).stripTrailingZeros().toPlainString() + " " +
                Units.pretty(unit);
            final Figure a = select.find(results);
            if (a == null)
            {
                return new Outcome(this, Verdict.NOT_MEASURED, false, false, "–", "–", thresholdText,
                    "no " + select.describe() + " in this run");
            }
            final double toUnit = Units.conversion(a.unit(), unit);
            final double score = a.score() * toUnit;
            final boolean holds = score <= ceiling;
            final boolean boundsKnown = Double.isFinite(a.low()) && Double.isFinite(a.high()) && Double.isFinite(toUnit);
            // A time is never below 0: an interval wider than its score says "0" at its best end.
            final double bound = holds ? a.high() * toUnit : Math.max(0, a.low() * toUnit);
            final boolean atBounds = boundsKnown && (holds ? bound <= ceiling : bound > ceiling);
            return new Outcome(this, holds ? Verdict.HOLDS : Verdict.MISSED, atBounds, boundsKnown,
                Format.number(score) + " " + Units.pretty(unit), Format.number(bound) + " " + Units.pretty(unit), thresholdText,
                select.describe() + ": " + a.text());
        }
    }

    /**
     * One target that more than one suite measures: judged by the first of them the run has.
     *
     * @param name  what the target promises.
     * @param ways  the same target read from different suites, in order of preference.
     */
    record FirstOf(String name, List<Target> ways) implements Target
    {
        @Override
        public Outcome evaluate(final List<BenchmarkResult> results)
        {
            Outcome first = null;
            for (final Target way : ways)
            {
                final Outcome outcome = way.evaluate(results);
                if (outcome.verdict() != Verdict.NOT_MEASURED)
                {
                    return new Outcome(this, outcome.verdict(), outcome.atBounds(), outcome.boundsKnown(), outcome.value(),
                        outcome.boundValue(), outcome.threshold(), outcome.figures());
                }
                first = first == null ? outcome : first;
            }
            return new Outcome(this, Verdict.NOT_MEASURED, false, false, "–", "–", first.threshold(), first.figures());
        }
    }

    /**
     * One comparison of a ratio target.
     *
     * @param value the value of the target's {@code eachParam}, or null.
     * @param a     the numerator's figure.
     * @param b     the denominator's figure.
     */
    record Case(String value, Figure a, Figure b)
    {
        double ratio()
        {
            return a.score() / inUnitOfA(b.score());
        }

        /** @return the ratio at the interval ends worst for "at least" (A low, B high) or "at most" (A high, B low). */
        double pessimistic(final boolean atLeast)
        {
            return atLeast ? divide(a.low(), inUnitOfA(b.high())) : divide(a.high(), inUnitOfA(b.low()));
        }

        /** @return the ratio at the interval ends best for the target. */
        double optimistic(final boolean atLeast)
        {
            return pessimistic(!atLeast);
        }

        boolean boundsKnown()
        {
            return Double.isFinite(a.low()) && Double.isFinite(a.high()) && Double.isFinite(b.low()) && Double.isFinite(b.high());
        }

        private double inUnitOfA(final double value)
        {
            return value * Units.conversion(b.unit(), a.unit());
        }

        /** An interval that reaches zero or below bounds nothing: the ratio is unbounded. */
        private static double divide(final double x, final double y)
        {
            return y <= 0 ? Double.POSITIVE_INFINITY : Math.max(0, x) / y;
        }
    }

    /**
     * Heap bytes per operation ({@code gc.alloc.rate.norm}) below a bound on every result of ours
     * that has it: every result but the baselines' (a {@code target} parameter naming a baseline).
     *
     * @param name      what the target promises.
     * @param bytes     the bound, exclusive.
     * @param baselines the {@code target} values that are baselines, left out.
     */
    record AllocationFree(String name, double bytes, Set<String> baselines) implements Target
    {
        /** The metric {@code -prof gc} adds. */
        static final String METRIC = "gc.alloc.rate.norm";

        @Override
        public Outcome evaluate(final List<BenchmarkResult> results)
        {
            final String thresholdText = "< " + BigDecimal.valueOf(bytes).stripTrailingZeros().toPlainString() + " B/op";
            final List<BenchmarkResult> ours = results.stream()
                .filter(r -> !baselines.contains(r.params().getOrDefault("target", ""))).toList();
            final List<BenchmarkResult> measured = ours.stream()
                .filter(r -> r.secondaryMetrics().containsKey(METRIC) && Double.isFinite(r.secondaryMetrics().get(METRIC).score()))
                .toList();
            if (measured.isEmpty())
            {
                return new Outcome(this, Verdict.NOT_MEASURED, false, false, "–", "–", thresholdText,
                    ours.isEmpty() ? "no result of ours in this run" : "no result of ours has `" + METRIC + "` (run without `-prof gc`)");
            }
            BenchmarkResult worst = null;
            double highest = Double.NEGATIVE_INFINITY;
            boolean boundsKnown = true;
            for (final BenchmarkResult r : measured)
            {
                final BenchmarkResult.Metric metric = r.secondaryMetrics().get(METRIC);
                if (worst == null || metric.score() > worst.secondaryMetrics().get(METRIC).score())
                {
                    worst = r;
                }
                boundsKnown &= Double.isFinite(metric.high());
                highest = Math.max(highest, Double.isFinite(metric.high()) ? metric.high() : metric.score());
            }
            final BenchmarkResult.Metric top = worst.secondaryMetrics().get(METRIC);
            final boolean holds = top.score() < bytes;
            final boolean atBounds = boundsKnown && (holds ? highest < bytes : top.low() >= bytes);
            final long left = results.size() - ours.size();
            final String figures = "worst of " + measured.size() + " results of ours: `" + worst.simpleClassName() + "." +
                worst.method() + "` " + worst.mode() + (worst.params().isEmpty() ? "" : " " + worst.paramsLabel().replace(", ", " ")) +
                ", " + bytesText(top.score()) + (Double.isFinite(top.error()) ? " ± " + bytesText(top.error()) : "") + " B/op" +
                (left > 0 ? " (" + left + " results of the baselines left out)" : "");
            return new Outcome(this, holds ? Verdict.HOLDS : Verdict.MISSED, atBounds, boundsKnown, bytesText(top.score()) + " B/op",
                (holds ? "at most " + bytesText(highest) : "at least " + bytesText(top.low())) + " B/op", thresholdText, figures);
        }

        private static String bytesText(final double bytes)
        {
            return Format.number(bytes);
        }
    }

    private static TreeSet<Double> numericValues(final List<BenchmarkResult> results, final String param)
    {
        final TreeSet<Double> values = new TreeSet<>();
        for (final BenchmarkResult r : results)
        {
            final double value = numeric(r.params().get(param));
            if (!Double.isNaN(value))
            {
                values.add(value);
            }
        }
        return values;
    }

    private static double numeric(final String value)
    {
        if (value == null)
        {
            return Double.NaN;
        }
        try
        {
            return Double.parseDouble(value);
        }
        catch (final NumberFormatException ex)
        {
            return Double.NaN;
        }
    }

    /** @return the parameter's value as the results write it ("524287"), for a numeric value found among them. */
    private static String textOfNumber(final double value, final List<BenchmarkResult> results, final String param)
    {
        return results.stream().map(r -> r.params().get(param)).filter(v -> numeric(v) == value).findFirst().orElseThrow();
    }
}
