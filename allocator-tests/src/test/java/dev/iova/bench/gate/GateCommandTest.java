package dev.iova.bench.gate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.iova.bench.report.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The gate command as the jar runs it: exit codes, what it prints and writes, the real JMH fixtures, the A/B plan. */
class GateCommandTest
{
    private static final SyntheticRuns.Spec TREE = SyntheticRuns.Spec.of("tree", "avgt", 310).forks(5, 5).spread(0.005, 0.005);
    private static final SyntheticRuns.Spec CACHED = SyntheticRuns.Spec.of("cached", "thrpt", 0.0374).forks(5, 5).spread(0.005, 0.005);

    @TempDir
    Path tempDir;

    @Test
    void unchangedRunsShouldPassWithExitCode0AndASummaryAtAGlance() throws Exception
    {
        final Path baseline = SyntheticRuns.run(tempDir.resolve("a"), "alloc-free-pair.json", 1, TREE, CACHED);
        final Path candidate = SyntheticRuns.run(tempDir.resolve("b"), "alloc-free-pair.json", 2, TREE, CACHED);

        final Fixtures.Cli cli = gate(baseline, candidate);

        assertEquals(0, cli.exitCode(), cli.err());
        final List<String> lines = cli.out().lines().toList();
        assertEquals("# Regression gate", lines.get(0));
        assertEquals("**PASS: no regression in 2 benchmarks; exact gates hold (allocation and presence).**", lines.get(2));
        assertTrue(cli.out().contains("| # | benchmark | mode | params | baseline | candidate | slowdown [interval] | verdict | B/op | note |"));
        assertTrue(cli.out().matches("(?s).*\\| 1 \\| AllocFreePairBenchmark.tree \\| avgt \\| liveRanges=1000 \\| 3\\d\\d\\.\\d ns/op \\| " +
            "3\\d\\d\\.\\d ns/op \\| [+-]\\d\\.\\d% \\[[+-]\\d\\.\\d%, [+-]\\d\\.\\d%\\] \\| NO CHANGE \\|.*"), cli.out());
        assertTrue(cli.out().contains("The same as a chart: `gate-changes.png` beside this file."), cli.out());
        assertFalse(cli.out().contains("]("), "gate.md links no local file (a CI step summary cannot show it)");
        assertTrue(cli.out().contains("99% family-wise confidence, 99.5% per benchmark (Bonferroni over 2)"), cli.out());
        assertEquals("gate summary: " + gateDir().resolve("gate.md"), lines.get(lines.size() - 1));
        for (final String file : List.of(GateSummaryWriter.MARKDOWN_FILE, GateSummaryWriter.JSON_FILE, GateSummaryWriter.CHART_FILE,
            GateSummaryWriter.TSV_FILE))
        {
            assertTrue(Files.size(gateDir().resolve(file)) > 0, file);
        }
        assertEquals("", cli.err());
    }

    @Test
    void withoutOutTheGateWritesIntoAFolderOfItsOwnNotTheCandidates() throws Exception
    {
        final Path baseline = SyntheticRuns.run(tempDir.resolve("a"), "alloc-free-pair.json", 1, TREE, CACHED);
        final Path candidate = SyntheticRuns.run(tempDir.resolve("candidate-run"), "alloc-free-pair.json", 2, TREE, CACHED);

        final Fixtures.Cli cli = Fixtures.cli("gate", "--baseline", baseline.toString(), "--candidate", candidate.toString(),
            "--accepted", none().toString());

        assertEquals(0, cli.exitCode(), cli.err());
        final List<String> lines = cli.out().lines().toList();
        final String last = lines.get(lines.size() - 1);
        final Path written = Path.of(last.substring("gate summary: ".length()));
        try
        {
            assertTrue(written.getParent().toString().matches("results/gate-\\d{4}-\\d\\d-\\d\\d-candidate-run(-\\d+)?"), last);
            assertTrue(Files.isRegularFile(written), last);
            try (Stream<Path> files = Files.list(candidate))
            {
                assertEquals(List.of("alloc-free-pair.json"), files.map(f -> f.getFileName().toString()).toList(),
                    "the candidate's run folder is left as it was");
            }
        }
        finally
        {
            try (Stream<Path> files = Files.list(written.getParent()))
            {
                for (final Path file : files.toList())
                {
                    Files.delete(file);
                }
            }
            Files.delete(written.getParent());
        }
    }

