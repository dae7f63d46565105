package dev.iova.bench.results;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Trial files as a fork writes them, and their collection into the run folder, without running JMH. */
public class LatencyPercentilesTest
{
    private static final String REPLAY = "dev.iova.bench.jmh.TraceReplayBenchmark.replay";

    @TempDir
    Path tempDir;

    @Test
    void collectShouldMergeTheForksOfEachParamSetByAddingHistograms() throws Exception
    {
        final Path trials = tempDir.resolve(LatencyPercentiles.TRIALS_DIR);
        // two forks of network/tree: 900 fast operations in one, 100 slow ones in the other
        LatencyPercentiles.writeTrial(trials, REPLAY, params("network", "tree"), histogram(900, 100), 3);
        LatencyPercentiles.writeTrial(trials, REPLAY, params("network", "tree"), histogram(100, 100_000), 3);
        LatencyPercentiles.writeTrial(trials, REPLAY, params("network", "cached"), histogram(1000, 20), 3);

        final List<LatencyPercentiles.Row> rows = LatencyPercentiles.collect(trials, tempDir.resolve(LatencyPercentiles.FILE));

        assertEquals(2, rows.size());
        final LatencyPercentiles.Row tree = rows.get(0);
        assertEquals(REPLAY, tree.benchmark());
        assertEquals("shape=network, target=tree", tree.paramsLabel());
        assertEquals(2, tree.trials());
        assertEquals(6, tree.replays());
        assertEquals(1000, tree.count());
        final Histogram merged = histogram(900, 100);
        merged.add(histogram(100, 100_000));
        assertEquals(merged.getValueAtPercentile(50), tree.percentiles().get(50.0));
        assertEquals(merged.getValueAtPercentile(90), tree.percentiles().get(90.0), "the 90th of 1000 is a fast one");
        assertEquals(merged.getValueAtPercentile(99), tree.percentiles().get(99.0), "the slow fork's operations, not an average of p99s");
        assertTrue(tree.percentiles().get(99.0) >= 100_000, tree.percentiles().toString());
        assertTrue(tree.percentiles().get(90.0) < 10_000, tree.percentiles().toString());
        assertEquals(merged.getMaxValue(), tree.max());
        assertEquals(2, tree.trialsP99().size(), "each fork's own p99");
        assertEquals("shape=network, target=cached", rows.get(1).paramsLabel());
        assertEquals(1, rows.get(1).trials());
        assertFalse(Files.exists(trials), "the trial files are gone once collected");
    }

    @Test
    void theCollectedFileShouldNameEveryFieldAndReadBack() throws Exception
    {
        final Path trials = tempDir.resolve(LatencyPercentiles.TRIALS_DIR);
        LatencyPercentiles.writeTrial(trials, REPLAY, params("storage", "treemap-baseline"), histogram(10, 3_000), 3);
        final Path file = tempDir.resolve(LatencyPercentiles.FILE);

        final List<LatencyPercentiles.Row> collected = LatencyPercentiles.collect(trials, file);

        final JsonNode root = new ObjectMapper().readTree(file.toFile());
        assertEquals("ns", root.get("unit").asText());
        final JsonNode row = root.get("results").get(0);
        for (final String field : List.of("benchmark", "params", "trials", "replays", "count", "p50", "p90", "p99", "p99.9", "max",
            "trialsP99", "histogram"))
        {
            assertTrue(row.has(field), field + " missing from " + row);
        }
        assertEquals(collected, LatencyPercentiles.read(file));
    }

