package dev.iova.bench.cli;

import dev.iova.bench.report.ChartFormat;
import dev.iova.bench.report.ComparisonWriter;
import dev.iova.bench.report.ReportException;
import dev.iova.bench.report.ReportWriter;
import dev.iova.bench.report.RunResults;
import picocli.CommandLine.Command;
import picocli.CommandLine.ExitCode;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code report DIR [--format png|svg]} writes {@code DIR/report.md} (the targets judged, tables and
 * charts of the run's JMH JSON, latency percentiles);
 * {@code report BASELINE CANDIDATE} writes {@code CANDIDATE/compare-to-<baseline>.md}, the two
 * runs side by side. A folder that is not a run is one sentence on standard error and exit code 2.
 */
@Command(
    name = "report",
    mixinStandardHelpOptions = true,
    description = {
        "Turns a run folder (JMH JSON and metadata.json, as `run` writes them) into report.md: the issue's targets " +
            "judged, tables, charts (PNG, or SVG with --format svg).",
        "With two folders, compares them: baseline DIR1 against candidate DIR2, written into DIR2."})
final class ReportCommand implements Callable<Integer>
{
    @Spec
    private CommandSpec spec;

    @Parameters(arity = "1..2", paramLabel = "DIR", description = "A run folder; or a baseline and a candidate run folder.")
    private List<Path> dirs;

    @Option(names = "--format", paramLabel = "png|svg", defaultValue = "png", converter = FormatConverter.class,
        description = "The charts' file format (default: ${DEFAULT-VALUE}).")
    private ChartFormat format;

    @Override
    public Integer call()
    {
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        try
        {
            final Path written;
            if (dirs.size() == 1)
            {
                final RunResults run = RunResults.load(dirs.get(0));
                written = ReportWriter.write(run, format);
                out.println("report of " + run.results().size() + " results written to " + written);
            }
            else
            {
                final RunResults baseline = RunResults.load(dirs.get(0));
                final RunResults candidate = RunResults.load(dirs.get(1));
                final ComparisonWriter.Outcome outcome = ComparisonWriter.write(baseline, candidate, format);
                out.println(outcome.summary());
                out.println("comparison written to " + outcome.file());
            }
            out.flush();
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

    /** Reads --format with {@link ChartFormat#parse(String)}, whose message names the formats there are. */
    static final class FormatConverter implements ITypeConverter<ChartFormat>
    {
        @Override
        public ChartFormat convert(final String value)
        {
            try
            {
                return ChartFormat.parse(value);
            }
            catch (final IllegalArgumentException ex)
            {
                throw new TypeConversionException(ex.getMessage());
            }
        }
    }
}