    @Test
    void runsFromDifferentMachinesAreRefusedTimingButNotTheExactGates() throws Exception
    {
        final Path baseline = SyntheticRuns.run(tempDir.resolve("a"), "alloc-free-pair.json", 1, TREE, CACHED);
        final Path candidate = SyntheticRuns.run(tempDir.resolve("b"), "alloc-free-pair.json", 2, TREE, CACHED);
        SyntheticRuns.write(baseline, "metadata.json", "{\"cpuModel\": \"Intel(R) Xeon(R) Processor\", \"cores\": 2}");
        SyntheticRuns.write(candidate, "metadata.json", "{\"cpuModel\": \"AMD EPYC\", \"cores\": 2}");

        final Fixtures.Cli refused = gate(baseline, candidate);
        final Fixtures.Cli exact = gate(baseline, candidate, "--exact-only");
        final Fixtures.Cli allowed = gate(baseline, candidate, "--allow-different-machines");

        assertEquals(2, refused.exitCode(), refused.out());
        assertEquals(1, refused.errLines(), refused.err());
        assertEquals("allocator-bench gate: the baseline and the candidate were measured on different machines " +
            "(CPU model 'Intel(R) Xeon(R) Processor' vs 'AMD EPYC'), so their timings cannot be compared: give --exact-only for the " +
            "exact gates, or --allow-different-machines to judge timing anyway", refused.err().strip());
        assertEquals("", refused.out(), "nothing judged, nothing printed");

        assertEquals(0, exact.exitCode(), exact.err());
        assertEquals("> **Timing not judged: the baseline and the candidate were measured on different machines " +
            "(CPU model 'Intel(R) Xeon(R) Processor' vs 'AMD EPYC').**", exact.out().lines().toList().get(2));

        assertEquals(0, allowed.exitCode(), allowed.err());
        final List<String> lines = allowed.out().lines().toList();
        assertEquals("> **Timing judged although (--allow-different-machines) the baseline and the candidate were measured on " +
            "different machines (CPU model 'Intel(R) Xeon(R) Processor' vs 'AMD EPYC').**", lines.get(2), "stated at the top");
        assertTrue(lines.get(4).startsWith("**PASS: no regression in 2 benchmarks"), lines.get(4));
        assertEquals(lines.get(2).substring(4, lines.get(2).length() - 2),
            SyntheticRuns.MAPPER.readTree(gateDir().resolve("gate.json").toFile()).get("caution").asText());
    }

    @Test
    void differentJvmArgumentsOrJdksAreDifferentMachinesToo()
    {
        final Path baseline = SyntheticRuns.run(tempDir.resolve("a"), "alloc-free-pair.json", 1, TREE, CACHED);
        final Path candidate = SyntheticRuns.run(tempDir.resolve("b"), "alloc-free-pair.json", 2, TREE, CACHED);
        withJvm(baseline.resolve("alloc-free-pair.json"), "17.0.15", List.of("-Xmx1g", "-Diova.bench.percentilesDir=a/latency-trials"));
        withJvm(candidate.resolve("alloc-free-pair.json"), "17.0.15", List.of("-Xmx1g", "-Diova.bench.percentilesDir=b/latency-trials"));
        assertEquals(0, gate(baseline, candidate).exitCode(), "the run's own folder in a JVM argument is not a difference");

        withJvm(candidate.resolve("alloc-free-pair.json"), "17.0.15", List.of("-Xmx1g", "-XX:+UseParallelGC"));
        final Fixtures.Cli flags = gate(baseline, candidate);
        assertEquals(2, flags.exitCode());
        assertTrue(flags.err().contains("(JVM arguments '[-Xmx1g]' vs '[-XX:+UseParallelGC, -Xmx1g]')"), flags.err());

        withJvm(candidate.resolve("alloc-free-pair.json"), "21.0.5", List.of("-Xmx1g"));
        final Fixtures.Cli jdk = gate(baseline, candidate);
        assertEquals(2, jdk.exitCode());
        assertTrue(jdk.err().contains("(JDK '17.0.15' vs '21.0.5')"), jdk.err());
    }

    @Test
    void theRecordedReferenceRunAndTheLatestQuickRunComeFromDifferentMachines()
    {
        // Two committed runs: the full reference (Intel Xeon) and the README's quick run of 2026-12-02 (AMD EPYC).
        final Path results = Path.of(System.getProperty("iova.results.dir"));
        final Path reference = results.resolve("2026-11-25-vm-full-reference-2");
        final Path quick = results.resolve("2026-12-02-vm");

        final Fixtures.Cli cli = Fixtures.cli("gate", "--baseline", reference.toString(), "--candidate", quick.toString(),
            "--out", gateDir().toString(), "--accepted", none().toString());

        assertEquals(2, cli.exitCode(), cli.out());
        assertTrue(cli.err().contains("different machines (CPU model 'Intel(R) Xeon(R) Processor' vs 'AMD EPYC')"), cli.err());
        assertFalse(Files.exists(gateDir()), "nothing written");
    }

