package dev.iova.bench.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iova.bench.report.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openjdk.jmh.runner.BenchmarkList;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Real JMH runs through {@code run}, with the quick profile: one benchmark of the jar's suites (the
 * first method that JMH runs as a single benchmark: one mode, one parameter set), about 7 s, whose
 * run folder is checked end to end (JSON with {@code -prof gc}, metadata, report); and the
 * single-shot fill suite on its fastest target, about 3 s, whose JSON shows the raised warm-up.
 * The run ignores JMH's machine-wide lock ({@code /tmp/jmh.lock}): this test checks the folder,
 * not timings, and must not fail because another JMH run (a benchmark run beside the build) holds it.
 */
class RunSmokeTest
{
    /** JMH's switch to run while another JMH instance holds its lock file. */
    private static final String JMH_IGNORE_LOCK = "jmh.ignoreLock";

    @TempDir
    Path tempDir;

    @Test
    void runShouldWriteJsonMetadataAndReportIntoTheFolder() throws Exception
    {
        final BenchmarkPlan plan = BenchmarkPlan.of(BenchmarkPlan.select(BenchmarkList.defaultList(), ".*", null),
            Profile.QUICK, Map.of());
        final List<PlannedBenchmark> all = plan.benchmarks();
        final Map<String, Long> perMethod = all.stream().collect(Collectors.groupingBy(PlannedBenchmark::benchmark, Collectors.counting()));
        final Optional<PlannedBenchmark> single = all.stream().filter(b -> perMethod.get(b.benchmark()) == 1).findFirst();
        assumeTrue(single.isPresent(), "no method of the suites runs as a single benchmark");
        final Path dir = tempDir.resolve("smoke");

        final Fixtures.Cli cli = runIgnoringJmhLock("run", "--include", "^" + Pattern.quote(single.get().benchmark()) + "$",
            "--out", dir.toString());

        assertEquals(0, cli.exitCode(), cli.err());
        assertTrue(cli.out().startsWith("run: 1 benchmark in 1 suite, profile quick"), cli.out());
        assertTrue(cli.out().contains("report: " + dir.resolve("report.md")), cli.out());
        final ObjectMapper mapper = new ObjectMapper();
        final Path json;
        try (var files = Files.list(dir))
        {
            json = files.filter(f -> f.toString().endsWith(".json") && !f.endsWith("metadata.json")).findFirst().orElseThrow();
        }
        final JsonNode result = mapper.readTree(json.toFile()).get(0);
        assertEquals(single.get().benchmark(), result.get("benchmark").asText());
        assertEquals(1, result.get("forks").asInt());
        assertEquals(3, result.get("measurementIterations").asInt());
        assertEquals(Profile.QUICK.warmupIterations(plan.isSingleShotSuite(single.get().className())),
            result.get("warmupIterations").asInt());
        assertTrue(result.get("secondaryMetrics").has("gc.alloc.rate.norm"), "-prof gc");
        assertTrue(result.get("jvmArgs").toString().contains(BenchmarkRun.ADD_EXPORTS), result.get("jvmArgs").toString());

        final JsonNode metadata = mapper.readTree(dir.resolve("metadata.json").toFile());
        assertEquals("quick", metadata.get("profile").asText());
        assertEquals("finished", metadata.get("status").asText());
        assertTrue(metadata.has("loadAverage1mStart") && metadata.has("loadAverage1mEnd"), metadata.toString());
        assertTrue(Files.readString(dir.resolve(BenchmarkRun.OUTPUT_FILE)).contains("# run progress [1/1] "));
        assertTrue(Files.readString(dir.resolve("report.md")).contains("| profile | `quick`: 1 fork, 2 × 1 s warm-up, 3 × 1 s measurement; single-shot suites 5 warm-up shots |"));
    }

    @Test
    void aSuiteOfSingleShotBenchmarksShouldWarmUpWithFiveShots() throws Exception
    {
        final Path dir = tempDir.resolve("fill");

        final Fixtures.Cli cli = runIgnoringJmhLock("run", "--include", "TreeFillBenchmark", "-p", "target=tree-linear-walk",
            "--out", dir.toString());

        assertEquals(0, cli.exitCode(), cli.err());
        final JsonNode result = new ObjectMapper().readTree(dir.resolve("tree-fill.json").toFile()).get(0);
        assertEquals("ss", result.get("mode").asText());
        assertEquals(5, result.get("warmupIterations").asInt(), "the quick profile's 2, raised for a single-shot suite");
        assertEquals(3, result.get("measurementIterations").asInt());
    }

    /** {@code allocator-bench} with these arguments, JMH's machine-wide lock ignored for the call. */
    private static Fixtures.Cli runIgnoringJmhLock(final String... args)
    {
        final String ignoreLock = System.getProperty(JMH_IGNORE_LOCK);
        System.setProperty(JMH_IGNORE_LOCK, "true");
        try
        {
            return Fixtures.cli(args);
        }
        finally
        {
            if (ignoreLock == null)
            {
                System.clearProperty(JMH_IGNORE_LOCK);
            }
            else
            {
                System.setProperty(JMH_IGNORE_LOCK, ignoreLock);
            }
        }
    }
}
