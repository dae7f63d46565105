package dev.iova.bench.cli;

import dev.iova.bench.trace.TraceFormatException;
import dev.iova.bench.trace.kernel.ComparisonReport;
import dev.iova.bench.trace.kernel.PlacementComparison;
import picocli.CommandLine.Command;
import picocli.CommandLine.ExitCode;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code compare TRACE [--out DIR] [--samples N]}: replays a trace written by {@code import}
 * with highest fit and sets it beside what the kernel recorded ({@link PlacementComparison}).
 */
@Command(
    name = "compare",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
        "Replays a trace written by 'import' straight into the tree of a fresh IovaDomain (highest fit) and sets it " +
            "beside the placements the kernel recorded (the '# kernel PFN' comments): allocations placed, failures, " +
            "the highest pfn in use, pages in use below 4 GiB, the number of free gaps and the largest free gap below " +
            "the limit over the trace. Prints a table; with --out, also writes DIR/compare.md with the table and charts.",
        ""
    })
final class CompareCommand implements Callable<Integer>
{
    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "TRACE", description = "A trace written by import.")
    private Path tracePath;

    @Option(names = "--out", paramLabel = "DIR", description = "Also write compare.md and charts/*.png here.")
    private Path outDir;

    @Option(names = "--samples", paramLabel = "N", defaultValue = "200",
        description = "How many times along the trace to measure the free gaps (default: ${DEFAULT-VALUE}).")
    private int samples;

    @Override
    public Integer call()
    {
        if (samples < 1)
        {
            throw new ParameterException(spec.commandLine(), "--samples=" + samples + " must be at least 1");
        }
        final PrintWriter err = spec.commandLine().getErr();
        final PlacementComparison.Result result;
        try
        {
            result = PlacementComparison.compare(tracePath, samples);
        }
        catch (final IOException ex)
        {
            err.println(tracePath + ": cannot read the trace: " + Main.reasonOf(ex));
            return ExitCode.SOFTWARE;
        }
        catch (final TraceFormatException ex)
        {
            err.println(ex.getMessage());
            return ExitCode.SOFTWARE;
        }
        ComparisonReport.printTable(spec.commandLine().getOut(), result);
        if (outDir != null)
        {
            try
            {
                final Path written = ComparisonReport.write(outDir, result);
                spec.commandLine().getOut().println("report          " + written);
                spec.commandLine().getOut().flush();
            }
            catch (final IOException ex)
            {
                err.println(outDir + ": cannot write the report: " + Main.reasonOf(ex));
                return ExitCode.SOFTWARE;
            }
        }
        return ExitCode.OK;
    }
}
