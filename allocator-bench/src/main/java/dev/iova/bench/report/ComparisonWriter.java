package dev.iova.bench.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes {@code compare-to-<baseline folder>.md} into the candidate's folder: both runs' machine
 * and settings side by side, then per benchmark class a table (baseline, candidate, ratio,
 * whether the confidence intervals overlap) and per mode a bar chart of the two runs.
 */
public final class ComparisonWriter
{
    private ComparisonWriter()
    {
    }

    /**
     * What was written.
     *
     * @param file       the comparison's Markdown file.
     * @param comparison the matched results.
     */
    public record Outcome(Path file, Comparison comparison)
    {
        /** @return a line for the terminal: how many results matched, how many moved beyond the noise. */
        public String summary()
        {
            final long better = comparison.rows().stream().filter(r -> r.verdict().equals("better")).count();
            final long worse = comparison.rows().stream().filter(r -> r.verdict().equals("worse")).count();
            return comparison.rows().size() + " results in both runs: " + better + " better and " + worse +
                " worse with confidence intervals apart, " + (comparison.rows().size() - better - worse) + " overlapping; " +
                comparison.onlyInBaseline().size() + " only in the baseline, " + comparison.onlyInCandidate().size() +
                " only in the candidate";
        }
    }

    /**
     * @param baseline  the run to compare against.
     * @param candidate the run compared; the comparison is written into its folder.
     * @return the file written and the comparison.
     * @throws IOException when a file cannot be written.
     */
    public static Outcome write(final RunResults baseline, final RunResults candidate) throws IOException
    {
        return write(baseline, candidate, ChartFormat.PNG);
    }

    /**
     * @param baseline  the run to compare against.
     * @param candidate the run compared; the comparison is written into its folder.
     * @param format    the charts' file format.
     * @return the file written and the comparison.
     * @throws IOException when a file cannot be written.
     */
    public static Outcome write(final RunResults baseline, final RunResults candidate, final ChartFormat format) throws IOException
    {
        final Comparison comparison = Comparison.of(baseline.results(), candidate.results());
        final String stem = "compare-to-" + baseline.name().replaceAll("[^A-Za-z0-9._-]", "_");
        final StringBuilder md = new StringBuilder();
        md.append("# Comparison: ").append(baseline.name()).append(" → ").append(candidate.name()).append("\n\n");
        final List<String[]> baseRows = RunHeader.rows(baseline);
        final List<String[]> candRows = RunHeader.rows(candidate);
        md.append("| | baseline | candidate |\n|---|---|---|\n");
        for (int i = 0; i < Math.min(baseRows.size(), candRows.size()); i++)
        {
            if (baseRows.get(i)[0].equals(candRows.get(i)[0]))
            {
                md.append("| ").append(baseRows.get(i)[0]).append(" | ").append(ReportWriter.cell(baseRows.get(i)[1]))
                    .append(" | ").append(ReportWriter.cell(candRows.get(i)[1])).append(" |\n");
            }
        }
        md.append("\nRatio is candidate / baseline, both in the baseline's unit: above 1 is better for `thrpt`, below 1 " +
            "for `avgt`. \"Apart\" means JMH's 99.9% confidence intervals do not overlap: the difference is larger than " +
            "the noise JMH saw within each run, which is a description, not a verdict (a regression gate is a " +
            "separate tool). Runs on different machines, JDKs or loads are not comparable at all.\n\n");
        md.append(new Outcome(null, comparison).summary()).append(".\n\n");
        targets(md, Targets.evaluate(baseline.results()), Targets.evaluate(candidate.results()));

        final Map<String, List<Comparison.Row>> byClass = new LinkedHashMap<>();
        comparison.rows().forEach(r -> byClass.computeIfAbsent(r.candidate().className(), k -> new ArrayList<>()).add(r));
        final Map<String, String> slugs = ReportWriter.slugs(byClass.keySet());
        for (final Map.Entry<String, List<Comparison.Row>> entry : byClass.entrySet())
        {
            classSection(md, candidate.dir(), stem + "-" + slugs.get(entry.getKey()), entry.getValue(), format);
        }
        missing(md, "Only in the baseline", comparison.onlyInBaseline());
        missing(md, "Only in the candidate", comparison.onlyInCandidate());

        final Path file = candidate.dir().resolve(stem + ".md");
        Files.writeString(file, md.toString(), StandardCharsets.UTF_8);
        return new Outcome(file, comparison);
    }

