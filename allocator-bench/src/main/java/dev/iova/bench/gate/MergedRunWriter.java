package dev.iova.bench.gate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.iova.bench.report.ReportWriter;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes one side of an A/B gate run as a run folder that {@code report} and the two-run gate
 * read like any other: one JMH JSON file per suite, and {@code metadata.json}.
 *
 * <p>Each benchmark's entry is JMH's entry of the first round with the rounds merged: one fork per
 * round in {@code rawData} (or {@code rawDataHistogram}), in round order, so that fork {@code i}
 * of the baseline's file and fork {@code i} of the candidate's are pair {@code i}
 * ({@code gate --paired} re-judges them). {@code forks} is the number of rounds. The score is the
 * mean of all iterations, as JMH's; the error and confidence interval are recomputed the way JMH
 * computes them (Student's t at 99.9% over the iterations; for {@code sample}, over the
 * iterations' means); percentiles are left out, since they cannot be merged. Secondary metrics
 * ({@code gc.alloc.rate.norm}, ...) are merged the same way.
 */
public final class MergedRunWriter
{
    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private MergedRunWriter()
    {
    }

    /**
     * @param dir       the side's folder; created when missing.
     * @param rounds    per benchmark, JMH's entry of each round, in round order; every list non-empty.
     * @param metadata  {@code metadata.json}'s fields.
     * @return the JMH JSON files written.
     * @throws IOException when a file cannot be written.
     */
    public static List<Path> write(final Path dir, final List<List<JsonNode>> rounds, final Map<String, Object> metadata)
        throws IOException
    {
        Files.createDirectories(dir);
        final Map<String, ArrayNode> bySuite = new LinkedHashMap<>();
        for (final List<JsonNode> entries : rounds)
        {
            final String benchmark = entries.get(0).path("benchmark").asText();
            final String suite = benchmark.substring(0, Math.max(0, benchmark.lastIndexOf('.')));
            bySuite.computeIfAbsent(suite, k -> MAPPER.createArrayNode()).add(merge(entries));
        }
        final Map<String, String> slugs = ReportWriter.slugs(bySuite.keySet());
        final List<Path> files = new ArrayList<>();
        for (final Map.Entry<String, ArrayNode> suite : bySuite.entrySet())
        {
            final Path file = dir.resolve(slugs.get(suite.getKey()) + ".json");
            Files.writeString(file, MAPPER.writeValueAsString(suite.getValue()) + "\n", StandardCharsets.UTF_8);
            files.add(file);
        }
        final Map<String, Object> withFiles = new LinkedHashMap<>(metadata);
        withFiles.put("files", files.stream().map(f -> f.getFileName().toString()).toList());
        Files.writeString(dir.resolve(JmhSamplesReader.METADATA_FILE), MAPPER.writeValueAsString(withFiles) + "\n",
            StandardCharsets.UTF_8);
        return files;
    }

    /**
     * @param entries one benchmark's JMH entries, one per round.
     * @return one entry with a fork per round.
     */
    static ObjectNode merge(final List<JsonNode> entries)
    {
        final ObjectNode merged = entries.get(0).deepCopy();
        merged.put("forks", entries.size());
        merged.set("primaryMetric", mergeMetric(entries.stream().map(e -> e.path("primaryMetric")).toList()));
        final JsonNode secondary = entries.get(0).path("secondaryMetrics");
        if (secondary.isObject())
        {
            final ObjectNode mergedSecondary = MAPPER.createObjectNode();
            for (final Iterator<String> names = secondary.fieldNames(); names.hasNext(); )
            {
                final String name = names.next();
                mergedSecondary.set(name, mergeMetric(entries.stream().map(e -> e.path("secondaryMetrics").path(name)).toList()));
            }
            merged.set("secondaryMetrics", mergedSecondary);
        }
        return merged;
    }

    private static ObjectNode mergeMetric(final List<JsonNode> metrics)
    {
        final ObjectNode merged = metrics.get(0).deepCopy();
        merged.remove("scorePercentiles");
        final boolean histogram = !metrics.get(0).has("rawData") && metrics.get(0).has("rawDataHistogram");
        final String field = histogram ? "rawDataHistogram" : "rawData";
        final ArrayNode forks = MAPPER.createArrayNode();
        final List<Double> iterationValues = new ArrayList<>();
        double weightedSum = 0;
        double weight = 0;
        for (final JsonNode metric : metrics)
        {
            for (final JsonNode fork : metric.path(field))
            {
                forks.add(fork.deepCopy());
                for (final JsonNode iteration : fork)
                {
                    if (histogram)
                    {
                        double sum = 0;
                        double count = 0;
                        for (final JsonNode bucket : iteration)
                        {
                            sum += bucket.path(0).asDouble() * bucket.path(1).asDouble();
                            count += bucket.path(1).asDouble();
                        }
                        if (count > 0)
                        {
                            iterationValues.add(sum / count);
                            weightedSum += sum;
                            weight += count;
                        }
                    }
                    else if (iteration.isNumber())
                    {
                        iterationValues.add(iteration.asDouble());
                    }
                }
            }
        }
        merged.set(field, forks);
        if (iterationValues.isEmpty())
        {
            return merged;
        }
        final double score = histogram ? weightedSum / weight :
            iterationValues.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
        merged.put("score", score);
        final int n = iterationValues.size();
        if (n > 1)
        {
            final double mean = iterationValues.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
            final double variance = iterationValues.stream().mapToDouble(v -> (v - mean) * (v - mean)).sum() / (n - 1);
            final double error = StudentT.criticalValue(0.001, n - 1) * Math.sqrt(variance / n);
            merged.put("scoreError", error);
            merged.set("scoreConfidence", MAPPER.createArrayNode().add(score - error).add(score + error));
        }
        else
        {
            merged.put("scoreError", "NaN");
            merged.set("scoreConfidence", MAPPER.createArrayNode().add(score).add(score));
        }
        return merged;
    }
}
