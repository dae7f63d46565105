package dev.iova.bench.gate;

import dev.iova.bench.report.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every input the gate cannot compare: exit code 2, one sentence on standard error that names the culprit, nothing written. */
class GateInputTest
{
    private static final SyntheticRuns.Spec TREE = SyntheticRuns.Spec.of("tree", "avgt", 310);

    @TempDir
    Path tempDir;

    @Test
    void missingFolderShouldBeOneSentence()
    {
        final Path good = SyntheticRuns.run(tempDir.resolve("good"), "alloc-free-pair.json", 1, TREE);
        final Path missing = tempDir.resolve("no-such-run");

        assertRefused(gate(missing, good), missing + ": no such file or folder");
        assertRefused(gate(good, missing), missing + ": no such file or folder");
    }

    @Test
    void brokenJsonShouldNameTheFileLineAndColumn()
    {
        final Path good = SyntheticRuns.run(tempDir.resolve("good"), "alloc-free-pair.json", 1, TREE);
        final Path broken = SyntheticRuns.write(tempDir.resolve("broken"), "alloc-free-pair.json", "[\n  {\"benchmark\": \n");

        final Fixtures.Cli cli = gate(good, broken);

        assertEquals(2, cli.exitCode());
        assertEquals(1, cli.errLines(), cli.err());
        assertTrue(cli.err().startsWith("allocator-bench gate: " + broken.resolve("alloc-free-pair.json") + " is not valid JSON (line "),
            cli.err());
        assertNothingWritten(broken);
    }

    @Test
    void jsonThatIsNotJmhsShouldBeRefused()
    {
        final Path good = SyntheticRuns.run(tempDir.resolve("good"), "alloc-free-pair.json", 1, TREE);
        final Path numbers = SyntheticRuns.write(tempDir.resolve("numbers"), "x.json", "[1, 2, 3]");

        assertRefused(gate(good, numbers), numbers.resolve("x.json") + " is not JMH JSON: expected an array of results, each with " +
            "\"benchmark\", \"mode\" and \"primaryMetric\"");
    }

    @Test
    void aFolderWithoutJmhResultsShouldSaySo() throws IOException
    {
        final Path good = SyntheticRuns.run(tempDir.resolve("good"), "alloc-free-pair.json", 1, TREE);
        final Path empty = Files.createDirectories(tempDir.resolve("empty"));
        final Path objects = SyntheticRuns.write(tempDir.resolve("objects"), "gate.json", "{\"verdict\": \"PASS\"}");
        final Path emptyArrays = SyntheticRuns.write(tempDir.resolve("failed"), "alloc-free-pair.json", "[]");

        assertRefused(gate(good, empty), empty + " holds no JMH results (no *.json file besides metadata.json)");
        assertRefused(gate(good, objects), objects + " holds no JMH results (gate.json: JSON objects, not JMH's arrays of results)");
        assertRefused(gate(good, emptyArrays), emptyArrays + " holds no JMH results (empty arrays: did every benchmark fail?)");
    }

    @Test
    void missingRawDataShouldBeRefused()
    {
        final Path good = SyntheticRuns.run(tempDir.resolve("good"), "alloc-free-pair.json", 1, TREE);
        final com.fasterxml.jackson.databind.node.ObjectNode entry = SyntheticRuns.entry(TREE, new java.util.SplittableRandom(1));
        ((com.fasterxml.jackson.databind.node.ObjectNode)entry.get("primaryMetric")).remove("rawData");
        final Path bad = SyntheticRuns.write(tempDir.resolve("no-raw"), "alloc-free-pair.json", "[" + entry + "]");

        assertRefused(gate(good, bad), bad.resolve("alloc-free-pair.json") + ": AllocFreePairBenchmark.tree avgt liveRanges=1000 " +
            "has no primaryMetric.rawData: the gate needs JMH's per-iteration data");
    }

