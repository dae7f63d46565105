package dev.iova.bench.cli;

import dev.iova.bench.trace.TraceGenerator;
import dev.iova.bench.trace.TraceShape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs the command line as the jar does, with standard output and error captured. */
class MainTest
{
    private static final String SMALL_HAND_JSON = "\\{\"ops\": 11, \"allocOk\": 6, \"allocFailed\": 2, \"freeSkipped\": 1, " +
        "\"liveAtEnd\": 4, \"nsPerOp\": \\d+\\.\\d, \"pfnDigest\": \"9bfcd77eec79fd31\"";

    @TempDir
    Path tempDir;

    @Test
    void replayShouldPrintEveryFieldOnItsOwnLine()
    {
        final Run run = run("replay", smallHand());

        run.assertSucceeded();
        final List<String> lines = run.outLines();
        assertEquals("trace           " + smallHand(), lines.get(0));
        assertEquals("ops             11", lines.get(1));
        assertEquals("allocOk         6", lines.get(2));
        assertEquals("allocFailed     2", lines.get(3));
        assertEquals("freeSkipped     1", lines.get(4));
        assertEquals("liveAtEnd       4", lines.get(5));
        assertTrue(lines.get(6).matches("nsPerOp         \\d+\\.\\d"), lines.get(6));
        assertEquals("pfnDigest       9bfcd77eec79fd31", lines.get(7));
        assertEquals(8, lines.size());
        assertFalse(run.out.contains("{"), "no JSON without --json");
    }

    @Test
    void replayWithJsonShouldEndWithOneJsonObject()
    {
        final Run run = run("replay", smallHand(), "--json");

        run.assertSucceeded();
        final List<String> lines = run.outLines();
        assertTrue(lines.get(lines.size() - 1).matches(SMALL_HAND_JSON + "}"), lines.get(lines.size() - 1));
        assertEquals(9, lines.size());
    }

    @Test
    void replayWithVerifyShouldSayVerifiedInBothForms()
    {
        final Run run = run("replay", "--verify", "--json", tight3000());

        run.assertSucceeded();
        final List<String> lines = run.outLines();
        assertEquals("verified        true", lines.get(lines.size() - 2));
        assertTrue(lines.get(lines.size() - 1).matches("\\{\"ops\": 3000, \"allocOk\": 1478, \"allocFailed\": 180, " +
            "\"freeSkipped\": 126, \"liveAtEnd\": 262, \"nsPerOp\": \\d+\\.\\d, \"pfnDigest\": \"d0393840e9460b85\", " +
            "\"verified\": true}"), lines.get(lines.size() - 1));
    }

    @Test
    void replayWithRepeatShouldReportTheSameFields()
    {
        final Run run = run("replay", smallHand(), "--repeat", "3", "--json");

        run.assertSucceeded();
        assertTrue(run.outLines().contains("repeat          3 (best nsPerOp shown)"), run.out);
        final List<String> lines = run.outLines();
        assertTrue(lines.get(lines.size() - 1).matches(SMALL_HAND_JSON + "}"), lines.get(lines.size() - 1));
    }

    @Test
    void replayWithCacheShouldSaySoAndVerifyAfterAFlush()
    {
        final Run run = run("replay", "--cache", "--verify", "--json", "--repeat", "2", tight3000());

        run.assertSucceeded();
        final List<String> lines = run.outLines();
        assertEquals("ops             3000", lines.get(2));
        assertEquals("via             range caches (allocFast/freeFast): pfnDigest is not comparable with tree replays",
            lines.get(lines.size() - 3));
        assertTrue(lines.get(lines.size() - 4).matches("cacheHitRate    \\d+\\.\\d\\d% \\(\\d+ hits, \\d+ misses, \\d+ ranges from " +
            "the tree, \\d+ back to it, \\d+ flushes\\)"), lines.get(lines.size() - 4));
        assertEquals("verified        true", lines.get(lines.size() - 2));
        assertTrue(lines.get(lines.size() - 1).matches("\\{\"ops\": 3000, \"allocOk\": \\d+, \"allocFailed\": \\d+, " +
            "\"freeSkipped\": \\d+, \"liveAtEnd\": \\d+, \"nsPerOp\": \\d+\\.\\d, \"pfnDigest\": \"[0-9a-f]{16}\", " +
            "\"cache\": true, \"cacheHitRate\": \\d+\\.\\d\\d, \"verified\": true}"), lines.get(lines.size() - 1));
    }

