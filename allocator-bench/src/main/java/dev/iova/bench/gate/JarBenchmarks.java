package dev.iova.bench.gate;

import dev.iova.bench.run.BenchmarkPlan;
import dev.iova.bench.run.PlannedBenchmark;
import dev.iova.bench.run.Profile;
import org.openjdk.jmh.runner.BenchmarkList;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * The benchmarks a jar holds, from its {@code META-INF/BenchmarkList} (written by JMH's annotation
 * processor), selected as {@code run} selects them: by regular expressions found in the fully
 * qualified method name, expanded into one benchmark per mode and parameter set, then filtered
 * by mode.
 */
public final class JarBenchmarks
{
    private JarBenchmarks()
    {
    }

    /**
     * @param jar    an {@code allocator-bench.jar}.
     * @param suites regular expressions; a benchmark is selected when one is found in its name.
     * @param modes  the modes to keep ({@code avgt}, ...); empty for all.
     * @param params parameter values replacing the suites' own, by name.
     * @return the selected benchmarks, in JMH's order within each suite.
     * @throws GateException when the jar is missing or has no benchmark list.
     */
    public static List<PlannedBenchmark> select(final Path jar, final List<String> suites, final List<String> modes,
        final Map<String, List<String>> params) throws GateException
    {
        final String include = suites.stream().map(s -> "(?:" + s + ")").collect(Collectors.joining("|"));
        return BenchmarkPlan.of(BenchmarkPlan.select(list(jar), include, null), Profile.QUICK, params).benchmarks().stream()
            .filter(b -> modes.isEmpty() || modes.contains(b.mode())).toList();
    }

    /**
     * @param jar an {@code allocator-bench.jar}.
     * @return its benchmark list.
     * @throws GateException when the jar is missing, unreadable or has no benchmark list.
     */
    static BenchmarkList list(final Path jar) throws GateException
    {
        if (!Files.isRegularFile(jar))
        {
            throw new GateException(jar + ": no such jar");
        }
        try (ZipFile zip = new ZipFile(jar.toFile()))
        {
            final ZipEntry entry = zip.getEntry(BenchmarkList.BENCHMARK_LIST.substring(1));
            if (entry == null)
            {
                throw new GateException(jar + " has no " + BenchmarkList.BENCHMARK_LIST.substring(1) +
                    ": not a jar of JMH suites (build it with mvn package)");
            }
            try (InputStream in = zip.getInputStream(entry))
            {
                return BenchmarkList.fromString(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
        }
        catch (final IOException ex)
        {
            throw new GateException(jar + " cannot be read as a jar: " + ex.getMessage());
        }
    }
}
