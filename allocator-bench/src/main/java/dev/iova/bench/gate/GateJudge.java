package dev.iova.bench.gate;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Judges a candidate run against a baseline run: matches their benchmarks, refuses what cannot be
 * compared, and gives every benchmark in both a timing verdict and the exact gates' findings.
 *
 * <h2>Matching</h2>
 * By method, mode and parameter values. A benchmark in both runs must have run with the same
 * threads and unit, and, when both runs have the method in that mode, with the same parameter
 * names and at least one parameter set in common; otherwise the runs are not comparable
 * ({@link GateException}, exit code 2). A baseline parameter set the candidate lacks is
 * {@link Finding.Kind#MISSING}: JMH leaves a failed benchmark out of its JSON, so "missing" is
 * also how a newly failing benchmark shows.
 *
 * <h2>Timing</h2>
 * {@link HierarchicalBootstrap} (paired or unpaired) gives the log ratio and its error, seeded by
 * {@link GateSettings#seed()} mixed with the benchmark's key, so that each benchmark's interval
 * depends on its own data only. The interval's level is the family-wise level split over every
 * benchmark judged (Bonferroni); {@link Verdict#of} decides. A regression within an accepted
 * trade-off's bound becomes {@link Verdict#ACCEPTED}.
 *
 * <h2>Exact gates</h2>
 * A benchmark whose baseline {@code gc.alloc.rate.norm} is at or below the threshold (1 B/op)
 * must stay there ({@link Finding.Kind#ALLOCATES}). If the baseline measured allocation and the
 * candidate did not, the runs are not comparable: the allocation gate is always on. One exception:
 * JMH's {@code gc.alloc.rate.norm} counts every thread's allocation during the iteration, JMH's own
 * bookkeeping included, over the iteration's operations; when the candidate's figure is within
 * what {@link #JMH_BOOKKEEPING_BYTES_PER_ITERATION} spread over its operations per iteration can
 * explain (an operation of tens of microseconds or more: a baseline walking a million ranges),
 * the gate cannot tell, and says so ({@link Finding.Kind#ALLOCATION_NOT_JUDGED}) instead of failing.
 */
public final class GateJudge
{
    /**
     * What JMH itself allocates in one measurement iteration, as {@code gc.alloc.rate.norm} sees
     * it: 9 to 16 KB measured on this project's slowest benchmarks (the linear walks), doubled.
     * Under 1 B/op for any operation faster than about 30 µs at 1-s iterations, which every hot
     * path is by far.
     */
    public static final double JMH_BOOKKEEPING_BYTES_PER_ITERATION = 32 * 1024;

    private GateJudge()
    {
    }

    /**
     * @param baselineLabel  what the baseline is, for the summary.
     * @param baseline       the baseline's benchmarks.
     * @param candidateLabel what the candidate is.
     * @param candidate      the candidate's benchmarks.
     * @param paired         true for the A/B gate's data: fork {@code i} of both sides is round {@code i}.
     * @param design         how the two were measured, for the summary.
     * @param timing         false to run the exact gates only (runs from different machines): every
     *                       verdict is {@link Verdict#NOT_JUDGED}.
     * @param settings       the thresholds.
     * @param accepted       the accepted trade-offs.
     * @return the verdicts and findings.
     * @throws GateException when the runs cannot be compared (one sentence).
     */
    public static GateResult judge(final String baselineLabel, final List<BenchmarkSamples> baseline, final String candidateLabel,
        final List<BenchmarkSamples> candidate, final boolean paired, final String design, final boolean timing,
        final GateSettings settings, final AcceptedTradeoffs accepted) throws GateException
    {
        final Map<String, BenchmarkSamples> candidateByKey = new LinkedHashMap<>();
        candidate.forEach(c -> candidateByKey.put(c.key(), c));
        final Map<String, BenchmarkSamples> baselineByKey = new LinkedHashMap<>();
        baseline.forEach(b -> baselineByKey.put(b.key(), b));
        checkParameters(baseline, candidate);

        final List<BenchmarkSamples[]> matched = new ArrayList<>();
        final List<Finding> findings = new ArrayList<>();
        for (final BenchmarkSamples b : baseline)
        {
            final BenchmarkSamples c = candidateByKey.get(b.key());
            if (c == null)
            {
                findings.add(missing(b.benchmark(), b.mode(), b.params(), b.label(), accepted,
                    "in the baseline, not in the candidate: removed, run with other parameters, or failed there"));
                continue;
            }
            checkComparable(b, c, paired);
            matched.add(new BenchmarkSamples[] {b, c});
        }
        for (final BenchmarkSamples c : candidate)
        {
            if (!baselineByKey.containsKey(c.key()))
            {
                findings.add(new Finding(Finding.Kind.NEW, c.label(), "only in the candidate: nothing to compare it with"));
            }
        }

        final double confidence = settings.perBenchmarkConfidence(matched.size());
        final List<BenchmarkVerdict> rows = new ArrayList<>();
        boolean allocationMeasured = false;
        boolean singleForks = false;
        int fewDegrees = 0;
        final List<String> notes = new ArrayList<>();
        for (final BenchmarkSamples[] pair : matched)
        {
            final BenchmarkSamples b = pair[0];
            final BenchmarkSamples c = pair[1];
            final long seed = settings.seed() * 0x9E3779B97F4A7C15L + b.key().hashCode();
            final LogRatio ratio = paired ?
                HierarchicalBootstrap.paired(b.iterationsByFork(), c.iterationsByFork(), settings.resamples(), seed) :
                HierarchicalBootstrap.unpaired(b.iterationsByFork(), c.iterationsByFork(), settings.resamples(), seed);
            final Change change = Change.of(ratio, b.higherIsBetter(), confidence);
            Verdict verdict = timing ? Verdict.of(change, settings.minEffectFraction()) : Verdict.NOT_JUDGED;
            fewDegrees += timing && change.degreesOfFreedom() < 3 ? 1 : 0;
            final boolean singleFork = !paired && (b.forks() == 1 || c.forks() == 1);
            singleForks |= singleFork;
            String note = singleFork ? "1 fork" : "";
            if (verdict == Verdict.REGRESSION)
            {
                final Optional<AcceptedTradeoff> tradeoff = accepted.slowdownOf(b.benchmark(), b.mode(), b.params());
                if (tradeoff.isPresent())
                {
                    final AcceptedTradeoff t = tradeoff.get();
                    final boolean within = change.slowdown() * 100 <= t.maxSlowdownPercent();
                    verdict = within ? Verdict.ACCEPTED : Verdict.REGRESSION;
                    note = (within ? "accepted up to " : "beyond the accepted ") + GateFormat.percent(t.maxSlowdownPercent() / 100) +
                        ": " + t.reason() + (t.acceptedIn() != null ? " (" + t.acceptedIn() + ")" : "");
                }
            }
            rows.add(new BenchmarkVerdict(b.benchmark(), b.mode(), b.threads(), b.params(), b.unit(), b.score(), c.score(),
                b.allocBytesPerOp(), c.allocBytesPerOp(), change, verdict, note));

            if (Double.isFinite(b.allocBytesPerOp()))
            {
                allocationMeasured = true;
                if (!Double.isFinite(c.allocBytesPerOp()))
                {
                    throw new GateException(c.file() + ": " + c.label() + " has no gc.alloc.rate.norm, which the baseline has: " +
                        "run the candidate with -prof gc, as the baseline was");
                }
                final double bookkeeping = JMH_BOOKKEEPING_BYTES_PER_ITERATION / c.operationsPerIteration();
                if (b.allocBytesPerOp() <= settings.allocThresholdBytesPerOp() && c.allocBytesPerOp() > settings.allocThresholdBytesPerOp())
                {
                    if (c.allocBytesPerOp() <= bookkeeping)
                    {
                        findings.add(new Finding(Finding.Kind.ALLOCATION_NOT_JUDGED, b.label(), "gc.alloc.rate.norm " +
                            GateFormat.bytes(b.allocBytesPerOp()) + " B/op in the baseline, " + GateFormat.bytes(c.allocBytesPerOp()) +
                            " B/op in the candidate, above the threshold but at about " + Math.round(c.operationsPerIteration()) +
                            " operations per iteration, JMH's own bookkeeping (up to " + (int)(JMH_BOOKKEEPING_BYTES_PER_ITERATION / 1024) +
                            " KiB per iteration) alone can show up to " + GateFormat.bytes(bookkeeping) + " B/op: longer iterations " +
                            "would tell"));
                    }
                    else
                    {
                        findings.add(new Finding(Finding.Kind.ALLOCATES, b.label(), "gc.alloc.rate.norm " +
                            GateFormat.bytes(b.allocBytesPerOp()) + " B/op in the baseline, " + GateFormat.bytes(c.allocBytesPerOp()) +
                            " B/op in the candidate (threshold " + GateFormat.bytes(settings.allocThresholdBytesPerOp()) + " B/op)"));
                    }
                }
            }
        }
        if (fewDegrees > 0)
        {
            notes.add(fewDegrees + (fewDegrees == 1 ? " benchmark has" : " benchmarks have") + " fewer than 3 degrees of " +
                "freedom (2 forks or rounds a side): their intervals are very wide, and only a gross change can show; measure " +
                "at least 3 forks (run --profile full) or more rounds.");
        }
        if (singleForks && timing)
        {
            notes.add("Rows marked \"1 fork\": a run measured them in a single fork, so their interval is built from that " +
                "fork's iterations and does not see fork-to-fork variation (JIT, memory layout, the machine's moment); measure " +
                "baselines with at least 2 forks (run --profile full has 3), or use the A/B gate.");
        }
        if (!matched.isEmpty() && !allocationMeasured)
        {
            notes.add("The baseline has no gc.alloc.rate.norm (not run with -prof gc): the allocation gate did not run.");
        }
        if (matched.isEmpty())
        {
            notes.add("No benchmark is in both runs: nothing was timed.");
        }
        if (!timing)
        {
            notes.add("Timing was not judged (--exact-only).");
        }
        return new GateResult(baselineLabel, candidateLabel, design, settings, confidence,
            List.copyOf(rows), List.copyOf(findings), allocationMeasured, timing, List.copyOf(notes), "");
    }

    /**
     * @param benchmark the fully qualified method.
     * @param mode      its mode.
     * @param params    its parameters.
     * @param label     its label.
     * @param accepted  the accepted trade-offs.
     * @param why       what "missing" means here.
     * @return {@link Finding.Kind#MISSING}, or {@link Finding.Kind#REMOVAL_ACCEPTED} when a trade-off accepts it.
     */
    static Finding missing(final String benchmark, final String mode, final Map<String, String> params, final String label,
        final AcceptedTradeoffs accepted, final String why)
    {
        final Optional<AcceptedTradeoff> removal = accepted.removalOf(benchmark, mode, params);
        return removal.map(t -> new Finding(Finding.Kind.REMOVAL_ACCEPTED, label, t.reason() +
                (t.acceptedIn() != null ? " (" + t.acceptedIn() + ")" : "")))
            .orElseGet(() -> new Finding(Finding.Kind.MISSING, label, why));
    }

    /** A method run in one mode in both runs must have the same parameter names and a parameter set in common. */
    private static void checkParameters(final List<BenchmarkSamples> baseline, final List<BenchmarkSamples> candidate)
        throws GateException
    {
        final Map<String, List<BenchmarkSamples>> candidateByMethod = byMethod(candidate);
        for (final Map.Entry<String, List<BenchmarkSamples>> entry : byMethod(baseline).entrySet())
        {
            final List<BenchmarkSamples> others = candidateByMethod.get(entry.getKey());
            if (others == null)
            {
                continue;
            }
            final BenchmarkSamples first = entry.getValue().get(0);
            final Set<String> names = first.params().keySet();
            final Set<String> otherNames = others.get(0).params().keySet();
            if (!names.equals(otherNames))
            {
                throw new GateException(first.shortName() + " " + first.mode() + " has parameters " + new TreeSet<>(names) +
                    " in the baseline and " + new TreeSet<>(otherNames) + " in the candidate: the runs cannot be compared");
            }
            final Set<String> sets = new TreeSet<>();
            entry.getValue().forEach(b -> sets.add(BenchmarkSamples.paramsLabel(b.params())));
            final Set<String> otherSets = new TreeSet<>();
            others.forEach(c -> otherSets.add(BenchmarkSamples.paramsLabel(c.params())));
            if (sets.stream().noneMatch(otherSets::contains))
            {
                throw new GateException(first.shortName() + " " + first.mode() + " ran with " + String.join("; ", sets) +
                    " in the baseline and " + String.join("; ", otherSets) + " in the candidate: no parameter set in common, " +
                    "the runs cannot be compared");
            }
        }
    }

    private static Map<String, List<BenchmarkSamples>> byMethod(final List<BenchmarkSamples> samples)
    {
        final Map<String, List<BenchmarkSamples>> byMethod = new LinkedHashMap<>();
        samples.forEach(s -> byMethod.computeIfAbsent(s.benchmark() + " " + s.mode(), k -> new ArrayList<>()).add(s));
        return byMethod;
    }

    private static void checkComparable(final BenchmarkSamples b, final BenchmarkSamples c, final boolean paired) throws GateException
    {
        if (b.threads() != c.threads())
        {
            throw new GateException(b.label() + " ran with " + b.threads() + " threads in the baseline and " + c.threads() +
                " in the candidate: the runs cannot be compared");
        }
        if (!b.unit().equals(c.unit()))
        {
            throw new GateException(b.label() + " is in " + b.unit() + " in the baseline and " + c.unit() +
                " in the candidate: run both with the same time unit");
        }
        if (paired && b.forks() != c.forks())
        {
            throw new GateException(b.label() + " has " + b.forks() + " forks in the baseline and " + c.forks() +
                " in the candidate: a paired comparison needs one fork per round on both sides");
        }
        if (paired && b.forks() < 2)
        {
            throw new GateException(b.label() + " has a single round: a paired comparison needs at least 2");
        }
    }
}
