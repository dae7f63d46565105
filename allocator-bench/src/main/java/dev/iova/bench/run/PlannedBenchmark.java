package dev.iova.bench.run;

import java.util.Map;
import java.util.stream.Collectors;

/**
 * One benchmark JMH will run: a method in one mode with one set of parameters (JMH runs each
 * such combination as its own benchmark, with its own forks).
 *
 * @param benchmark        the fully qualified method.
 * @param mode             JMH's short mode label ({@code thrpt}, {@code avgt}, {@code sample}, {@code ss}).
 * @param threads          threads running it at once.
 * @param params           parameter values by name, sorted by name.
 * @param forks            forks, warm-up forks included.
 * @param estimatedSeconds how long it should take, forks' start-up included.
 */
public record PlannedBenchmark(String benchmark, String mode, int threads, Map<String, String> params, int forks,
    double estimatedSeconds)
{
    /**
     * @param benchmark the fully qualified method.
     * @param mode      JMH's short mode label.
     * @param params    parameter values by name.
     * @return what identifies a benchmark both in the plan and in JMH's callbacks.
     */
    public static String key(final String benchmark, final String mode, final Map<String, String> params)
    {
        return benchmark + " " + mode + " " + new java.util.TreeMap<>(params);
    }

    /** @return {@link #key(String, String, Map)} of this benchmark. */
    public String key()
    {
        return key(benchmark, mode, params);
    }

    /** @return the benchmark class, fully qualified. */
    public String className()
    {
        return benchmark.substring(0, benchmark.lastIndexOf('.'));
    }

    /** @return "AllocFreePairBenchmark.cached thrpt liveRanges=1000", for progress lines. */
    public String label()
    {
        final String shortName = benchmark.substring(className().lastIndexOf('.') + 1);
        return shortName + " " + mode + (threads > 1 ? " " + threads + " threads" : "") +
            (params.isEmpty() ? "" : " " + params.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(",")));
    }
}
