package dev.iova.bench.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Writes {@code report.md} for one run, with its charts in {@code charts/} beside it.
 *
 * <p>First the run's header (machine, JDK, commit, profile, load), then the targets
 * judged ({@link Targets}), then single operations' latency percentiles ({@link LatencySection}).
 * Then per benchmark class: a table of every result (method, mode, threads, each parameter, score
 * ± error, unit, heap bytes per operation); then, per mode, a bar chart of the methods, a line
 * chart against each numeric parameter that takes two or more values, and a chart against
 * threads for methods that differ only by {@code @Threads}.
 */
public final class ReportWriter
{
    /** The parameter by which a suite runs ours against the baselines: the bar charts' series. */
    static final String TARGET_PARAM = "target";

    /** The report's file name in the run folder. */
    public static final String REPORT_FILE = "report.md";
    /** The folder beside the report that holds its charts. */
    public static final String CHARTS_DIR = "charts";

    /** {@code cached2Threads} and {@code cached} are one method at two thread counts. */
    private static final Pattern THREADS_SUFFIX = Pattern.compile("_?\\d+Threads?$");

    private ReportWriter()
    {
    }

    /**
     * @param run a loaded run.
     * @return the report written, {@code run.dir()/report.md}.
     * @throws IOException when a file cannot be written.
     */
    public static Path write(final RunResults run) throws IOException
    {
        return write(run, ChartFormat.PNG);
    }

    /**
     * @param run    a loaded run.
     * @param format the charts' file format.
     * @return the report written, {@code run.dir()/report.md}.
     * @throws IOException when a file cannot be written.
     */
    public static Path write(final RunResults run, final ChartFormat format) throws IOException
    {
        final StringBuilder md = new StringBuilder();
        md.append("# Benchmark report: ").append(run.name()).append("\n\n");
        header(md, RunHeader.rows(run));
        md.append("Scores are JMH's: the mean over every measurement iteration of every fork, ± half the width of its " +
            "99.9% confidence interval (drawn as error bars). `thrpt` is operations per time (higher is better; with " +
            "several threads, the sum over them), `avgt` time per operation (lower is better; per thread). B/op is " +
            "`gc.alloc.rate.norm`, heap bytes allocated per operation (`-prof gc`). Units are scaled per table for " +
            "reading; the JSON keeps JMH's.\n\n");
        if (!run.skipped().isEmpty())
        {
            md.append("Not JMH results, left out: ").append(String.join(", ", run.skipped())).append(".\n\n");
        }
        targets(md, Targets.evaluate(run.results()));
        LatencySection.write(md, run, format);

        final Map<String, List<BenchmarkResult>> byClass = byClass(run.results());
        final Map<String, String> slugs = slugs(byClass.keySet());
        for (final Map.Entry<String, List<BenchmarkResult>> entry : byClass.entrySet())
        {
            classSection(md, run.dir(), slugs.get(entry.getKey()), entry.getKey(), entry.getValue(), format);
        }
        final Path report = run.dir().resolve(REPORT_FILE);
        Files.writeString(report, md.toString(), StandardCharsets.UTF_8);
        return report;
    }

    static void header(final StringBuilder md, final List<String[]> rows)
    {
        md.append("| | |\n|---|---|\n");
        for (final String[] row : rows)
        {
            md.append("| ").append(row[0]).append(" | ").append(cell(row[1])).append(" |\n");
        }
        md.append('\n');
    }

    /**
     * The targets of the benchmark issue, judged from this run: figures, ratio, threshold, verdict.
     *
     * @param md       the report so far.
     * @param outcomes {@link Targets#evaluate}'s.
     */
    static void targets(final StringBuilder md, final List<Target.Outcome> outcomes)
    {
        md.append("## Targets\n\n");
        md.append("The targets of the benchmark issue, judged from this run alone (`dev.iova.bench.report.Targets` " +
            "defines them). The ratio is of JMH's scores (the means); the verdict also says whether it stands at the " +
            "ends of the 99.9% confidence intervals that are worst for it (for \"A at least N times B\": A's lower end " +
            "over B's upper end). NOT MEASURED: the run lacks a benchmark the target needs.\n\n");
        md.append("| target | figures | ratio | threshold | verdict |\n|---|---|---:|---|---|\n");
        for (final Target.Outcome outcome : outcomes)
        {
            md.append("| ").append(cell(outcome.target().name())).append(" | ").append(cell(outcome.figures())).append(" | ")
                .append(cell(outcome.value())).append(" | ").append(outcome.threshold()).append(" | ")
                .append(cell(outcome.verdictText())).append(" |\n");
        }
        md.append('\n').append(summary(outcomes)).append(".\n\n");
    }

