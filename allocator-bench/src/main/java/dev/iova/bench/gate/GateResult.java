package dev.iova.bench.gate;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Everything the gate decided about two runs: the timing verdicts, the exact gates' findings, the
 * notes, and how it was decided. Its {@link #exitCode()} is the command's: 0 no regression, 1 a
 * regression (timing, allocation, a missing or failed benchmark).
 *
 * @param baselineLabel          what the baseline is (a folder, a revision), for the summary.
 * @param candidateLabel         what the candidate is.
 * @param design                 how the two were measured: "two runs (unpaired)", "paired A/B, 10 rounds".
 * @param settings               the thresholds.
 * @param perBenchmarkConfidence each interval's level after the Bonferroni split.
 * @param rows                   the timing verdicts, in the baseline's order.
 * @param findings               the exact gates' findings.
 * @param allocationMeasured     whether the baseline had {@code gc.alloc.rate.norm}, so that the
 *                               allocation gate ran.
 * @param timingJudged           false when only the exact gates ran ({@code --exact-only}).
 * @param notes                  remarks for the reviewer, one sentence each.
 * @param caution                what the reader must know before any verdict, stated at the top of
 *                               the summary (timing judged across different machines), or empty.
 */
public record GateResult(
    String baselineLabel,
    String candidateLabel,
    String design,
    GateSettings settings,
    double perBenchmarkConfidence,
    List<BenchmarkVerdict> rows,
    List<Finding> findings,
    boolean allocationMeasured,
    boolean timingJudged,
    List<String> notes,
    String caution)
{
    /** Exit code: no regression. */
    public static final int PASS = 0;

    /** Exit code: a regression, timing or exact. */
    public static final int REGRESSION = 1;

    /** Exit code: the inputs cannot be compared. */
    public static final int NOT_COMPARABLE = 2;

    /** @return {@link #REGRESSION} when a verdict or a finding fails the gate, else {@link #PASS}. */
    public int exitCode()
    {
        return failed() ? REGRESSION : PASS;
    }

    /** @return true when a verdict or a finding fails the gate. */
    public boolean failed()
    {
        return rows.stream().anyMatch(r -> r.verdict().failing()) || findings.stream().anyMatch(f -> f.kind().failing());
    }

    /**
     * @param more     findings to add.
     * @param moreNotes notes to add.
     * @return this result with them.
     */
    public GateResult with(final List<Finding> more, final List<String> moreNotes)
    {
        final List<Finding> allFindings = new ArrayList<>(findings);
        allFindings.addAll(more);
        final List<String> allNotes = new ArrayList<>(notes);
        allNotes.addAll(moreNotes);
        return new GateResult(baselineLabel, candidateLabel, design, settings, perBenchmarkConfidence, rows, List.copyOf(allFindings),
            allocationMeasured, timingJudged, List.copyOf(allNotes), caution);
    }

    /**
     * @param sentence what the summary states at its top, before the verdict.
     * @return this result with it.
     */
    public GateResult withCaution(final String sentence)
    {
        return new GateResult(baselineLabel, candidateLabel, design, settings, perBenchmarkConfidence, rows, findings,
            allocationMeasured, timingJudged, notes, sentence);
    }

    /** @return the rows with the given verdict. */
    public List<BenchmarkVerdict> rows(final Verdict verdict)
    {
        return rows.stream().filter(r -> r.verdict() == verdict).toList();
    }

    /** @return the findings of the given kind. */
    public List<Finding> findings(final Finding.Kind kind)
    {
        return findings.stream().filter(f -> f.kind() == kind).toList();
    }

    /**
     * @return the overall verdict in one sentence, beginning with {@code REGRESSION:} or {@code PASS:}.
     */
    public String headline()
    {
        final List<String> clauses = new ArrayList<>();
        final List<BenchmarkVerdict> regressions = rows(Verdict.REGRESSION);
        final String threshold = GateFormat.percent(settings.minEffectFraction()).substring(1).replace(".0%", "%");
        if (regressions.size() == 1)
        {
            final BenchmarkVerdict only = regressions.get(0);
            clauses.add(only.label() + " is " + GateFormat.percent(only.change().slowdown()).substring(1) + " slower (" +
                GateFormat.level(only.change().confidence()) + " interval " + GateFormat.percent(only.change().slowdownLow()) +
                " to " + GateFormat.percent(only.change().slowdownHigh()) + ", threshold " + threshold + ")");
        }
        else if (!regressions.isEmpty())
        {
            clauses.add(regressions.size() + " of " + rows.size() + " benchmarks are slower by more than " + threshold + " (" +
                regressions.stream().limit(3).map(r -> r.label() + " " + GateFormat.percent(r.change().slowdown()))
                    .collect(Collectors.joining(", ")) + (regressions.size() > 3 ? ", ..." : "") + ")");
        }
        addFindings(clauses, Finding.Kind.ALLOCATES, "allocates where the baseline did not", "allocate where the baseline did not");
        addFindings(clauses, Finding.Kind.MISSING, "is missing from the candidate", "are missing from the candidate");
        addFindings(clauses, Finding.Kind.FAILED, "failed in the candidate", "failed in the candidate");
        if (!clauses.isEmpty())
        {
            return "REGRESSION: " + String.join("; ", clauses) + ".";
        }
        final String exact = "exact gates hold (" + (allocationMeasured ? "allocation and presence" : "presence; allocation not measured") + ")";
        if (!timingJudged)
        {
            return "PASS: " + exact + " for " + rows.size() + (rows.size() == 1 ? " benchmark" : " benchmarks") + "; timing not judged.";
        }
        final List<String> others = new ArrayList<>();
        count(others, rows(Verdict.IMPROVEMENT).size(), "faster");
        count(others, rows(Verdict.INCONCLUSIVE).size(), "inconclusive");
        count(others, rows(Verdict.ACCEPTED).size(), "accepted");
        return "PASS: no regression in " + rows.size() + (rows.size() == 1 ? " benchmark" : " benchmarks") +
            (others.isEmpty() ? "" : " (" + String.join(", ", others) + ")") + "; " + exact + ".";
    }

    private void addFindings(final List<String> clauses, final Finding.Kind kind, final String one, final String many)
    {
        final List<Finding> found = findings(kind);
        if (found.size() == 1)
        {
            clauses.add(found.get(0).label() + " " + one);
        }
        else if (found.size() > 1)
        {
            clauses.add(found.size() + " benchmarks " + many + " (" + found.stream().limit(3).map(Finding::label)
                .collect(Collectors.joining(", ")) + (found.size() > 3 ? ", ..." : "") + ")");
        }
    }

    private static void count(final List<String> into, final int count, final String what)
    {
        if (count > 0)
        {
            into.add(count + " " + what);
        }
    }
}
