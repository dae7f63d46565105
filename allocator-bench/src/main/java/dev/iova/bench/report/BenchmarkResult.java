package dev.iova.bench.report;

import java.util.Map;
import java.util.NavigableMap;
import java.util.stream.Collectors;

/**
 * One entry of a JMH JSON result file: one benchmark method in one mode with one set of
 * parameters, all forks and iterations summarised by JMH.
 *
 * @param benchmark        the fully qualified method, {@code dev.iova.bench.jmh.AllocFreePairBenchmark.cached}.
 * @param mode             JMH's short mode label: {@code thrpt}, {@code avgt}, {@code sample}, {@code ss}.
 * @param threads          threads that ran the method at once (from {@code @Threads} or {@code -t}).
 * @param forks            forks measured.
 * @param params           {@code @Param} values by name, in JMH's order; empty when there are none.
 * @param score            the primary metric's score.
 * @param scoreError       half the width of JMH's 99.9% confidence interval; NaN when JMH had too few samples.
 * @param scoreLow         the confidence interval's lower end (NaN when unknown).
 * @param scoreHigh        the confidence interval's upper end (NaN when unknown).
 * @param unit             the score's unit as JMH writes it: {@code ops/ns}, {@code ns/op}, ...
 * @param samples          measurement iterations over all forks.
 * @param allocBytesPerOp  {@code gc.alloc.rate.norm} (heap bytes per operation), NaN without {@code -prof gc}.
 * @param warmup           "3 × 2 s" as JMH ran it.
 * @param measurement      "5 × 2 s" as JMH ran it.
 * @param jdk              JDK version and VM of the forks.
 * @param jmhVersion       the JMH that wrote the entry.
 * @param secondaryMetrics JMH's secondary metrics by name, in the file's order: the profilers'
 *                         ({@code gc.alloc.rate.norm}, ...) and, for a {@code @Group}, each
 *                         method of the group ({@code crossThreadMap}, {@code crossThreadUnmap}).
 * @param scorePercentiles the primary metric's percentiles (percentile to score), as JMH computes
 *                         them over every sample: single operations' times in {@code sample} mode,
 *                         iteration scores otherwise (and then they say little).
 */
public record BenchmarkResult(
    String benchmark,
    String mode,
    int threads,
    int forks,
    Map<String, String> params,
    double score,
    double scoreError,
    double scoreLow,
    double scoreHigh,
    String unit,
    int samples,
    double allocBytesPerOp,
    String warmup,
    String measurement,
    String jdk,
    String jmhVersion,
    Map<String, Metric> secondaryMetrics,
    NavigableMap<Double, Double> scorePercentiles)
{
    /**
     * One secondary metric of a result.
     *
     * @param score the mean over every measurement iteration of every fork.
     * @param error half the width of its 99.9% confidence interval; NaN when JMH had too few samples.
     * @param low   the confidence interval's lower end (NaN when unknown).
     * @param high  the confidence interval's upper end (NaN when unknown).
     * @param unit  its unit as JMH writes it.
     */
    public record Metric(double score, double error, double low, double high, String unit)
    {
    }

    /** @return the benchmark class, fully qualified. */
    public String className()
    {
        final int dot = benchmark.lastIndexOf('.');
        return dot < 0 ? "" : benchmark.substring(0, dot);
    }

    /** @return the benchmark class without its package. */
    public String simpleClassName()
    {
        final String className = className();
        return className.substring(className.lastIndexOf('.') + 1);
    }

    /** @return the benchmark method's name. */
    public String method()
    {
        return benchmark.substring(benchmark.lastIndexOf('.') + 1);
    }

    /** @return the parameters as {@code name=value, name=value}, or "" when there are none. */
    public String paramsLabel()
    {
        return params.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(", "));
    }

    /** @return what identifies this result in another run of the same suites: method, mode, threads, parameters. */
    public String key()
    {
        return benchmark + " " + mode + " t" + threads + " " + paramsLabel();
    }

    /** @return true when a higher score is better (throughput), false for time per operation. */
    public boolean higherIsBetter()
    {
        return "thrpt".equals(mode);
    }

    /** @return "3 × 2 s warm-up, 5 × 2 s measurement, 2 forks": how JMH measured this entry. */
    public String settings()
    {
        return forks + (forks == 1 ? " fork, " : " forks, ") + warmup + " warm-up, " + measurement + " measurement";
    }
}