    /**
     * @param outcomes targets judged.
     * @return "6 hold (4 also at the CI bounds), 3 missed, 1 not measured".
     */
    public static String summary(final List<Target.Outcome> outcomes)
    {
        final long holds = outcomes.stream().filter(o -> o.verdict() == Target.Verdict.HOLDS).count();
        final long holdsAtBounds = outcomes.stream().filter(o -> o.verdict() == Target.Verdict.HOLDS && o.atBounds()).count();
        final long missed = outcomes.stream().filter(o -> o.verdict() == Target.Verdict.MISSED).count();
        final long missedAtBounds = outcomes.stream().filter(o -> o.verdict() == Target.Verdict.MISSED && o.atBounds()).count();
        return holds + " of " + outcomes.size() + " targets hold (" + holdsAtBounds + " also at the CI bounds), " + missed +
            " missed (" + missedAtBounds + " also at the CI bounds), " + (outcomes.size() - holds - missed) + " not measured";
    }

    private static void classSection(final StringBuilder md, final Path dir, final String slug, final String className,
        final List<BenchmarkResult> results, final ChartFormat format) throws IOException
    {
        final String simpleName = results.get(0).simpleClassName();
        md.append("## ").append(simpleName).append("\n\n`").append(className).append("`, ")
            .append(results.size()).append(results.size() == 1 ? " result" : " results").append(".\n\n");

        final List<String> paramNames = paramNames(results);
        md.append("| method | mode | threads |");
        paramNames.forEach(p -> md.append(' ').append(p).append(" |"));
        md.append(" score | ± error | unit | B/op |\n|---|---|---:|");
        paramNames.forEach(p -> md.append("---:|"));
        md.append("---:|---:|---|---:|\n");
        final Map<String, List<BenchmarkResult>> groups = byModeAndUnit(results);
        for (final List<BenchmarkResult> group : groups.values())
        {
            final Units.Scale scale = scaleOf(group);
            for (final BenchmarkResult r : group)
            {
                md.append("| ").append(cell(r.method())).append(" | ").append(r.mode()).append(" | ").append(r.threads()).append(" |");
                paramNames.forEach(p -> md.append(' ').append(cell(r.params().getOrDefault(p, "–"))).append(" |"));
                md.append(' ').append(Format.number(scale.apply(r.score()))).append(" | ")
                    .append(Format.error(scale.apply(r.scoreError()), scale.apply(r.score()))).append(" | ")
                    .append(scale.label()).append(" | ").append(Format.bytesPerOp(r.allocBytesPerOp())).append(" |\n");
            }
        }
        md.append('\n');

        for (final Map.Entry<String, List<BenchmarkResult>> group : groups.entrySet())
        {
            final String groupSlug = slug + "-" + group.getKey();
            charts(md, dir, groupSlug, simpleName, group.getValue(), format);
        }
    }

