package dev.iova.bench.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Locale;

/**
 * A run's results in the formats of the tools CI users already have:
 * <ul>
 *   <li>{@link #bencher}: Bencher Metric Format (BMF), for {@code bencher run --adapter json}: one
 *       object per benchmark, keyed by its name, with Bencher's built-in measures {@code latency}
 *       (nanoseconds per operation: {@code avgt}, {@code sample}, {@code ss}) or {@code throughput}
 *       (operations per second: {@code thrpt}), each with JMH's 99.9% interval as
 *       {@code lower_value}/{@code upper_value}, and a custom measure {@code allocation} (bytes per
 *       operation, {@code gc.alloc.rate.norm}) when the run has it;</li>
 *   <li>{@link #githubActionBenchmark}: github-action-benchmark's {@code customSmallerIsBetter}
 *       array. That tool's own {@code jmh} input treats every score as smaller-is-better, which
 *       would read a throughput gain as a regression, so throughputs are turned into time per
 *       operation here ({@code 1 / thrpt}, in ns/op; {@code extra} keeps JMH's figure), and each
 *       allocation is an entry of its own in B/op.</li>
 * </ul>
 * A benchmark's name is {@link #name}: class, method, mode, threads when more than one, parameters.
 */
public final class CiExport
{
    /** JMH's name of {@code -prof gc}'s allocation per operation. */
    private static final String ALLOC_NORM = "gc.alloc.rate.norm";

    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private CiExport()
    {
    }

    /**
     * @param result a JMH result.
     * @return {@code AllocFreePairBenchmark.cached avgt liveRanges=1000}, with {@code 2 threads} after
     *         the mode when more than one.
     */
    public static String name(final BenchmarkResult result)
    {
        return result.simpleClassName() + "." + result.method() + " " + result.mode() +
            (result.threads() > 1 ? " " + result.threads() + " threads" : "") +
            (result.params().isEmpty() ? "" : " " + String.join(" ", result.params().entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue()).toList()));
    }

    /**
     * @param run a run.
     * @return its results in Bencher Metric Format.
     */
    public static String bencher(final RunResults run)
    {
        final ObjectNode root = MAPPER.createObjectNode();
        for (final BenchmarkResult result : run.results())
        {
            final ObjectNode measures = root.putObject(name(result));
            final boolean throughput = result.higherIsBetter();
            final double factor = Units.conversion(result.unit(), throughput ? "ops/s" : "ns/op");
            if (Double.isFinite(factor))
            {
                final ObjectNode measure = measures.putObject(throughput ? "throughput" : "latency");
                measure.put("value", result.score() * factor);
                if (Double.isFinite(result.scoreLow()) && Double.isFinite(result.scoreHigh()))
                {
                    measure.put("lower_value", result.scoreLow() * factor);
                    measure.put("upper_value", result.scoreHigh() * factor);
                }
            }
            final BenchmarkResult.Metric alloc = result.secondaryMetrics().get(ALLOC_NORM);
            if (alloc != null && Double.isFinite(alloc.score()))
            {
                final ObjectNode measure = measures.putObject("allocation");
                measure.put("value", alloc.score());
                if (Double.isFinite(alloc.low()) && Double.isFinite(alloc.high()))
                {
                    measure.put("lower_value", Math.max(0, alloc.low()));
                    measure.put("upper_value", alloc.high());
                }
            }
        }
        return root.toPrettyString() + "\n";
    }

    /**
     * @param run a run.
     * @return its results as github-action-benchmark's {@code customSmallerIsBetter} array.
     */
    public static String githubActionBenchmark(final RunResults run)
    {
        final ArrayNode root = MAPPER.createArrayNode();
        for (final BenchmarkResult result : run.results())
        {
            final String jmhFigure = String.format(Locale.ROOT, "JMH: %s ± %s %s, %s", Format.number(result.score()),
                Double.isFinite(result.scoreError()) ? Format.number(result.scoreError()) : "?", result.unit(), result.settings());
            final ObjectNode time = root.addObject();
            time.put("name", name(result));
            time.put("unit", "ns/op");
            if (result.higherIsBetter())
            {
                // time per operation of the whole benchmark (with threads, of all of them together)
                final double opsPerNs = result.score() * Units.conversion(result.unit(), "ops/ns");
                time.put("value", 1 / opsPerNs);
                if (Double.isFinite(result.scoreLow()) && Double.isFinite(result.scoreHigh()) && result.scoreLow() > 0)
                {
                    final double factor = Units.conversion(result.unit(), "ops/ns");
                    time.put("range", "[" + Format.number(1 / (result.scoreHigh() * factor)) + ", " +
                        Format.number(1 / (result.scoreLow() * factor)) + "]");
                }
                time.put("extra", jmhFigure + "; value = 1 / throughput");
            }
            else
            {
                final double factor = Units.conversion(result.unit(), "ns/op");
                time.put("value", result.score() * factor);
                if (Double.isFinite(result.scoreError()))
                {
                    time.put("range", "± " + Format.number(result.scoreError() * factor));
                }
                time.put("extra", jmhFigure);
            }
            final BenchmarkResult.Metric alloc = result.secondaryMetrics().get(ALLOC_NORM);
            if (alloc != null && Double.isFinite(alloc.score()))
            {
                final ObjectNode bytes = root.addObject();
                bytes.put("name", name(result) + " allocation");
                bytes.put("unit", "B/op");
                bytes.put("value", alloc.score());
                if (Double.isFinite(alloc.error()))
                {
                    bytes.put("range", "± " + Format.number(alloc.error()));
                }
            }
        }
        return root.toPrettyString() + "\n";
    }
}
