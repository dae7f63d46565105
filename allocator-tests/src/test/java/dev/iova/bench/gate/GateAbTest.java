package dev.iova.bench.gate;

import com.fasterxml.jackson.databind.JsonNode;
import dev.iova.bench.report.Fixtures;
import dev.iova.bench.report.RunResults;
import dev.iova.bench.run.PlannedBenchmark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openjdk.jmh.runner.options.TimeValue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The A/B gate's orchestration with a fake build and fake forks (synthetic JMH entries): the
 * rounds, the alternating order, the paired verdicts, failures on either side, missing and new
 * benchmarks, the output folders, the clean-up. No Maven, no JMH, no timing.
 */
class GateAbTest
{
    private static final List<String> TWO = List.of("AllocFreePairBenchmark\\.(cached|tree)$");

    @TempDir
    Path tempDir;

    @Test
    void roundsShouldAlternateWhichSideGoesFirst() throws Exception
    {
        final FakeRunner runner = new FakeRunner(1.0);

        run(request(List.of("AllocFreePairBenchmark\\.tree$"), 4), new FakeBuilder(), runner);

        assertEquals(List.of("1 baseline", "1 candidate", "2 candidate", "2 baseline", "3 baseline", "3 candidate", "4 candidate",
            "4 baseline"), runner.calls.stream().map(c -> c.round() + " " + c.side()).toList());
    }

    @Test
    void aSlowerCandidateShouldBeARegressionAndTheSameOneNoChange() throws Exception
    {
        final FakeRunner runner = new FakeRunner(1.3);
        runner.slowdownOnlyOf = "tree";

        final GateResult result = run(request(TWO, 10), new FakeBuilder(), runner);

        assertEquals(1, result.exitCode(), result.headline());
        assertEquals(3, result.rows().size(), "cached in two modes, tree in one");
        for (final BenchmarkVerdict row : result.rows())
        {
            assertEquals(row.benchmark().endsWith(".tree") ? Verdict.REGRESSION : Verdict.NO_CHANGE, row.verdict(), row.toString());
        }
        assertEquals(0.3, result.rows(Verdict.REGRESSION).get(0).change().slowdown(), 0.02);
        assertTrue(result.design().startsWith("paired A/B, 10 rounds of one fork per side (order A B, B A, ...)"), result.design());
        assertEquals(60, runner.calls.size());
    }

    @Test
    void theOutputFolderShouldHoldBothSidesAsRunsThatReportAndGateRead() throws Exception
    {
        final FakeRunner runner = new FakeRunner(1.3);
        final AbGate.Request request = request(TWO, 6);

        final GateResult result = run(request, new FakeBuilder(), runner);

        final Path out = request.outDir();
        for (final String file : List.of("gate.md", "gate.json", "gate-verdicts.tsv", "gate-changes.png", "baseline/alloc-free-pair.json",
            "baseline/metadata.json", "candidate/alloc-free-pair.json", "candidate/metadata.json"))
        {
            assertTrue(Files.isRegularFile(out.resolve(file)), file);
        }
        final RunResults baseline = RunResults.load(out.resolve("baseline"));
        assertEquals(3, baseline.results().size());
        assertEquals(6, baseline.results().get(0).forks(), "one fork per round");
        assertEquals("baseline", baseline.metadata().get("gateSide"));
        final JsonNode entry = SyntheticRuns.MAPPER.readTree(out.resolve("candidate/alloc-free-pair.json").toFile()).get(0);
        assertEquals(6, entry.path("primaryMetric").path("rawData").size());
        assertFalse(entry.path("primaryMetric").has("scorePercentiles"));

        final Fixtures.Cli again = Fixtures.cli("gate", "--baseline", out.resolve("baseline").toString(), "--candidate",
            out.resolve("candidate").toString(), "--paired", "--out", tempDir.resolve("again").toString());
        assertEquals(result.exitCode(), again.exitCode(), again.err());
        assertEquals(GateSummaryWriter.tsv(result), Files.readString(tempDir.resolve("again").resolve(GateSummaryWriter.TSV_FILE)),
            "the paired re-judgement of the written runs gives the same verdicts");
    }

