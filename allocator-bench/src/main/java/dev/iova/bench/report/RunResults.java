package dev.iova.bench.report;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iova.bench.results.LatencyPercentiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A run folder as {@code run} writes it (or as written by hand before {@code run} existed): every
 * JMH JSON file in it, and {@code metadata.json} when there is one.
 *
 * <p>Which files are read: every {@code *.json} but {@code metadata.json} and
 * {@value LatencyPercentiles#FILE} (read for themselves). A file that is a JSON
 * array must be JMH's; a JSON object is another tool's file (a replay, a gate verdict) and is
 * skipped. Broken JSON is an error either way.
 *
 * @param dir       the folder.
 * @param results   every result of every JMH file, file by file in name order.
 * @param jmhFiles  names of the JMH files read.
 * @param skipped   names of the JSON files skipped (not JMH's).
 * @param metadata  {@code metadata.json}'s fields, empty when there is none.
 * @param latency   the per-operation latency percentiles of {@value LatencyPercentiles#FILE}
 *                  (benchmarks that record their own, collected by {@code run}); empty when the
 *                  run has none.
 */
public record RunResults(
    Path dir,
    List<BenchmarkResult> results,
    List<String> jmhFiles,
    List<String> skipped,
    Map<String, Object> metadata,
    List<LatencyPercentiles.Row> latency)
{
    /** The metadata file {@code run} writes beside the JMH JSON. */
    public static final String METADATA_FILE = "metadata.json";

    private static final Pattern LOAD_AVERAGE = Pattern.compile("load average:\\s*([0-9.]+)");

    /**
     * @param dir a run folder.
     * @return its results and metadata.
     * @throws ReportException when the folder is missing, holds broken JSON, or holds no JMH result.
     * @throws IOException     when a file cannot be read.
     */
    public static RunResults load(final Path dir) throws ReportException, IOException
    {
        if (!Files.exists(dir))
        {
            throw new ReportException(dir + ": no such folder");
        }
        if (!Files.isDirectory(dir))
        {
            throw new ReportException(dir + " is a file, not a run folder (give the folder that holds the JMH JSON)");
        }
        final List<Path> jsonFiles;
        try (Stream<Path> files = Files.list(dir))
        {
            jsonFiles = files.filter(f -> f.getFileName().toString().endsWith(".json") && Files.isRegularFile(f)).sorted().toList();
        }
        final List<BenchmarkResult> results = new ArrayList<>();
        final List<String> jmhFiles = new ArrayList<>();
        final List<String> skipped = new ArrayList<>();
        Map<String, Object> metadata = Map.of();
        List<LatencyPercentiles.Row> latency = List.of();
        for (final Path file : jsonFiles)
        {
            final String name = file.getFileName().toString();
            final JsonNode root = JmhJson.readTree(file);
            if (METADATA_FILE.equals(name))
            {
                metadata = readMetadata(file, root);
                continue;
            }
            if (LatencyPercentiles.FILE.equals(name))
            {
                latency = readLatency(file);
                continue;
            }
            if (!root.isArray())
            {
                skipped.add(name);
                continue;
            }
            final List<BenchmarkResult> fileResults = JmhJson.parse(file, root);
            if (fileResults == null)
            {
                throw new ReportException(file + " is not JMH JSON: expected an array of results, each with " +
                    "\"benchmark\", \"mode\" and \"primaryMetric\"");
            }
            results.addAll(fileResults);
            jmhFiles.add(name);
        }
        if (results.isEmpty())
        {
            throw new ReportException(dir + " holds no JMH results" + (jmhFiles.isEmpty() && skipped.isEmpty() ?
                " (no *.json file besides metadata.json)" :
                jmhFiles.isEmpty() ? " (" + String.join(", ", skipped) + ": JSON objects, not JMH's arrays of results)" :
                " (" + String.join(", ", jmhFiles) + ": empty arrays; did every benchmark fail?)"));
        }
        return new RunResults(dir, Collections.unmodifiableList(results), List.copyOf(jmhFiles), List.copyOf(skipped),
            addLoadFiles(dir, metadata), latency);
    }

    /** @return the folder's name, which says the date and the machine or label. */
    public String name()
    {
        final Path fileName = dir.toAbsolutePath().normalize().getFileName();
        return fileName == null ? dir.toString() : fileName.toString();
    }

    /**
     * @param key a metadata field.
     * @return its value as text, or null when the metadata lacks it.
     */
    public String meta(final String key)
    {
        Object value = metadata.get(key);
        if (value == null && metadata.get("machine") instanceof Map<?, ?> machine)
        {
            // the first hand-written metadata.json kept the machine in an object of its own
            value = machine.get(key);
        }
        if (value instanceof List<?> lines)
        {
            return String.join("; ", lines.stream().map(String::valueOf).toList());
        }
        return value == null || value instanceof Map ? null : String.valueOf(value);
    }

    private static List<LatencyPercentiles.Row> readLatency(final Path file) throws ReportException
    {
        try
        {
            return LatencyPercentiles.read(file);
        }
        catch (final IOException ex)
        {
            throw new ReportException(file + " is not a run's latency percentiles: " + ex.getMessage());
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> readMetadata(final Path file, final JsonNode root) throws ReportException
    {
        if (!root.isObject())
        {
            throw new ReportException(file + " is not a run's metadata: expected a JSON object");
        }
        return Collections.unmodifiableMap(JmhJson.MAPPER.convertValue(root, LinkedHashMap.class));
    }

    /**
     * Runs made by hand before {@code run} kept {@code uptime}'s output in {@code load-before.txt}
     * and {@code load-after.txt}: read them when the metadata has no load averages.
     */
    private static Map<String, Object> addLoadFiles(final Path dir, final Map<String, Object> metadata) throws IOException
    {
        if (metadata.containsKey("loadAverage1mStart"))
        {
            return metadata;
        }
        final Double before = loadFromUptime(dir.resolve("load-before.txt"));
        final Double after = loadFromUptime(dir.resolve("load-after.txt"));
        if (before == null && after == null)
        {
            return metadata;
        }
        final Map<String, Object> copy = new LinkedHashMap<>(metadata);
        copy.put("loadAverage1mStart", before);
        copy.put("loadAverage1mEnd", after);
        return Collections.unmodifiableMap(copy);
    }

    private static Double loadFromUptime(final Path file) throws IOException
    {
        if (!Files.isRegularFile(file))
        {
            return null;
        }
        final Matcher matcher = LOAD_AVERAGE.matcher(Files.readString(file, StandardCharsets.UTF_8));
        return matcher.find() ? Double.valueOf(matcher.group(1)) : null;
    }
}
