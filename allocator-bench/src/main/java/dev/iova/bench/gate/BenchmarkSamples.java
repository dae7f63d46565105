package dev.iova.bench.gate;

import java.util.Map;
import java.util.stream.Collectors;

/**
 * One benchmark's raw measurements from a JMH JSON file: one method in one mode with one set of
 * parameters, every measurement iteration of every fork.
 *
 * @param benchmark        the fully qualified method, {@code dev.iova.bench.jmh.AllocFreePairBenchmark.tree}.
 * @param mode             {@code thrpt}, {@code avgt}, {@code sample} or {@code ss}.
 * @param threads          threads that ran it at once.
 * @param params           {@code @Param} values by name, sorted by name; empty when there are none.
 * @param unit             the score's unit as JMH writes it ({@code ns/op}, {@code ops/ns}).
 * @param iterationsByFork the primary metric per measurement iteration, fork by fork (for
 *                         {@code sample}, each iteration's mean latency); every value positive.
 * @param allocBytesPerOp  {@code gc.alloc.rate.norm}, heap bytes per operation; NaN without {@code -prof gc}.
 * @param operationsPerIteration about how many operations one measurement iteration ran, all
 *                         threads together, from the score and the iteration's time; NaN when
 *                         the file does not say ({@code ss} mode, no {@code measurementTime}).
 * @param file             the file it was read from, for messages.
 */
public record BenchmarkSamples(
    String benchmark,
    String mode,
    int threads,
    Map<String, String> params,
    String unit,
    double[][] iterationsByFork,
    double allocBytesPerOp,
    double operationsPerIteration,
    String file)
{
    /**
     * @param benchmark the fully qualified method.
     * @param mode      JMH's short mode label.
     * @param params    parameter values by name, sorted by name.
     * @return what matches a benchmark across runs: method, mode and parameters.
     */
    public static String key(final String benchmark, final String mode, final Map<String, String> params)
    {
        return benchmark + " " + mode + " " + paramsLabel(params);
    }

    /** @return {@link #key(String, String, Map)} of this benchmark. */
    public String key()
    {
        return key(benchmark, mode, params);
    }

    /** @return true when a higher score is better: throughput. */
    public boolean higherIsBetter()
    {
        return "thrpt".equals(mode);
    }

    /** @return the method with its class but not its package: {@code AllocFreePairBenchmark.tree}. */
    public String shortName()
    {
        return shortName(benchmark);
    }

    /**
     * @param benchmark a fully qualified method.
     * @return it without its package.
     */
    public static String shortName(final String benchmark)
    {
        final int methodDot = benchmark.lastIndexOf('.');
        final int classDot = methodDot <= 0 ? -1 : benchmark.lastIndexOf('.', methodDot - 1);
        return benchmark.substring(classDot + 1);
    }

    /** @return "AllocFreePairBenchmark.tree avgt liveRanges=1000", for messages and tables. */
    public String label()
    {
        return shortName() + " " + mode + (params.isEmpty() ? "" : " " + paramsLabel(params));
    }

    /**
     * @param params parameter values by name.
     * @return {@code name=value, name=value}, or "" when there are none.
     */
    public static String paramsLabel(final Map<String, String> params)
    {
        return params.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(", "));
    }

    /** @return the mean of the fork means: the score the gate compares. */
    public double score()
    {
        double sum = 0;
        for (final double[] fork : iterationsByFork)
        {
            sum += HierarchicalBootstrap.mean(fork);
        }
        return sum / iterationsByFork.length;
    }

    /** @return forks measured. */
    public int forks()
    {
        return iterationsByFork.length;
    }
}