    @Test
    void aTwoTimesSlowerHotPathShouldExitWith1AndSayWhichInTheFirstLine()
    {
        final Path baseline = SyntheticRuns.run(tempDir.resolve("a"), "alloc-free-pair.json", 1, TREE, CACHED);
        final Path candidate = SyntheticRuns.run(tempDir.resolve("b"), "alloc-free-pair.json", 2, TREE.score(620), CACHED);

        final Fixtures.Cli cli = gate(baseline, candidate);

        assertEquals(1, cli.exitCode());
        assertTrue(cli.out().lines().toList().get(2).matches("\\*\\*REGRESSION: AllocFreePairBenchmark.tree avgt liveRanges=1000 is " +
            "\\d+\\.\\d% slower \\(99.5% interval \\+\\d+\\.\\d% to \\+\\d+\\.\\d%, threshold 10%\\)\\.\\*\\*"), cli.out());
        assertTrue(cli.out().contains("| **REGRESSION** |"), cli.out());
    }

    @Test
    void halfTheThroughputShouldBeARegressionToo()
    {
        final Path baseline = SyntheticRuns.run(tempDir.resolve("a"), "alloc-free-pair.json", 1, TREE, CACHED);
        final Path candidate = SyntheticRuns.run(tempDir.resolve("b"), "alloc-free-pair.json", 2, TREE, CACHED.score(0.0374 / 2));

        final Fixtures.Cli cli = gate(baseline, candidate);

        assertEquals(1, cli.exitCode());
        assertTrue(cli.out().contains("REGRESSION: AllocFreePairBenchmark.cached thrpt liveRanges=1000 is 10"), cli.out());
    }

    @Test
    void jsonShouldBeMachineReadable() throws Exception
    {
        final Path baseline = SyntheticRuns.run(tempDir.resolve("a"), "alloc-free-pair.json", 1, TREE, CACHED);
        final Path candidate = SyntheticRuns.run(tempDir.resolve("b"), "alloc-free-pair.json", 2, TREE.score(620), CACHED);

        final Fixtures.Cli cli = Fixtures.cli("gate", "--baseline", baseline.toString(), "--candidate", candidate.toString(), "--json",
            "--out", tempDir.resolve("out").toString(), "--accepted", none().toString());

        assertEquals(1, cli.exitCode());
        final JsonNode json = SyntheticRuns.MAPPER.readTree(cli.out().substring(0, cli.out().lastIndexOf("gate summary:")));
        assertEquals("REGRESSION", json.get("verdict").asText());
        assertEquals(1, json.get("exitCode").asInt());
        assertEquals("REGRESSION", json.get("benchmarks").get(0).get("verdict").asText());
        assertEquals(100, json.get("benchmarks").get(0).get("slowdownPercent").asDouble(), 3);
        assertEquals(10.0, json.get("settings").get("minEffectPercent").asDouble(), 1e-9);
        assertEquals(json, SyntheticRuns.MAPPER.readTree(tempDir.resolve("out").resolve("gate.json").toFile()));
        final List<String> tsv = Files.readAllLines(tempDir.resolve("out").resolve("gate-verdicts.tsv"));
        assertEquals("benchmark\tslowdownPercent\tlowPercent\thighPercent\tverdict", tsv.get(0));
        assertTrue(tsv.get(1).startsWith("AllocFreePairBenchmark.tree avgt liveRanges=1000\t") && tsv.get(1).endsWith("\tREGRESSION"),
            tsv.get(1));
    }

    @Test
    void sameInputsAndSeedShouldGiveTheSameSummary() throws Exception
    {
        final Path baseline = SyntheticRuns.run(tempDir.resolve("a"), "alloc-free-pair.json", 1, TREE, CACHED);
        final Path candidate = SyntheticRuns.run(tempDir.resolve("b"), "alloc-free-pair.json", 2, TREE.score(330), CACHED);

        final Fixtures.Cli first = gate(baseline, candidate);
        final Fixtures.Cli second = gate(baseline, candidate);
        final Fixtures.Cli otherSeed = Fixtures.cli("gate", "--baseline", baseline.toString(), "--candidate", candidate.toString(),
            "--seed", "2", "--accepted", none().toString(), "--out", gateDir().toString());

        assertEquals(first.out(), second.out());
        assertEquals(first.exitCode(), otherSeed.exitCode());
    }