    @Test
    void emptyRawDataAndEmptyForksShouldBeRefused()
    {
        final Path good = SyntheticRuns.run(tempDir.resolve("good"), "alloc-free-pair.json", 1, TREE);
        final SyntheticRuns.Spec spec = TREE;
        final Path noForks = SyntheticRuns.write(tempDir.resolve("no-forks"), "a.json",
            "[" + SyntheticRuns.entry(spec, new double[0][]).toString() + "]");
        final Path emptyFork = SyntheticRuns.write(tempDir.resolve("empty-fork"), "a.json",
            "[" + SyntheticRuns.entry(spec, new double[][] {{300, 310}, {}}).toString() + "]");

        assertRefused(gate(good, noForks), noForks.resolve("a.json") + ": AllocFreePairBenchmark.tree avgt liveRanges=1000 has an " +
            "empty primaryMetric.rawData: no fork was measured");
        assertRefused(gate(good, emptyFork), emptyFork.resolve("a.json") + ": AllocFreePairBenchmark.tree avgt liveRanges=1000 has no " +
            "iterations in fork 2 of primaryMetric.rawData");
    }

    @Test
    void aValueThatIsNotAPositiveNumberShouldBeRefused()
    {
        final Path good = SyntheticRuns.run(tempDir.resolve("good"), "alloc-free-pair.json", 1, TREE);
        final Path text = SyntheticRuns.write(tempDir.resolve("text"), "a.json", "[" +
            SyntheticRuns.entry(TREE, new double[][] {{300, 310}}).toString().replace("310.0", "\"fast\"") + "]");
        final Path zero = SyntheticRuns.write(tempDir.resolve("zero"), "a.json", "[" +
            SyntheticRuns.entry(TREE, new double[][] {{300, 0}}).toString() + "]");

        assertRefused(gate(good, text), text.resolve("a.json") + ": AllocFreePairBenchmark.tree avgt liveRanges=1000 has \"fast\" at " +
            "fork 1, iteration 2 of its raw data: expected a positive number");
        assertRefused(gate(good, zero), zero.resolve("a.json") + ": AllocFreePairBenchmark.tree avgt liveRanges=1000 has 0.0 at " +
            "fork 1, iteration 2 of its raw data: expected a positive number");
    }

    @Test
    void aSingleMeasurementShouldBeRefused()
    {
        final Path good = SyntheticRuns.run(tempDir.resolve("good"), "alloc-free-pair.json", 1, TREE);
        final Path single = SyntheticRuns.run(tempDir.resolve("single"), "a.json", 1, TREE.forks(1, 1));

        assertRefused(gate(good, single), single.resolve("a.json") + ": AllocFreePairBenchmark.tree avgt liveRanges=1000 has a single " +
            "measurement (1 fork of 1 iteration): the gate needs at least 2 to see the noise");
    }

    @Test
    void anUnknownModeShouldBeRefused()
    {
        final Path good = SyntheticRuns.run(tempDir.resolve("good"), "alloc-free-pair.json", 1, TREE);
        final Path odd = SyntheticRuns.run(tempDir.resolve("odd"), "a.json", 1,
            new SyntheticRuns.Spec(TREE.benchmark(), "fastest", TREE.params(), 310, 3, 5, 0.02, 0.01, 0.0));

        assertRefused(gate(good, odd), odd.resolve("a.json") + ": AllocFreePairBenchmark.tree fastest liveRanges=1000 has mode " +
            "\"fastest\": the gate knows thrpt, avgt, sample and ss");
    }

    @Test
    void differentParameterValuesShouldBeRefused()
    {
        final Path baseline = SyntheticRuns.run(tempDir.resolve("a"), "a.json", 1, TREE);
        final Path candidate = SyntheticRuns.run(tempDir.resolve("b"), "a.json", 1, TREE.params(Map.of("liveRanges", "1000000")));

        assertRefused(gate(baseline, candidate), "AllocFreePairBenchmark.tree avgt ran with liveRanges=1000 in the baseline and " +
            "liveRanges=1000000 in the candidate: no parameter set in common, the runs cannot be compared");
    }

