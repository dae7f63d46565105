package dev.iova.bench.gate;

import dev.iova.bench.report.JmhJson;
import dev.iova.bench.report.ReportException;
import dev.iova.bench.report.Units;

import com.fasterxml.jackson.databind.JsonNode;
import org.openjdk.jmh.runner.options.TimeValue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Reads the gate's inputs: a run folder (every {@code *.json} in it but {@code metadata.json};
 * JSON objects, such as a gate's own {@code gate.json} or a replay's file, are skipped) or a single
 * JMH JSON file, into {@link BenchmarkSamples} with the per-iteration raw data.
 *
 * <p>Everything that would make a comparison meaningless is refused with a
 * {@link GateException} of one sentence: a missing path, broken JSON (with line and column), JSON
 * that is not JMH's, an unknown mode, missing, empty or non-numeric raw data, a single
 * measurement (no spread to judge by), the same benchmark twice.
 *
 * <p>{@code gc.alloc.rate.norm} is read under JMH 1.37's key and under the
 * {@code "\u00b7gc.alloc.rate.norm"} (middle dot) key older JMH versions wrote.
 */
public final class JmhSamplesReader
{
    /** The metadata file a run writes beside its JMH JSON: not results. */
    static final String METADATA_FILE = "metadata.json";

    /** The modes the gate understands: JMH's short labels. */
    static final Set<String> MODES = Set.of("thrpt", "avgt", "sample", "ss");

    private static final String ALLOC_NORM = "gc.alloc.rate.norm";

    private JmhSamplesReader()
    {
    }

    /**
     * @param path a run folder or a JMH JSON file.
     * @return every benchmark's samples, file by file in name order.
     * @throws GateException when the path cannot be read as JMH results (one sentence).
     */
    public static List<BenchmarkSamples> read(final Path path) throws GateException
    {
        if (!Files.exists(path))
        {
            throw new GateException(path + ": no such file or folder");
        }
        final List<Path> files;
        if (Files.isDirectory(path))
        {
            try (Stream<Path> list = Files.list(path))
            {
                files = list.filter(f -> f.getFileName().toString().endsWith(".json") && Files.isRegularFile(f) &&
                    !METADATA_FILE.equals(f.getFileName().toString())).sorted().toList();
            }
            catch (final IOException ex)
            {
                throw new GateException(path + " cannot be listed: " + reason(ex));
            }
        }
        else
        {
            files = List.of(path);
        }
        final Map<String, BenchmarkSamples> byKey = new LinkedHashMap<>();
        final List<String> objects = new ArrayList<>();
        for (final Path file : files)
        {
            final JsonNode root = readTree(file);
            if (root.isObject() && Files.isDirectory(path))
            {
                objects.add(file.getFileName().toString());
                continue;
            }
            if (!root.isArray())
            {
                throw notJmh(file);
            }
            for (final JsonNode entry : root)
            {
                final BenchmarkSamples samples = samples(file, entry);
                final BenchmarkSamples earlier = byKey.putIfAbsent(samples.key(), samples);
                if (earlier != null)
                {
                    throw new GateException((earlier.file().equals(samples.file()) ? file + " holds " :
                        earlier.file() + " and " + file + " both hold ") + samples.label() +
                        " twice: a run holds one result per benchmark, mode and parameter set");
                }
            }
        }
        if (byKey.isEmpty())
        {
            throw new GateException(path + " holds no JMH results" + (files.isEmpty() ? " (no *.json file besides metadata.json)" :
                objects.size() == files.size() ? " (" + String.join(", ", objects) + ": JSON objects, not JMH's arrays of results)" :
                " (empty arrays: did every benchmark fail?)"));
        }
        return List.copyOf(byKey.values());
    }

    /** JMH's JSON as the report reads it: the same one-sentence errors, as the gate's. */
    private static JsonNode readTree(final Path file) throws GateException
    {
        try
        {
            return JmhJson.readTree(file);
        }
        catch (final ReportException ex)
        {
            throw new GateException(ex.getMessage());
        }
        catch (final IOException ex)
        {
            throw new GateException(file + " cannot be read: " + reason(ex));
        }
    }

    private static BenchmarkSamples samples(final Path file, final JsonNode entry) throws GateException
    {
        final JsonNode primary = entry.path("primaryMetric");
        if (!entry.path("benchmark").isTextual() || !entry.path("mode").isTextual() || !primary.isObject())
        {
            throw notJmh(file);
        }
        final String benchmark = entry.path("benchmark").asText();
        final String mode = entry.path("mode").asText();
        final Map<String, String> params = new TreeMap<>();
        final Iterator<Map.Entry<String, JsonNode>> fields = entry.path("params").fields();
        while (fields.hasNext())
        {
            final Map.Entry<String, JsonNode> field = fields.next();
            params.put(field.getKey(), field.getValue().asText());
        }
        final String label = BenchmarkSamples.shortName(benchmark) + " " + mode +
            (params.isEmpty() ? "" : " " + BenchmarkSamples.paramsLabel(params));
        if (!MODES.contains(mode))
        {
            throw new GateException(file + ": " + label + " has mode \"" + mode + "\": the gate knows thrpt, avgt, sample and ss");
        }
        final double[][] forks = "sample".equals(mode) && !primary.has("rawData") ?
            histogramMeans(file, label, primary.path("rawDataHistogram")) : rawData(file, label, primary.path("rawData"));
        final int values = Arrays.stream(forks).mapToInt(f -> f.length).sum();
        if (values < 2)
        {
            throw new GateException(file + ": " + label + " has a single measurement (1 fork of 1 iteration): " +
                "the gate needs at least 2 to see the noise");
        }
        JsonNode alloc = entry.path("secondaryMetrics").path(ALLOC_NORM);
        if (alloc.isMissingNode())
        {
            alloc = entry.path("secondaryMetrics").path("\u00b7" + ALLOC_NORM);
        }
        final int threads = entry.path("threads").asInt(1);
        final String unit = primary.path("scoreUnit").asText("");
        return new BenchmarkSamples(benchmark, mode, threads, Collections.unmodifiableMap(params), unit, forks,
            JmhJson.number(alloc.path("score")),
            operationsPerIteration(mode, unit, JmhJson.number(primary.path("score")), threads, entry.path("measurementTime").asText("")),
            file.toString());
    }

