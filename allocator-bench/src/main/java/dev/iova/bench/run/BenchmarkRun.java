package dev.iova.bench.run;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.iova.bench.report.ReportWriter;
import dev.iova.bench.results.LatencyPercentiles;
import dev.iova.bench.results.RunMetadata;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.VerboseMode;
import org.openjdk.jmh.util.Version;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Runs a plan through JMH's {@link Runner}, one suite (benchmark class) at a time, into a run
 * folder:
 * <ul>
 *   <li>{@code <suite>.json}: JMH's JSON of the suite ({@code alloc-free-pair.json} for
 *       {@code AllocFreePairBenchmark});</li>
 *   <li>{@code jmh-output.txt}: everything JMH printed, progress lines included (the console gets
 *       one line per benchmark with its score instead, unless asked for JMH's output too);</li>
 *   <li>{@code trace-replay-percentiles.json}: per-operation latency percentiles that benchmarks
 *       recorded themselves ({@link LatencyPercentiles}), when any did: every fork is told where
 *       to write them with {@code -D}{@value LatencyPercentiles#DIR_PROPERTY};</li>
 *   <li>{@code metadata.json}: {@link RunMetadata}'s fields plus the profile, the include
 *       regex, the 1-minute load average at the start and the end, the estimate and the time
 *       taken. Written when the run starts and again when it ends, so an interrupted run still
 *       says what it was.</li>
 * </ul>
 * Every fork gets {@link #ADD_EXPORTS}, and {@code -prof gc} is always on.
 */
public final class BenchmarkRun
{
    /**
     * Agrona, under the domains the suites build, reads {@code jdk.internal.misc.Unsafe}. The
     * jar manifest's {@code Add-Exports} does not reach a fork, so the flag is put on every
     * fork's command line. Prepended, not appended: JMH's option would replace the suites' own
     * {@code @Fork(jvmArgsAppend)} (which may carry more than this flag); a prepended copy leaves
     * theirs in place, and the flag twice is harmless.
     */
    public static final String ADD_EXPORTS = "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED";

    /** JMH's output, as printed, kept beside the JSON. */
    public static final String OUTPUT_FILE = "jmh-output.txt";

    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private BenchmarkRun()
    {
    }

    /**
     * How a run went.
     *
     * @param dir            the run folder.
     * @param jsonFiles      the JMH JSON files written, one per suite.
     * @param missing        planned benchmarks without a result (they failed: JMH printed why).
     * @param elapsedSeconds how long the run took.
     */
    public record Outcome(Path dir, List<Path> jsonFiles, List<PlannedBenchmark> missing, double elapsedSeconds)
    {
    }

    /**
     * @param plan    what to run.
     * @param profile how long to measure.
     * @param include the include regex, for the metadata.
     * @param params  parameter values given on the command line, by name.
     * @param command the command line, as a user would type it.
     * @param dir     the run folder; created when missing.
     * @param console where the line per finished benchmark goes.
     * @param echoJmh whether JMH's own output also goes to {@code console}, not only to {@code jmh-output.txt}.
     * @return how the run went.
     * @throws IOException     when a file cannot be written.
     * @throws RunnerException when JMH cannot run at all.
     */
    public static Outcome execute(final BenchmarkPlan plan, final Profile profile, final String include,
        final Map<String, List<String>> params, final String command, final Path dir, final PrintStream console,
        final boolean echoJmh) throws IOException, RunnerException
    {
        Files.createDirectories(dir);
        final Map<String, Object> metadata = metadata(RunMetadata.capture(command), profile, include, params, plan);
        metadata.put("loadAverage1mStart", LoadAverage.oneMinute());
        metadata.put("status", "running");
        writeMetadata(dir, metadata);

        final Progress progress = new Progress(plan.benchmarks(), System::nanoTime);
        final Map<String, PlannedBenchmark> byKey = new LinkedHashMap<>();
        plan.benchmarks().forEach(b -> byKey.put(b.key(), b));
        final Set<String> done = new HashSet<>();
        final List<Path> jsonFiles = new ArrayList<>();
        final Map<String, List<PlannedBenchmark>> suites = plan.bySuite();
        final Map<String, String> slugs = ReportWriter.slugs(suites.keySet());
        final Path trialsDir = dir.resolve(LatencyPercentiles.TRIALS_DIR).toAbsolutePath();
        final PrintStream systemOut = System.out;
        try (OutputStream log = Files.newOutputStream(dir.resolve(OUTPUT_FILE));
             PrintStream tee = new PrintStream(echoJmh ? new Tee(console, log) : log, true, StandardCharsets.UTF_8))
        {
            // What a fork prints (TraceReplayBenchmark's latency lines) reaches the host's
            // System.out, not JMH's output format: send it to the output file too.
            System.setOut(tee);
            for (final Map.Entry<String, List<PlannedBenchmark>> suite : suites.entrySet())
            {
                final Path json = dir.resolve(slugs.get(suite.getKey()) + ".json");
                final ChainedOptionsBuilder options = options(profile, params, json,
                    forkPath(trialsDir, Path.of("").toAbsolutePath()));
                new LinkedHashSet<>(suite.getValue().stream().map(PlannedBenchmark::benchmark).toList())
                    .forEach(name -> options.include("^" + Pattern.quote(name) + "$"));
                options.warmupIterations(profile.warmupIterations(plan.isSingleShotSuite(suite.getKey())));
                final Collection<RunResult> results = new Runner(options.build(), new ProgressOutputFormat(
                    OutputFormatFactory.createFormatInstance(tee, VerboseMode.NORMAL), progress, byKey, console)).run();
                results.forEach(r -> done.add(keyOf(r.getParams())));
                if (Files.exists(json))
                {
                    jsonFiles.add(json);
                }
            }
        }
        finally
        {
            System.setOut(systemOut);
        }
        final List<String> otherFiles = new ArrayList<>();
        try
        {
            if (!LatencyPercentiles.collect(trialsDir, dir.resolve(LatencyPercentiles.FILE)).isEmpty())
            {
                otherFiles.add(LatencyPercentiles.FILE);
            }
        }
        catch (final IOException ex)
        {
            console.println("run: latency percentiles not collected (" + ex.getMessage() + "); the trial files stay in " + trialsDir);
        }
        final List<PlannedBenchmark> missing = plan.benchmarks().stream().filter(b -> !done.contains(b.key())).toList();
        final double elapsedSeconds = progress.elapsedSeconds();
        metadata.put("loadAverage1mEnd", LoadAverage.oneMinute());
        metadata.put("elapsedSeconds", Math.round(elapsedSeconds));
        metadata.put("status", missing.isEmpty() ? "finished" : "finished; " + missing.size() + " benchmarks failed");
        metadata.put("failed", missing.stream().map(PlannedBenchmark::label).toList());
        final List<String> files = new ArrayList<>(jsonFiles.stream().map(p -> p.getFileName().toString()).toList());
        files.addAll(otherFiles);
        metadata.put("files", files);
        writeMetadata(dir, metadata);
        return new Outcome(dir, List.copyOf(jsonFiles), missing, elapsedSeconds);
    }

    /**
     * The path a fork is given for {@code dir}: relative to the working directory the forks share
     * with this JVM when {@code dir} lies under it, so that the JMH JSON, which records every fork's
     * arguments, names no folder of the machine that ran it; absolute otherwise.
     *
     * @param dir        an absolute path.
     * @param workingDir this JVM's working directory, absolute.
     * @return the path to pass to the forks.
     */
    static Path forkPath(final Path dir, final Path workingDir)
    {
        return dir.startsWith(workingDir) ? workingDir.relativize(dir) : dir;
    }

    /**
     * @param profile   the profile.
     * @param params    parameter values from the command line.
     * @param json      where JMH writes its JSON.
     * @param trialsDir where benchmarks that record latency percentiles write them
     *                  ({@link LatencyPercentiles#DIR_PROPERTY}, set on every fork).
     * @return JMH's options for one suite, includes not yet added.
     */
    static ChainedOptionsBuilder options(final Profile profile, final Map<String, List<String>> params, final Path json,
        final Path trialsDir)
    {
        final ChainedOptionsBuilder options = new OptionsBuilder()
            .forks(profile.forks())
            .warmupIterations(profile.warmupIterations())
            .warmupTime(profile.warmupTime())
            .measurementIterations(profile.measurementIterations())
            .measurementTime(profile.measurementTime())
            .addProfiler(GCProfiler.class)
            .jvmArgsPrepend(ADD_EXPORTS, "-D" + LatencyPercentiles.DIR_PROPERTY + "=" + trialsDir)
            .resultFormat(ResultFormatType.JSON)
            .result(json.toString())
            .shouldFailOnError(false);
        params.forEach((name, values) -> options.param(name, values.toArray(new String[0])));
        return options;
    }

    /**
     * @return metadata.json's fields before the run: {@link RunMetadata}'s, then the run's.
     */
    @SuppressWarnings("unchecked")
    static Map<String, Object> metadata(final RunMetadata machine, final Profile profile, final String include,
        final Map<String, List<String>> params, final BenchmarkPlan plan) throws IOException
    {
        final Map<String, Object> metadata = MAPPER.readValue(machine.toJson(), LinkedHashMap.class);
        metadata.put("jmhVersion", Version.getPlainVersion());
        metadata.put("profile", profile.label());
        metadata.put("profileSettings", profile.describe());
        metadata.put("include", include);
        metadata.put("params", new TreeMap<>(params));
        metadata.put("benchmarks", plan.size());
        metadata.put("estimatedSeconds", Math.round(plan.estimatedSeconds()));
        return metadata;
    }

    private static void writeMetadata(final Path dir, final Map<String, Object> metadata) throws IOException
    {
        Files.writeString(dir.resolve("metadata.json"), MAPPER.writeValueAsString(metadata) + "\n", StandardCharsets.UTF_8);
    }

    private static String keyOf(final BenchmarkParams params)
    {
        final Map<String, String> values = new TreeMap<>();
        for (final Object name : (Collection<?>)params.getParamsKeys())
        {
            values.put((String)name, params.getParam((String)name));
        }
        return PlannedBenchmark.key(params.getBenchmark(), params.getMode().shortLabel(), values);
    }

    /** Writes to the console and to the run's output file. */
    private static final class Tee extends OutputStream
    {
        private final OutputStream first;
        private final OutputStream second;

        Tee(final OutputStream first, final OutputStream second)
        {
            this.first = first;
            this.second = second;
        }

        @Override
        public void write(final int b) throws IOException
        {
            first.write(b);
            second.write(b);
        }

        @Override
        public void write(final byte[] b, final int off, final int len) throws IOException
        {
            first.write(b, off, len);
            second.write(b, off, len);
        }

        @Override
        public void flush() throws IOException
        {
            first.flush();
            second.flush();
        }

        @Override
        public void close() throws IOException
        {
            // the console stays open; the file is closed by its owner
            flush();
        }
    }
}
