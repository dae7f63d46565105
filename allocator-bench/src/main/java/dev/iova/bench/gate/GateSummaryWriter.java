package dev.iova.bench.gate;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.iova.bench.report.Format;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes the gate's result for people and for machines, into one folder:
 * <ul>
 *   <li>{@value #MARKDOWN_FILE}: the overall verdict in one sentence at the top (after a caution,
 *       when there is one), a table of every benchmark (scores, slowdown with its interval,
 *       verdict), the exact gates, the accepted trade-offs used, the notes. It links no local file:
 *       it is meant to be pasted where they cannot be shown, such as a CI job's step summary;</li>
 *   <li>{@value #CHART_FILE}: the chart ({@link GateChart});</li>
 *   <li>{@value #JSON_FILE}: the same as a JSON object (a JSON object, not an array, so that
 *       {@code report} and the gate skip it when they read the folder as a run);</li>
 *   <li>{@value #TSV_FILE}: one line per benchmark and finding, for scripts
 *       ({@code scripts/gate-proof.sh}).</li>
 * </ul>
 */
public final class GateSummaryWriter
{
    /** The Markdown summary. */
    public static final String MARKDOWN_FILE = "gate.md";

    /** The chart. */
    public static final String CHART_FILE = "gate-changes.png";

    /** The machine-readable summary. */
    public static final String JSON_FILE = "gate.json";

    /** Tab-separated verdicts. */
    public static final String TSV_FILE = "gate-verdicts.tsv";

    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private GateSummaryWriter()
    {
    }

    /**
     * @param dir    the folder to write into; created when missing.
     * @param result the gate's result.
     * @return the Markdown file.
     * @throws IOException when a file cannot be written.
     */
    public static Path write(final Path dir, final GateResult result) throws IOException
    {
        Files.createDirectories(dir);
        if (!result.rows().isEmpty() && result.timingJudged())
        {
            GateChart.write(dir.resolve(CHART_FILE), result);
        }
        Files.writeString(dir.resolve(JSON_FILE), json(result) + "\n", StandardCharsets.UTF_8);
        Files.writeString(dir.resolve(TSV_FILE), tsv(result), StandardCharsets.UTF_8);
        final Path markdown = dir.resolve(MARKDOWN_FILE);
        Files.writeString(markdown, markdown(result), StandardCharsets.UTF_8);
        return markdown;
    }

    /**
     * Writes {@value #MARKDOWN_FILE} for a gate that judged nothing, saying why, so that whoever
     * reads the gate's folder (or a CI step summary) sees that it was skipped, not that it passed.
     *
     * @param dir    the folder to write into; created when missing.
     * @param reason why the timing gate did not run, one sentence.
     * @return the Markdown file.
     * @throws IOException when it cannot be written.
     */
    public static Path writeSkipped(final Path dir, final String reason) throws IOException
    {
        Files.createDirectories(dir);
        final Path markdown = dir.resolve(MARKDOWN_FILE);
        Files.writeString(markdown, "# Regression gate\n\n**SKIPPED: the timing gate did not run: " + reason +
            (reason.endsWith(".") ? "" : ".") + "**\n\nNo benchmark was judged (`--skip-unusable-baseline`); exit code 0.\n",
            StandardCharsets.UTF_8);
        return markdown;
    }

    /**
     * @param result the gate's result.
     * @return the Markdown summary.
     */
    public static String markdown(final GateResult result)
    {
        final StringBuilder md = new StringBuilder();
        md.append("# Regression gate\n\n");
        if (!result.caution().isEmpty())
        {
            md.append("> **").append(result.caution()).append("**\n\n");
        }
        md.append("**").append(result.headline()).append("**\n\n");
        md.append("| | |\n|---|---|\n");
        md.append("| baseline | ").append(result.baselineLabel()).append(" |\n");
        md.append("| candidate | ").append(result.candidateLabel()).append(" |\n");
        md.append("| design | ").append(result.design()).append(" |\n");
        final GateSettings settings = result.settings();
        md.append("| thresholds | minimum effect ").append(GateFormat.percent(settings.minEffectFraction()).substring(1).replace(".0%", "%"))
            .append("; ").append(GateFormat.level(settings.confidence())).append(" family-wise confidence")
            .append(result.rows().isEmpty() ? "" : ", " + GateFormat.level(result.perBenchmarkConfidence()) + " per benchmark (Bonferroni over " +
                result.rows().size() + ")").append("; hierarchical bootstrap, ").append(settings.resamples())
            .append(" resamples, seed ").append(settings.seed()).append("; allocates nothing = at most ")
            .append(Format.number(settings.allocThresholdBytesPerOp()).replaceAll("\\.?0+$", ""))
            .append(" B/op |\n\n");

        md.append("## Timing\n\n");
        if (result.rows().isEmpty())
        {
            md.append("No benchmark is in both runs.\n\n");
        }
        else if (!result.timingJudged())
        {
            md.append("Not judged (`--exact-only`). Allocation, `gc.alloc.rate.norm` in B/op:\n\n");
            md.append("| # | benchmark | mode | params | baseline B/op | candidate B/op |\n|---|---|---|---|---|---|\n");
            int number = 0;
            for (final BenchmarkVerdict row : result.rows())
            {
                number++;
                md.append("| ").append(number).append(" | ").append(BenchmarkSamples.shortName(row.benchmark()))
                    .append(row.threads() > 1 ? " (" + row.threads() + " threads)" : "")
                    .append(" | ").append(row.mode()).append(" | ").append(BenchmarkSamples.paramsLabel(row.params()))
                    .append(" | ").append(GateFormat.bytes(row.baselineAllocBytesPerOp()))
                    .append(" | ").append(GateFormat.bytes(row.candidateAllocBytesPerOp())).append(" |\n");
            }
            md.append("\n");
        }
        else
        {
            md.append("Slowdown: the candidate's time per operation over the baseline's, minus 1 (for `thrpt`, the ")
                .append("baseline's throughput over the candidate's); negative is faster. A regression is a slowdown whose ")
                .append("interval excludes 0 and whose estimate is at least the minimum effect.\n\n");
            md.append("| # | benchmark | mode | params | baseline | candidate | slowdown [interval] | verdict | B/op | note |\n");
            md.append("|---|---|---|---|---|---|---|---|---|---|\n");
            int number = 0;
            for (final BenchmarkVerdict row : result.rows())
            {
                number++;
                final boolean loud = row.verdict() == Verdict.REGRESSION;
                md.append("| ").append(number)
                    .append(" | ").append(BenchmarkSamples.shortName(row.benchmark()))
                    .append(row.threads() > 1 ? " (" + row.threads() + " threads)" : "")
                    .append(" | ").append(row.mode())
                    .append(" | ").append(BenchmarkSamples.paramsLabel(row.params()))
                    .append(" | ").append(GateFormat.score(row.baselineScore(), row.unit()))
                    .append(" | ").append(GateFormat.score(row.candidateScore(), row.unit()))
                    .append(" | ").append(loud ? "**" + GateFormat.percent(row.change().slowdown()) + "**" :
                        GateFormat.percent(row.change().slowdown()))
                    .append(" [").append(GateFormat.percent(row.change().slowdownLow())).append(", ")
                    .append(GateFormat.percent(row.change().slowdownHigh())).append("]")
                    .append(" | ").append(loud ? "**" + row.verdict().label() + "**" : row.verdict().label())
                    .append(" | ").append(GateFormat.bytes(row.baselineAllocBytesPerOp())).append(" → ")
                    .append(GateFormat.bytes(row.candidateAllocBytesPerOp()))
                    .append(" | ").append(row.note().replace("|", "/")).append(" |\n");
            }
            md.append("\nThe same as a chart: `").append(CHART_FILE).append("` beside this file.\n\n");
        }

        md.append("## Exact gates\n\n");
        final long zeroBefore = result.rows().stream()
            .filter(r -> r.baselineAllocBytesPerOp() <= settings.allocThresholdBytesPerOp()).count();
        final int notJudged = result.findings(Finding.Kind.ALLOCATION_NOT_JUDGED).size();
        md.append("- allocation: ").append(result.allocationMeasured() ? zeroBefore + " of " + result.rows().size() +
            " benchmarks allocated nothing in the baseline; " + (result.findings(Finding.Kind.ALLOCATES).isEmpty() ?
            "all still allocate nothing" : result.findings(Finding.Kind.ALLOCATES).size() + " now allocate") +
            (notJudged == 0 ? "" : " (" + notJudged + " too slow to judge, below)") :
            "not measured (no gc.alloc.rate.norm in the baseline)").append("\n");
        md.append("- presence: ").append(result.findings(Finding.Kind.MISSING).size()).append(" missing, ")
            .append(result.findings(Finding.Kind.FAILED).size()).append(" failed, ")
            .append(result.findings(Finding.Kind.NEW).size()).append(" new\n\n");
        final List<Finding> listed = result.findings().stream()
            .filter(f -> f.kind() != Finding.Kind.REMOVAL_ACCEPTED).toList();
        if (!listed.isEmpty())
        {
            md.append("| benchmark | finding | detail |\n|---|---|---|\n");
            for (final Finding finding : listed)
            {
                final String kind = finding.kind().failing() ? "**" + finding.kind().label().toUpperCase(Locale.ROOT) + "**" :
                    finding.kind().label();
                md.append("| ").append(finding.label()).append(" | ").append(kind).append(" | ")
                    .append(finding.detail().replace("|", "/")).append(" |\n");
            }
            md.append("\n");
        }

        final List<BenchmarkVerdict> acceptedRows = result.rows().stream().filter(r -> r.note().startsWith("accepted") ||
            r.note().startsWith("beyond the accepted")).toList();
        final List<Finding> removals = result.findings(Finding.Kind.REMOVAL_ACCEPTED);
        md.append("## Accepted trade-offs\n\n");
        if (acceptedRows.isEmpty() && removals.isEmpty())
        {
            md.append("None applied.\n\n");
        }
        else
        {
            for (final BenchmarkVerdict row : acceptedRows)
            {
                md.append("- ").append(row.label()).append(": ").append(GateFormat.percent(row.change().slowdown()))
                    .append(", ").append(row.verdict().label()).append(": ").append(row.note()).append("\n");
            }
            for (final Finding removal : removals)
            {
                md.append("- ").append(removal.label()).append(": removal accepted: ").append(removal.detail()).append("\n");
            }
            md.append("\n");
        }
        if (!result.notes().isEmpty())
        {
            md.append("## Notes\n\n");
            result.notes().forEach(note -> md.append("- ").append(note).append("\n"));
            md.append("\n");
        }
        return md.toString();
    }

    /**
     * @param result the gate's result.
     * @return it as a JSON object.
     * @throws IOException never in practice (Jackson's signature).
     */
    public static String json(final GateResult result) throws IOException
    {
        final Map<String, Object> root = new LinkedHashMap<>();
        root.put("verdict", result.failed() ? "REGRESSION" : "PASS");
        root.put("exitCode", result.exitCode());
        root.put("headline", result.headline());
        root.put("baseline", result.baselineLabel());
        root.put("candidate", result.candidateLabel());
        root.put("design", result.design());
        root.put("timingJudged", result.timingJudged());
        root.put("caution", result.caution());
        final Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("confidence", result.settings().confidence());
        settings.put("perBenchmarkConfidence", result.perBenchmarkConfidence());
        settings.put("minEffectPercent", result.settings().minEffectFraction() * 100);
        settings.put("resamples", result.settings().resamples());
        settings.put("seed", result.settings().seed());
        settings.put("allocThresholdBytesPerOp", result.settings().allocThresholdBytesPerOp());
        root.put("settings", settings);
        final List<Map<String, Object>> rows = new ArrayList<>();
        for (final BenchmarkVerdict row : result.rows())
        {
            final Map<String, Object> one = new LinkedHashMap<>();
            one.put("benchmark", row.benchmark());
            one.put("mode", row.mode());
            one.put("threads", row.threads());
            one.put("params", row.params());
            one.put("unit", row.unit());
            one.put("baselineScore", finite(row.baselineScore()));
            one.put("candidateScore", finite(row.candidateScore()));
            one.put("slowdownPercent", finite(row.change().slowdown() * 100));
            one.put("lowPercent", finite(row.change().slowdownLow() * 100));
            one.put("highPercent", finite(row.change().slowdownHigh() * 100));
            one.put("degreesOfFreedom", finite(row.change().degreesOfFreedom()));
            one.put("units", row.change().units());
            one.put("verdict", row.verdict().name());
            one.put("baselineAllocBytesPerOp", finite(row.baselineAllocBytesPerOp()));
            one.put("candidateAllocBytesPerOp", finite(row.candidateAllocBytesPerOp()));
            one.put("note", row.note());
            rows.add(one);
        }
        root.put("benchmarks", rows);
        final List<Map<String, Object>> findings = new ArrayList<>();
        for (final Finding finding : result.findings())
        {
            final Map<String, Object> one = new LinkedHashMap<>();
            one.put("kind", finding.kind().name());
            one.put("failing", finding.kind().failing());
            one.put("benchmark", finding.label());
            one.put("detail", finding.detail());
            findings.add(one);
        }
        root.put("findings", findings);
        root.put("notes", result.notes());
        return MAPPER.writeValueAsString(root);
    }

    /**
     * @param result the gate's result.
     * @return a header line, then one tab-separated line per benchmark
     *         ({@code label, slowdown %, low %, high %, verdict}) and per finding ({@code label, "", "", "", KIND}).
     */
    public static String tsv(final GateResult result)
    {
        final StringBuilder tsv = new StringBuilder("benchmark\tslowdownPercent\tlowPercent\thighPercent\tverdict\n");
        for (final BenchmarkVerdict row : result.rows())
        {
            tsv.append(row.label()).append('\t')
                .append(String.format(Locale.ROOT, "%.2f\t%.2f\t%.2f\t", row.change().slowdown() * 100,
                    row.change().slowdownLow() * 100, row.change().slowdownHigh() * 100))
                .append(row.verdict().name()).append('\n');
        }
        for (final Finding finding : result.findings())
        {
            tsv.append(finding.label()).append("\t\t\t\t").append(finding.kind().name()).append('\n');
        }
        return tsv.toString();
    }

    private static Object finite(final double value)
    {
        return Double.isFinite(value) ? value : null;
    }
}