    @Test
    void differentParameterNamesShouldBeRefused()
    {
        final Path baseline = SyntheticRuns.run(tempDir.resolve("a"), "a.json", 1, TREE);
        final Path candidate = SyntheticRuns.run(tempDir.resolve("b"), "a.json", 1,
            TREE.params(Map.of("liveRanges", "1000", "pages", "1")));

        assertRefused(gate(baseline, candidate), "AllocFreePairBenchmark.tree avgt has parameters [liveRanges] in the baseline and " +
            "[liveRanges, pages] in the candidate: the runs cannot be compared");
    }

    @Test
    void differentThreadsOrUnitsShouldBeRefused()
    {
        final Path baseline = SyntheticRuns.run(tempDir.resolve("a"), "a.json", 1, TREE);
        final Path threads = edit(baseline, "threads", json -> json.replace("\"threads\" : 1", "\"threads\" : 2"));
        final Path micros = edit(baseline, "micros", json -> json.replace("ns/op", "us/op"));

        assertRefused(gate(baseline, threads), "AllocFreePairBenchmark.tree avgt liveRanges=1000 ran with 1 threads in the baseline and " +
            "2 in the candidate: the runs cannot be compared");
        assertRefused(gate(baseline, micros), "AllocFreePairBenchmark.tree avgt liveRanges=1000 is in ns/op in the baseline and us/op " +
            "in the candidate: run both with the same time unit");
    }

    @Test
    void theSameBenchmarkTwiceShouldBeRefused()
    {
        final Path good = SyntheticRuns.run(tempDir.resolve("good"), "a.json", 1, TREE);
        final Path twice = SyntheticRuns.run(tempDir.resolve("twice"), "a.json", 1, TREE);
        SyntheticRuns.run(twice, "b.json", 2, TREE);

        assertRefused(gate(good, twice), twice.resolve("a.json") + " and " + twice.resolve("b.json") + " both hold " +
            "AllocFreePairBenchmark.tree avgt liveRanges=1000 twice: a run holds one result per benchmark, mode and parameter set");
    }

    @Test
    void aCandidateWithoutAllocationDataShouldBeRefusedWhenTheBaselineHasIt()
    {
        final Path baseline = SyntheticRuns.run(tempDir.resolve("a"), "a.json", 1, TREE);
        final Path candidate = SyntheticRuns.run(tempDir.resolve("b"), "a.json", 1, TREE.alloc(Double.NaN));

        assertRefused(gate(baseline, candidate), candidate.resolve("a.json") + ": AllocFreePairBenchmark.tree avgt liveRanges=1000 has " +
            "no gc.alloc.rate.norm, which the baseline has: run the candidate with -prof gc, as the baseline was");
    }

    @Test
    void pairedRunsWithDifferentRoundsShouldBeRefused()
    {
        final Path baseline = SyntheticRuns.run(tempDir.resolve("a"), "a.json", 1, TREE.forks(10, 4));
        final Path candidate = SyntheticRuns.run(tempDir.resolve("b"), "a.json", 1, TREE.forks(9, 4));

        assertRefused(Fixtures.cli("gate", "--baseline", baseline.toString(), "--candidate", candidate.toString(), "--paired",
            "--out", tempDir.resolve("gate").toString()),
            "AllocFreePairBenchmark.tree avgt liveRanges=1000 has 10 forks in the baseline and 9 in the candidate: a paired " +
            "comparison needs one fork per round on both sides");
    }

