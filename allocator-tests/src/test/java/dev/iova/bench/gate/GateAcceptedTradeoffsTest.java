package dev.iova.bench.gate;

import dev.iova.bench.report.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The accepted trade-offs file: a slowdown within its bound passes with its reason, beyond it fails; a malformed file is refused. */
class GateAcceptedTradeoffsTest
{
    private static final SyntheticRuns.Spec TREE = SyntheticRuns.Spec.of("tree", "avgt", 310).forks(5, 5).spread(0.005, 0.005);
    private static final SyntheticRuns.Spec CACHED = SyntheticRuns.Spec.of("cached", "avgt", 30).forks(5, 5).spread(0.005, 0.005);

    @TempDir
    Path tempDir;

    @Test
    void aSlowdownWithinTheAcceptedBoundShouldPassWithItsReason()
    {
        final Path accepted = accepted("{\"accepted\": [{\"benchmark\": \"AllocFreePairBenchmark.tree\", \"mode\": \"avgt\", " +
            "\"params\": {\"liveRanges\": \"1000\"}, \"maxSlowdownPercent\": 30, \"reason\": \"aligned fits in O(log n)\", " +
            "\"acceptedIn\": \"#42\"}]}");

        final Fixtures.Cli cli = gate(TREE.score(310 * 1.2), accepted);

        assertEquals(0, cli.exitCode(), cli.out());
        assertTrue(cli.out().contains("**PASS: no regression in 2 benchmarks (1 accepted)"), cli.out());
        assertTrue(cli.out().contains("| ACCEPTED | < 0.01 → < 0.01 | accepted up to +30.0%: aligned fits in O(log n) (#42) |"), cli.out());
        assertTrue(cli.out().contains("## Accepted trade-offs\n\n- AllocFreePairBenchmark.tree avgt liveRanges=1000: +19.6%, ACCEPTED: accepted up to +30.0%"), cli.out());
    }

    @Test
    void aSlowdownBeyondTheAcceptedBoundShouldStillFail()
    {
        final Path accepted = accepted("{\"accepted\": [{\"benchmark\": \"AllocFreePairBenchmark.tree\", \"maxSlowdownPercent\": 15, " +
            "\"reason\": \"aligned fits in O(log n)\"}]}");

        final Fixtures.Cli cli = gate(TREE.score(310 * 1.5), accepted);

        assertEquals(1, cli.exitCode(), cli.out());
        assertTrue(cli.out().contains("| **REGRESSION** | < 0.01 → < 0.01 | beyond the accepted +15.0%: aligned fits in O(log n) |"),
            cli.out());
    }

    @Test
    void anEntryForOtherParametersOrAnotherModeShouldNotApply()
    {
        final Path otherParams = accepted("{\"accepted\": [{\"benchmark\": \"AllocFreePairBenchmark.tree\", " +
            "\"params\": {\"liveRanges\": \"1000000\"}, \"maxSlowdownPercent\": 50, \"reason\": \"the million row only\"}]}");
        final Path otherMode = accepted("{\"accepted\": [{\"benchmark\": \"dev.iova.bench.jmh.AllocFreePairBenchmark.tree\", " +
            "\"mode\": \"thrpt\", \"maxSlowdownPercent\": 50, \"reason\": \"throughput only\"}]}");

        assertEquals(1, gate(TREE.score(310 * 1.2), otherParams).exitCode());
        assertEquals(1, gate(TREE.score(310 * 1.2), otherMode).exitCode());
    }

    @Test
    void anAcceptedRemovalShouldPass()
    {
        final Path accepted = accepted("{\"accepted\": [{\"benchmark\": \"AllocFreePairBenchmark.cached\", \"removed\": true, " +
            "\"reason\": \"renamed to cachedPair\"}]}");
        final Path baseline = SyntheticRuns.run(tempDir.resolve("a"), "a.json", 1, TREE, CACHED);
        final Path candidate = SyntheticRuns.run(tempDir.resolve("b"), "a.json", 2, TREE);

        final Fixtures.Cli cli = Fixtures.cli("gate", "--baseline", baseline.toString(), "--candidate", candidate.toString(),
            "--accepted", accepted.toString(), "--out", tempDir.resolve("gate").toString());

        assertEquals(0, cli.exitCode(), cli.out());
        assertTrue(cli.out().contains("- AllocFreePairBenchmark.cached avgt liveRanges=1000: removal accepted: renamed to cachedPair"),
            cli.out());
    }

