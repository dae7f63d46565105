package dev.iova.bench.run;

import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.format.OutputFormat;

import java.io.IOException;
import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;

/**
 * JMH's own output, with a progress line ({@link Progress}) before each benchmark starts.
 * Everything else goes to the wrapped format unchanged.
 */
final class ProgressOutputFormat implements OutputFormat
{
    private final OutputFormat delegate;
    private final Progress progress;
    private final Map<String, PlannedBenchmark> planned;

    /**
     * @param delegate JMH's format, which prints everything.
     * @param progress the run's progress, shared by the suites' runners.
     * @param planned  the planned benchmarks by {@link PlannedBenchmark#key()}, for their labels.
     */
    ProgressOutputFormat(final OutputFormat delegate, final Progress progress, final Map<String, PlannedBenchmark> planned)
    {
        this.delegate = delegate;
        this.progress = progress;
        this.planned = planned;
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