    @Test
    void plainCommandLineOfMainShouldReplayToo()
    {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final CommandLine commandLine = new CommandLine(new Main());
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));

        final int exitCode = commandLine.execute("replay", smallHand(), "--json");

        assertEquals(0, exitCode, err.toString());
        assertTrue(out.toString().strip().lines().reduce((first, second) -> second).orElseThrow().matches(SMALL_HAND_JSON + "}"));
    }

    @Test
    void malformedTraceShouldFailWithFileLineAndReasonOnly() throws IOException
    {
        final Path trace = write("bad.trace", "iova-trace v1\ndomain granule=4096 start=1\nalloc 1 2\n");

        final Run run = run("replay", trace.toString(), "--json");

        run.assertFailed(1, trace + ":3: alloc takes ID PAGES LIMIT, found 2 fields");
        assertEquals("", run.out);
    }

    @Test
    void replayRuleBrokenShouldFailWithFileLineAndReasonOnly() throws IOException
    {
        final Path trace = write("unbound.trace", "iova-trace v1\ndomain granule=4096 start=1\nalloc 1 1 0xff\nfree 2\n");

        final Run run = run("replay", trace.toString());

        run.assertFailed(1, trace + ":4: free of id 2, which is not bound (never allocated, or already freed)");
    }

    @Test
    void missingTraceShouldFailInOneSentence()
    {
        final Path missing = tempDir.resolve("missing.trace");

        run("replay", missing.toString()).assertFailed(1, missing + ": cannot read the trace: no such file");
    }

    @Test
    void replayOfADeviceOrAFifoShouldFailInOneSentenceWithoutReading() throws IOException, InterruptedException
    {
        run("replay", "/dev/zero").assertFailed(1,
            "/dev/zero: cannot read the trace: not a regular file (a directory, FIFO, device or socket): a trace is a regular file");
        final Path fifo = tempDir.resolve("fifo.trace");
        org.junit.jupiter.api.Assumptions.assumeTrue(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor() == 0);

        run("replay", fifo.toString()).assertFailed(1,
            fifo + ": cannot read the trace: not a regular file (a directory, FIFO, device or socket): a trace is a regular file");
    }

    @Test
    void replayOfALineWithoutEndShouldNameFileAndLine() throws IOException
    {
        final Path zeros = tempDir.resolve("zeros.trace");
        java.nio.file.Files.write(zeros, new byte[1 << 20]);

        run("replay", zeros.toString()).assertFailed(1, zeros + ":1: line longer than 4096 characters: not an iova-trace file?");
    }

    @Test
    void badRepeatShouldBeAUsageError()
    {
        final Run run = run("replay", smallHand(), "--repeat", "0");

        run.assertFailed(2, "allocator-bench replay: --repeat=0 must be at least 1 (see --help)");
    }

    @Test
    void genShouldWriteTheGeneratorsTextToStandardOutput()
    {
        final Run run = run("gen", "network", "--ops", "100", "--seed", "7");

        run.assertSucceeded();
        assertEquals(TraceGenerator.generateText(TraceShape.NETWORK, 100, 7), run.out);
    }

    @Test
    void genShouldWriteAFileThatReplays()
    {
        final Path out = tempDir.resolve("frag.trace");

        run("gen", "FRAGMENTING", "--ops", "2000", "--seed", "3", "--out", out.toString()).assertSucceeded();
        final Run replay = run("replay", out.toString(), "--verify", "--json");

        replay.assertSucceeded();
        assertTrue(replay.outLines().contains("ops             2000"), replay.out);
    }

    @Test
    void genPlacementShouldWriteAV2TraceThatReplaysWithReserveFailed()
    {
        final Path out = tempDir.resolve("placement.trace");

        run("gen", "placement", "--ops", "3000", "--seed", "2", "--out", out.toString()).assertSucceeded();
        final Run replay = run("replay", out.toString(), "--verify", "--json");

        replay.assertSucceeded();
        assertTrue(replay.outLines().contains("ops             3000"), replay.out);
        assertTrue(replay.outLines().stream().anyMatch(line -> line.matches("reserveFailed +[1-9][0-9]*")), replay.out);
        assertTrue(replay.outLines().get(replay.outLines().size() - 1).matches(".*\"reserveFailed\": [1-9][0-9]*, .*"), replay.out);
    }

    @Test
    void replayOfAV2TraceThroughTheCachesShouldFailInOneSentence() throws IOException
    {
        final Path trace = write("v2.trace", "iova-trace v2\ndomain granule=4096 start=1 end=0xffff\nalloc 1 2 0xffff fit=best\n");

        final Run run = run("replay", "--cache", trace.toString());

        run.assertFailed(1, trace + ":1: the range caches (--cache) cannot replay an iova-trace v2 file, because they place " +
            "only size-aligned ranges at the highest fit: replay it straight into the tree");
        assertEquals("", run.out);
    }

    @Test
    void genOfAnUnknownShapeShouldNameTheShapes()
    {
        run("gen", "disk", "--ops", "10").assertFailed(2, "allocator-bench gen: Invalid value for positional parameter at index 0 " +
            "(SHAPE): unknown shape 'disk': expected one of network, storage, fragmenting, mixed, tight, placement (see --help)");
    }

    @Test
    void genWithNegativeOpsShouldBeAUsageError()
    {
        run("gen", "storage", "--ops", "-5").assertFailed(2, "allocator-bench gen: --ops=-5 must be at least 0 (see --help)");
    }

    @Test
    void genIntoAMissingFolderShouldFailInOneSentence()
    {
        final Path out = tempDir.resolve("no/such/folder/x.trace");

        run("gen", "network", "--ops", "10", "--out", out.toString()).assertFailed(1, out + ": cannot write the trace: no such file");
    }

    @Test
    void noSubcommandShouldBeAUsageError()
    {
        run().assertFailed(2, "allocator-bench: missing subcommand: run, report, gate, replay, gen, import, compare, regions or workloads (see --help)");
    }

    @Test
    void versionShouldNameTheTool()
    {
        final Run run = run("--version");

        run.assertSucceeded();
        assertTrue(run.out.startsWith("allocator-bench "), run.out);
    }

    private Path write(final String name, final String text) throws IOException
    {
        return Files.writeString(tempDir.resolve(name), text);
    }

    private static String smallHand()
    {
        return sharedTrace("small-hand.trace");
    }

    private static String tight3000()
    {
        return sharedTrace("tight-3000.trace");
    }

    private static String sharedTrace(final String name)
    {
        final String sharedDir = System.getProperty("iova.shared.dir");
        assertTrue(sharedDir != null, "system property iova.shared.dir (the folder holding traces/) is not set");
        return Path.of(sharedDir, "traces", name).toString();
    }

    private static Run run(final String... args)
    {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final CommandLine commandLine = Main.newCommandLine();
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        final int exitCode = commandLine.execute(args);
        return new Run(exitCode, out.toString(), err.toString());
    }

    private record Run(int exitCode, String out, String err)
    {
        List<String> outLines()
        {
            return out.lines().toList();
        }

        void assertSucceeded()
        {
            assertEquals(0, exitCode, "exit code; stderr: " + err);
            assertEquals("", err);
        }

        void assertFailed(final int expectedExitCode, final String expectedErr)
        {
            assertEquals(expectedExitCode, exitCode, "exit code; stdout: " + out);
            assertEquals(expectedErr + System.lineSeparator(), err, "one sentence on stderr, no stack trace");
        }
    }
}
