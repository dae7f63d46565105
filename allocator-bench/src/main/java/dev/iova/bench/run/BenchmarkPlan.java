package dev.iova.bench.run;

import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.runner.BenchmarkList;
import org.openjdk.jmh.runner.BenchmarkListEntry;
import org.openjdk.jmh.runner.format.OutputFormat;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

import java.io.OutputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * What a run will measure, and how long it should take, before anything runs.
 *
 * <p>JMH runs every method once per mode and per combination of {@code @Param} values, each as
 * its own benchmark with its own forks; the plan lists those from the jar's
 * {@code META-INF/BenchmarkList} the same way. A benchmark's estimate is its forks times the
 * profile's warm-up and measurement time plus {@link #FORK_OVERHEAD_SECONDS} per fork; the real
 * time is longer when a suite's trial set-up is slow (filling a tree with a million ranges),
 * which {@link Progress} corrects for as the run goes.
 */
public final class BenchmarkPlan
{
    /**
     * Seconds a fork takes beyond its iterations: starting the JVM, loading the benchmark, the
     * trial's set-up and tear-down, JMH's own reporting. Measured at 1 to 2 s on a 2-core VM.
     */
    public static final double FORK_OVERHEAD_SECONDS = 1.5;

    /** Seconds assumed per single-shot iteration, whose length the plan cannot know. */
    public static final double SINGLE_SHOT_ITERATION_SECONDS = 0.1;

    private static final List<Mode> ALL_MODES = List.of(Mode.Throughput, Mode.AverageTime, Mode.SampleTime, Mode.SingleShotTime);

    private final List<PlannedBenchmark> benchmarks;
    private final Set<String> singleShotSuites;

    private BenchmarkPlan(final List<PlannedBenchmark> benchmarks, final Set<String> singleShotSuites)
    {
        this.benchmarks = Collections.unmodifiableList(benchmarks);
        this.singleShotSuites = Set.copyOf(singleShotSuites);
    }

    /**
     * @param list    the benchmark list, {@link BenchmarkList#defaultList()} for the jar's.
     * @param include a regular expression that JMH finds in the methods' names, as JMH's own.
     * @param exclude a regular expression for methods to leave out, or null.
     * @return the list's entries it selects, in JMH's order.
     */
    public static List<BenchmarkListEntry> select(final BenchmarkList list, final String include, final String exclude)
    {
        final OutputFormat silent = OutputFormatFactory.createFormatInstance(
            new PrintStream(OutputStream.nullOutputStream()), VerboseMode.SILENT);
        return new ArrayList<>(list.find(silent, List.of(include), exclude == null ? List.of() : List.of(exclude)));
    }

    /**
     * Benchmarks that {@code run} leaves out when no {@code --include} is given, a regular
     * expression: diagnostics that no target reads, run on purpose by naming them
     * ({@code docs/running-benchmarks.md}). They keep the quick profile under ten minutes.
     */
    public static final String DIAGNOSTICS =
        "CachedPairFloorBenchmark|CachedCrossThreadFreeBenchmark\\.crossThreadTrusted|" +
        "AllocFreePairBenchmark\\.(?:cachedOutOfLine|treeViaFastApiCachesOff)|FragmentedSpaceBenchmark\\.requestAbove4GiB";

    /**
     * What {@code run} measures: {@link #select}, and without {@link #DIAGNOSTICS} when
     * {@code include} is {@code .*} (every suite, the default).
     *
     * @param list    the benchmark list.
     * @param include a regular expression that JMH finds in the methods' names.
     * @param exclude a regular expression for methods to leave out, or null.
     * @return the list's entries it selects, in JMH's order.
     */
    public static List<BenchmarkListEntry> selectForRun(final BenchmarkList list, final String include, final String exclude)
    {
        if (!".*".equals(include))
        {
            return select(list, include, exclude);
        }
        return select(list, include, exclude == null ? DIAGNOSTICS : "(?:" + exclude + ")|" + DIAGNOSTICS);
    }

