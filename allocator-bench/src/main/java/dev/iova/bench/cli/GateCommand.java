package dev.iova.bench.cli;

import dev.iova.bench.gate.AbGate;
import dev.iova.bench.gate.AbSettings;
import dev.iova.bench.gate.AcceptedTradeoffs;
import dev.iova.bench.gate.BenchmarkSamples;
import dev.iova.bench.gate.GateException;
import dev.iova.bench.gate.GateJudge;
import dev.iova.bench.gate.GateResult;
import dev.iova.bench.gate.GateSettings;
import dev.iova.bench.gate.GateSummaryWriter;
import dev.iova.bench.gate.GitRevisionBuilder;
import dev.iova.bench.gate.JmhForkRunner;
import dev.iova.bench.gate.JmhSamplesReader;
import dev.iova.bench.gate.RunEnvironment;
import dev.iova.bench.gate.UnusableBaselineException;
import org.openjdk.jmh.runner.options.TimeValue;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import java.util.stream.Stream;

/**
 * {@code gate}: the performance regression gate. Two forms:
 *
 * <pre>
 * gate --baseline RUN --candidate RUN [--paired]          # two runs (folders or JMH JSON files)
 * gate --ab REV [--suite REGEX]... [--rounds N] [--dry-run]   # builds REV, runs both jars interleaved
 * </pre>
 *
 * It judges every benchmark in both (a hierarchical bootstrap interval and a minimum effect), runs
 * the exact gates (allocation ~0 stays ~0, no benchmark disappears or fails), applies the accepted
 * trade-offs, prints a Markdown summary and writes it with a chart and JSON. Exit codes: 0 no
 * regression, 1 a regression, 2 the inputs cannot be compared or the command line is wrong (one
 * sentence on standard error). See {@code docs/gate.md}.
 */
@Command(
    name = "gate",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
        "The performance regression gate: compares a candidate with a baseline benchmark by benchmark (hierarchical bootstrap " +
            "interval and a minimum effect), plus exact gates (allocation ~0 stays ~0; no benchmark missing or failing).",
        "Two runs: gate --baseline RUN --candidate RUN (run folders or JMH JSON files).",
        "A/B: gate --ab REV builds REV in a temporary git worktree and runs its jar and the working tree's, forks interleaved.",
        "Exit codes: 0 no regression, 1 regression, 2 inputs cannot be compared (one sentence on standard error)."})
final class GateCommand implements Callable<Integer>
{
    /** The A/B gate's default benchmarks: the two hot paths of the alloc+free pair. */
    static final String DEFAULT_SUITE = "AllocFreePairBenchmark\\.(cached|tree)$";

    @Spec
    private CommandSpec spec;

    @Option(names = "--baseline", paramLabel = "RUN", description = "The baseline: a run folder or a JMH JSON file.")
    private Path baseline;

    @Option(names = "--candidate", paramLabel = "RUN", description = "The candidate: a run folder or a JMH JSON file.")
    private Path candidate;

    @Option(names = "--paired", description = "Two runs written by the A/B gate: fork i of both is round i (paired ratios).")
    private boolean paired;

    @Option(names = "--exact-only", description = "Two runs: run the exact gates only, not the timing (runs from different machines).")
    private boolean exactOnly;

    @Option(names = "--allow-different-machines",
        description = "Two runs: judge timing even when their CPU model, cores, JDK or JVM arguments differ (the summary says so at its top).")
    private boolean allowDifferentMachines;

    @Option(names = "--ab", paramLabel = "REV", description = "A/B mode: build git revision REV as the baseline, the working tree's jar is the candidate.")
    private String abRevision;

    @Option(names = "--baseline-jar", paramLabel = "JAR", description = "A/B mode with a prebuilt baseline jar instead of --ab REV.")
    private Path baselineJar;

    @Option(names = "--candidate-jar", paramLabel = "JAR",
        description = "A/B mode: the candidate's jar (default: allocator-bench/target/allocator-bench.jar of the working tree).")
    private Path candidateJar;

    @Option(names = "--suite", paramLabel = "REGEX",
        description = "A/B mode: benchmarks whose fully qualified name contains a match (repeatable; default: ${DEFAULT-VALUE}).",
        defaultValue = DEFAULT_SUITE)
    private List<String> suites;

