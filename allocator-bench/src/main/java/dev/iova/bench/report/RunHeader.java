package dev.iova.bench.report;

import dev.iova.bench.results.LatencyPercentiles;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What a report says about where its figures come from: machine, JDK, commit, profile, load,
 * command, from {@code metadata.json} and from the JMH JSON itself.
 */
final class RunHeader
{
    private static final String NOT_RECORDED = "not recorded";

    private RunHeader()
    {
    }

    /**
     * @param run a run.
     * @return label and value pairs, in the order a reader wants them.
     */
    static List<String[]> rows(final RunResults run)
    {
        final List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"folder", "`" + run.name() + "`"});
        rows.add(new String[] {"machine", machine(run)});
        rows.add(new String[] {"JDK", or(run.meta("jdk"), distinct(run, r -> r.jdk()))});
        rows.add(new String[] {"JMH", distinct(run, r -> r.jmhVersion())});
        rows.add(new String[] {"commit", commit(run.meta("gitCommit"))});
        rows.add(new String[] {"profile", profile(run)});
        rows.add(new String[] {"measured with", distinct(run, BenchmarkResult::settings)});
        if (run.meta("include") != null)
        {
            rows.add(new String[] {"include", "`" + run.meta("include") + "`"});
        }
        if (run.metadata().get("params") instanceof Map<?, ?> params && !params.isEmpty())
        {
            rows.add(new String[] {"params", params.entrySet().stream()
                .map(e -> "`" + e.getKey() + "=" + String.join(",", ((List<?>)e.getValue()).stream().map(String::valueOf).toList()) + "`")
                .collect(Collectors.joining(" "))});
        }
        if (run.meta("status") != null && !"finished".equals(run.meta("status")))
        {
            rows.add(new String[] {"status", run.meta("status") +
                ("running".equals(run.meta("status")) ? " (the run was interrupted, or is still going)" : "")});
        }
        if (run.metadata().get("failed") instanceof List<?> failed && !failed.isEmpty())
        {
            rows.add(new String[] {"failed", failed.stream().map(f -> "`" + f + "`").collect(Collectors.joining(", ")) +
                " (no result; `jmh-output.txt` says why)"});
        }
        rows.add(new String[] {"load", load(run)});
        rows.add(new String[] {"started", or(run.meta("timestamp"), NOT_RECORDED)});
        if (run.meta("elapsedSeconds") != null)
        {
            rows.add(new String[] {"took", Format.duration(Double.parseDouble(run.meta("elapsedSeconds"))) +
                (run.meta("estimatedSeconds") != null ?
                    " (estimated " + Format.duration(Double.parseDouble(run.meta("estimatedSeconds"))) + ")" : "")});
        }
        rows.add(new String[] {"command", run.meta("command") != null ? "`" + run.meta("command") + "`" : NOT_RECORDED});
        rows.add(new String[] {"files", String.join(", ", run.jmhFiles()) +
            (run.latency().isEmpty() ? "" : ", " + LatencyPercentiles.FILE) +
            (run.metadata().isEmpty() ? " (no metadata.json)" : ", metadata.json")});
        return rows;
    }

    private static String machine(final RunResults run)
    {
        if (run.meta("host") == null)
        {
            return NOT_RECORDED + " (no metadata.json)";
        }
        final StringBuilder out = new StringBuilder("`").append(run.meta("host")).append("`: ")
            .append(or(run.meta("cpuModel"), "CPU unknown"));
        if (run.meta("cores") != null)
        {
            out.append(", ").append(run.meta("cores")).append(" cores");
        }
        if (run.meta("memoryBytes") != null)
        {
            final double bytes = Double.parseDouble(run.meta("memoryBytes"));
            if (bytes > 0)
            {
                out.append(String.format(Locale.ROOT, ", %.1f GiB", bytes / (1L << 30)));
            }
        }
        return out.toString();
    }

    private static String commit(final String commit)
    {
        if (commit == null)
        {
            return NOT_RECORDED;
        }
        final boolean dirty = commit.endsWith("-dirty");
        final String hash = dirty ? commit.substring(0, commit.length() - "-dirty".length()) : commit;
        return "`" + (hash.length() > 12 ? hash.substring(0, 12) : hash) + "`" +
            (dirty ? " with uncommitted changes" : "");
    }

    private static String profile(final RunResults run)
    {
        final String profile = run.meta("profile");
        if (profile == null)
        {
            return NOT_RECORDED + " (made before `run` existed, or by hand)";
        }
        final String settings = run.meta("profileSettings");
        return "`" + profile + "`" + (settings != null ? ": " + settings : "");
    }

    private static String load(final RunResults run)
    {
        final String start = run.meta("loadAverage1mStart");
        final String end = run.meta("loadAverage1mEnd");
        if (start == null && end == null)
        {
            return NOT_RECORDED;
        }
        return "1-minute load average " + or(start, "?") + " at the start, " + or(end, "?") + " at the end" +
            (run.meta("cores") != null ? " (" + run.meta("cores") + " cores)" : "");
    }

    private static String distinct(final RunResults run, final java.util.function.Function<BenchmarkResult, String> field)
    {
        final Set<String> values = new LinkedHashSet<>();
        run.results().forEach(r -> values.add(field.apply(r)));
        return String.join("; ", values);
    }

    private static String or(final String value, final String otherwise)
    {
        return value != null ? value : otherwise;
    }
}
