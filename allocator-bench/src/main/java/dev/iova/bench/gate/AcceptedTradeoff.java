package dev.iova.bench.gate;

import java.util.Map;

/**
 * One entry of the accepted trade-offs file ({@link AcceptedTradeoffs}): a benchmark allowed to be
 * slower by up to a bound, or to disappear, for a stated reason.
 *
 * @param index              the entry's position in the file, from 1, for messages.
 * @param benchmark          the method: fully qualified, or its tail ({@code AllocFreePairBenchmark.tree}).
 * @param mode               JMH's mode label it applies to, or null for every mode.
 * @param params             parameter values it applies to (a subset match); empty for all.
 * @param maxSlowdownPercent the largest slowdown accepted, in percent (15 accepts up to 15% slower);
 *                           NaN for a removal.
 * @param removed            true when the entry accepts that the benchmark is gone (renamed, retired).
 * @param reason             why: what the slower path buys. Never empty.
 * @param acceptedIn         where it was decided (a pull request, an issue, a commit), or null.
 */
public record AcceptedTradeoff(
    int index,
    String benchmark,
    String mode,
    Map<String, String> params,
    double maxSlowdownPercent,
    boolean removed,
    String reason,
    String acceptedIn)
{
    /**
     * @param fullyQualified the benchmark's method, fully qualified.
     * @param benchmarkMode  its mode.
     * @param benchmarkParams its parameters.
     * @return true when this entry is about that benchmark.
     */
    public boolean matches(final String fullyQualified, final String benchmarkMode, final Map<String, String> benchmarkParams)
    {
        if (!fullyQualified.equals(benchmark) && !fullyQualified.endsWith("." + benchmark))
        {
            return false;
        }
        if (mode != null && !mode.equals(benchmarkMode))
        {
            return false;
        }
        return params.entrySet().stream().allMatch(p -> p.getValue().equals(benchmarkParams.get(p.getKey())));
    }

    /** @return "entry 2 (AllocFreePairBenchmark.tree)", for messages. */
    public String describe()
    {
        return "entry " + index + " (" + benchmark + (mode != null ? " " + mode : "") +
            (params.isEmpty() ? "" : " " + BenchmarkSamples.paramsLabel(params)) + ")";
    }
}