    @Test
    void malformedFilesShouldBeOneSentenceAndExitCode2()
    {
        final String entry = "{\"benchmark\": \"AllocFreePairBenchmark.tree\", \"maxSlowdownPercent\": 15, \"reason\": \"why\"";
        assertRefusedWith("{\"accepted\": [{\"benchmark\": \"AllocFreePairBenchmark.tree\", \"maxSlowdownPercent\": 15}]}",
            " entry 1 (AllocFreePairBenchmark.tree) has no \"reason\": say why the change is accepted");
        assertRefusedWith("{\"accepted\": [{\"benchmark\": \"AllocFreePairBenchmark.tree\", \"maxSlowdownPercent\": 15, \"reason\": \"  \"}]}",
            " entry 1 (AllocFreePairBenchmark.tree) has no \"reason\": say why the change is accepted");
        assertRefusedWith("{\"accepted\": [" + entry + "}, {\"maxSlowdownPercent\": 15, \"reason\": \"why\"}]}",
            " entry 2 has no \"benchmark\": name the method, e.g. AllocFreePairBenchmark.tree");
        assertRefusedWith("{\"accepted\": [" + entry + ", \"maxSlowdown\": 20}]}", " entry 1 has an unknown field \"maxSlowdown\": the " +
            "fields are benchmark, mode, params, maxSlowdownPercent, removed, reason, acceptedIn");
        assertRefusedWith("{\"accepted\": [{\"benchmark\": \"AllocFreePairBenchmark.tree\", \"reason\": \"why\"}]}",
            " entry 1 (AllocFreePairBenchmark.tree) has no \"maxSlowdownPercent\": say how much slower is accepted (or \"removed\": true)");
        assertRefusedWith("{\"accepted\": [" + entry + ", \"removed\": true}]}",
            " entry 1 (AllocFreePairBenchmark.tree) has both \"removed\" and \"maxSlowdownPercent\": give one");
        assertRefusedWith("{\"accepted\": [{\"benchmark\": \"AllocFreePairBenchmark.tree\", \"maxSlowdownPercent\": \"15%\", \"reason\": \"why\"}]}",
            " entry 1 (AllocFreePairBenchmark.tree) has maxSlowdownPercent \"15%\": expected a positive number of percent");
        assertRefusedWith("{\"accepted\": [{\"benchmark\": \"AllocFreePairBenchmark.tree\", \"maxSlowdownPercent\": -5, \"reason\": \"why\"}]}",
            " entry 1 (AllocFreePairBenchmark.tree) has maxSlowdownPercent -5: expected a positive number of percent");
        assertRefusedWith("{\"accepted\": [" + entry + ", \"mode\": \"fast\"}]}",
            " entry 1 (AllocFreePairBenchmark.tree) has mode \"fast\": the modes are thrpt, avgt, sample and ss");
        assertRefusedWith("{\"accepted\": [" + entry + ", \"params\": [1]}]}",
            " entry 1 (AllocFreePairBenchmark.tree) has \"params\" that is not an object of name: value");
        assertRefusedWith("{\"accepted\": [\"AllocFreePairBenchmark.tree\"]}", " entry 1 is not a JSON object");
        assertRefusedWith("[]", " must be a JSON object with an \"accepted\" array (see docs/gate.md)");
        assertRefusedWith("{\"accepted\": [], \"thresholds\": {}}", " has an unknown field \"thresholds\": the fields are about and accepted");
        final Path broken = accepted("{\"accepted\": [");
        final GateInputTestCli cli = new GateInputTestCli(gate(TREE, broken));
        assertEquals(2, cli.cli.exitCode());
        assertTrue(cli.cli.err().startsWith("allocator-bench gate: " + broken + " is not valid JSON (line 1, column "), cli.cli.err());
        final Path missing = tempDir.resolve("no-such-file.json");
        GateInputTest.assertRefused(gate(TREE, missing), missing + ": no such file (the accepted trade-offs)");
    }

    /** Holds a CLI outcome, to keep the assertion above readable. */
    private record GateInputTestCli(Fixtures.Cli cli)
    {
    }

    private void assertRefusedWith(final String content, final String messageAfterFile)
    {
        final Path file = accepted(content);
        GateInputTest.assertRefused(gate(TREE, file), file + messageAfterFile);
    }

    private Fixtures.Cli gate(final SyntheticRuns.Spec candidateTree, final Path accepted)
    {
        final Path baseline = SyntheticRuns.run(tempDir.resolve("a"), "a.json", 1, TREE, CACHED);
        final Path candidate = SyntheticRuns.run(tempDir.resolve("b"), "a.json", 2, candidateTree, CACHED);
        return Fixtures.cli("gate", "--baseline", baseline.toString(), "--candidate", candidate.toString(), "--accepted", accepted.toString(),
            "--out", tempDir.resolve("gate").toString());
    }

    private int files;

    private Path accepted(final String content)
    {
        files++;
        return SyntheticRuns.write(tempDir.resolve("accepted"), "accepted-" + files + ".json", content).resolve("accepted-" + files + ".json");
    }
}