    @Test
    void cacheCountsShouldBeSummedOverTheForksAndReadBack() throws Exception
    {
        final Path trials = tempDir.resolve(LatencyPercentiles.TRIALS_DIR);
        LatencyPercentiles.writeTrial(trials, REPLAY, params("network", "cached"), histogram(100, 20), 3, 990, 10);
        LatencyPercentiles.writeTrial(trials, REPLAY, params("network", "cached"), histogram(100, 20), 3, 980, 20);
        LatencyPercentiles.writeTrial(trials, REPLAY, params("network", "tree"), histogram(100, 100), 3);
        // a cached row whose second fork had no counts (a run mixing two builds): no counts at all, rather than half of them
        LatencyPercentiles.writeTrial(trials, REPLAY, params("storage", "cached"), histogram(100, 20), 3, 5, 5);
        LatencyPercentiles.writeTrial(trials, REPLAY, params("storage", "cached"), histogram(100, 20), 3);
        final Path file = tempDir.resolve(LatencyPercentiles.FILE);

        final List<LatencyPercentiles.Row> rows = LatencyPercentiles.collect(trials, file);

        final LatencyPercentiles.Row cached = rows.get(0);
        assertEquals("shape=network, target=cached", cached.paramsLabel());
        assertTrue(cached.hasCacheCounts());
        assertEquals(1970, cached.cacheHits());
        assertEquals(30, cached.cacheMisses());
        assertEquals(0.985, cached.cacheHitRatio(), 1e-12);
        final LatencyPercentiles.Row tree = rows.get(1);
        assertFalse(tree.hasCacheCounts(), tree.toString());
        assertEquals(LatencyPercentiles.NO_CACHE_COUNTS, tree.cacheHits());
        assertEquals(0, tree.cacheHitRatio());
        assertFalse(rows.get(2).hasCacheCounts(), rows.get(2).toString());
        final JsonNode json = new ObjectMapper().readTree(file.toFile()).get("results");
        assertEquals(1970, json.get(0).get("cacheHits").asLong());
        assertFalse(json.get(1).has("cacheHits"), "a tree replay has no cache counts: " + json.get(1));
        assertEquals(rows, LatencyPercentiles.read(file));
    }

    @Test
    void cacheCountsShouldBeBothThereOrBothAbsent()
    {
        final Path trials = tempDir.resolve(LatencyPercentiles.TRIALS_DIR);
        final IllegalArgumentException half = assertThrows(IllegalArgumentException.class,
            () -> LatencyPercentiles.writeTrial(trials, REPLAY, params("network", "cached"), histogram(1, 20), 3, 5,
                LatencyPercentiles.NO_CACHE_COUNTS));
        assertEquals("cacheHits=5 and cacheMisses=-1 must both be counts (at least 0) or both NO_CACHE_COUNTS (-1)", half.getMessage());
        assertThrows(IllegalArgumentException.class,
            () -> LatencyPercentiles.writeTrial(trials, REPLAY, params("network", "cached"), histogram(1, 20), 3, -2, -2));
        assertFalse(Files.exists(trials), "nothing written");
    }

    @Test
    void aRunWithoutTrialFilesShouldWriteNothing() throws Exception
    {
        final Path file = tempDir.resolve(LatencyPercentiles.FILE);

        assertTrue(LatencyPercentiles.collect(tempDir.resolve(LatencyPercentiles.TRIALS_DIR), file).isEmpty());
        Files.createDirectories(tempDir.resolve(LatencyPercentiles.TRIALS_DIR));
        assertTrue(LatencyPercentiles.collect(tempDir.resolve(LatencyPercentiles.TRIALS_DIR), file).isEmpty());

        assertFalse(Files.exists(file));
    }

    @Test
    void aBrokenTrialFileShouldBeSaidAndKept() throws Exception
    {
        final Path trials = Files.createDirectories(tempDir.resolve(LatencyPercentiles.TRIALS_DIR));
        final Path broken = Files.writeString(trials.resolve("x.json"), "{\"benchmark\": \"a.B.c\"}");

        final IOException ex = assertThrows(IOException.class,
            () -> LatencyPercentiles.collect(trials, tempDir.resolve(LatencyPercentiles.FILE)));

        assertTrue(ex.getMessage().contains("x.json is not a latency trial file"), ex.getMessage());
        assertTrue(Files.exists(broken));
        assertFalse(Files.exists(tempDir.resolve(LatencyPercentiles.FILE)));
    }

    public static Map<String, String> params(final String shape, final String target)
    {
        final Map<String, String> params = new LinkedHashMap<>();
        params.put("shape", shape);
        params.put("target", target);
        return params;
    }

    /** @return a histogram of {@code count} operations, 10 ns apart from {@code fromNanos} on. */
    public static Histogram histogram(final int count, final long fromNanos)
    {
        final Histogram histogram = new Histogram(10_000_000_000L, 3);
        for (int i = 0; i < count; i++)
        {
            histogram.recordValue(fromNanos + 10L * i);
        }
        return histogram;
    }
}