    @Test
    void aFailingCandidateForkShouldFailTheBenchmarkAndStopRunningIt() throws Exception
    {
        final FakeRunner runner = new FakeRunner(1.0);
        runner.fails = call -> call.side().equals("candidate") && call.round() == 3 && call.benchmark().benchmark().endsWith(".tree");

        final GateResult result = run(request(TWO, 6), new FakeBuilder(), runner);

        assertEquals(1, result.exitCode());
        final Finding failed = result.findings(Finding.Kind.FAILED).get(0);
        assertEquals("AllocFreePairBenchmark.tree avgt liveRanges=1000", failed.label());
        assertEquals("candidate fork of round 3: exit code 1 (fake)", failed.detail());
        assertEquals(2, result.rows().size(), "the others are judged");
        assertEquals(6, runner.calls.stream().filter(c -> c.benchmark().benchmark().endsWith(".tree")).count(),
            "rounds 1 and 2, then round 3's baseline and failing candidate: nothing after");
        assertTrue(result.headline().contains("AllocFreePairBenchmark.tree avgt liveRanges=1000 failed in the candidate"), result.headline());
    }

    @Test
    void aFailingBaselineForkShouldLeaveTheBenchmarkUncompared() throws Exception
    {
        final FakeRunner runner = new FakeRunner(1.0);
        runner.fails = call -> call.side().equals("baseline") && call.benchmark().benchmark().endsWith(".tree");

        final GateResult result = run(request(TWO, 4), new FakeBuilder(), runner);

        assertEquals(0, result.exitCode(), result.headline());
        assertEquals(1, result.findings(Finding.Kind.NOT_COMPARED).size());
    }

    @Test
    void benchmarksOnlyInOneJarShouldBeMissingOrNew() throws Exception
    {
        final FakeRunner runner = new FakeRunner(1.0);
        final FakeBuilder builder = new FakeBuilder();
        builder.keep = line -> !line.contains("AllocFreePairBenchmark_cached_jmhTest");

        final GateResult withoutCached = run(request(TWO, 3), builder, runner);

        assertEquals(0, withoutCached.exitCode(), "cached is new in the candidate: " + withoutCached.headline());
        assertEquals(2, withoutCached.findings(Finding.Kind.NEW).size(), "avgt and thrpt");
        assertEquals(1, withoutCached.rows().size());

        builder.keep = line -> true;
        final AbGate.Request candidateWithoutTree = new AbGate.Request("HEAD~1", null,
            FakeJars.jar(tempDir.resolve("no-tree.jar"), line -> !line.contains("AllocFreePairBenchmark_tree_jmhTest")), "fake candidate",
            TWO, List.of(), Map.of(), settings(3), GateSettings.defaults(), AcceptedTradeoffs.none(), tempDir.resolve("out-2"), false, "test");
        final GateResult withoutTree = run(candidateWithoutTree, builder, new FakeRunner(1.0));

        assertEquals(1, withoutTree.exitCode());
        assertEquals("AllocFreePairBenchmark.tree avgt liveRanges=1000", withoutTree.findings(Finding.Kind.MISSING).get(0).label());
    }

    @Test
    void aBaselineWithNoneOfTheBenchmarksShouldBeUnusable()
    {
        final FakeBuilder builder = new FakeBuilder();
        builder.keep = line -> line.contains("CachedPairFalseSharing");

        final UnusableBaselineException ex = assertThrows(UnusableBaselineException.class,
            () -> run(request(TWO, 3), builder, new FakeRunner(1.0)));

        assertTrue(ex.getMessage().startsWith("HEAD~1 (fake) has none of the chosen benchmarks (AllocFreePairBenchmark.cached thrpt"),
            ex.getMessage());
        assertFalse(Files.exists(builder.scratch), "the temporary folder is deleted");
    }

    @Test
    void aBaselineThatDoesNotBuildShouldBeUnusableAndCleanedUp()
    {
        final FakeBuilder builder = new FakeBuilder();
        builder.fails = true;

        assertThrows(UnusableBaselineException.class, () -> run(request(TWO, 3), builder, new FakeRunner(1.0)));
        assertFalse(Files.exists(builder.scratch), "the temporary folder is deleted");
    }

