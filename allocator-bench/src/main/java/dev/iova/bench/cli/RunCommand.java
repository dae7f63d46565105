package dev.iova.bench.cli;

import dev.iova.bench.report.Format;
import dev.iova.bench.report.ReportException;
import dev.iova.bench.report.ReportWriter;
import dev.iova.bench.report.RunResults;
import dev.iova.bench.report.Target;
import dev.iova.bench.report.Targets;
import dev.iova.bench.results.RunMetadata;
import dev.iova.bench.run.BenchmarkPlan;
import dev.iova.bench.run.BenchmarkRun;
import dev.iova.bench.run.PlannedBenchmark;
import dev.iova.bench.run.Profile;
import dev.iova.bench.trace.kernel.FileTraceWorkload;
import org.openjdk.jmh.runner.BenchmarkList;
import org.openjdk.jmh.runner.BenchmarkListEntry;
import org.openjdk.jmh.runner.RunnerException;
import picocli.CommandLine.Command;
import picocli.CommandLine.ExitCode;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import java.util.stream.Collectors;

/**
 * {@code run [--profile quick|full] [--include REGEX] [--exclude REGEX] [-p NAME=V1,V2] [--label L | --out DIR] [--dry-run] [--no-report]}:
 * runs the JMH suites in the jar with a profile and {@code -prof gc}, writes one JMH JSON per
 * suite, JMH's output and {@code metadata.json} into {@code results/<date>-<host-or-label>/},
 * then the report ({@code report.md} and its charts) into the same folder.
 *
 * <p>It says what it will run and how long that should take before it starts, and prints a
 * progress line (n of N, time so far, time left) before each benchmark. Exit code 0 when every
 * benchmark gave a result, 1 when some failed (JMH printed why; the others are kept), 2 for a
 * bad command line or an include regex that selects nothing.
 */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description = {
        "Runs the JMH suites (with -prof gc) and writes JMH JSON, JMH's output, metadata.json and report.md " +
            "into results/<date>-<host-or-label>/.",
        "Profiles: quick (1 fork, 2 x 1 s warm-up, 3 x 1 s measurement) and full (3 forks, 3 x 2 s warm-up, " +
            "5 x 2 s measurement, for publication); a suite of single-shot benchmarks warms up with at least 5 shots."})
