package dev.iova.bench.gate;

import dev.iova.bench.report.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The exact gates, which need no statistics: allocation ~0 stays ~0, nothing disappears. */
class GateExactTest
{
    private static final SyntheticRuns.Spec TREE = SyntheticRuns.Spec.of("tree", "avgt", 310).forks(5, 5).spread(0.005, 0.005);
    private static final SyntheticRuns.Spec CACHED = SyntheticRuns.Spec.of("cached", "avgt", 30).forks(5, 5).spread(0.005, 0.005);

    @TempDir
    Path tempDir;

    @Test
    void aHotPathThatStartsToAllocateShouldFailTheGate()
    {
        final Path baseline = SyntheticRuns.run(tempDir.resolve("a"), "a.json", 1, TREE.alloc(0.0013), CACHED);
        final Path candidate = SyntheticRuns.run(tempDir.resolve("b"), "a.json", 2, TREE.alloc(40), CACHED);

        final Fixtures.Cli cli = gate(baseline, candidate);

        assertEquals(1, cli.exitCode(), cli.err());
        assertTrue(cli.out().startsWith("# Regression gate\n\n**REGRESSION: AllocFreePairBenchmark.tree avgt liveRanges=1000 allocates " +
            "where the baseline did not.**"), cli.out());
        assertTrue(cli.out().contains("| AllocFreePairBenchmark.tree avgt liveRanges=1000 | **ALLOCATES** | gc.alloc.rate.norm < 0.01 " +
            "B/op in the baseline, 40.00 B/op in the candidate (threshold 1.000 B/op) |"), cli.out());
        assertTrue(cli.out().contains("- allocation: 2 of 2 benchmarks allocated nothing in the baseline; 1 now allocate"), cli.out());
        assertTrue(cli.out().contains("| NO CHANGE |"), "the timing itself did not change: " + cli.out());
    }

    @Test
    void aBaselineThatAllocatedMayKeepAllocating()
    {
        final Path baseline = SyntheticRuns.run(tempDir.resolve("a"), "a.json", 1, TREE.alloc(312));
        final Path candidate = SyntheticRuns.run(tempDir.resolve("b"), "a.json", 2, TREE.alloc(400));

        final Fixtures.Cli cli = gate(baseline, candidate);

        assertEquals(0, cli.exitCode(), cli.out());
    }

    @Test
    void allocationBelowTheThresholdShouldPass()
    {
        final Path baseline = SyntheticRuns.run(tempDir.resolve("a"), "a.json", 1, TREE.alloc(0.0));
        final Path candidate = SyntheticRuns.run(tempDir.resolve("b"), "a.json", 2, TREE.alloc(0.9));

        assertEquals(0, gate(baseline, candidate).exitCode());
    }

    @Test
    void allocationThatJmhsOwnBookkeepingExplainsOnASlowOperationShouldBeNotedNotFailed()
    {
        // 180 us per operation, 1-s iterations: about 5,556 operations share JMH's 9-16 KB per iteration.
        final SyntheticRuns.Spec walk = TREE.score(180_000);
        final Path baseline = SyntheticRuns.runTimed(tempDir.resolve("a"), "a.json", 1, "1 s", walk.alloc(0.03));
        final Path candidate = SyntheticRuns.runTimed(tempDir.resolve("b"), "a.json", 2, "1 s", walk.alloc(2.84));

        final Fixtures.Cli cli = gate(baseline, candidate);

        assertEquals(0, cli.exitCode(), cli.out());
        assertTrue(cli.out().contains("| AllocFreePairBenchmark.tree avgt liveRanges=1000 | allocation not judged | gc.alloc.rate.norm "),
            cli.out());
        assertTrue(cli.out().contains(" B/op in the baseline, 2.840 B/op in the candidate, above the threshold but at about 55"), cli.out());
        assertTrue(cli.out().contains(" operations per iteration, JMH's own bookkeeping (up to 32 KiB per iteration) alone can show up to 5.8"),
            cli.out());
        assertTrue(cli.out().contains("- allocation: 1 of 1 benchmarks allocated nothing in the baseline; all still allocate nothing " +
            "(1 too slow to judge, below)"), cli.out());
    }

    @Test
    void theSameAllocationOnAFastOperationShouldFailTheGate()
    {
        final Path baseline = SyntheticRuns.runTimed(tempDir.resolve("a"), "a.json", 1, "1 s", TREE.alloc(0.03));
        final Path candidate = SyntheticRuns.runTimed(tempDir.resolve("b"), "a.json", 2, "1 s", TREE.alloc(2.84));

        final Fixtures.Cli cli = gate(baseline, candidate);

        assertEquals(1, cli.exitCode(), cli.out());
        assertTrue(cli.out().contains("| AllocFreePairBenchmark.tree avgt liveRanges=1000 | **ALLOCATES** |"), cli.out());
    }

