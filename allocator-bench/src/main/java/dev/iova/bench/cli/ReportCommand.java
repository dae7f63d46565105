package dev.iova.bench.cli;

import dev.iova.bench.report.ChartFormat;
import dev.iova.bench.report.CiExport;
import dev.iova.bench.report.ComparisonWriter;
import dev.iova.bench.report.ReportException;
import dev.iova.bench.report.ReportWriter;
import dev.iova.bench.report.RunResults;
import picocli.CommandLine.Command;
import picocli.CommandLine.ExitCode;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code report DIR [--format png|svg]} writes {@code DIR/report.md} (the targets judged, tables and
 * charts of the run's JMH JSON, latency percentiles);
 * {@code report DIR --format bencher|github-action-benchmark [--out FILE]} prints the run's results
 * for those CI tools ({@link CiExport}), or writes them to {@code FILE};
 * {@code report BASELINE CANDIDATE} writes {@code CANDIDATE/compare-to-<baseline>.md}, the two
 * runs side by side. A folder that is not a run is one sentence on standard error and exit code 2.
 */
@Command(
    name = "report",
    mixinStandardHelpOptions = true,
    description = {
        "Turns a run folder (JMH JSON and metadata.json, as `run` writes them) into report.md: the issue's targets " +
            "judged, tables, charts (PNG, or SVG with --format svg).",
        "With two folders, compares them: baseline DIR1 against candidate DIR2, written into DIR2.",
        "For CI tools: --format bencher (Bencher Metric Format) or --format github-action-benchmark (its customSmallerIsBetter " +
            "form) prints the run's results as JSON, or writes them to --out FILE."})
final class ReportCommand implements Callable<Integer>
{
    /** {@code --format}: Bencher Metric Format. */
    static final String BENCHER = "bencher";

    /** {@code --format}: github-action-benchmark's {@code customSmallerIsBetter} form. */
    static final String GITHUB_ACTION_BENCHMARK = "github-action-benchmark";

    @Spec
    private CommandSpec spec;

    @Parameters(arity = "1..2", paramLabel = "DIR", description = "A run folder; or a baseline and a candidate run folder.")
    private List<Path> dirs;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "png",
        description = "png or svg: the report's charts (default: ${DEFAULT-VALUE}); bencher or github-action-benchmark: " +
            "the results for those CI tools, as JSON, instead of a report.")
    private String format;

    @Option(names = "--out", paramLabel = "FILE", description = "With --format bencher or github-action-benchmark: write the JSON here " +
        "instead of printing it (not into the run folder, whose JSON files are read as JMH's).")
    private Path out;

    @Override
    public Integer call()
    {
        final PrintWriter stdout = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        final boolean export = BENCHER.equals(format) || GITHUB_ACTION_BENCHMARK.equals(format);
        final ChartFormat charts;
        try
        {
            charts = export ? ChartFormat.PNG : ChartFormat.parse(format);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new ParameterException(spec.commandLine(), "--format " + format + " is none of png, svg, " + BENCHER + ", " +
                GITHUB_ACTION_BENCHMARK);
        }
        if (export && dirs.size() != 1)
        {
            throw new ParameterException(spec.commandLine(), "--format " + format + " exports one run: give one folder");
        }
        if (!export && out != null)
        {
            throw new ParameterException(spec.commandLine(), "--out is for --format " + BENCHER + " or " + GITHUB_ACTION_BENCHMARK +
                "; a report goes into its run folder");
        }
        try
        {
            if (export)
            {
                final RunResults run = RunResults.load(dirs.get(0));
                final String json = BENCHER.equals(format) ? CiExport.bencher(run) : CiExport.githubActionBenchmark(run);
                if (out == null)
                {
                    stdout.print(json);
                }
                else
                {
                    Files.writeString(out, json, StandardCharsets.UTF_8);
                    stdout.println(run.results().size() + " results written to " + out);
                }
            }
            else if (dirs.size() == 1)
            {
                final RunResults run = RunResults.load(dirs.get(0));
                final Path written = ReportWriter.write(run, charts);
                stdout.println("report of " + run.results().size() + " results written to " + written);
            }
            else
            {
                final RunResults baseline = RunResults.load(dirs.get(0));
                final RunResults candidate = RunResults.load(dirs.get(1));
                final ComparisonWriter.Outcome outcome = ComparisonWriter.write(baseline, candidate, charts);
                stdout.println(outcome.summary());
                stdout.println("comparison written to " + outcome.file());
            }
            stdout.flush();
            return ExitCode.OK;
        }
        catch (final ReportException ex)
        {
            err.println("allocator-bench report: " + ex.getMessage());
            err.flush();
            return ExitCode.USAGE;
        }
        catch (final IOException ex)
        {
            err.println("allocator-bench report: " + (ex instanceof FileSystemException fs && fs.getFile() != null ?
                fs.getFile() + ": " : "") + Main.reasonOf(ex));
            err.flush();
            return ExitCode.SOFTWARE;
        }
    }
}