    @Test
    void theTemporaryFolderShouldBeDeletedAfterARun() throws Exception
    {
        final FakeBuilder builder = new FakeBuilder();

        run(request(TWO, 2), builder, new FakeRunner(1.0));

        assertFalse(Files.exists(builder.scratch));
    }

    @Test
    void jvmArgumentsShouldReachOnlyTheirSide() throws Exception
    {
        final FakeRunner runner = new FakeRunner(1.0);
        final AbSettings settings = new AbSettings(2, 1, TimeValue.milliseconds(100), 2, TimeValue.milliseconds(100), List.of(),
            List.of("-Diova.bench.extraPairPercent=10"));
        final AbGate.Request request = new AbGate.Request("HEAD~1", null, FakeJars.jar(tempDir.resolve("candidate.jar")), "fake candidate",
            TWO, List.of("avgt"), Map.of(), settings, GateSettings.defaults(), AcceptedTradeoffs.none(), tempDir.resolve("out"), false, "test");

        run(request, new FakeBuilder(), runner);

        for (final ForkRequest call : runner.calls)
        {
            assertEquals(call.side().equals("candidate") ? List.of("-Diova.bench.extraPairPercent=10") : List.of(), call.jvmArgs());
            assertEquals("avgt", call.benchmark().mode());
        }
    }

    @Test
    void aDryRunShouldPrintThePlanAndRunNothing() throws Exception
    {
        final FakeRunner runner = new FakeRunner(1.0);
        final FakeBuilder builder = new FakeBuilder();
        final AbGate.Request dry = new AbGate.Request("HEAD~1", null, FakeJars.jar(tempDir.resolve("candidate.jar")), "fake candidate",
            TWO, List.of(), Map.of(), settings(10), GateSettings.defaults(), AcceptedTradeoffs.none(), tempDir.resolve("out"), true, "test");
        final StringWriter console = new StringWriter();

        assertNull(AbGate.run(dry, builder, runner, new PrintWriter(console, true)));

        assertTrue(runner.calls.isEmpty());
        assertNull(builder.scratch, "nothing built");
        assertFalse(Files.exists(tempDir.resolve("out")));
        final List<String> lines = console.toString().lines().toList();
        assertEquals("gate A/B: baseline HEAD~1 (fake), built in a temporary git worktree; candidate fake candidate", lines.get(0));
        assertEquals("3 benchmarks x 10 rounds, one fork per side per round, order A B, B A, ...: 60 forks of 2 × 500 ms warm-up, " +
            "4 × 500 ms measurement, -prof gc", lines.get(1));
        assertTrue(lines.get(2).trim().matches("AllocFreePairBenchmark.cached thrpt liveRanges=1000 +7 s per round"), lines.get(2));
        assertEquals("estimated time: 4 min 06 s = 246 s (forks 3 min 36 s, 0.6 s of start-up each assumed; building the baseline " +
            "about 30 s)", lines.get(5));
        assertEquals("into: " + tempDir.resolve("out"), lines.get(6));
    }

    @Test
    void aNonEmptyOutputFolderShouldBeRefused() throws IOException
    {
        final AbGate.Request request = request(TWO, 2);
        Files.createDirectories(request.outDir());
        Files.writeString(request.outDir().resolve("gate.md"), "an earlier run");

        final GateException ex = assertThrows(GateException.class, () -> run(request, new FakeBuilder(), new FakeRunner(1.0)));

        assertEquals("--out " + request.outDir() + " is not empty: the A/B gate writes into a new folder", ex.getMessage());
    }

    @Test
    void theRealForkCommandShouldCarryAddExportsGcProfilerAndTheSidesArguments()
    {
        final PlannedBenchmark tree = new PlannedBenchmark("dev.iova.bench.jmh.AllocFreePairBenchmark.tree", "avgt", 1,
            Map.of("liveRanges", "1000"), 1, 3.6);
        final AbSettings settings = new AbSettings(10, 2, TimeValue.milliseconds(500), 4, TimeValue.milliseconds(500), List.of(),
            List.of("-Diova.bench.extraPairPercent=10", "-Xmx1g"));

        final List<String> command = JmhForkRunner.command(new ForkRequest("candidate", 1, tree, Path.of("candidate.jar"),
            settings.candidateJvmArgs(), settings, Path.of("out.json"), Path.of("log.txt")));

        assertEquals(List.of("--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "-cp", "candidate.jar", "org.openjdk.jmh.Main",
            "^\\Qdev.iova.bench.jmh.AllocFreePairBenchmark.tree\\E$", "-bm", "avgt", "-p", "liveRanges=1000", "-f", "1", "-wi", "2", "-w",
            "500ms", "-i", "4", "-r", "500ms", "-prof", "gc", "-rf", "json", "-rff", "out.json", "-jvmArgsPrepend",
            "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED", "-jvmArgsAppend", "-Diova.bench.extraPairPercent=10 -Xmx1g"),
            command.subList(1, command.size()));
        assertTrue(command.get(0).endsWith("java"), command.get(0));
    }