    /**
     * @param entries        the selected entries of a benchmark list.
     * @param profile        the profile the run uses.
     * @param paramOverrides parameter values given on the command line, by name; they replace
     *                       the suites' values for the suites that have that parameter.
     * @return the plan: every benchmark with its estimate.
     */
    public static BenchmarkPlan of(final Collection<BenchmarkListEntry> entries, final Profile profile,
        final Map<String, List<String>> paramOverrides)
    {
        final List<PlannedBenchmark> benchmarks = new ArrayList<>();
        final Map<String, Boolean> singleShotSuites = new LinkedHashMap<>();
        for (final BenchmarkListEntry entry : entries)
        {
            singleShotSuites.merge(suiteOf(entry), entry.getMode() == Mode.SingleShotTime, Boolean::logicalAnd);
        }
        for (final BenchmarkListEntry entry : entries)
        {
            final List<Mode> modes = entry.getMode() == Mode.All ? ALL_MODES : List.of(entry.getMode());
            final int forks = profile.forks() + entry.getWarmupForks().orElse(0);
            final int threads = entry.getThreads().orElse(1);
            final int warmupIterations = profile.warmupIterations(singleShotSuites.get(suiteOf(entry)));
            for (final Mode mode : modes)
            {
                final double perFork = FORK_OVERHEAD_SECONDS +
                    iterationSeconds(mode, warmupIterations, profile.warmupTime()) +
                    iterationSeconds(mode, profile.measurementIterations(), profile.measurementTime());
                for (final Map<String, String> params : combinations(entry, paramOverrides))
                {
                    benchmarks.add(new PlannedBenchmark(entry.getUsername(), mode.shortLabel(), threads, params, forks,
                        forks * perFork));
                }
            }
        }
        // JMH's list is sorted by mode first; a run goes suite by suite, so the plan does too
        final Map<String, List<PlannedBenchmark>> bySuite = new LinkedHashMap<>();
        benchmarks.forEach(b -> bySuite.computeIfAbsent(b.className(), k -> new ArrayList<>()).add(b));
        final Set<String> singleShot = new HashSet<>();
        for (final Map.Entry<String, Boolean> suite : singleShotSuites.entrySet())
        {
            if (suite.getValue())
            {
                singleShot.add(suite.getKey());
            }
        }
        return new BenchmarkPlan(bySuite.values().stream().flatMap(List::stream).toList(), singleShot);
    }

    /** @return the suite (class, fully qualified) of a benchmark method. */
    private static String suiteOf(final BenchmarkListEntry entry)
    {
        final String name = entry.getUsername();
        return name.substring(0, name.lastIndexOf('.'));
    }

    /**
     * @param suite a suite's class, fully qualified ({@link PlannedBenchmark#className()}).
     * @return whether every benchmark of it is single-shot: the suite then warms up with
     *         {@link Profile#warmupIterations(boolean)} of {@code true}, in the estimate and the run.
     */
    public boolean isSingleShotSuite(final String suite)
    {
        return singleShotSuites.contains(suite);
    }

    /** @return every benchmark, suite by suite, in the order JMH runs them within a suite. */
    public List<PlannedBenchmark> benchmarks()
    {
        return benchmarks;
    }

    /** @return the number of benchmarks. */
    public int size()
    {
        return benchmarks.size();
    }

    /** @return the estimated time of the whole run, in seconds. */
    public double estimatedSeconds()
    {
        return benchmarks.stream().mapToDouble(PlannedBenchmark::estimatedSeconds).sum();
    }

    /** @return the benchmarks by class, fully qualified, in the plan's order. */
    public Map<String, List<PlannedBenchmark>> bySuite()
    {
        final Map<String, List<PlannedBenchmark>> bySuite = new LinkedHashMap<>();
        benchmarks.forEach(b -> bySuite.computeIfAbsent(b.className(), k -> new ArrayList<>()).add(b));
        return bySuite;
    }

    private static double iterationSeconds(final Mode mode, final int iterations, final TimeValue time)
    {
        if (mode == Mode.SingleShotTime)
        {
            return iterations * SINGLE_SHOT_ITERATION_SECONDS;
        }
        return iterations * (time.convertTo(TimeUnit.MILLISECONDS) / 1000.0);
    }

    /** Every combination of the entry's parameter values, names sorted, as JMH expands them. */
    private static List<Map<String, String>> combinations(final BenchmarkListEntry entry, final Map<String, List<String>> overrides)
    {
        List<Map<String, String>> combinations = new ArrayList<>();
        combinations.add(new TreeMap<>());
        if (!entry.getParams().hasValue())
        {
            return combinations;
        }
        final Map<String, String[]> params = new TreeMap<>(entry.getParams().get());
        for (final Map.Entry<String, String[]> param : params.entrySet())
        {
            final List<String> values = overrides.containsKey(param.getKey()) ?
                overrides.get(param.getKey()) : List.of(param.getValue());
            final List<Map<String, String>> next = new ArrayList<>();
            for (final Map<String, String> partial : combinations)
            {
                for (final String value : values)
                {
                    final Map<String, String> combination = new TreeMap<>(partial);
                    combination.put(param.getKey(), value);
                    next.add(combination);
                }
            }
            combinations = next;
        }
        return combinations;
    }
}