    private static void charts(final StringBuilder md, final Path dir, final String slug, final String simpleName,
        final List<BenchmarkResult> group, final ChartFormat format) throws IOException
    {
        final Units.Scale scale = scaleOf(group);
        final String mode = group.get(0).mode();
        final String better = group.get(0).higherIsBetter() ? "higher is better" : "lower is better";

        // bars: one category per method (with its thread count when one method ran at several, and its
        // parameters but the target); one series per target (ours and the baselines, when the suite
        // compares them), so that every series has a bar in (nearly) every category
        final Set<String> severalThreads = new java.util.HashSet<>();
        group.stream().collect(java.util.stream.Collectors.groupingBy(BenchmarkResult::method,
                java.util.stream.Collectors.mapping(BenchmarkResult::threads, java.util.stream.Collectors.toSet())))
            .forEach((method, threads) ->
            {
                if (threads.size() > 1)
                {
                    severalThreads.add(method);
                }
            });
        final boolean byTarget = group.stream().allMatch(r -> r.params().containsKey(TARGET_PARAM)) &&
            group.stream().map(r -> r.params().get(TARGET_PARAM)).distinct().count() > 1;
        final java.util.function.Function<BenchmarkResult, String> category = r ->
        {
            final StringBuilder label = new StringBuilder(r.method());
            if (severalThreads.contains(r.method()))
            {
                label.append(", ").append(r.threads()).append(" threads");
            }
            r.params().forEach((name, value) ->
            {
                if (!(byTarget && TARGET_PARAM.equals(name)))
                {
                    label.append(", ").append(name).append('=').append(value);
                }
            });
            return label.toString();
        };
        final java.util.function.Function<BenchmarkResult, String> seriesOf = r -> byTarget ? r.params().get(TARGET_PARAM) : mode;
        final List<String> categories = new ArrayList<>(new LinkedHashSet<>(group.stream().map(category).toList()));
        final List<String> seriesNames = new ArrayList<>(new LinkedHashSet<>(group.stream().map(seriesOf).toList()));
        final List<Charts.Series> bars = new ArrayList<>();
        for (final String name : seriesNames)
        {
            final double[] values = nans(categories.size());
            final double[] errors = nans(categories.size());
            for (final BenchmarkResult r : group)
            {
                if (seriesOf.apply(r).equals(name))
                {
                    final int i = categories.indexOf(category.apply(r));
                    values[i] = scale.apply(r.score());
                    errors[i] = scale.apply(r.scoreError());
                }
            }
            bars.add(new Charts.Series(name, categories, values, errors));
        }
        final String barsFile = slug + "." + format.extension();
        Charts.bars(dir.resolve(CHARTS_DIR).resolve(barsFile), simpleName + ", " + mode + " (" + better + ")",
            scale.label(), categories, bars);
        image(md, simpleName + ", " + mode, barsFile);

        // lines: the score against each numeric parameter with two or more values
        for (final String param : paramNames(group))
        {
            final List<Double> xs = numericValues(group, param);
            if (xs.size() < 2)
            {
                continue;
            }
            final Map<String, double[][]> series = new LinkedHashMap<>();
            for (final BenchmarkResult r : group)
            {
                if (r.params().get(param) == null)
                {
                    continue; // a method of the class that does not take this parameter
                }
                final String name = r.method() + othersLabel(r, param);
                final double[][] points = series.computeIfAbsent(name, k -> new double[][] {nans(xs.size()), nans(xs.size())});
                final int i = xs.indexOf(Double.parseDouble(r.params().get(param)));
                points[0][i] = scale.apply(r.score());
                points[1][i] = scale.apply(r.scoreError());
            }
            final List<Charts.Series> lines = new ArrayList<>();
            series.forEach((name, points) -> lines.add(new Charts.Series(name, xs, points[0], points[1])));
            final boolean logX = xs.get(0) > 0 && xs.get(xs.size() - 1) / xs.get(0) >= 100;
            final String file = slug + "-by-" + param + "." + format.extension();
            Charts.lines(dir.resolve(CHARTS_DIR).resolve(file), simpleName + ", " + mode + " against " + param + " (" + better + ")",
                param + (logX ? " (log scale)" : ""), scale.label(), logX, lines);
            image(md, simpleName + ", " + mode + " against " + param, file);
        }

        // threads: methods that differ only by @Threads (cached, cached2Threads, cached4Threads)
        final Map<String, Map<Integer, BenchmarkResult>> byBase = new LinkedHashMap<>();
        for (final BenchmarkResult r : group)
        {
            byBase.computeIfAbsent(THREADS_SUFFIX.matcher(r.method()).replaceFirst("") + seriesSuffix(r), k -> new HashMap<>())
                .putIfAbsent(r.threads(), r);
        }
        byBase.values().removeIf(perThreads -> perThreads.size() < 2);
        if (!byBase.isEmpty())
        {
            final List<Integer> threads = new ArrayList<>(new TreeSet<>(byBase.values().stream()
                .flatMap(m -> m.keySet().stream()).toList()));
            final List<Charts.Series> lines = new ArrayList<>();
            byBase.forEach((name, perThreads) ->
            {
                final double[] values = nans(threads.size());
                final double[] errors = nans(threads.size());
                perThreads.forEach((t, r) ->
                {
                    values[threads.indexOf(t)] = scale.apply(r.score());
                    errors[threads.indexOf(t)] = scale.apply(r.scoreError());
                });
                lines.add(new Charts.Series(name, threads, values, errors));
            });
            final String what = group.get(0).higherIsBetter() ? "throughput against threads (sum over threads)" :
                mode + " against threads (per thread)";
            final String file = slug + "-by-threads." + format.extension();
            Charts.lines(dir.resolve(CHARTS_DIR).resolve(file), simpleName + ", " + what, "threads", scale.label(), false, lines);
            image(md, simpleName + ", " + what, file);
        }
    }

    private static void image(final StringBuilder md, final String alt, final String file)
    {
        md.append("![").append(alt).append("](").append(CHARTS_DIR).append('/').append(file).append(")\n\n");
    }