    private static void classSection(final StringBuilder md, final Path dir, final String slug, final List<Comparison.Row> rows,
        final ChartFormat format) throws IOException
    {
        final String simpleName = rows.get(0).candidate().simpleClassName();
        md.append("## ").append(simpleName).append("\n\n");
        md.append("| method | mode | threads | params | baseline | candidate | unit | ratio | intervals |\n")
            .append("|---|---|---:|---|---:|---:|---|---:|---|\n");
        final Map<String, List<Comparison.Row>> byMode = new LinkedHashMap<>();
        rows.forEach(r -> byMode.computeIfAbsent(r.baseline().mode() + " " + r.baseline().unit(), k -> new ArrayList<>()).add(r));
        for (final List<Comparison.Row> group : byMode.values())
        {
            final Units.Scale scale = scaleOf(group);
            for (final Comparison.Row r : group)
            {
                final BenchmarkResult base = r.baseline();
                final double baseScore = scale.apply(base.score());
                final double candScore = scale.apply(r.candidateScore());
                md.append("| ").append(ReportWriter.cell(base.method())).append(" | ").append(base.mode()).append(" | ")
                    .append(base.threads()).append(" | ").append(ReportWriter.cell(base.paramsLabel())).append(" | ")
                    .append(Format.number(baseScore)).append(" ± ").append(Format.error(scale.apply(base.scoreError()), baseScore))
                    .append(" | ").append(Format.number(candScore)).append(" ± ")
                    .append(Format.error(scale.apply(r.candidateError()), candScore)).append(" | ").append(scale.label())
                    .append(" | ").append(Format.ratio(r.ratio())).append(" | ")
                    .append(r.overlap() ? "overlap" : "apart: " + r.verdict()).append(" |\n");
            }
        }
        md.append('\n');
        for (final List<Comparison.Row> group : byMode.values())
        {
            final Units.Scale scale = scaleOf(group);
            final List<String> categories = new ArrayList<>();
            final double[][] base = {new double[group.size()], new double[group.size()]};
            final double[][] cand = {new double[group.size()], new double[group.size()]};
            // parameters in the labels only when they tell the bars apart
            final boolean paramsVary = group.stream().map(r -> r.baseline().paramsLabel()).distinct().count() > 1;
            final boolean threadsVary = group.stream().collect(java.util.stream.Collectors.groupingBy(r -> r.baseline().method(),
                java.util.stream.Collectors.mapping(r -> r.baseline().threads(), java.util.stream.Collectors.toSet())))
                .values().stream().anyMatch(threads -> threads.size() > 1);
            for (int i = 0; i < group.size(); i++)
            {
                final Comparison.Row r = group.get(i);
                categories.add(r.baseline().method() + (threadsVary ? " " + r.baseline().threads() + "t" : "") +
                    (paramsVary && !r.baseline().params().isEmpty() ? " (" + r.baseline().paramsLabel() + ")" : ""));
                base[0][i] = scale.apply(r.baseline().score());
                base[1][i] = scale.apply(r.baseline().scoreError());
                cand[0][i] = scale.apply(r.candidateScore());
                cand[1][i] = scale.apply(r.candidateError());
            }
            final String mode = group.get(0).baseline().mode();
            final String file = slug + "-" + mode + "." + format.extension();
            final String title = simpleName + ", " + mode + " (" + (group.get(0).baseline().higherIsBetter() ?
                "higher is better" : "lower is better") + ")";
            Charts.bars(dir.resolve(ReportWriter.CHARTS_DIR).resolve(file), title, scale.label(), categories, List.of(
                new Charts.Series("baseline", categories, base[0], base[1]),
                new Charts.Series("candidate", categories, cand[0], cand[1])));
            md.append("![").append(title).append("](").append(ReportWriter.CHARTS_DIR).append('/').append(file).append(")\n\n");
        }
    }

    /** The targets judged in each run, side by side (each run's figures are in its own report). */
    private static void targets(final StringBuilder md, final List<Target.Outcome> baseline, final List<Target.Outcome> candidate)
    {
        md.append("## Targets\n\n");
        md.append("Each run judged alone, as in its `report.md` (which gives the figures): the ratio of JMH's scores and " +
            "whether the verdict stands at the ends of the 99.9% confidence intervals.\n\n");
        md.append("| target | threshold | baseline | candidate |\n|---|---|---|---|\n");
        for (int i = 0; i < baseline.size(); i++)
        {
            final Target.Outcome base = baseline.get(i);
            final Target.Outcome cand = candidate.get(i);
            md.append("| ").append(ReportWriter.cell(base.target().name())).append(" | ").append(base.threshold()).append(" | ")
                .append(ReportWriter.cell(cell(base))).append(" | ").append(ReportWriter.cell(cell(cand))).append(" |\n");
        }
        md.append("\nBaseline: ").append(ReportWriter.summary(baseline)).append(". Candidate: ")
            .append(ReportWriter.summary(candidate)).append(".\n\n");
    }

    private static String cell(final Target.Outcome outcome)
    {
        return outcome.verdict() == Target.Verdict.NOT_MEASURED ? outcome.verdictText() :
            outcome.value() + ": " + outcome.verdictText();
    }

    private static Units.Scale scaleOf(final List<Comparison.Row> group)
    {
        return Units.readable(group.get(0).baseline().unit(),
            group.stream().mapToDouble(r -> r.baseline().score()).toArray());
    }

    private static void missing(final StringBuilder md, final String title, final List<BenchmarkResult> results)
    {
        if (results.isEmpty())
        {
            return;
        }
        md.append("## ").append(title).append("\n\n");
        results.forEach(r -> md.append("- `").append(r.key().trim()).append("`\n"));
        md.append('\n');
    }
}
