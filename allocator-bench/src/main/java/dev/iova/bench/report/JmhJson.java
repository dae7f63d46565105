package dev.iova.bench.report;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * Reads the JSON that JMH writes with {@code -rf json}: an array with one object per benchmark,
 * mode and parameter set. Only the fields the report needs are read; anything else is ignored,
 * so files of other JMH versions read as long as they keep those fields.
 */
public final class JmhJson
{
    /** Shared, thread-safe once configured. */
    static final ObjectMapper MAPPER = new ObjectMapper();

    private JmhJson()
    {
    }

    /**
     * @param file a JMH JSON result file.
     * @return its results, in the file's order.
     * @throws ReportException when the file is missing, is not JSON, or is not JMH's JSON.
     * @throws IOException     when the file cannot be read.
     */
    public static List<BenchmarkResult> read(final Path file) throws ReportException, IOException
    {
        final JsonNode root = readTree(file);
        final List<BenchmarkResult> results = parse(file, root);
        if (results == null)
        {
            throw new ReportException(file + " is not JMH JSON: expected an array of results, each with " +
                "\"benchmark\", \"mode\" and \"primaryMetric\"");
        }
        return results;
    }

    /**
     * @param file any JSON file.
     * @return its tree.
     * @throws ReportException when it is missing or not valid JSON.
     * @throws IOException     when it cannot be read.
     */
    public static JsonNode readTree(final Path file) throws ReportException, IOException
    {
        try
        {
            final JsonNode root = MAPPER.readTree(Files.readString(file));
            if (root == null || root.isMissingNode())
            {
                throw new ReportException(file + " is empty, not JSON");
            }
            return root;
        }
        catch (final NoSuchFileException ex)
        {
            throw new ReportException(file + ": no such file");
        }
        catch (final JsonProcessingException ex)
        {
            final JsonLocation where = ex.getLocation();
            final String firstLine = ex.getOriginalMessage().lines().findFirst().orElse("");
            throw new ReportException(file + " is not valid JSON" +
                (where != null ? " (line " + where.getLineNr() + ", column " + where.getColumnNr() + ": " : " (") +
                firstLine + ")");
        }
    }

    /**
     * @param file the file the tree came from, for messages.
     * @param root a JSON tree.
     * @return its results, or null when the tree is not JMH's (an object, or an array whose
     *         elements lack the fields every JMH result has).
     */
    static List<BenchmarkResult> parse(final Path file, final JsonNode root)
    {
        if (!root.isArray())
        {
            return null;
        }
        final List<BenchmarkResult> results = new ArrayList<>(root.size());
        for (final JsonNode entry : root)
        {
            final JsonNode primary = entry.path("primaryMetric");
            if (!entry.path("benchmark").isTextual() || !entry.path("mode").isTextual() || !primary.isObject() ||
                primary.path("score").isMissingNode())
            {
                return null;
            }
            results.add(toResult(entry, primary));
        }
        return results;
    }

    private static BenchmarkResult toResult(final JsonNode entry, final JsonNode primary)
    {
        final Map<String, String> params = new LinkedHashMap<>();
        final Iterator<Map.Entry<String, JsonNode>> fields = entry.path("params").fields();
        while (fields.hasNext())
        {
            final Map.Entry<String, JsonNode> field = fields.next();
            params.put(field.getKey(), field.getValue().asText());
        }
        final JsonNode confidence = primary.path("scoreConfidence");
        final Map<String, BenchmarkResult.Metric> secondaries = new LinkedHashMap<>();
        final Iterator<Map.Entry<String, JsonNode>> secondaryFields = entry.path("secondaryMetrics").fields();
        while (secondaryFields.hasNext())
        {
            final Map.Entry<String, JsonNode> field = secondaryFields.next();
            final JsonNode metric = field.getValue();
            secondaries.put(field.getKey(), new BenchmarkResult.Metric(number(metric.path("score")),
                number(metric.path("scoreError")), number(metric.path("scoreConfidence").path(0)),
                number(metric.path("scoreConfidence").path(1)), metric.path("scoreUnit").asText("")));
        }
        final NavigableMap<Double, Double> percentiles = new TreeMap<>();
        final Iterator<Map.Entry<String, JsonNode>> percentileFields = primary.path("scorePercentiles").fields();
        while (percentileFields.hasNext())
        {
            final Map.Entry<String, JsonNode> field = percentileFields.next();
            try
            {
                percentiles.put(Double.valueOf(field.getKey()), number(field.getValue()));
            }
            catch (final NumberFormatException ex)
            {
                // not a percentile: left out
            }
        }
        int samples = 0;
        for (final JsonNode fork : primary.path("rawData"))
        {
            samples += fork.size();
        }
        return new BenchmarkResult(
            entry.path("benchmark").asText(),
            entry.path("mode").asText(),
            entry.path("threads").asInt(1),
            entry.path("forks").asInt(0),
            Collections.unmodifiableMap(params),
            number(primary.path("score")),
            number(primary.path("scoreError")),
            number(confidence.path(0)),
            number(confidence.path(1)),
            primary.path("scoreUnit").asText(""),
            samples,
            number(entry.path("secondaryMetrics").path("gc.alloc.rate.norm").path("score")),
            entry.path("warmupIterations").asInt(0) + " × " + entry.path("warmupTime").asText("?"),
            entry.path("measurementIterations").asInt(0) + " × " + entry.path("measurementTime").asText("?"),
            (entry.path("jdkVersion").asText("?") + " " + entry.path("vmName").asText("")).trim(),
            entry.path("jmhVersion").asText("?"),
            Collections.unmodifiableMap(secondaries),
            Collections.unmodifiableNavigableMap(percentiles));
    }

    /**
     * JMH writes numbers, and "NaN" or "Infinity" as strings: both read here, missing is NaN.
     *
     * @param node a value of JMH's JSON.
     * @return it as a double.
     */
    public static double number(final JsonNode node)
    {
        if (node.isNumber())
        {
            return node.asDouble();
        }
        if (node.isTextual())
        {
            try
            {
                return Double.parseDouble(node.asText());
            }
            catch (final NumberFormatException ex)
            {
                return Double.NaN;
            }
        }
        return Double.NaN;
    }
}
