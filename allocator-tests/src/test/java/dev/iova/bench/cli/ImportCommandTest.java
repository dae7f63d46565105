package dev.iova.bench.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code import} as the jar runs it: the samples, the summary, errors in one sentence, nothing written on failure. */
class ImportCommandTest
{
    @TempDir
    Path tempDir;

    static Path sample(final String name)
    {
        try
        {
            return Path.of(ImportCommandTest.class.getResource("/kernel-traces/" + name).toURI());
        }
        catch (final URISyntaxException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    @Test
    void importOfTheNvmeSampleWritesTheExpectedTraceAndSummary() throws IOException
    {
        final Path out = tempDir.resolve("nvme.trace");
        final Run run = run("import", sample("nvme-tracefs.txt").toString(), "--out", out.toString());

        run.assertSucceeded();
        assertEquals(Files.readString(sample("nvme-tracefs.expected.trace")), Files.readString(out));
        final List<String> lines = run.out.lines().toList();
        assertTrue(lines.contains("events read     dma_alloc 2, dma_map_phys 6, dma_map_sg 1, dma_sync_single_for_cpu 1, " +
            "dma_unmap_phys 5, dma_unmap_sg 1"), run.out);
        assertTrue(lines.contains("used            dma: events of device 0000:01:00.0"), run.out);
        assertTrue(lines.contains("alloc lines     9"), run.out);
        assertTrue(lines.contains("free lines      5"), run.out);
        assertTrue(lines.contains("  unmatched     1 unmaps overlapping no live mapping: line 26"), run.out);
        assertTrue(lines.contains("  syncs         1 dma_sync_* events (no mapping changes)"), run.out);
        assertTrue(lines.contains("lost notices    1 notices, 3 events lost: line 24"), run.out);
    }

    @Test
    void everySampleImportsAndReplaysWithVerify()
    {
        for (final String name : new String[] {"nvme-tracefs.txt", "nic-trace-cmd.txt", "old-iommu-perf-script.txt"})
        {
            final Path out = tempDir.resolve(name + ".trace");
            run("import", sample(name).toString(), "--out", out.toString()).assertSucceeded();
            final Run replay = run("replay", out.toString(), "--verify");
            replay.assertSucceeded();
            assertTrue(replay.out.contains("allocFailed     0"), replay.out);
            assertTrue(replay.out.contains("verified        true"), replay.out);
        }
    }

    @Test
    void theOldIommuSampleCountsItsOverlapAndItsEmptyUnmap()
    {
        final Run run = run("import", sample("old-iommu-perf-script.txt").toString(), "--out", tempDir.resolve("o.trace").toString());
        run.assertSucceeded();
        assertTrue(run.out.contains("used            iommu:map/unmap (no dma: events, so no device names)"), run.out);
        assertTrue(run.out.contains("  overlapping   1 maps overlapping a live mapping: line 11"), run.out);
        assertTrue(run.out.contains("  unmatched     1 unmaps overlapping no live mapping: line 10"), run.out);
    }

    @Test
    void strictStopsAtTheFirstProblemAndWritesNothing() throws IOException
    {
        final Path out = tempDir.resolve("nvme.trace");
        Files.writeString(out, "an older trace\n");
        final Run run = run("import", sample("nvme-tracefs.txt").toString(), "--out", out.toString(), "--strict");

        run.assertFailed(1, sample("nvme-tracefs.txt") + ":26: dma_unmap_phys: unmap of pfns 0xfffe8..0xfffeb overlaps no live mapping (--strict)");
        assertEquals("an older trace\n", Files.readString(out), "a failed import leaves the old file alone");
        try (var files = Files.list(tempDir))
        {
            assertEquals(List.of(out), files.toList(), "no temporary file is left behind");
        }
    }

    @Test
    void aMalformedLineWithStrictIsAnErrorNamingItsLineAndValue() throws IOException
    {
        final Path recording = tempDir.resolve("bad.txt");
        Files.writeString(recording, Files.readString(sample("nvme-tracefs.txt")).replace("dma_addr=ffff8000", "dma_addr=ffff8g00"));
        final Path out = tempDir.resolve("bad.trace");
        run("import", recording.toString(), "--out", out.toString(), "--strict")
            .assertFailed(1, recording + ":16: dma_map_phys: dma_addr=ffff8g00 is not a 64-bit hex number (--strict)");
        assertFalse(Files.exists(out));

        final Run lenient = run("import", recording.toString(), "--out", out.toString());
        lenient.assertSucceeded();
        assertTrue(lenient.out.contains("  malformed     1 lines: line 16 (dma_map_phys: dma_addr=ffff8g00 is not a 64-bit hex number)"),
            lenient.out);
    }

    @Test
    void binaryGarbageIsRefusedOnTheFirstBadLine() throws IOException
    {
        final byte[] garbage = new byte[100_000];
        new Random(18).nextBytes(garbage);
        final Path recording = tempDir.resolve("garbage.bin");
        Files.write(recording, garbage);
        final Path out = tempDir.resolve("g.trace");
        final Run run = run("import", recording.toString(), "--out", out.toString());

        assertEquals(1, run.exitCode);
        assertTrue(run.err.matches(java.util.regex.Pattern.quote(recording.toString()) +
            ":1: not a text recording: control byte 0x[0-9a-f]{2} at column \\d+\\R"), run.err);
        assertFalse(Files.exists(out));
    }

    @Test
    void aTextFileThatIsNoRecordingIsRefusedInOneSentence() throws IOException
    {
        final Path recording = tempDir.resolve("notes.txt");
        Files.writeString(recording, "shopping list\neggs\n", StandardCharsets.UTF_8);
        final Path out = tempDir.resolve("n.trace");
        run("import", recording.toString(), "--out", out.toString()).assertFailed(1, recording +
            ": no iommu:map/unmap or dma: mapping events in 2 lines (2 malformed): is this a recording of those events?");
        assertFalse(Files.exists(out));
    }

    @Test
    void aMissingRecordingIsOneSentence()
    {
        final Path missing = tempDir.resolve("missing.txt");
        run("import", missing.toString(), "--out", tempDir.resolve("m.trace").toString())
            .assertFailed(1, missing + ": cannot read the recording: no such file");
        final Path noDir = tempDir.resolve("no-such-dir").resolve("m.trace");
        run("import", sample("nic-trace-cmd.txt").toString(), "--out", noDir.toString())
            .assertFailed(1, noDir + ": cannot write the trace: no such file");
    }

    @Test
    void compareOfAnImportedSamplePrintsTheTable()
    {
        final Path trace = tempDir.resolve("nic.trace");
        run("import", sample("nic-trace-cmd.txt").toString(), "--out", trace.toString()).assertSucceeded();
        final Run run = run("compare", trace.toString()); // the report with its charts: CompareImportedTraceTest

        run.assertSucceeded();
        assertTrue(run.out.contains("allocations placed                   38                 38"), run.out);
        assertFalse(run.out.contains("report"), "no report without --out");
        run("compare", sample("nic-trace-cmd.txt").toString())
            .assertFailed(1, sample("nic-trace-cmd.txt") + ":1: expected the header 'iova-trace v1' first, found 'version = 7'");
    }

    @Test
    void runWithTraceReplaysTheFileInTheTraceSuite()
    {
        final Path trace = sample("nvme-tracefs.expected.trace");
        final Run run = run("run", "--trace", trace.toString(), "--dry-run", "--out", tempDir.resolve("run").toString());

        run.assertSucceeded();
        for (final String target : new String[] {"tree", "cached", "treemap-baseline"})
        {
            assertTrue(run.out.contains("TraceReplayBenchmark.replay avgt shape=file:" + trace.toAbsolutePath() + ",target=" + target), run.out);
        }
        assertFalse(run.out.contains("shape=network"), run.out);
        run("run", "--trace", trace.toString(), "-p", "shape=network", "--dry-run")
            .assertFailed(2, "allocator-bench run: --trace and -p shape=... both choose the trace: give one (see --help)");
    }

    @Test
    void badOptionsAreUsageErrors()
    {
        final String in = sample("nic-trace-cmd.txt").toString();
        final String out = tempDir.resolve("x.trace").toString();
        run("import", in, "--out", out, "--limit", "0xfffff", "--mask", "32")
            .assertFailed(2, "allocator-bench import: --limit and --mask both give the limit: choose one (see --help)");
        run("import", in, "--out", out, "--granule", "1000")
            .assertFailed(2, "allocator-bench import: --granule=1000 must be a power of two from 1 to 2^62 (see --help)");
        final Run badLimit = run("import", in, "--out", out, "--limit", "0xfffffg");
        assertEquals(2, badLimit.exitCode);
        assertTrue(badLimit.err.contains("'0xfffffg' is not a pfn (decimal or 0x hex, at most 0x7fffffffffffffff)"), badLimit.err);
        assertEquals(2, run("import", in).exitCode, "--out is required");
    }

    @Test
    void limitAndDeviceOptionsReachTheTrace() throws IOException
    {
        final Path out = tempDir.resolve("nic.trace");
        run("import", sample("nic-trace-cmd.txt").toString(), "--out", out.toString(), "--device", "0000:03:00.0", "--mask", "36")
            .assertSucceeded();
        assertTrue(Files.readString(out).contains("alloc 1 1 0xffffff  # kernel 0xfffff line 4"));
    }

    @Test
    void helpNamesTheFormatsAndTheOptions()
    {
        final Run run = run("import", "--help");
        run.assertSucceeded();
        for (final String word : new String[] {"trace_pipe", "trace-cmd", "perf script", "iommu:map", "dma_map_sg", "--device",
            "--limit", "--mask", "--granule", "--strict", "--out"})
        {
            assertTrue(run.out.contains(word), word + " in\n" + run.out);
        }
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
