package dev.iova.bench.gate;

import java.util.Map;

/**
 * The timing gate's result for one benchmark present in both runs.
 *
 * @param benchmark                 the fully qualified method.
 * @param mode                      JMH's mode label.
 * @param threads                   threads that ran it.
 * @param params                    its parameters, sorted by name.
 * @param unit                      the scores' unit.
 * @param baselineScore             the baseline's mean of fork means, in {@code unit}.
 * @param candidateScore            the candidate's.
 * @param baselineAllocBytesPerOp   the baseline's {@code gc.alloc.rate.norm}, NaN when not measured.
 * @param candidateAllocBytesPerOp  the candidate's.
 * @param change                    the slowdown with its interval.
 * @param verdict                   what the gate says.
 * @param note                      a remark for the reviewer (the accepted trade-off's reason, a single
 *                                  fork), or "".
 */
public record BenchmarkVerdict(
    String benchmark,
    String mode,
    int threads,
    Map<String, String> params,
    String unit,
    double baselineScore,
    double candidateScore,
    double baselineAllocBytesPerOp,
    double candidateAllocBytesPerOp,
    Change change,
    Verdict verdict,
    String note)
{
    /** @return "AllocFreePairBenchmark.tree avgt liveRanges=1000". */
    public String label()
    {
        return BenchmarkSamples.shortName(benchmark) + " " + mode + (params.isEmpty() ? "" : " " + BenchmarkSamples.paramsLabel(params));
    }
}
