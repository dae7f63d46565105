package dev.iova.bench.run;

import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.format.OutputFormat;

import dev.iova.bench.report.Format;
import org.openjdk.jmh.results.Result;

import java.io.IOException;
import java.io.PrintStream;
import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;

/**
 * JMH's own output, with a progress line ({@link Progress}) before each benchmark starts, into the
 * wrapped format (the run's {@code jmh-output.txt}); and on the console one line per benchmark when
 * it ends, with its score and allocation. Everything else goes to the wrapped format unchanged.
 */
final class ProgressOutputFormat implements OutputFormat
{
    /** JMH's name of {@code -prof gc}'s allocation per operation. */
    private static final String ALLOC_NORM = "gc.alloc.rate.norm";

    private final OutputFormat delegate;
    private final Progress progress;
    private final Map<String, PlannedBenchmark> planned;
    private final PrintStream console;
    private String currentLabel = "";

    /**
     * @param delegate JMH's format, which prints everything.
     * @param progress the run's progress, shared by the suites' runners.
     * @param planned  the planned benchmarks by {@link PlannedBenchmark#key()}, for their labels.
     * @param console  where the line per finished benchmark goes.
     */
    ProgressOutputFormat(final OutputFormat delegate, final Progress progress, final Map<String, PlannedBenchmark> planned,
        final PrintStream console)
    {
        this.delegate = delegate;
        this.progress = progress;
        this.planned = planned;
        this.console = console;
    }

    /**
     * @param result a benchmark's result, or null when it failed.
     * @return "117.2 ± 8.1 ns/op, 0 B/op", or what went wrong.
     */
    static String scoreText(final BenchmarkResult result)
    {
        if (result == null || result.getPrimaryResult() == null)
        {
            return "FAILED (" + BenchmarkRun.OUTPUT_FILE + " says why)";
        }
        final Result<?> primary = result.getPrimaryResult();
        final double error = primary.getScoreError();
        final StringBuilder text = new StringBuilder(Format.number(primary.getScore()));
        if (Double.isFinite(error))
        {
            text.append(" ± ").append(Format.number(error));
        }
        text.append(' ').append(primary.getScoreUnit());
        final Result<?> alloc = result.getSecondaryResults().get(ALLOC_NORM);
        if (alloc != null)
        {
            text.append(", ").append(Format.number(alloc.getScore())).append(" B/op");
        }
        return text.toString();
    }

    @Override
    public void startBenchmark(final BenchmarkParams params)
    {
        final Map<String, String> values = new TreeMap<>();
        for (final Object name : (Collection<?>)params.getParamsKeys())
        {
            values.put((String)name, params.getParam((String)name));
        }
        final String key = PlannedBenchmark.key(params.getBenchmark(), params.getMode().shortLabel(), values);
        final PlannedBenchmark benchmark = planned.get(key);
        final String label = benchmark != null ? benchmark.label() :
            new PlannedBenchmark(params.getBenchmark(), params.getMode().shortLabel(), params.getThreads(), values, 0, 0).label();
        currentLabel = label;
        delegate.println("");
        delegate.println("# run progress " + progress.start(label, key));
        delegate.startBenchmark(params);
    }

    @Override
    public void iteration(final BenchmarkParams benchParams, final IterationParams params, final int iteration)
    {
        delegate.iteration(benchParams, params, iteration);
    }

    @Override
    public void iterationResult(final BenchmarkParams benchParams, final IterationParams params, final int iteration,
        final IterationResult data)
    {
        delegate.iterationResult(benchParams, params, iteration, data);
    }

    @Override
    public void endBenchmark(final BenchmarkResult result)
    {
        delegate.endBenchmark(result);
        console.println(progress.finish(currentLabel, scoreText(result)));
        console.flush();
    }

    @Override
    public void startRun()
    {
        delegate.startRun();
    }

    @Override
    public void endRun(final Collection<RunResult> result)
    {
        delegate.endRun(result);
    }

    @Override
    public void print(final String s)
    {
        delegate.print(s);
    }

    @Override
    public void println(final String s)
    {
        delegate.println(s);
    }

    @Override
    public void flush()
    {
        delegate.flush();
    }

    @Override
    public void close()
    {
        delegate.close();
    }

    @Override
    public void verbosePrintln(final String s)
    {
        delegate.verbosePrintln(s);
    }

    @Override
    public void write(final int b)
    {
        delegate.write(b);
    }

    @Override
    public void write(final byte[] b) throws IOException
    {
        delegate.write(b);
    }
}