    /**
     * About how many operations one measurement iteration ran, all threads together: the
     * iteration's time over the time per operation ({@code avgt}, {@code sample}: each thread runs
     * for the whole iteration), or the throughput times the iteration's time ({@code thrpt}, whose
     * score is already the threads' sum).
     *
     * @param measurementTime JMH's {@code "1 s"}, {@code "500 ms"}.
     * @return NaN when it cannot be told: {@code ss} mode, no or an unknown iteration time or unit.
     */
    static double operationsPerIteration(
        final String mode, final String unit, final double score, final int threads, final String measurementTime)
    {
        final double iterationSeconds = seconds(measurementTime);
        if (!Double.isFinite(iterationSeconds) || !(score > 0))
        {
            return Double.NaN;
        }
        return switch (mode)
        {
            case "avgt", "sample" -> threads * iterationSeconds / (score * Units.conversion(unit, "s/op"));
            case "thrpt" -> score * Units.conversion(unit, "ops/s") * iterationSeconds;
            default -> Double.NaN;
        };
    }

    /** @return JMH's {@code measurementTime} ({@link TimeValue}'s form) in seconds, NaN when it is not one. */
    private static double seconds(final String time)
    {
        try
        {
            return TimeValue.fromString(time).convertTo(TimeUnit.NANOSECONDS) / 1e9;
        }
        catch (final RuntimeException ex)
        {
            return Double.NaN; // JMH's parser throws NumberFormatException or IllegalArgumentException
        }
    }

    private static double[][] rawData(final Path file, final String label, final JsonNode rawData) throws GateException
    {
        if (!rawData.isArray())
        {
            throw new GateException(file + ": " + label + " has no primaryMetric.rawData: the gate needs JMH's per-iteration data");
        }
        if (rawData.isEmpty())
        {
            throw new GateException(file + ": " + label + " has an empty primaryMetric.rawData: no fork was measured");
        }
        final double[][] forks = new double[rawData.size()][];
        for (int f = 0; f < forks.length; f++)
        {
            final JsonNode fork = rawData.get(f);
            if (!fork.isArray() || fork.isEmpty())
            {
                throw new GateException(file + ": " + label + " has no iterations in fork " + (f + 1) + " of primaryMetric.rawData");
            }
            forks[f] = new double[fork.size()];
            for (int i = 0; i < fork.size(); i++)
            {
                forks[f][i] = positive(file, label, fork.get(i), f, i);
            }
        }
        return forks;
    }

    /** {@code sample} mode: {@code rawDataHistogram[fork][iteration] = [[value, count], ...]}; each iteration's mean. */
    private static double[][] histogramMeans(final Path file, final String label, final JsonNode histogram) throws GateException
    {
        if (!histogram.isArray() || histogram.isEmpty())
        {
            throw new GateException(file + ": " + label + " has no primaryMetric.rawData or rawDataHistogram: " +
                "the gate needs JMH's per-iteration data");
        }
        final double[][] forks = new double[histogram.size()][];
        for (int f = 0; f < forks.length; f++)
        {
            final JsonNode fork = histogram.get(f);
            if (!fork.isArray() || fork.isEmpty())
            {
                throw new GateException(file + ": " + label + " has no iterations in fork " + (f + 1) + " of primaryMetric.rawDataHistogram");
            }
            forks[f] = new double[fork.size()];
            for (int i = 0; i < fork.size(); i++)
            {
                double sum = 0;
                double count = 0;
                for (final JsonNode bucket : fork.get(i))
                {
                    final double value = positive(file, label, bucket.path(0), f, i);
                    final double n = bucket.path(1).asDouble(0);
                    sum += value * n;
                    count += n;
                }
                if (!(count > 0))
                {
                    throw new GateException(file + ": " + label + " has an empty histogram at fork " + (f + 1) + ", iteration " + (i + 1));
                }
                forks[f][i] = sum / count;
            }
        }
        return forks;
    }

    private static double positive(final Path file, final String label, final JsonNode node, final int fork, final int iteration)
        throws GateException
    {
        final double value = node.isNumber() ? node.asDouble() : Double.NaN;
        if (!(value > 0) || Double.isInfinite(value))
        {
            throw new GateException(file + ": " + label + " has " + node + " at fork " + (fork + 1) + ", iteration " +
                (iteration + 1) + " of its raw data: expected a positive number");
        }
        return value;
    }

    private static GateException notJmh(final Path file)
    {
        return new GateException(file + " is not JMH JSON: expected an array of results, each with \"benchmark\", \"mode\" " +
            "and \"primaryMetric\"");
    }

    private static String reason(final IOException ex)
    {
        return ex.getMessage() != null ? ex.getMessage() : ex.getClass().getSimpleName();
    }
}
