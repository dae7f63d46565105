package dev.iova.bench.results;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Per-operation latency percentiles of a benchmark that records them itself (with HdrHistogram,
 * outside JMH's timing), kept with a run's results.
 *
 * <h2>How they get there</h2>
 * <ol>
 *   <li>{@code run} starts every fork with {@code -D}{@value #DIR_PROPERTY}{@code =<run folder>/}{@value #TRIALS_DIR}.</li>
 *   <li>A benchmark that records latencies ({@code TraceReplayBenchmark}) writes, at the end of
 *       each trial (one fork of one parameter set), one file there with {@link #writeTrial}: the
 *       benchmark, its parameters, the percentiles of that trial and its whole histogram
 *       (HdrHistogram's encoding, in Base64). Without the property it writes nothing.</li>
 *   <li>When the suites have run, {@link #collect} merges the histograms of each benchmark and
 *       parameter set over its forks (percentiles of the merged histogram, not an average of
 *       percentiles), writes {@value #FILE} into the run folder and removes the trial files.</li>
 *   <li>The report reads that file with {@link #read}; a run without it has no percentiles.</li>
 * </ol>
 *
 * <h2>{@value #FILE}</h2>
 * A JSON object: {@code unit} ({@code ns}), {@code percentiles} (the levels listed, {@code 50,
 * 90, 99, 99.9}), {@code note}, and {@code results}, one per benchmark and parameter set, each
 * with {@code benchmark}, {@code params}, {@code trials}, {@code replays}, {@code count}
 * (operations recorded), {@code p50}, {@code p90}, {@code p99}, {@code p99.9}, {@code max},
 * {@code trialsP99} (each trial's own p99, to see how the forks differ), {@code histogram}, and,
 * for a replay through the range caches, {@code cacheHits} and {@code cacheMisses}: the caches'
 * allocation hits and misses over the recorded replays ({@code IovaDomain.cacheStats()}), summed
 * over the trials.
 */
public final class LatencyPercentiles
{
    /** The system property that names the folder a fork writes its trial files into. */
    public static final String DIR_PROPERTY = "iova.bench.percentilesDir";

    /** The folder of trial files in a run folder, while the run lasts. */
    public static final String TRIALS_DIR = "latency-trials";

    /** The collected file in the run folder. */
    public static final String FILE = "trace-replay-percentiles.json";

    /** {@link Row#cacheHits()} and {@link Row#cacheMisses()} of a benchmark that did not count them. */
    public static final long NO_CACHE_COUNTS = -1;

    /** The percentiles written, besides the maximum. */
    public static final List<Double> LEVELS = List.of(50.0, 90.0, 99.0, 99.9);

    /** Their field names, {@link #LEVELS}' order. */
    private static final List<String> FIELDS = List.of("p50", "p90", "p99", "p99.9");

    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** The largest value any histogram here tracks: 10 s in ns. */
    private static final long HIGHEST_TRACKABLE = 10_000_000_000L;

    private LatencyPercentiles()
    {
    }

    /**
     * One benchmark and parameter set's percentiles.
     *
     * @param benchmark   the fully qualified benchmark method.
     * @param params      its parameter values, in JMH's order.
     * @param trials      forks merged.
     * @param replays     replays recorded over the trials (for a trace benchmark; 0 otherwise).
     * @param count       operations recorded.
     * @param percentiles level ({@link #LEVELS}) to value, in ns.
     * @param max         the largest value recorded, in ns.
     * @param trialsP99   each trial's p99, in ns.
     * @param cacheHits   the range caches' allocation hits over the recorded replays, or
     *                    {@link #NO_CACHE_COUNTS} when the benchmark recorded none (not a cached target).
     * @param cacheMisses their misses over the same replays, or {@link #NO_CACHE_COUNTS}.
     */
    public record Row(String benchmark, Map<String, String> params, int trials, long replays, long count,
        Map<Double, Long> percentiles, long max, List<Long> trialsP99, long cacheHits, long cacheMisses)
    {
        /** @return whether the row has the caches' hits and misses. */
        public boolean hasCacheCounts()
        {
            return cacheHits != NO_CACHE_COUNTS && cacheMisses != NO_CACHE_COUNTS;
        }

        /** @return the share of allocations the caches served from a magazine, 0 to 1 (0 without allocations or counts). */
        public double cacheHitRatio()
        {
            final long allocs = cacheHits + cacheMisses;
            return !hasCacheCounts() || allocs == 0 ? 0 : (double)cacheHits / allocs;
        }

        /** @return the parameters as {@code name=value, name=value}. */
        public String paramsLabel()
        {
            return String.join(", ", params.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList());
        }
    }

    /**
     * @param level a percentile level.
     * @return its field name: {@code p50}, {@code p99.9}.
     */
    public static String field(final double level)
    {
        final int i = LEVELS.indexOf(level);
        if (i < 0)
        {
            throw new IllegalArgumentException("level=" + level + " is none of " + LEVELS);
        }
        return FIELDS.get(i); // no string concatenation: writeTrial runs where -prof gc counts allocations
    }

    /**
     * A buffer for {@link #writeTrial} to encode {@code histogram} into, to allocate (and warm)
     * before the timed part of a benchmark: the trial file is written in a trial teardown, whose
     * allocations JMH's {@code -prof gc} counts into the last measurement iteration.
     *
     * @param histogram the histogram the trial records into.
     * @return a buffer large enough for its encoding, used once.
     */
    public static ByteBuffer encodingBuffer(final Histogram histogram)
    {
        final ByteBuffer buffer = ByteBuffer.allocate(histogram.getNeededByteBufferCapacity());
        histogram.encodeIntoByteBuffer(buffer);
        buffer.clear();
        return buffer;
    }

    /**
     * Writes one trial's latencies (a fork's) into {@code dir}, a file of its own. Runs in the
     * benchmark's fork, in a trial teardown, whose allocations {@code -prof gc} counts into the
     * last measurement iteration's bytes per operation: so no JSON library (Jackson's first use
     * allocated 13.9 MB), no formatter, no string concatenation, the histogram encoded
     * uncompressed (a Deflater allocates about 100 KB) into {@code buffer}. About 130 KB on the
     * first call in a JVM (measured with {@code ThreadMXBean.getThreadAllocatedBytes}): below
     * 0.04 B/op on a quick-profile iteration of a few million operations.
     *
     * @param dir       the folder {@value #DIR_PROPERTY} names; created when missing.
     * @param benchmark the fully qualified benchmark method.
     * @param params    its parameter values.
     * @param latencies the trial's histogram, in ns.
     * @param replays   how many replays it holds.
     * @param cacheHits   the range caches' allocation hits over those replays, or {@link #NO_CACHE_COUNTS}.
     * @param cacheMisses their misses, or {@link #NO_CACHE_COUNTS}.
     * @param buffer    from {@link #encodingBuffer(Histogram)}, made before the timed part.
     * @return the file written.
     * @throws IOException when it cannot be written.
     */
    public static Path writeTrial(final Path dir, final String benchmark, final Map<String, String> params,
        final Histogram latencies, final long replays, final long cacheHits, final long cacheMisses, final ByteBuffer buffer)
        throws IOException
    {
        if ((cacheHits == NO_CACHE_COUNTS) != (cacheMisses == NO_CACHE_COUNTS) || cacheHits < NO_CACHE_COUNTS ||
            cacheMisses < NO_CACHE_COUNTS)
        {
            throw new IllegalArgumentException("cacheHits=" + cacheHits + " and cacheMisses=" + cacheMisses +
                " must both be counts (at least 0) or both NO_CACHE_COUNTS (-1)");
        }
        Files.createDirectories(dir);
        final StringBuilder json = new StringBuilder(4096);
        json.append("{\n  \"benchmark\": ").append(Json.string(benchmark)).append(",\n  \"params\": {");
        final StringBuilder stem = new StringBuilder(benchmark.substring(benchmark.lastIndexOf('.', benchmark.lastIndexOf('.') - 1) + 1));
        String separator = "";
        for (final Map.Entry<String, String> param : params.entrySet())
        {
            json.append(separator).append(Json.string(param.getKey())).append(": ").append(Json.string(param.getValue()));
            separator = ", ";
            stem.append('-').append(param.getValue());
        }
        json.append("},\n  \"replays\": ").append(replays).append(",\n  \"count\": ").append(latencies.getTotalCount());
        for (final double level : LEVELS)
        {
            json.append(",\n  \"").append(field(level)).append("\": ").append(latencies.getValueAtPercentile(level));
        }
        json.append(",\n  \"max\": ").append(latencies.getMaxValue());
        if (cacheHits != NO_CACHE_COUNTS)
        {
            json.append(",\n  \"cacheHits\": ").append(cacheHits).append(",\n  \"cacheMisses\": ").append(cacheMisses);
        }
        buffer.clear();
        final int length = latencies.encodeIntoByteBuffer(buffer); // uncompressed: a Deflater allocates ~100 KB
        json.append(",\n  \"histogram\": \"")
            .append(Base64.getEncoder().encodeToString(Arrays.copyOf(buffer.array(), length))).append("\"\n}\n");
        // the time first, so that the files sort in the order the trials ran; nanoTime to tell apart two in one millisecond
        final StringBuilder name = new StringBuilder(96).append(System.currentTimeMillis()).append('-');
        for (int i = 0; i < stem.length(); i++)
        {
            final char c = stem.charAt(i);
            name.append(Character.isLetterOrDigit(c) || c == '.' || c == '-' ? c : '_');
        }
        final Path file = dir.resolve(name.append('-').append(System.nanoTime()).append(".json").toString());
        Files.writeString(file, json, StandardCharsets.UTF_8);
        return file;
    }

    /**
     * {@link #writeTrial(Path, String, Map, Histogram, long, long, long, ByteBuffer)} with a buffer of
     * its own: for tests and for writers outside a benchmark's timed part.
     *
     * @param dir       the folder to write into.
     * @param benchmark the fully qualified benchmark method.
     * @param params    its parameter values.
     * @param latencies the trial's histogram, in ns.
     * @param replays   how many replays it holds.
     * @param cacheHits   the range caches' allocation hits over those replays, or {@link #NO_CACHE_COUNTS}.
     * @param cacheMisses their misses, or {@link #NO_CACHE_COUNTS}.
     * @return the file written.
     * @throws IOException when it cannot be written.
     */
    public static Path writeTrial(final Path dir, final String benchmark, final Map<String, String> params,
        final Histogram latencies, final long replays, final long cacheHits, final long cacheMisses) throws IOException
    {
        return writeTrial(dir, benchmark, params, latencies, replays, cacheHits, cacheMisses, encodingBuffer(latencies));
    }

    /**
     * {@link #writeTrial(Path, String, Map, Histogram, long, long, long)} without the caches' counts.
     *
     * @param dir       the folder to write into.
     * @param benchmark the fully qualified benchmark method.
     * @param params    its parameter values.
     * @param latencies the trial's histogram, in ns.
     * @param replays   how many replays it holds.
     * @return the file written.
     * @throws IOException when it cannot be written.
     */
    public static Path writeTrial(final Path dir, final String benchmark, final Map<String, String> params,
        final Histogram latencies, final long replays) throws IOException
    {
        return writeTrial(dir, benchmark, params, latencies, replays, NO_CACHE_COUNTS, NO_CACHE_COUNTS);
    }

    /**
     * Merges the trial files of {@code trialsDir} per benchmark and parameter set, writes
     * {@code outFile}, and removes the trial files and their folder.
     *
     * @param trialsDir the folder the forks wrote into.
     * @param outFile   the file to write ({@value #FILE} in the run folder).
     * @return the rows written; empty (and nothing written) when the folder is missing or empty.
     * @throws IOException when a trial file cannot be read or is not one (then nothing is removed).
     */
    public static List<Row> collect(final Path trialsDir, final Path outFile) throws IOException
    {
        if (!Files.isDirectory(trialsDir))
        {
            return List.of();
        }
        final List<Path> files;
        try (Stream<Path> list = Files.list(trialsDir))
        {
            files = list.filter(f -> f.getFileName().toString().endsWith(".json")).sorted().toList();
        }
        final Map<String, Merged> byKey = new LinkedHashMap<>();
        for (final Path file : files)
        {
            final JsonNode trial = MAPPER.readTree(file.toFile());
            if (!trial.path("benchmark").isTextual() || !trial.path("histogram").isTextual())
            {
                throw new IOException(file + " is not a latency trial file (no benchmark or histogram)");
            }
            final Map<String, String> params = new LinkedHashMap<>();
            final Iterator<Map.Entry<String, JsonNode>> fields = trial.path("params").fields();
            while (fields.hasNext())
            {
                final Map.Entry<String, JsonNode> field = fields.next();
                params.put(field.getKey(), field.getValue().asText());
            }
            final String benchmark = trial.get("benchmark").asText();
            final Histogram histogram = decodeTrial(file, trial.get("histogram").asText());
            final Merged merged = byKey.computeIfAbsent(benchmark + " " + params, k -> new Merged(benchmark, params));
            merged.histogram.add(histogram);
            merged.trials++;
            merged.replays += trial.path("replays").asLong(0);
            merged.trialsP99.add(histogram.getValueAtPercentile(99.0));
            merged.addCacheCounts(trial.path("cacheHits").asLong(NO_CACHE_COUNTS), trial.path("cacheMisses").asLong(NO_CACHE_COUNTS));
        }
        if (byKey.isEmpty())
        {
            return List.of();
        }
        final ObjectNode root = MAPPER.createObjectNode();
        root.put("unit", "ns");
        final ArrayNode levels = root.putArray("percentiles");
        LEVELS.forEach(levels::add);
        root.put("note", "Per-operation latencies recorded by the benchmark with HdrHistogram (3 significant digits), " +
            "outside JMH's timed loop; each sample includes one System.nanoTime() read. Forks merged by adding their " +
            "histograms.");
        final ArrayNode results = root.putArray("results");
        for (final Merged merged : byKey.values())
        {
            final ObjectNode row = results.addObject();
            row.put("benchmark", merged.benchmark);
            merged.params.forEach(row.putObject("params")::put);
            row.put("trials", merged.trials);
            row.put("replays", merged.replays);
            putFigures(row, merged.histogram);
            final ArrayNode p99s = row.putArray("trialsP99");
            merged.trialsP99.forEach(p99s::add);
            row.put("histogram", encode(merged.histogram));
            if (merged.cacheHits != NO_CACHE_COUNTS)
            {
                row.put("cacheHits", merged.cacheHits);
                row.put("cacheMisses", merged.cacheMisses);
            }
        }
        Files.writeString(outFile, MAPPER.writeValueAsString(root) + "\n", StandardCharsets.UTF_8);
        for (final Path file : files)
        {
            Files.delete(file);
        }
        try (Stream<Path> rest = Files.list(trialsDir))
        {
            if (rest.findAny().isEmpty())
            {
                Files.delete(trialsDir);
            }
        }
        return read(outFile);
    }

    /**
     * @param file a file {@link #collect} wrote.
     * @return its rows.
     * @throws IOException when it cannot be read or is not such a file.
     */
    public static List<Row> read(final Path file) throws IOException
    {
        final JsonNode root = MAPPER.readTree(file.toFile());
        if (root == null || !root.path("results").isArray())
        {
            throw new IOException(file + " is not a latency percentiles file: expected an object with \"results\"");
        }
        final List<Row> rows = new ArrayList<>();
        for (final JsonNode row : root.get("results"))
        {
            final Map<String, String> params = new LinkedHashMap<>();
            final Iterator<Map.Entry<String, JsonNode>> fields = row.path("params").fields();
            while (fields.hasNext())
            {
                final Map.Entry<String, JsonNode> field = fields.next();
                params.put(field.getKey(), field.getValue().asText());
            }
            final Map<Double, Long> percentiles = new LinkedHashMap<>();
            for (final double level : LEVELS)
            {
                percentiles.put(level, row.path(field(level)).asLong());
            }
            final List<Long> trialsP99 = new ArrayList<>();
            row.path("trialsP99").forEach(p -> trialsP99.add(p.asLong()));
            rows.add(new Row(row.path("benchmark").asText(), Collections.unmodifiableMap(params),
                row.path("trials").asInt(), row.path("replays").asLong(), row.path("count").asLong(), percentiles,
                row.path("max").asLong(), List.copyOf(trialsP99), row.path("cacheHits").asLong(NO_CACHE_COUNTS),
                row.path("cacheMisses").asLong(NO_CACHE_COUNTS)));
        }
        return List.copyOf(rows);
    }

    private static void putFigures(final ObjectNode node, final Histogram histogram)
    {
        node.put("count", histogram.getTotalCount());
        for (final double level : LEVELS)
        {
            node.put(field(level), histogram.getValueAtPercentile(level));
        }
        node.put("max", histogram.getMaxValue());
    }

    /** @return HdrHistogram's compressed encoding in Base64, as its own log format writes histograms. */
    private static String encode(final Histogram histogram)
    {
        final ByteBuffer buffer = ByteBuffer.allocate(histogram.getNeededByteBufferCapacity());
        final int length = histogram.encodeIntoCompressedByteBuffer(buffer);
        return Base64.getEncoder().encodeToString(Arrays.copyOf(buffer.array(), length));
    }

    /** A trial file's histogram: HdrHistogram's uncompressed encoding, in Base64. */
    private static Histogram decodeTrial(final Path file, final String base64) throws IOException
    {
        try
        {
            return Histogram.decodeFromByteBuffer(ByteBuffer.wrap(Base64.getDecoder().decode(base64)), HIGHEST_TRACKABLE);
        }
        catch (final RuntimeException ex)
        {
            throw new IOException(file + ": its histogram cannot be decoded (" + ex.getMessage() + ")");
        }
    }

    /** One benchmark and parameter set's trials, being merged. */
    private static final class Merged
    {
        final String benchmark;
        final Map<String, String> params;
        final Histogram histogram = new Histogram(HIGHEST_TRACKABLE, 3);
        final List<Long> trialsP99 = new ArrayList<>();
        int trials;
        long replays;
        /** Summed over the trials; {@link #NO_CACHE_COUNTS} unless every trial had them. */
        long cacheHits = NO_CACHE_COUNTS;
        long cacheMisses = NO_CACHE_COUNTS;

        Merged(final String benchmark, final Map<String, String> params)
        {
            this.benchmark = benchmark;
            this.params = params;
        }

        /** Adds a trial's counts; a trial without them (or with half of them) leaves the merged row without. */
        void addCacheCounts(final long hits, final long misses)
        {
            final boolean counted = hits >= 0 && misses >= 0;
            if (trials == 1)
            {
                cacheHits = counted ? hits : NO_CACHE_COUNTS;
                cacheMisses = counted ? misses : NO_CACHE_COUNTS;
            }
            else if (!counted || cacheHits == NO_CACHE_COUNTS)
            {
                cacheHits = NO_CACHE_COUNTS;
                cacheMisses = NO_CACHE_COUNTS;
            }
            else
            {
                cacheHits += hits;
                cacheMisses += misses;
            }
        }
    }
}