    @Option(names = "--mode", paramLabel = "MODE", description = "A/B mode: only these modes (thrpt, avgt, sample, ss; repeatable; default: all).")
    private List<String> modes = new ArrayList<>();

    @Option(names = {"-p", "--param"}, paramLabel = "NAME=V1,V2", description = "A/B mode: parameter values instead of the suites' own (repeatable).")
    private Map<String, String> params = new LinkedHashMap<>();

    @Option(names = "--rounds", paramLabel = "N", defaultValue = "" + AbSettings.DEFAULT_ROUNDS,
        description = "A/B mode: rounds, each one fork per side (default: ${DEFAULT-VALUE}).")
    private int rounds;

    @Option(names = "--warmup-iterations", paramLabel = "N", defaultValue = "" + AbSettings.DEFAULT_WARMUP_ITERATIONS,
        description = "A/B mode: warm-up iterations per fork (default: ${DEFAULT-VALUE}).")
    private int warmupIterations;

    @Option(names = "--warmup-time", paramLabel = "TIME", defaultValue = AbSettings.DEFAULT_WARMUP_TIME,
        description = "A/B mode: length of a warm-up iteration (default: ${DEFAULT-VALUE}).")
    private String warmupTime;

    @Option(names = "--iterations", paramLabel = "N", defaultValue = "" + AbSettings.DEFAULT_ITERATIONS,
        description = "A/B mode: measurement iterations per fork (default: ${DEFAULT-VALUE}).")
    private int iterations;

    @Option(names = "--iteration-time", paramLabel = "TIME", defaultValue = AbSettings.DEFAULT_ITERATION_TIME,
        description = "A/B mode: length of a measurement iteration (default: ${DEFAULT-VALUE}).")
    private String iterationTime;

    @Option(names = "--baseline-jvm-arg", paramLabel = "ARG", description = "A/B mode: a JVM argument for the baseline's forks (repeatable).")
    private List<String> baselineJvmArgs = new ArrayList<>();

    @Option(names = "--candidate-jvm-arg", paramLabel = "ARG",
        description = "A/B mode: a JVM argument for the candidate's forks (repeatable), e.g. --candidate-jvm-arg=-Diova.bench.extraPairPercent=10.")
    private List<String> candidateJvmArgs = new ArrayList<>();

    @Option(names = "--offline", description = "A/B mode: build REV with mvn -o.")
    private boolean offline;

    @Option(names = "--skip-unusable-baseline",
        description = "A/B mode: when REV is not a commit, does not build or has none of the benchmarks, say so and exit 0.")
    private boolean skipUnusableBaseline;

    @Option(names = "--jmh-lock-wait", paramLabel = "MINUTES", defaultValue = "60",
        description = "A/B mode: how long a fork waits while another JMH run holds its lock, jmh.lock in java.io.tmpdir (default: ${DEFAULT-VALUE}).")
    private long jmhLockWaitMinutes;

    @Option(names = "--dry-run", description = "A/B mode: print the plan and the estimated time; build and run nothing.")
    private boolean dryRun;

    @Option(names = "--confidence", paramLabel = "PERCENT", defaultValue = "99",
        description = "Family-wise confidence over all benchmarks, Bonferroni-split (default: ${DEFAULT-VALUE}).")
    private double confidencePercent;

    @Option(names = "--min-effect", paramLabel = "PERCENT", defaultValue = "10",
        description = "The smallest slowdown that counts as a regression (default: ${DEFAULT-VALUE}).")
    private double minEffectPercent;

