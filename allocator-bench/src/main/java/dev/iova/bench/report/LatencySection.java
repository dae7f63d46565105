package dev.iova.bench.report;

import dev.iova.bench.results.LatencyPercentiles;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NavigableMap;

/**
 * The report's "Latency percentiles" section: single operations' latencies, where a run has them.
 * <ul>
 *   <li>from {@value LatencyPercentiles#FILE}: what benchmarks recorded themselves with
 *       HdrHistogram ({@code TraceReplayBenchmark}: every operation of a trace replay), forks
 *       merged, with a chart per workload, and the range caches' hit rate of each replay through
 *       them;</li>
 *   <li>from the JMH JSON: the {@code scorePercentiles} of every result measured in {@code sample}
 *       mode ({@code MapUnmapBenchmark}'s {@code sameThread1Thread} and {@code crossThread}),
 *       which JMH computes over every sampled operation.</li>
 * </ul>
 * Percentiles are of one run and have no confidence interval; all figures are in ns.
 */
final class LatencySection
{
    /** JMH's sampled percentiles shown, and how they are labelled; 100 is the maximum. */
    private static final Map<Double, String> SAMPLE_LEVELS = levels(new double[] {50, 90, 99, 99.9, 99.99, 100},
        new String[] {"p50", "p90", "p99", "p99.9", "p99.99", "max"});

    private LatencySection()
    {
    }

    /**
     * @param md     the report so far.
     * @param run    the run.
     * @param format the charts' file format.
     * @throws IOException when a chart cannot be written.
     */
    static void write(final StringBuilder md, final RunResults run, final ChartFormat format) throws IOException
    {
        md.append("## Latency percentiles\n\n");
        md.append("Single operations' latencies, in ns. Percentiles are of one run: they have no confidence interval.\n\n");
        recorded(md, run, format);
        sampled(md, run.results());
    }

    private static void recorded(final StringBuilder md, final RunResults run, final ChartFormat format) throws IOException
    {
        md.append("### Recorded by the benchmarks (`").append(LatencyPercentiles.FILE).append("`)\n\n");
        final List<LatencyPercentiles.Row> rows = run.latency();
        if (rows.isEmpty())
        {
            md.append("No percentiles recorded in this run: it has no `").append(LatencyPercentiles.FILE).append("` (`run` writes " +
                "it when `TraceReplayBenchmark` ran; runs made before it did, and runs of JMH's own command line, have none).\n\n");
            return;
        }
        md.append("Each operation of the trace timed alone with `System.nanoTime()` (one clock read included in every " +
            "sample), outside JMH's timed loop, into an HdrHistogram (3 significant digits); forks merged by adding " +
            "their histograms. \"p99 per trial\" is each fork's own p99. \"cache hit rate\" is, for a replay through the " +
            "range caches, the share of its allocations served from a magazine over the same replays (each from flushed " +
            "caches, as the timed replays are): `cacheStats()` hits over hits and misses.\n\n");
        md.append("| benchmark | params | trials | operations |");
        LatencyPercentiles.LEVELS.forEach(level -> md.append(' ').append(LatencyPercentiles.field(level)).append(" |"));
        md.append(" max | p99 per trial | cache hit rate |\n|---|---|---:|---:|");
        LatencyPercentiles.LEVELS.forEach(level -> md.append("---:|"));
        md.append("---:|---|---:|\n");
        for (final LatencyPercentiles.Row row : rows)
        {
            md.append("| ").append(simple(row.benchmark())).append(" | ").append(ReportWriter.cell(row.paramsLabel())).append(" | ")
                .append(row.trials()).append(" | ").append(nanos(row.count())).append(" |");
            row.percentiles().values().forEach(value -> md.append(' ').append(nanos(value)).append(" |"));
            md.append(' ').append(nanos(row.max())).append(" | ")
                .append(String.join(", ", row.trialsP99().stream().map(LatencySection::nanos).toList())).append(" | ")
                .append(row.hasCacheCounts() ? hitRate(row) : "–").append(" |\n");
        }
        md.append('\n');

        // one chart per workload: the rows that differ only by their target, one line each
        final Map<String, List<LatencyPercentiles.Row>> charts = new LinkedHashMap<>();
        final Map<String, String> files = new LinkedHashMap<>();
        for (final LatencyPercentiles.Row row : rows)
        {
            final Map<String, String> others = new LinkedHashMap<>(row.params());
            others.remove("target");
            final String key = simple(row.benchmark()) + (others.isEmpty() ? "" : " " + String.join(", ",
                others.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList()));
            charts.computeIfAbsent(key, k -> new ArrayList<>()).add(row);
            // latency-trace-replay-replay-network.png
            final String className = row.benchmark().substring(0, row.benchmark().lastIndexOf('.'));
            files.putIfAbsent(key, ("latency-" + ReportWriter.kebab(className.substring(className.lastIndexOf('.') + 1)) + "-" +
                row.benchmark().substring(row.benchmark().lastIndexOf('.') + 1) +
                others.values().stream().map(v -> "-" + v).reduce("", String::concat))
                .replaceAll("[^A-Za-z0-9._-]", "_").toLowerCase(Locale.ROOT) + "." + format.extension());
        }
        final List<String> levels = new ArrayList<>(LatencyPercentiles.LEVELS.stream().map(LatencyPercentiles::field).toList());
        levels.add("max");
        for (final Map.Entry<String, List<LatencyPercentiles.Row>> chart : charts.entrySet())
        {
            final List<Charts.Series> series = new ArrayList<>();
            for (final LatencyPercentiles.Row row : chart.getValue())
            {
                final double[] values = new double[levels.size()];
                int i = 0;
                for (final long value : row.percentiles().values())
                {
                    values[i++] = value;
                }
                values[i] = row.max();
                series.add(new Charts.Series(row.params().getOrDefault("target", row.paramsLabel()), levels, values,
                    new double[levels.size()]));
            }
            final String file = files.get(chart.getKey());
            final String title = chart.getKey() + ": single operations by percentile";
            Charts.byPercentile(run.dir().resolve(ReportWriter.CHARTS_DIR).resolve(file), title, "ns", levels, series);
            md.append("![").append(title).append("](").append(ReportWriter.CHARTS_DIR).append('/').append(file).append(")\n\n");
        }
    }