    @Test
    void badCommandLinesShouldBeOneLineAndExitCode2()
    {
        final Path run = SyntheticRuns.run(tempDir.resolve("a"), "a.json", 1, TREE);

        assertUsage(Fixtures.cli("gate"), "give --baseline RUN and --candidate RUN (two runs), or --ab REV (A/B)");
        assertUsage(Fixtures.cli("gate", "--baseline", run.toString()), "give --baseline RUN and --candidate RUN");
        assertUsage(Fixtures.cli("gate", "--ab", "HEAD", "--baseline", run.toString()), "give one form");
        assertUsage(Fixtures.cli("gate", "--ab", "HEAD", "--baseline-jar", "x.jar"), "--ab and --baseline-jar both name the baseline");
        assertUsage(Fixtures.cli("gate", "--baseline", run.toString(), "--candidate", run.toString(), "--confidence", "100"),
            "--confidence 100.0 must be a percentage between 0 and 100");
        assertUsage(Fixtures.cli("gate", "--baseline", run.toString(), "--candidate", run.toString(), "--min-effect", "0"),
            "--min-effect 0.0 must be a positive percentage");
        assertUsage(Fixtures.cli("gate", "--ab", "HEAD", "--rounds", "1", "--dry-run"), "--rounds 1: at least 2");
        assertUsage(Fixtures.cli("gate", "--ab", "HEAD", "--suite", "(", "--dry-run"), "--suite '(' is not a regular expression");
        assertUsage(Fixtures.cli("gate", "--ab", "HEAD", "--mode", "fast", "--dry-run"), "--mode fast is not a mode");
        assertUsage(Fixtures.cli("gate", "--ab", "HEAD", "--warmup-time", "soon", "--dry-run"), "--warmup-time 'soon' is not a duration");
        assertUsage(Fixtures.cli("gate", "--baseline", run.toString(), "--candidate", run.toString(), "--dry-run"),
            "belong to the A/B form");
        assertUsage(Fixtures.cli("gate", "--ab", "HEAD", "--exact-only"), "--exact-only is for two runs");
        assertUsage(Fixtures.cli("gate", "--baseline", run.toString(), "--candidate", run.toString(), "--rounds", "x"), "--rounds");
    }

    private Fixtures.Cli gate(final Path baseline, final Path candidate)
    {
        return Fixtures.cli("gate", "--baseline", baseline.toString(), "--candidate", candidate.toString(),
            "--accepted", none().toString(), "--out", tempDir.resolve("gate").toString());
    }

    /** An empty accepted-trade-offs file, so that the repository's own does not take part. */
    private Path none()
    {
        return SyntheticRuns.write(tempDir.resolve("accepted"), "none.json", "{\"accepted\": []}").resolve("none.json");
    }

    private Path edit(final Path run, final String name, final java.util.function.UnaryOperator<String> change)
    {
        try
        {
            final String json = Files.readString(run.resolve("a.json").toFile().exists() ? run.resolve("a.json") : run.resolve("alloc-free-pair.json"));
            final String file = run.resolve("a.json").toFile().exists() ? "a.json" : "alloc-free-pair.json";
            final String edited = change.apply(json);
            assertFalse(edited.equals(json), "the edit changed nothing");
            return SyntheticRuns.write(tempDir.resolve(name), file, edited);
        }
        catch (final IOException ex)
        {
            throw new java.io.UncheckedIOException(ex);
        }
    }

    static void assertRefused(final Fixtures.Cli cli, final String message)
    {
        assertEquals(2, cli.exitCode(), cli.err() + cli.out());
        assertEquals("allocator-bench gate: " + message + "\n", cli.err());
        assertEquals("", cli.out());
    }

    private static void assertUsage(final Fixtures.Cli cli, final String messagePart)
    {
        assertEquals(2, cli.exitCode(), cli.err() + cli.out());
        assertEquals(1, cli.errLines(), cli.err());
        assertTrue(cli.err().startsWith("allocator-bench gate: "), cli.err());
        assertTrue(cli.err().contains(messagePart), cli.err());
        assertEquals("", cli.out());
    }

    private static void assertNothingWritten(final Path dir)
    {
        assertFalse(Files.exists(dir.resolve(GateSummaryWriter.MARKDOWN_FILE)));
        assertFalse(Files.exists(dir.resolve(GateSummaryWriter.JSON_FILE)));
    }
}
