package dev.iova.bench.run;

import dev.iova.bench.report.Fixtures;
import dev.iova.bench.results.RunMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.BenchmarkList;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.TimeValue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The run command up to the point where JMH would start: options, plan, folder, JMH's options, metadata. */
class RunCommandTest
{
    @Test
    void dryRunShouldListTheBenchmarksAndTheEstimate()
    {
        final Fixtures.Cli cli = Fixtures.cli("run", "--profile", "full", "--include", "AllocFreePairBenchmark.cached$",
            "--label", "ci", "--dry-run");

        assertEquals(0, cli.exitCode(), cli.err());
        final List<String> lines = cli.out().lines().toList();
        assertEquals("run: 2 benchmarks in 1 suite, profile full (3 forks, 3 × 2 s warm-up, 5 × 2 s measurement; single-shot suites 5 warm-up shots), -prof gc", lines.get(0));
        assertEquals("estimated time: 1 min 45 s (1.5 s of start-up per fork assumed; slow trial set-ups add more)", lines.get(1));
        assertTrue(lines.get(2).matches("into: (results/" + LocalDate.now(ZoneOffset.UTC) + "-ci(-\\d+)?) \\(JMH's output: \\1/jmh-output.txt\\)"),
            lines.get(2));
        assertTrue(lines.get(3).trim().matches("AllocFreePairBenchmark +2 benchmarks, about 1 min 45 s"), lines.get(3));
        assertTrue(lines.get(4).trim().matches("AllocFreePairBenchmark.cached thrpt liveRanges=1000 +53 s"), lines.get(4));
        assertEquals(6, lines.size());
    }

    @Test
    void outShouldNameTheFolder()
    {
        final Fixtures.Cli cli = Fixtures.cli("run", "--include", "AllocFreePairBenchmark.tree$", "--out", "results/dry-run-target", "--dry-run");

        assertEquals(0, cli.exitCode(), cli.err());
        assertTrue(cli.out().contains("\ninto: results/dry-run-target (JMH's output: results/dry-run-target/jmh-output.txt)\n"), cli.out());
    }

    @Test
    void outShouldNotMixTwoRunsInOneFolder(@TempDir final Path tempDir) throws Exception
    {
        Files.writeString(tempDir.resolve("alloc-free-pair.json"), "[]");

        assertUsage(Fixtures.cli("run", "--include", "AllocFreePairBenchmark.tree$", "--out", tempDir.toString(), "--dry-run"),
            "--out " + tempDir + " already holds a run (alloc-free-pair.json); choose another folder or empty it");
    }

    @Test
    void badCommandLinesShouldBeOneLineAndExitCode2()
    {
        assertUsage(Fixtures.cli("run", "--include", "(", "--dry-run"), "--include '(' is not a regular expression: Unclosed group");
        assertUsage(Fixtures.cli("run", "--include", "NoSuchBenchmark", "--dry-run"), "no benchmark matches --include 'NoSuchBenchmark'");
        assertUsage(Fixtures.cli("run", "--label", "a/b", "--dry-run"), "--label 'a/b' must be letters, digits, '.', '_' or '-'");
        assertUsage(Fixtures.cli("run", "--label", "a", "--out", "b", "--dry-run"), "--label and --out both name the folder");
        assertUsage(Fixtures.cli("run", "-p", "liveRanges=1000,", "--dry-run"), "-p wants NAME=V1,V2,...");
    }

    @Test
    void paramOptionShouldMultiplyThePlan()
    {
        final Fixtures.Cli cli = Fixtures.cli("run", "--include", "AllocFreePairBenchmark.tree$", "-p", "liveRanges=1000,1000000", "--dry-run");

        assertEquals(0, cli.exitCode(), cli.err());
        assertTrue(cli.out().startsWith("run: 2 benchmarks in 1 suite"), cli.out());
        assertTrue(cli.out().contains("AllocFreePairBenchmark.tree avgt liveRanges=1000000"), cli.out());
    }

    @Test
    void forksShouldGetThePercentilesFolderRelativeToTheirWorkingDirectoryWhenUnderIt()
    {
        assertEquals(Path.of("results/r/latency-trials"),
            BenchmarkRun.forkPath(Path.of("/home/u/repo/results/r/latency-trials"), Path.of("/home/u/repo")));
        assertEquals(Path.of("/elsewhere/r/latency-trials"),
            BenchmarkRun.forkPath(Path.of("/elsewhere/r/latency-trials"), Path.of("/home/u/repo")));
    }

    @Test
    void jmhOptionsShouldCarryTheProfileGcProfilerJsonAddExportsAndThePercentilesFolder()
    {
        final Options options = BenchmarkRun.options(Profile.QUICK, Map.of("liveRanges", List.of("1000", "1000000")),
            Path.of("results/options-test/alloc-free-pair.json"), Path.of("/runs/options-test/latency-trials")).include("x").build();

        assertEquals(1, options.getForkCount().get());
        assertEquals(2, options.getWarmupIterations().get());
        assertEquals(TimeValue.seconds(1), options.getWarmupTime().get());
        assertEquals(3, options.getMeasurementIterations().get());
        assertEquals(TimeValue.seconds(1), options.getMeasurementTime().get());
        assertEquals(GCProfiler.class.getCanonicalName(), options.getProfilers().get(0).getKlass());
        assertEquals(List.of(BenchmarkRun.ADD_EXPORTS, "-Diova.bench.percentilesDir=/runs/options-test/latency-trials"),
            List.copyOf(options.getJvmArgsPrepend().get()), "every fork is told where to write latency percentiles");
        assertEquals(ResultFormatType.JSON, options.getResultFormat().get());
        assertEquals("results/options-test/alloc-free-pair.json", options.getResult().get());
        assertEquals(List.of("1000", "1000000"), List.copyOf(options.getParameter("liveRanges").get()));
    }

    @Test
    void metadataShouldExtendRunMetadataWithTheProfileAndInclude() throws Exception
    {
        final BenchmarkPlan plan = BenchmarkPlan.of(BenchmarkPlan.select(BenchmarkList.fromFile(
            Fixtures.resource("/jmh/BenchmarkList").toString()), "cached$", null), Profile.QUICK, Map.of());

        final Map<String, Object> metadata = BenchmarkRun.metadata(RunMetadata.capture("java -jar allocator-bench.jar run"),
            Profile.QUICK, "cached$", Map.of(), plan);

        for (final String field : List.of("timestamp", "host", "cores", "memoryBytes", "cpuModel", "jdk", "gitCommit", "command",
            "jmhVersion", "profile", "profileSettings", "include", "params", "benchmarks", "estimatedSeconds"))
        {
            assertTrue(metadata.containsKey(field), field + " missing from " + metadata);
        }
        assertEquals("quick", metadata.get("profile"));
        assertEquals("cached$", metadata.get("include"));
        assertEquals(2, metadata.get("benchmarks"));
        assertEquals(13L, metadata.get("estimatedSeconds"));
    }

    private static void assertUsage(final Fixtures.Cli cli, final String start)
    {
        assertEquals(2, cli.exitCode(), cli.out() + cli.err());
        assertEquals(1, cli.errLines(), cli.err());
        assertTrue(cli.err().startsWith("allocator-bench run: " + start), cli.err());
    }
}