    /** @return a row's cache hit rate as a percentage with two decimals, and its counts: {@code 99.54% (25,038 of 25,154)}. */
    private static String hitRate(final LatencyPercentiles.Row row)
    {
        return String.format(Locale.ROOT, "%.2f%% (%,d of %,d)", 100 * row.cacheHitRatio(), row.cacheHits(),
            row.cacheHits() + row.cacheMisses());
    }

    private static void sampled(final StringBuilder md, final List<BenchmarkResult> results)
    {
        md.append("### Sampled by JMH (`sample` mode)\n\n");
        final List<BenchmarkResult> sampled = results.stream().filter(r -> "sample".equals(r.mode())).toList();
        if (sampled.isEmpty())
        {
            md.append("No benchmark of this run was measured in `sample` mode.\n\n");
            return;
        }
        md.append("JMH times a sample of single calls of the benchmark method (a `@Group`'s percentiles are over the " +
            "calls of all its methods; time spent waiting for the other side of a hand-off included).\n\n");
        md.append("| benchmark | threads | params |");
        SAMPLE_LEVELS.values().forEach(label -> md.append(' ').append(label).append(" |"));
        md.append("\n|---|---:|---|");
        SAMPLE_LEVELS.values().forEach(label -> md.append("---:|"));
        md.append('\n');
        for (final BenchmarkResult r : sampled)
        {
            final double toNanos = Units.conversion(r.unit(), "ns/op");
            md.append("| ").append(r.simpleClassName()).append('.').append(ReportWriter.cell(r.method())).append(" | ")
                .append(r.threads()).append(" | ").append(r.params().isEmpty() ? "–" : ReportWriter.cell(r.paramsLabel()))
                .append(" |");
            final NavigableMap<Double, Double> percentiles = r.scorePercentiles();
            for (final double level : SAMPLE_LEVELS.keySet())
            {
                final Double value = percentiles.get(level);
                md.append(' ').append(value == null || !Double.isFinite(toNanos) ? "n/a" : nanos(Math.round(value * toNanos))).append(" |");
            }
            md.append('\n');
        }
        md.append('\n');
    }

    private static String nanos(final long value)
    {
        return String.format(Locale.ROOT, "%,d", value);
    }

    private static String simple(final String benchmark)
    {
        final int method = benchmark.lastIndexOf('.');
        return benchmark.substring(benchmark.lastIndexOf('.', method - 1) + 1);
    }

    private static Map<Double, String> levels(final double[] levels, final String[] labels)
    {
        final Map<Double, String> map = new LinkedHashMap<>();
        for (int i = 0; i < levels.length; i++)
        {
            map.put(levels[i], labels[i]);
        }
        return map;
    }
}