final class RunCommand implements Callable<Integer>
{
    private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9._-]+");

    @Spec
    private CommandSpec spec;

    @Option(names = "--profile", paramLabel = "quick|full", defaultValue = "quick", converter = ProfileConverter.class,
        description = "How long to measure (default: ${DEFAULT-VALUE}).")
    private Profile profile;

    @Option(names = "--include", paramLabel = "REGEX", defaultValue = ".*",
        description = "Benchmarks whose fully qualified method name contains a match, as JMH's own (default: all but the " +
            "diagnostics " + BenchmarkPlan.DIAGNOSTICS + ").")
    private String include;

    @Option(names = "--exclude", paramLabel = "REGEX", description = "Benchmarks to leave out.")
    private String exclude;

    @Option(names = {"-p", "--param"}, paramLabel = "NAME=V1,V2",
        description = "Parameter values instead of the suites' own, e.g. -p liveRanges=1000,1000000 (repeatable).")
    private Map<String, String> params = new LinkedHashMap<>();

    @Option(names = "--trace", paramLabel = "FILE",
        description = "Replay this trace file (e.g. from import) in the trace suite instead of the generated shapes: " +
            "-p shape=file:FILE, and --include TraceReplayBenchmark unless --include is given.")
    private Path traceFile;

    @Option(names = "--label", paramLabel = "LABEL",
        description = "Name the folder results/<date>-LABEL instead of results/<date>-<host>.")
    private String label;

    @Option(names = "--out", paramLabel = "DIR", description = "Write into DIR instead of results/<date>-<host-or-label>.")
    private Path out;

    @Option(names = "--dry-run", description = "Print what would run and how long it should take; run nothing.")
    private boolean dryRun;

    @Option(names = "--no-report", description = "Do not write report.md at the end (run `report DIR` later).")
    private boolean noReport;

    @Option(names = "--jmh-output", description = "Print JMH's own output on the console too (it always goes to the run folder's jmh-output.txt).")
    private boolean jmhOutput;

    @Override
    public Integer call() throws IOException, RunnerException
    {
        final PrintWriter stdout = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        validate();
        if (traceFile != null)
        {
            useTraceFile();
        }
        final Map<String, List<String>> paramValues = new LinkedHashMap<>();
        params.forEach((name, values) -> paramValues.put(name, List.of(values.split(","))));

        final List<BenchmarkListEntry> selected;
        try
        {
            selected = BenchmarkPlan.selectForRun(BenchmarkList.defaultList(), include, exclude);
        }
        catch (final RuntimeException ex)
        {
            err.println("allocator-bench run: cannot read the benchmark list (META-INF/BenchmarkList) of this jar: " +
                ex.getMessage() + "; build it with mvn package");
            return ExitCode.SOFTWARE;
        }
        if (selected.isEmpty())
        {
            throw new ParameterException(spec.commandLine(), "no benchmark matches --include '" + include + "'" +
                (exclude != null ? " and --exclude '" + exclude + "'" : "") + "; the suites are " +
                BenchmarkPlan.select(BenchmarkList.defaultList(), ".*", null).stream()
                    .map(e -> e.getUserClassQName().substring(e.getUserClassQName().lastIndexOf('.') + 1))
                    .distinct().collect(Collectors.joining(", ")));
        }
        final BenchmarkPlan plan = BenchmarkPlan.of(selected, profile, paramValues);
        final String command = CliFolders.commandLine(spec);
        final Path dir = out != null ? out : CliFolders.defaultFolder("", label != null ? label : RunMetadata.capture(command).hostLabel());
        final List<String> earlier = jsonFilesIn(dir);
        if (!earlier.isEmpty())
        {
            // a report reads every JSON of its folder: two runs in one folder would read as one
            throw new ParameterException(spec.commandLine(), "--out " + dir + " already holds a run (" +
                String.join(", ", earlier) + "); choose another folder or empty it");
        }

        stdout.printf(Locale.ROOT, "run: %d %s in %d %s, profile %s (%s), -prof gc%n", plan.size(),
            plan.size() == 1 ? "benchmark" : "benchmarks", plan.bySuite().size(), plan.bySuite().size() == 1 ? "suite" : "suites",
            profile.label(), profile.describe());
        stdout.printf(Locale.ROOT, "estimated time: %s (%.1f s of start-up per fork assumed; slow trial set-ups add more)%n",
            Format.duration(plan.estimatedSeconds()), BenchmarkPlan.FORK_OVERHEAD_SECONDS);
        stdout.println("into: " + dir + " (JMH's output: " + dir.resolve(BenchmarkRun.OUTPUT_FILE) + ")");
        for (final Map.Entry<String, List<PlannedBenchmark>> suite : plan.bySuite().entrySet())
        {
            final List<PlannedBenchmark> benchmarks = suite.getValue();
            stdout.printf(Locale.ROOT, "  %-40s %3d %s, about %s%n", suite.getKey().substring(suite.getKey().lastIndexOf('.') + 1),
                benchmarks.size(), benchmarks.size() == 1 ? "benchmark " : "benchmarks",
                Format.duration(benchmarks.stream().mapToDouble(PlannedBenchmark::estimatedSeconds).sum()));
        }
        if (dryRun)
        {
            for (final PlannedBenchmark benchmark : plan.benchmarks())
            {
                stdout.printf(Locale.ROOT, "  %-70s %s%n", benchmark.label(), Format.duration(benchmark.estimatedSeconds()));
            }
            stdout.flush();
            return ExitCode.OK;
        }
        stdout.flush();

        final BenchmarkRun.Outcome outcome = BenchmarkRun.execute(plan, profile, include, paramValues, command, dir, System.out,
            jmhOutput);
        System.out.flush();
        stdout.printf(Locale.ROOT, "%nrun finished in %s (estimated %s): %s, metadata.json and %s in %s%n",
            Format.duration(outcome.elapsedSeconds()), Format.duration(plan.estimatedSeconds()),
            outcome.jsonFiles().stream().map(p -> p.getFileName().toString()).collect(Collectors.joining(", ")),
            BenchmarkRun.OUTPUT_FILE, dir);
        if (!noReport && !outcome.jsonFiles().isEmpty())
        {
            try
            {
                final RunResults results = RunResults.load(dir);
                stdout.println("report: " + ReportWriter.write(results));
                printTargets(stdout, Targets.evaluate(results.results()));
            }
            catch (final ReportException ex)
            {
                err.println("allocator-bench run: no report: " + ex.getMessage());
            }
        }
        stdout.flush();
        if (!outcome.missing().isEmpty())
        {
            err.println("allocator-bench run: " + outcome.missing().size() + " of " + plan.size() +
                " benchmarks gave no result (JMH's output in " + dir.resolve(BenchmarkRun.OUTPUT_FILE) + " says why): " +
                outcome.missing().stream().map(PlannedBenchmark::label).collect(Collectors.joining("; ")));
            err.flush();
            return ExitCode.SOFTWARE;
        }
        return ExitCode.OK;
    }

    /**
     * The targets' verdicts, one line each, after the run; a quick profile's are indicative only.
     */
    private void printTargets(final PrintWriter stdout, final List<Target.Outcome> outcomes)
    {
        if (outcomes.stream().allMatch(o -> o.verdict() == Target.Verdict.NOT_MEASURED))
        {
            return;
        }
        stdout.println();
        stdout.println(profile == Profile.FULL ? "targets (profile full):" :
            "targets (profile " + profile.label() + ", " + profile.describe() + ": indicative only; publication uses --profile full):");
        for (final Target.Outcome outcome : outcomes)
        {
            stdout.printf(Locale.ROOT, "  %-12s %s: %s (%s)%n", outcome.verdict().label(), outcome.target().name(),
                outcome.value(), outcome.threshold());
        }
        stdout.println("  " + ReportWriter.summary(outcomes));
    }

    /** {@code --trace FILE}: the trace suite's {@code shape} parameter names the file, by its absolute path (forks run elsewhere). */
    private void useTraceFile()
    {
        if (params.containsKey("shape"))
        {
            throw new ParameterException(spec.commandLine(), "--trace and -p shape=... both choose the trace: give one");
        }
        final Path absolute = traceFile.toAbsolutePath();
        if (!Files.isReadable(absolute))
        {
            throw new ParameterException(spec.commandLine(), "--trace " + traceFile + ": no readable file there");
        }
        if (absolute.toString().contains(","))
        {
            throw new ParameterException(spec.commandLine(), "--trace " + traceFile + ": a path with a comma cannot be a JMH parameter value");
        }
        params.put("shape", FileTraceWorkload.SHAPE_PREFIX + absolute);
        if (".*".equals(include))
        {
            include = "TraceReplayBenchmark";
        }
    }

    private void validate()
    {
        for (final String[] regex : new String[][] {{"--include", include}, {"--exclude", exclude}})
        {
            if (regex[1] == null)
            {
                continue;
            }
            try
            {
                Pattern.compile(regex[1]);
            }
            catch (final PatternSyntaxException ex)
            {
                throw new ParameterException(spec.commandLine(), regex[0] + " '" + regex[1] + "' is not a regular expression: " +
                    ex.getDescription());
            }
        }
        if (label != null && out != null)
        {
            throw new ParameterException(spec.commandLine(), "--label and --out both name the folder: give one");
        }
        if (label != null && !LABEL.matcher(label).matches())
        {
            throw new ParameterException(spec.commandLine(), "--label '" + label + "' must be letters, digits, '.', '_' or '-'");
        }
        params.forEach((name, values) ->
        {
            if (name.isEmpty() || values.isEmpty() || Arrays.stream(values.split(",", -1)).anyMatch(String::isEmpty))
            {
                throw new ParameterException(spec.commandLine(), "-p wants NAME=V1,V2,... (got '" + name + "=" + values + "')");
            }
        });
    }

    private static List<String> jsonFilesIn(final Path dir) throws IOException
    {
        if (!Files.isDirectory(dir))
        {
            return List.of();
        }
        try (java.util.stream.Stream<Path> files = Files.list(dir))
        {
            return files.map(f -> f.getFileName().toString()).filter(name -> name.endsWith(".json")).sorted().toList();
        }
    }

    /** Reads --profile with {@link Profile#parse(String)}, whose message names the profiles there are. */
    static final class ProfileConverter implements ITypeConverter<Profile>
    {
        @Override
        public Profile convert(final String value)
        {
            try
            {
                return Profile.parse(value);
            }
            catch (final IllegalArgumentException ex)
            {
                throw new TypeConversionException(ex.getMessage());
            }
        }
    }
}