    @Test
    void operationsPerIterationShouldFollowTheModeAndTheUnits()
    {
        assertEquals(5_000, JmhSamplesReader.operationsPerIteration("avgt", "ns/op", 200_000, 1, "1 s"), 1e-6);
        assertEquals(20_000, JmhSamplesReader.operationsPerIteration("avgt", "us/op", 200, 2, "2 s"), 1e-6);
        assertEquals(36_000_000, JmhSamplesReader.operationsPerIteration("thrpt", "ops/us", 36, 2, "1 s"), 1e-3);
        assertEquals(18_000, JmhSamplesReader.operationsPerIteration("thrpt", "ops/ms", 36, 1, "500 ms"), 1e-6);
        assertTrue(Double.isNaN(JmhSamplesReader.operationsPerIteration("ss", "ns/op", 200, 1, "1 s")));
        assertTrue(Double.isNaN(JmhSamplesReader.operationsPerIteration("avgt", "ns/op", 200, 1, "")));
        assertTrue(Double.isNaN(JmhSamplesReader.operationsPerIteration("avgt", "ns/op", 200, 1, "a while")));
    }

    @Test
    void aMissingBenchmarkShouldFailTheGate()
    {
        final Path baseline = SyntheticRuns.run(tempDir.resolve("a"), "a.json", 1, TREE, CACHED);
        final Path candidate = SyntheticRuns.run(tempDir.resolve("b"), "a.json", 2, TREE);

        final Fixtures.Cli cli = gate(baseline, candidate);

        assertEquals(1, cli.exitCode());
        assertTrue(cli.out().contains("**REGRESSION: AllocFreePairBenchmark.cached avgt liveRanges=1000 is missing from the candidate.**"),
            cli.out());
        assertTrue(cli.out().contains("| AllocFreePairBenchmark.cached avgt liveRanges=1000 | **MISSING** | in the baseline, not in the " +
            "candidate: removed, run with other parameters, or failed there |"), cli.out());
    }

    @Test
    void aNewBenchmarkShouldBeNotedWithoutFailing()
    {
        final Path baseline = SyntheticRuns.run(tempDir.resolve("a"), "a.json", 1, TREE);
        final Path candidate = SyntheticRuns.run(tempDir.resolve("b"), "a.json", 2, TREE, CACHED);

        final Fixtures.Cli cli = gate(baseline, candidate);

        assertEquals(0, cli.exitCode(), cli.out());
        assertTrue(cli.out().contains("| AllocFreePairBenchmark.cached avgt liveRanges=1000 | new | only in the candidate: nothing to " +
            "compare it with |"), cli.out());
        assertTrue(cli.out().contains("- presence: 0 missing, 0 failed, 1 new"), cli.out());
    }

    @Test
    void exactOnlyShouldIgnoreTimingButNotAllocation()
    {
        final Path baseline = SyntheticRuns.run(tempDir.resolve("a"), "a.json", 1, TREE.alloc(0.001), CACHED);
        final Path slower = SyntheticRuns.run(tempDir.resolve("b"), "a.json", 2, TREE.score(3100).alloc(0.001), CACHED);
        final Path allocating = SyntheticRuns.run(tempDir.resolve("c"), "a.json", 2, TREE.alloc(24), CACHED);

        final Fixtures.Cli slowerCli = Fixtures.cli("gate", "--baseline", baseline.toString(), "--candidate", slower.toString(),
            "--exact-only", "--out", tempDir.resolve("gate").toString());
        final Fixtures.Cli allocatingCli = Fixtures.cli("gate", "--baseline", baseline.toString(), "--candidate", allocating.toString(),
            "--exact-only", "--out", tempDir.resolve("gate").toString());

        assertEquals(0, slowerCli.exitCode(), slowerCli.out());
        assertTrue(slowerCli.out().contains("**PASS: exact gates hold (allocation and presence) for 2 benchmarks; timing not judged.**"),
            slowerCli.out());
        assertEquals(1, allocatingCli.exitCode(), allocatingCli.out());
    }

    @Test
    void withoutAllocationDataTheSummaryShouldSayTheAllocationGateDidNotRun()
    {
        final Path baseline = SyntheticRuns.run(tempDir.resolve("a"), "a.json", 1, TREE.alloc(Double.NaN));
        final Path candidate = SyntheticRuns.run(tempDir.resolve("b"), "a.json", 2, TREE.alloc(Double.NaN));

        final Fixtures.Cli cli = gate(baseline, candidate);

        assertEquals(0, cli.exitCode());
        assertTrue(cli.out().contains("exact gates hold (presence; allocation not measured)"), cli.out());
        assertTrue(cli.out().contains("the allocation gate did not run"), cli.out());
    }

    private Fixtures.Cli gate(final Path baseline, final Path candidate)
    {
        final Path none = SyntheticRuns.write(tempDir.resolve("accepted"), "none.json", "{\"accepted\": []}").resolve("none.json");
        return Fixtures.cli("gate", "--baseline", baseline.toString(), "--candidate", candidate.toString(), "--accepted", none.toString(),
            "--out", tempDir.resolve("gate").toString());
    }
}