    private AbGate.Request request(final List<String> suites, final int rounds)
    {
        return new AbGate.Request("HEAD~1", null, FakeJars.jar(tempDir.resolve("candidate.jar")), "fake candidate", suites, List.of(),
            Map.of(), settings(rounds), GateSettings.defaults(), AcceptedTradeoffs.none(), tempDir.resolve("out"), false, "test");
    }

    private static AbSettings settings(final int rounds)
    {
        return new AbSettings(rounds, AbSettings.DEFAULT_WARMUP_ITERATIONS, TimeValue.fromString(AbSettings.DEFAULT_WARMUP_TIME),
            AbSettings.DEFAULT_ITERATIONS, TimeValue.fromString(AbSettings.DEFAULT_ITERATION_TIME), List.of(), List.of());
    }

    private static GateResult run(final AbGate.Request request, final RevisionBuilder builder, final ForkRunner runner) throws Exception
    {
        return AbGate.run(request, builder, runner, new PrintWriter(new StringWriter(), true));
    }

    /** Builds nothing: copies a fake jar into the scratch folder, or fails as a broken revision does. */
    private final class FakeBuilder implements RevisionBuilder
    {
        Predicate<String> keep = line -> true;
        boolean fails;
        Path scratch;

        @Override
        public String describe(final String revision)
        {
            return revision + " (fake)";
        }

        @Override
        public Path build(final String revision, final Path scratchDir, final Path logFile) throws UnusableBaselineException
        {
            scratch = scratchDir;
            if (fails)
            {
                throw new UnusableBaselineException(revision + " (fake) does not build");
            }
            return FakeJars.jar(scratchDir.resolve("baseline.jar"), keep);
        }
    }

    /**
     * Answers each fork with a synthetic JMH entry: 4 iterations around the benchmark's score, the
     * machine's speed drifting by up to 10% from round to round (the same for both sides of a round),
     * the candidate slower by a factor.
     */
    private static final class FakeRunner implements ForkRunner
    {
        final List<ForkRequest> calls = new ArrayList<>();
        final double candidateFactor;
        final SplittableRandom random = new SplittableRandom(3);
        String slowdownOnlyOf;
        Predicate<ForkRequest> fails = call -> false;

        FakeRunner(final double candidateFactor)
        {
            this.candidateFactor = candidateFactor;
        }

        @Override
        public ForkOutcome run(final ForkRequest request)
        {
            calls.add(request);
            if (fails.test(request))
            {
                return new ForkOutcome(null, "exit code 1 (fake)", 0.1);
            }
            final PlannedBenchmark unit = request.benchmark();
            final boolean thrpt = "thrpt".equals(unit.mode());
            final double base = unit.benchmark().endsWith(".tree") ? 310 : thrpt ? 0.0374 : 30;
            final double machine = 1 + 0.1 * Math.sin(request.round());
            final boolean slowed = request.side().equals("candidate") &&
                (slowdownOnlyOf == null || unit.benchmark().endsWith("." + slowdownOnlyOf));
            final double timeFactor = machine * (slowed ? candidateFactor : 1.0);
            final double score = thrpt ? base / timeFactor : base * timeFactor;
            final SyntheticRuns.Spec spec = new SyntheticRuns.Spec(unit.benchmark(), unit.mode(), unit.params(), score, 1, 4, 0.005, 0.005,
                0.0001);
            return new ForkOutcome(SyntheticRuns.entry(spec, random), null, 0.1);
        }
    }
}