    @Test
    void theRecordedRunsShouldCompare()
    {
        // real JMH JSON: before and after the cache fixes (2 forks each; the false-sharing suite was only run before)
        final Path before = Fixtures.resource("/jmh/before-fixes");
        final Path after = Fixtures.resource("/jmh/after-fixes");

        final Fixtures.Cli cli = Fixtures.cli("gate", "--baseline", before.toString(), "--candidate", after.toString(),
            "--out", tempDir.toString(), "--accepted", none().toString());

        assertEquals(1, cli.exitCode(), cli.err());
        assertTrue(cli.out().contains("**REGRESSION: 6 benchmarks are missing from the candidate (CachedPairFalseSharingBenchmark"),
            cli.out());
        assertTrue(cli.out().contains("8 benchmarks have fewer than 3 degrees of freedom (2 forks or rounds a side)"), cli.out());
        assertTrue(cli.out().contains("- allocation: 8 of 8 benchmarks allocated nothing in the baseline; all still allocate nothing"));
    }

    @Test
    void abDryRunShouldPlanFromTheCandidatesJarWithoutBuilding()
    {
        final Path jar = FakeJars.jar(tempDir.resolve("candidate.jar"));

        final Fixtures.Cli cli = Fixtures.cli("gate", "--ab", "HEAD", "--candidate-jar", jar.toString(), "--mode", "avgt", "--dry-run",
            "--out", tempDir.resolve("out").toString());

        assertEquals(0, cli.exitCode(), cli.err());
        final List<String> lines = cli.out().lines().toList();
        assertTrue(lines.get(0).matches("gate A/B: baseline HEAD \\([0-9a-f]{7}\\), built in a temporary git worktree; candidate " +
            java.util.regex.Pattern.quote(jar.toString())), lines.get(0));
        assertTrue(lines.get(1).startsWith("2 benchmarks x 10 rounds"), lines.get(1));
        assertTrue(lines.get(4).startsWith("estimated time: 2 min 54 s = 174 s"), lines.get(4));
        assertTrue(Files.notExists(tempDir.resolve("out")));
    }

    @Test
    void anUnknownRevisionShouldBeExit2OrSkippedWhenAskedWithAGateMdSayingSo() throws Exception
    {
        final Path jar = FakeJars.jar(tempDir.resolve("candidate.jar"));

        final Fixtures.Cli refused = Fixtures.cli("gate", "--ab", "no-such-revision-of-this-repository", "--candidate-jar", jar.toString(),
            "--out", tempDir.resolve("out").toString());
        final Fixtures.Cli skipped = Fixtures.cli("gate", "--ab", "no-such-revision-of-this-repository", "--candidate-jar", jar.toString(),
            "--out", tempDir.resolve("out").toString(), "--skip-unusable-baseline");

        assertEquals(2, refused.exitCode());
        assertTrue(refused.err().startsWith("allocator-bench gate: 'no-such-revision-of-this-repository' is not a commit of the git " +
            "repository at "), refused.err());
        assertEquals(1, refused.errLines());
        assertEquals(0, skipped.exitCode(), skipped.err());
        assertTrue(skipped.out().startsWith("allocator-bench gate: timing gate skipped: 'no-such-revision-of-this-repository' is not a " +
            "commit"), skipped.out());
        final String markdown = Files.readString(tempDir.resolve("out").resolve("gate.md"));
        assertTrue(markdown.startsWith("# Regression gate\n\n**SKIPPED: the timing gate did not run: 'no-such-revision-of-this-repository' " +
            "is not a commit"), markdown);
    }

    @Test
    void mainShouldListTheGate()
    {
        final Fixtures.Cli cli = Fixtures.cli("--help");

        assertTrue(cli.out().contains("gate"), cli.out());
    }

    private Fixtures.Cli gate(final Path baseline, final Path candidate, final String... more)
    {
        final List<String> args = new ArrayList<>(List.of("gate", "--baseline", baseline.toString(), "--candidate", candidate.toString(),
            "--accepted", none().toString(), "--out", gateDir().toString()));
        args.addAll(List.of(more));
        return Fixtures.cli(args.toArray(String[]::new));
    }

    private Path gateDir()
    {
        return tempDir.resolve("gate");
    }

    /** Sets JMH's record of the forks' JVM in every entry of a synthetic run's file. */
    private static void withJvm(final Path file, final String jdkVersion, final List<String> jvmArgs)
    {
        try
        {
            final ArrayNode entries = (ArrayNode)SyntheticRuns.MAPPER.readTree(file.toFile());
            for (final JsonNode entry : entries)
            {
                final ObjectNode object = (ObjectNode)entry;
                object.put("jdkVersion", jdkVersion);
                object.put("vmName", "OpenJDK 64-Bit Server VM");
                final ArrayNode args = object.putArray("jvmArgs");
                jvmArgs.forEach(args::add);
            }
            Files.writeString(file, entries.toPrettyString());
        }
        catch (final java.io.IOException ex)
        {
            throw new java.io.UncheckedIOException(ex);
        }
    }

    private Path none()
    {
        return SyntheticRuns.write(tempDir.resolve("accepted"), "none.json", "{\"accepted\": []}").resolve("none.json");
    }
}