    private static String seriesSuffix(final BenchmarkResult r)
    {
        return r.params().isEmpty() ? "" : " (" + r.paramsLabel() + ")";
    }

    private static String othersLabel(final BenchmarkResult r, final String param)
    {
        final StringBuilder out = new StringBuilder();
        r.params().forEach((k, v) ->
        {
            if (!k.equals(param))
            {
                out.append(out.length() == 0 ? " (" : ", ").append(k).append('=').append(v);
            }
        });
        return out.length() == 0 ? "" : out.append(')').toString();
    }

    static Map<String, List<BenchmarkResult>> byClass(final List<BenchmarkResult> results)
    {
        final Map<String, List<BenchmarkResult>> byClass = new LinkedHashMap<>();
        results.forEach(r -> byClass.computeIfAbsent(r.className(), k -> new ArrayList<>()).add(r));
        return byClass;
    }

    /** Results of one mode share a unit unless methods chose different {@code @OutputTimeUnit}s. */
    static Map<String, List<BenchmarkResult>> byModeAndUnit(final List<BenchmarkResult> results)
    {
        final Map<String, Integer> unitsPerMode = new HashMap<>();
        final Map<String, List<BenchmarkResult>> groups = new LinkedHashMap<>();
        results.stream().map(r -> r.mode() + " " + r.unit()).distinct()
            .forEach(key -> unitsPerMode.merge(key.substring(0, key.indexOf(' ')), 1, Integer::sum));
        for (final BenchmarkResult r : results)
        {
            final String key = unitsPerMode.get(r.mode()) > 1 ? r.mode() + "-" + r.unit().replace('/', '-') : r.mode();
            groups.computeIfAbsent(key, k -> new ArrayList<>()).add(r);
        }
        return groups;
    }

    static Units.Scale scaleOf(final List<BenchmarkResult> group)
    {
        return Units.readable(group.get(0).unit(), group.stream().mapToDouble(BenchmarkResult::score).toArray());
    }

    static List<String> paramNames(final List<BenchmarkResult> results)
    {
        final Set<String> names = new LinkedHashSet<>();
        results.forEach(r -> names.addAll(r.params().keySet()));
        return new ArrayList<>(names);
    }

    /** @return the parameter's distinct values, sorted, when all are numbers; empty otherwise. */
    private static List<Double> numericValues(final List<BenchmarkResult> group, final String param)
    {
        final TreeSet<Double> values = new TreeSet<>();
        for (final BenchmarkResult r : group)
        {
            final String value = r.params().get(param);
            if (value == null)
            {
                continue;
            }
            try
            {
                values.add(Double.parseDouble(value));
            }
            catch (final NumberFormatException ex)
            {
                return List.of();
            }
        }
        return new ArrayList<>(values);
    }

    /**
     * @param classNames fully qualified benchmark classes.
     * @return a file-name stem for each: the simple name in kebab case without "Benchmark"
     *         ({@code alloc-free-pair}), or the package too when two classes share a simple name.
     */
    public static Map<String, String> slugs(final Set<String> classNames)
    {
        final Map<String, Integer> simpleCount = new HashMap<>();
        classNames.forEach(c -> simpleCount.merge(simple(c), 1, Integer::sum));
        final Map<String, String> slugs = new LinkedHashMap<>();
        for (final String className : classNames)
        {
            final String name = simpleCount.get(simple(className)) > 1 ? className.replace("dev.iova.bench.", "") : simple(className);
            slugs.put(className, kebab(name));
        }
        return slugs;
    }

    /**
     * @param name a class name such as {@code AllocFreePairBenchmark} or {@code jmh.AllocFreePairBenchmark}.
     * @return {@code alloc-free-pair}, {@code jmh-alloc-free-pair}.
     */
    public static String kebab(final String name)
    {
        final String stem = name.endsWith("Benchmark") && name.length() > "Benchmark".length() ?
            name.substring(0, name.length() - "Benchmark".length()) : name;
        return stem.replaceAll("([a-z0-9])([A-Z])", "$1-$2").replace('.', '-').replace('$', '-').toLowerCase(Locale.ROOT);
    }

    private static String simple(final String className)
    {
        return className.substring(className.lastIndexOf('.') + 1);
    }

    private static double[] nans(final int length)
    {
        final double[] values = new double[length];
        java.util.Arrays.fill(values, Double.NaN);
        return values;
    }

    static String cell(final String text)
    {
        return text.replace("|", "\\|").replace("\n", " ");
    }
}
