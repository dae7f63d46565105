package dev.iova.bench.gate;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iova.bench.report.Format;
import dev.iova.bench.results.RunMetadata;
import dev.iova.bench.run.LoadAverage;
import dev.iova.bench.run.PlannedBenchmark;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The A/B gate: builds the baseline revision, runs the chosen benchmarks of both jars in the same
 * job with their forks interleaved, and judges the paired ratios.
 *
 * <h2>Why interleaved pairs</h2>
 * On a shared machine the speed available to a benchmark drifts over minutes (another job starts,
 * the host throttles). Two runs made one after the other each see a different machine; the drift
 * lands in the ratio as if the code had changed. Here, round {@code i} runs one fork of each
 * benchmark with the baseline's jar and one with the candidate's, back to back, and the gate
 * judges the ratio within each round: drift slower than a round cancels out. The order alternates,
 * baseline first in odd rounds and candidate first in even ones (A B, B A, A B, ...), so that
 * whatever the second fork of a pair inherits from the first (a warmer CPU, a busier page cache)
 * falls on both sides equally.
 *
 * <h2>What it writes</h2>
 * Into the output folder: {@code baseline/} and {@code candidate/}, run folders in the usual form
 * ({@link MergedRunWriter}: one fork per round, so {@code report} and {@code gate --paired} read
 * them), {@code jmh-output.txt} (every fork's JMH output), {@code build-baseline.log}, and the
 * gate's summary ({@link GateSummaryWriter}). The jars are copied to a temporary folder first, so a
 * rebuild during the run changes nothing, and the folder is deleted at the end, also on failure or
 * Ctrl-C (a shutdown hook).
 *
 * <h2>Failures</h2>
 * A candidate fork that exits with an error or gives no result fails the benchmark
 * ({@link Finding.Kind#FAILED}, exit code 1); a baseline fork that does leaves the benchmark
 * uncompared ({@link Finding.Kind#NOT_COMPARED}). Either way the benchmark is not run in later
 * rounds. A benchmark the baseline's jar has and the candidate's lacks is
 * {@link Finding.Kind#MISSING}; one only the candidate has is {@link Finding.Kind#NEW} and is not run.
 */
public final class AbGate
{
    /**
     * Seconds assumed for building the baseline, for the estimate. On the 2-core VM, offline with a
     * warm local repository, the whole smoke run {@code gate --ab HEAD --rounds 2} with 0.6 s forks
     * took 11.4 s, the build about half of it; a CI's online build resolves more, hence 30.
     */
    public static final double BUILD_ESTIMATE_SECONDS = 30;

    /** The side names, in files and messages. */
    static final String BASELINE = "baseline";
    static final String CANDIDATE = "candidate";

    private AbGate()
    {
    }

    /**
     * What to compare and how.
     *
     * @param revision       the baseline's git revision, or null when {@code baselineJar} is given.
     * @param baselineJar    a prebuilt baseline jar, or null to build {@code revision}.
     * @param candidateJar   the candidate's jar (the working tree's, normally).
     * @param candidateLabel what the candidate is, for the summary.
     * @param suites         regular expressions selecting the benchmarks.
     * @param modes          the modes to keep; empty for all.
     * @param params         parameter values replacing the suites' own.
     * @param settings       rounds, warm-up, measurement, JVM arguments.
     * @param gate           the thresholds.
     * @param accepted       the accepted trade-offs.
     * @param outDir         the output folder.
     * @param dryRun         print the plan and the estimate, run nothing.
     * @param command        the command line, for the metadata.
     */
    public record Request(
        String revision,
        Path baselineJar,
        Path candidateJar,
        String candidateLabel,
        List<String> suites,
        List<String> modes,
        Map<String, List<String>> params,
        AbSettings settings,
        GateSettings gate,
        AcceptedTradeoffs accepted,
        Path outDir,
        boolean dryRun,
        String command)
    {
    }

    /**
     * @param request what to compare.
     * @param builder builds the baseline revision (unused with a baseline jar).
     * @param runner  runs the forks.
     * @param console where the plan and the progress go.
     * @return the gate's result, or null for a dry run.
     * @throws GateException        when the sides cannot be compared (one sentence); an
     *                              {@link UnusableBaselineException} when the baseline cannot be built or used.
     * @throws IOException          when a file cannot be written or a process started.
     * @throws InterruptedException when interrupted.
     */
    public static GateResult run(final Request request, final RevisionBuilder builder, final ForkRunner runner,
        final PrintWriter console) throws GateException, IOException, InterruptedException
    {
        final List<PlannedBenchmark> candidateUnits = JarBenchmarks.select(request.candidateJar(), request.suites(),
            request.modes(), request.params());
        if (candidateUnits.isEmpty())
        {
            throw new GateException("no benchmark of " + request.candidateJar() + " matches --suite " +
                String.join(" --suite ", request.suites()) + (request.modes().isEmpty() ? "" : " in mode " +
                String.join(" or ", request.modes())));
        }
        final String baselineLabel = request.baselineJar() != null ? request.baselineJar().toString() :
            builder.describe(request.revision());
        printPlan(request, baselineLabel, candidateUnits, console);
        if (request.dryRun())
        {
            return null;
        }
        checkOutDir(request.outDir());
        Files.createDirectories(request.outDir());
        final Path scratch = Files.createTempDirectory("iova-gate-");
        final Thread cleanup = new Thread(() -> deleteQuietly(scratch));
        Runtime.getRuntime().addShutdownHook(cleanup);
        try
        {
            final Path baselineJar;
            if (request.baselineJar() != null)
            {
                baselineJar = Files.copy(request.baselineJar(), scratch.resolve("baseline.jar"));
            }
            else
            {
                console.println("building " + baselineLabel + " in a temporary git worktree (log: " +
                    request.outDir().resolve("build-baseline.log") + ") ...");
                console.flush();
                baselineJar = builder.build(request.revision(), scratch, request.outDir().resolve("build-baseline.log"));
            }
            final Path candidateJar = Files.copy(request.candidateJar(), scratch.resolve("candidate.jar"),
                StandardCopyOption.REPLACE_EXISTING);
            final List<PlannedBenchmark> baselineUnits;
            try
            {
                baselineUnits = JarBenchmarks.select(baselineJar, request.suites(), request.modes(), request.params());
            }
            catch (final GateException ex)
            {
                throw new UnusableBaselineException(baselineLabel + ": " + ex.getMessage());
            }
            return measureAndJudge(request, baselineLabel, baselineJar, baselineUnits, candidateJar, candidateUnits, scratch,
                runner, console);
        }
        finally
        {
            deleteRecursively(scratch);
            try
            {
                Runtime.getRuntime().removeShutdownHook(cleanup);
            }
            catch (final IllegalStateException ex)
            {
                // shutting down already: the hook deletes it
            }
        }
    }

    private static GateResult measureAndJudge(final Request request, final String baselineLabel, final Path baselineJar,
        final List<PlannedBenchmark> baselineUnits, final Path candidateJar, final List<PlannedBenchmark> candidateUnits,
        final Path scratch, final ForkRunner runner, final PrintWriter console)
        throws GateException, IOException, InterruptedException
    {
        final Set<String> baselineKeys = baselineUnits.stream().map(PlannedBenchmark::key).collect(Collectors.toSet());
        final Set<String> candidateKeys = candidateUnits.stream().map(PlannedBenchmark::key).collect(Collectors.toSet());
        final List<PlannedBenchmark> units = candidateUnits.stream().filter(u -> baselineKeys.contains(u.key())).toList();
        final List<Finding> findings = new ArrayList<>();
        for (final PlannedBenchmark missing : baselineUnits)
        {
            if (!candidateKeys.contains(missing.key()))
            {
                findings.add(GateJudge.missing(missing.benchmark(), missing.mode(), missing.params(), label(missing),
                    request.accepted(), "in the baseline's jar, not in the candidate's"));
            }
        }
        candidateUnits.stream().filter(u -> !baselineKeys.contains(u.key())).forEach(u ->
            findings.add(new Finding(Finding.Kind.NEW, label(u), "only in the candidate's jar: not run")));
        if (units.isEmpty())
        {
            throw new UnusableBaselineException(baselineLabel + " has none of the chosen benchmarks (" +
                candidateUnits.stream().map(AbGate::label).collect(Collectors.joining(", ")) + "): nothing to compare");
        }

        final Map<String, Object> sharedMetadata = new LinkedHashMap<>();
        sharedMetadata.put("loadAverage1mStart", LoadAverage.oneMinute());
        final Measurements measured = measure(request, units, baselineJar, candidateJar, scratch, runner, console);
        sharedMetadata.put("loadAverage1mEnd", LoadAverage.oneMinute());
        findings.addAll(measured.findings);

        final List<List<JsonNode>> baselineRounds = new ArrayList<>();
        final List<List<JsonNode>> candidateRounds = new ArrayList<>();
        for (final PlannedBenchmark unit : units)
        {
            if (measured.complete(unit))
            {
                baselineRounds.add(measured.baseline.get(unit.key()));
                candidateRounds.add(measured.candidate.get(unit.key()));
            }
        }
        final String design = "paired A/B, " + request.settings().rounds() + " rounds of one fork per side (order A B, B A, ...), " +
            request.settings().describeFork() + ", -prof gc";
        final List<BenchmarkSamples> baseline;
        final List<BenchmarkSamples> candidate;
        if (baselineRounds.isEmpty())
        {
            baseline = List.of();
            candidate = List.of();
        }
        else
        {
            final Path baselineDir = request.outDir().resolve(BASELINE);
            final Path candidateDir = request.outDir().resolve(CANDIDATE);
            MergedRunWriter.write(baselineDir, baselineRounds, metadata(request, BASELINE, baselineLabel,
                request.settings().baselineJvmArgs(), sharedMetadata));
            MergedRunWriter.write(candidateDir, candidateRounds, metadata(request, CANDIDATE, request.candidateLabel(),
                request.settings().candidateJvmArgs(), sharedMetadata));
            baseline = JmhSamplesReader.read(baselineDir);
            candidate = JmhSamplesReader.read(candidateDir);
        }
        final GateResult judged = GateJudge.judge(baselineLabel, baseline, request.candidateLabel(), candidate, true, design, true,
            request.gate(), request.accepted());
        final List<String> notes = new ArrayList<>();
        if (!request.settings().candidateJvmArgs().isEmpty() || !request.settings().baselineJvmArgs().isEmpty())
        {
            notes.add("Extra JVM arguments: baseline " + request.settings().baselineJvmArgs() + ", candidate " +
                request.settings().candidateJvmArgs() + ".");
        }
        notes.add(String.format(Locale.ROOT, "Measured in %s; 1-minute load average %s at the start, %s at the end.",
            Format.duration(measured.seconds), sharedMetadata.get("loadAverage1mStart"), sharedMetadata.get("loadAverage1mEnd")));
        final GateResult result = judged.with(findings, notes);
        GateSummaryWriter.write(request.outDir(), result);
        return result;
    }

    /** What the rounds gave: JMH entries per benchmark and side, round by round, and the failures. */
    private static final class Measurements
    {
        final Map<String, List<JsonNode>> baseline = new LinkedHashMap<>();
        final Map<String, List<JsonNode>> candidate = new LinkedHashMap<>();
        final Set<String> failed = new HashSet<>();
        final List<Finding> findings = new ArrayList<>();
        double seconds;

        boolean complete(final PlannedBenchmark unit)
        {
            return !failed.contains(unit.key());
        }
    }

    private static Measurements measure(final Request request, final List<PlannedBenchmark> units, final Path baselineJar,
        final Path candidateJar, final Path scratch, final ForkRunner runner, final PrintWriter console)
        throws IOException, InterruptedException, GateException
    {
        final AbSettings settings = request.settings();
        final Measurements measured = new Measurements();
        units.forEach(u ->
        {
            measured.baseline.put(u.key(), new ArrayList<>());
            measured.candidate.put(u.key(), new ArrayList<>());
        });
        final Path log = request.outDir().resolve("jmh-output.txt");
        final long startNanos = System.nanoTime();
        double forkSecondsTotal = 0;
        int forksDone = 0;
        final int forksPlanned = 2 * units.size() * settings.rounds();
        for (int round = 1; round <= settings.rounds(); round++)
        {
            for (final PlannedBenchmark unit : units)
            {
                if (!measured.complete(unit))
                {
                    continue;
                }
                final boolean baselineFirst = round % 2 == 1;
                final String[] order = baselineFirst ? new String[] {BASELINE, CANDIDATE} : new String[] {CANDIDATE, BASELINE};
                for (final String side : order)
                {
                    final boolean isBaseline = BASELINE.equals(side);
                    final ForkOutcome outcome = runner.run(new ForkRequest(side, round, unit, isBaseline ? baselineJar : candidateJar,
                        isBaseline ? settings.baselineJvmArgs() : settings.candidateJvmArgs(), settings,
                        scratch.resolve("round-" + round + "-" + side + ".json"), log));
                    forkSecondsTotal += outcome.seconds();
                    forksDone++;
                    if (!outcome.succeeded())
                    {
                        final String detail = side + " fork of round " + round + ": " + outcome.problem();
                        measured.failed.add(unit.key());
                        measured.findings.add(isBaseline ?
                            new Finding(Finding.Kind.NOT_COMPARED, label(unit), detail + "; the baseline fails, not compared") :
                            new Finding(Finding.Kind.FAILED, label(unit), detail));
                        console.println("[round " + round + "/" + settings.rounds() + "] " + label(unit) + ": " + detail);
                        break;
                    }
                    (isBaseline ? measured.baseline : measured.candidate).get(unit.key()).add(outcome.entry());
                }
                if (measured.complete(unit))
                {
                    final List<JsonNode> b = measured.baseline.get(unit.key());
                    final List<JsonNode> c = measured.candidate.get(unit.key());
                    final double baselineScore = b.get(b.size() - 1).path("primaryMetric").path("score").asDouble();
                    final double candidateScore = c.get(c.size() - 1).path("primaryMetric").path("score").asDouble();
                    final double slowdown = "thrpt".equals(unit.mode()) ? baselineScore / candidateScore - 1 : candidateScore / baselineScore - 1;
                    final int remaining = forksPlanned - forksDone;
                    console.printf(Locale.ROOT, "[round %d/%d] %s: baseline %s, candidate %s %s (%s); about %s left%n", round,
                        settings.rounds(), label(unit), Format.number(baselineScore), Format.number(candidateScore),
                        b.get(0).path("primaryMetric").path("scoreUnit").asText(""), GateFormat.percent(slowdown),
                        Format.duration(remaining * forkSecondsTotal / forksDone));
                }
                console.flush();
            }
        }
        measured.seconds = (System.nanoTime() - startNanos) / 1e9;
        return measured;
    }

    private static void printPlan(final Request request, final String baselineLabel, final List<PlannedBenchmark> units,
        final PrintWriter console)
    {
        final AbSettings settings = request.settings();
        final double forkSeconds = units.stream().mapToDouble(u -> settings.forkSeconds(u.mode())).sum() * 2 * settings.rounds();
        final double buildSeconds = request.baselineJar() != null ? 0 : BUILD_ESTIMATE_SECONDS;
        console.println("gate A/B: baseline " + baselineLabel + (request.baselineJar() != null ? "" : ", built in a temporary git worktree") +
            "; candidate " + request.candidateLabel());
        console.printf(Locale.ROOT, "%d %s x %d rounds, one fork per side per round, order A B, B A, ...: %d forks of %s, -prof gc%n",
            units.size(), units.size() == 1 ? "benchmark" : "benchmarks", settings.rounds(), 2 * units.size() * settings.rounds(),
            settings.describeFork());
        for (final PlannedBenchmark unit : units)
        {
            console.printf(Locale.ROOT, "  %-70s %s per round%n", label(unit), Format.duration(2 * settings.forkSeconds(unit.mode())));
        }
        console.printf(Locale.ROOT, "estimated time: %s = %d s (forks %s, %.1f s of start-up each assumed%s)%n",
            Format.duration(forkSeconds + buildSeconds), Math.round(forkSeconds + buildSeconds), Format.duration(forkSeconds),
            AbSettings.FORK_OVERHEAD_SECONDS, buildSeconds > 0 ? "; building the baseline about " + Format.duration(buildSeconds) : "");
        if (!settings.baselineJvmArgs().isEmpty() || !settings.candidateJvmArgs().isEmpty())
        {
            console.println("extra JVM arguments: baseline " + settings.baselineJvmArgs() + ", candidate " + settings.candidateJvmArgs());
        }
        console.println("into: " + request.outDir());
        console.flush();
    }

    private static Map<String, Object> metadata(final Request request, final String side, final String label,
        final List<String> jvmArgs, final Map<String, Object> shared)
    {
        final Map<String, Object> metadata = new LinkedHashMap<>();
        final RunMetadata machine = RunMetadata.capture(request.command());
        metadata.put("timestamp", machine.timestamp());
        metadata.put("host", machine.host());
        metadata.put("cores", machine.cores());
        metadata.put("memoryBytes", machine.memoryBytes());
        metadata.put("cpuModel", machine.cpuModel());
        metadata.put("jdk", machine.jdk());
        metadata.put("gitCommit", machine.gitCommit());
        metadata.put("command", machine.command());
        metadata.put("gateSide", side);
        metadata.put("gateSideIs", label);
        metadata.put("profile", "gate A/B");
        metadata.put("profileSettings", request.settings().rounds() + " rounds (one fork each), " + request.settings().describeFork());
        metadata.put("jvmArgs", jvmArgs);
        metadata.putAll(shared);
        metadata.put("status", "finished");
        return metadata;
    }

    /** A/B output goes into a fresh folder: the gate reads it back as two runs. */
    private static void checkOutDir(final Path dir) throws GateException, IOException
    {
        if (!Files.isDirectory(dir))
        {
            return;
        }
        try (Stream<Path> files = Files.list(dir))
        {
            if (files.findAny().isPresent())
            {
                throw new GateException("--out " + dir + " is not empty: the A/B gate writes into a new folder");
            }
        }
    }

    static String label(final PlannedBenchmark unit)
    {
        return BenchmarkSamples.shortName(unit.benchmark()) + " " + unit.mode() +
            (unit.params().isEmpty() ? "" : " " + BenchmarkSamples.paramsLabel(unit.params()));
    }

    private static void deleteQuietly(final Path dir)
    {
        try
        {
            deleteRecursively(dir);
        }
        catch (final IOException ex)
        {
            // the JVM is stopping: nothing left to tell
        }
    }

    private static void deleteRecursively(final Path dir) throws IOException
    {
        if (!Files.exists(dir))
        {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir))
        {
            for (final Path path : paths.sorted(Comparator.reverseOrder()).toList())
            {
                Files.deleteIfExists(path);
            }
        }
    }
}