    @Option(names = "--resamples", paramLabel = "N", defaultValue = "" + GateSettings.DEFAULT_RESAMPLES,
        description = "Bootstrap resamples per benchmark (default: ${DEFAULT-VALUE}).")
    private int resamples;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "" + GateSettings.DEFAULT_SEED,
        description = "The bootstrap's random seed (default: ${DEFAULT-VALUE}).")
    private long seed;

    @Option(names = "--alloc-threshold", paramLabel = "BYTES", defaultValue = "1",
        description = "gc.alloc.rate.norm at or below which a benchmark allocates nothing, B/op (default: ${DEFAULT-VALUE}).")
    private double allocThresholdBytesPerOp;

    @Option(names = "--accepted", paramLabel = "FILE",
        description = "The accepted trade-offs (default: accepted-tradeoffs.json at the repository's root, when present).")
    private Path acceptedFile;

    @Option(names = "--out", paramLabel = "DIR",
        description = "Where gate.md, gate.json and the chart go (default: results/gate-<date>-<candidate folder's name>; A/B: results/gate-<date>-<rev>).")
    private Path out;

    @Option(names = "--json", description = "Print the JSON summary instead of the Markdown one.")
    private boolean json;

    /** The A/B gate's folder, once chosen. */
    private Path abOutDir;

    @Override
    public Integer call()
    {
        final PrintWriter stdout = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        final GateSettings settings = settings();
        final boolean abMode = abRevision != null || baselineJar != null;
        validate(abMode);
        try
        {
            final Path root = repositoryRoot();
            final AcceptedTradeoffs accepted = accepted(root);
            GateResult result;
            final Path outDir;
            if (abMode)
            {
                final boolean defaultCandidate = candidateJar == null;
                final Path jar = defaultCandidate ? root.resolve("allocator-bench/target/allocator-bench.jar") : candidateJar;
                if (defaultCandidate && !dryRun)
                {
                    checkFresh(root, jar);
                }
                outDir = abOutDir();
                final AbGate.Request request = new AbGate.Request(abRevision, baselineJar, jar,
                    defaultCandidate ? "the working tree (" + Path.of("").toAbsolutePath().relativize(jar) + ")" : jar.toString(),
                    suites, modes, paramValues(), abSettings(), settings, accepted, outDir, dryRun, CliFolders.commandLine(spec));
                final JmhForkRunner forks = new JmhForkRunner(jmhLockWaitMinutes * 60, notice ->
                {
                    stdout.println(notice);
                    stdout.flush();
                });
                result = AbGate.run(request, new GitRevisionBuilder(Path.of("."), offline), forks, stdout);
                if (result == null)
                {
                    return GateResult.PASS;
                }
            }
            else
            {
                final List<BenchmarkSamples> baselineSamples = JmhSamplesReader.read(baseline);
                final List<BenchmarkSamples> candidateSamples = JmhSamplesReader.read(candidate);
                // Paired runs come from one A/B job, whose sides may be given different JVM arguments on purpose.
                final List<String> differences = RunEnvironment.of(baseline).differences(RunEnvironment.of(candidate), !paired);
                final String machines = "the baseline and the candidate were measured on different machines (" +
                    String.join("; ", differences) + ")";
                if (!differences.isEmpty() && !exactOnly && !allowDifferentMachines)
                {
                    return refuse(err, machines + ", so their timings cannot be compared: give --exact-only for the exact gates, " +
                        "or --allow-different-machines to judge timing anyway");
                }
                result = GateJudge.judge(baseline.toString(), baselineSamples, candidate.toString(), candidateSamples, paired,
                    paired ? "paired (fork i of both runs is pair i)" : "two runs (unpaired): forks of each run resampled on their own",
                    !exactOnly, settings, accepted);
                if (!differences.isEmpty())
                {
                    final String sentence = "Timing " + (exactOnly ? "not judged: " : "judged although (--allow-different-machines) ") +
                        machines + ".";
                    result = result.withCaution(Character.toUpperCase(sentence.charAt(0)) + sentence.substring(1));
                }
                outDir = out != null ? out : CliFolders.defaultFolder("gate-", folderLabel(candidate));
                GateSummaryWriter.write(outDir, result);
            }
            stdout.print(json ? GateSummaryWriter.json(result) + "\n" : GateSummaryWriter.markdown(result));
            stdout.println("gate summary: " + outDir.resolve(GateSummaryWriter.MARKDOWN_FILE));
            stdout.flush();
            return result.exitCode();
        }
        catch (final UnusableBaselineException ex)
        {
            if (skipUnusableBaseline)
            {
                stdout.println("allocator-bench gate: timing gate skipped: " + ex.getMessage());
                try
                {
                    stdout.println("gate summary: " + GateSummaryWriter.writeSkipped(abOutDir(), ex.getMessage()));
                }
                catch (final IOException writeFailure)
                {
                    return refuse(err, "the timing gate was skipped (" + ex.getMessage() + ") and its gate.md cannot be written: " +
                        Main.reasonOf(writeFailure));
                }
                stdout.flush();
                return GateResult.PASS;
            }
            return refuse(err, ex.getMessage());
        }
        catch (final GateException ex)
        {
            return refuse(err, ex.getMessage());
        }
        catch (final IOException ex)
        {
            return refuse(err, (ex instanceof FileSystemException fs && fs.getFile() != null ? fs.getFile() + ": " : "") +
                Main.reasonOf(ex));
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return refuse(err, "interrupted");
        }
        catch (final RuntimeException ex)
        {
            // exit code 1 means "regression" here: anything unexpected is "cannot compare", not a verdict
            return refuse(err, "unexpected " + ex.getClass().getName() + (ex.getMessage() != null ? ": " + ex.getMessage() : ""));
        }
    }

    private static int refuse(final PrintWriter err, final String sentence)
    {
        err.println("allocator-bench gate: " + sentence);
        err.flush();
        return GateResult.NOT_COMPARABLE;
    }

    private void validate(final boolean abMode)
    {
        if (abRevision != null && baselineJar != null)
        {
            throw usage("--ab and --baseline-jar both name the baseline: give one");
        }
        if (abMode && (baseline != null || candidate != null))
        {
            throw usage("--baseline and --candidate compare two runs; --ab (or --baseline-jar) measures two jars: give one form");
        }
        if (!abMode && (baseline == null || candidate == null))
        {
            throw usage("give --baseline RUN and --candidate RUN (two runs), or --ab REV (A/B)");
        }
        if (!abMode && (candidateJar != null || dryRun || !candidateJvmArgs.isEmpty() || !baselineJvmArgs.isEmpty()))
        {
            throw usage("--candidate-jar, --dry-run and the --*-jvm-arg options belong to the A/B form (--ab REV)");
        }
        if (abMode && allowDifferentMachines)
        {
            throw usage("--allow-different-machines is for two runs; the A/B gate runs both sides on this machine");
        }
        if (abMode && exactOnly)
        {
            throw usage("--exact-only is for two runs; the A/B gate always judges timing");
        }
        if (abMode && paired)
        {
            throw usage("--paired is for two runs that the A/B gate wrote; the A/B form is always paired");
        }
        for (final String suite : suites)
        {
            try
            {
                Pattern.compile(suite);
            }
            catch (final PatternSyntaxException ex)
            {
                throw usage("--suite '" + suite + "' is not a regular expression: " + ex.getDescription());
            }
        }
        for (final String mode : modes)
        {
            if (!List.of("thrpt", "avgt", "sample", "ss").contains(mode))
            {
                throw usage("--mode " + mode + " is not a mode: thrpt, avgt, sample or ss");
            }
        }
        params.forEach((name, values) ->
        {
            if (name.isEmpty() || values.isEmpty() || Arrays.stream(values.split(",", -1)).anyMatch(String::isEmpty))
            {
                throw usage("-p wants NAME=V1,V2,... (got '" + name + "=" + values + "')");
            }
        });
        if (rounds < 2)
        {
            throw usage("--rounds " + rounds + ": at least 2 (the rounds are the pairs the gate judges)");
        }
        if (iterations < 1 || warmupIterations < 0)
        {
            throw usage("--iterations must be at least 1 and --warmup-iterations at least 0");
        }
    }

    private GateSettings settings()
    {
        if (!(confidencePercent > 0 && confidencePercent < 100))
        {
            throw usage("--confidence " + confidencePercent + " must be a percentage between 0 and 100, e.g. 99");
        }
        if (!(minEffectPercent > 0 && minEffectPercent < 1000))
        {
            throw usage("--min-effect " + minEffectPercent + " must be a positive percentage, e.g. 10");
        }
        if (resamples < 100)
        {
            throw usage("--resamples " + resamples + " must be at least 100");
        }
        if (!(allocThresholdBytesPerOp >= 0))
        {
            throw usage("--alloc-threshold " + allocThresholdBytesPerOp + " must be at least 0");
        }
        return new GateSettings(confidencePercent / 100, minEffectPercent / 100, resamples, seed, allocThresholdBytesPerOp);
    }

    private AbSettings abSettings()
    {
        return new AbSettings(rounds, warmupIterations, time("--warmup-time", warmupTime), iterations,
            time("--iteration-time", iterationTime), baselineJvmArgs, candidateJvmArgs);
    }

    private TimeValue time(final String option, final String value)
    {
        try
        {
            final TimeValue time = TimeValue.fromString(value);
            if (time.convertTo(TimeUnit.NANOSECONDS) <= 0)
            {
                throw new IllegalArgumentException("not positive");
            }
            return time;
        }
        catch (final RuntimeException ex)
        {
            throw usage(option + " '" + value + "' is not a duration such as 500ms or 1s");
        }
    }

    private Map<String, List<String>> paramValues()
    {
        final Map<String, List<String>> values = new LinkedHashMap<>();
        params.forEach((name, list) -> values.put(name, List.of(list.split(","))));
        return values;
    }

    private AcceptedTradeoffs accepted(final Path root) throws GateException
    {
        if (acceptedFile != null)
        {
            return AcceptedTradeoffs.read(acceptedFile);
        }
        final Path file = root.resolve(AcceptedTradeoffs.DEFAULT_FILE);
        return Files.isRegularFile(file) ? AcceptedTradeoffs.read(file) : AcceptedTradeoffs.none();
    }

    /**
     * The A/B gate's candidate is the working tree's jar: refuse it when a source or pom of the
     * modules in it changed after it was built, or the candidate would not be the working tree.
     */
    private static void checkFresh(final Path root, final Path jar) throws GateException, IOException
    {
        if (!Files.isRegularFile(jar))
        {
            throw new GateException(jar + ": no such jar: build the working tree first (mvn -B -q package -DskipTests), " +
                "or give --candidate-jar");
        }
        final FileTime built = Files.getLastModifiedTime(jar);
        final List<Path> sources = new ArrayList<>(List.of(root.resolve("pom.xml"), root.resolve("allocator-core/pom.xml"),
            root.resolve("allocator-bench/pom.xml")));
        for (final String module : List.of("allocator-core/src", "allocator-bench/src"))
        {
            final Path dir = root.resolve(module);
            if (Files.isDirectory(dir))
            {
                try (Stream<Path> files = Files.walk(dir))
                {
                    sources.addAll(files.filter(Files::isRegularFile).toList());
                }
            }
        }
        for (final Path source : sources)
        {
            if (Files.isRegularFile(source) && Files.getLastModifiedTime(source).compareTo(built) > 0)
            {
                throw new GateException(jar + " is older than " + root.relativize(source) +
                    ": rebuild it (mvn -B -q package -DskipTests) so that the candidate is the working tree, or give --candidate-jar");
            }
        }
    }

    /** @return the git repository's root of the current directory, or the current directory outside git; absolute. */
    private static Path repositoryRoot()
    {
        try
        {
            final Process process = new ProcessBuilder("git", "rev-parse", "--show-toplevel").redirectErrorStream(true).start();
            final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (process.waitFor(30, TimeUnit.SECONDS) && process.exitValue() == 0 && !output.isEmpty())
            {
                return Path.of(output).toAbsolutePath().normalize();
            }
        }
        catch (final IOException ex)
        {
            // no git: the current directory
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        return Path.of("").toAbsolutePath();
    }

    /** @return where the A/B gate writes: {@code --out}, or results/gate-&lt;date&gt;-&lt;rev&gt;, chosen once per command. */
    private Path abOutDir()
    {
        if (abOutDir == null)
        {
            abOutDir = out != null ? out : CliFolders.defaultFolder("gate-", abRevision != null ? abRevision : "jars");
        }
        return abOutDir;
    }

    /** @return the name of the candidate's run folder (or of the folder holding its JSON file), for the gate's folder. */
    private static String folderLabel(final Path run)
    {
        final Path absolute = run.toAbsolutePath().normalize();
        final Path folder = Files.isDirectory(absolute) ? absolute : absolute.getParent();
        return folder != null && folder.getFileName() != null ? folder.getFileName().toString() : "run";
    }

    private ParameterException usage(final String message)
    {
        return new ParameterException(spec.commandLine(), message);
    }
}
