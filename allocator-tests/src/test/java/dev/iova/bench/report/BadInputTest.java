package dev.iova.bench.report;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Whatever is not a run: one sentence on standard error that names the file, exit code 2, nothing written. */
class BadInputTest
{
    @TempDir
    Path tempDir;

    @Test
    void missingFolderShouldBeOneSentence()
    {
        final Path dir = tempDir.resolve("no-such-run");

        final Fixtures.Cli cli = Fixtures.cli("report", dir.toString());

        assertRefused(cli, "allocator-bench report: " + dir + ": no such folder");
    }

    @Test
    void aFileInsteadOfAFolderShouldBeOneSentence() throws IOException
    {
        final Path file = Files.writeString(tempDir.resolve("alloc-free-pair.json"), "[]");

        final Fixtures.Cli cli = Fixtures.cli("report", file.toString());

        assertRefused(cli, "allocator-bench report: " + file + " is a file, not a run folder (give the folder that holds the JMH JSON)");
    }

    @Test
    void brokenJsonShouldNameTheFileAndLine() throws IOException
    {
        final Path dir = Fixtures.copyRun("after-fixes", tempDir);
        Files.writeString(dir.resolve("alloc-free-pair.json"), "[\n  {\"benchmark\": \n");

        final Fixtures.Cli cli = Fixtures.cli("report", dir.toString());

        assertEquals(2, cli.exitCode());
        assertEquals(1, cli.errLines(), cli.err());
        assertTrue(cli.err().startsWith("allocator-bench report: " + dir.resolve("alloc-free-pair.json") + " is not valid JSON (line "),
            cli.err());
        assertFalse(Files.exists(dir.resolve("report.md")));
    }

    @Test
    void percentilesWithoutResultsShouldNameTheFile() throws IOException
    {
        final Path dir = Fixtures.copyRun("after-fixes", tempDir);
        final Path file = Files.writeString(dir.resolve("trace-replay-percentiles.json"), "{\"unit\": \"ns\"}");

        final Fixtures.Cli cli = Fixtures.cli("report", dir.toString());

        assertEquals(2, cli.exitCode());
        assertEquals(1, cli.errLines(), cli.err());
        assertTrue(cli.err().startsWith("allocator-bench report: " + file + " is not a run's latency percentiles: "), cli.err());
        assertFalse(Files.exists(dir.resolve("report.md")));
    }

    @Test
    void aFolderOfOtherJsonShouldSayItHoldsNoJmhResults() throws IOException
    {
        final Path dir = Files.createDirectories(tempDir.resolve("replay-2026-11-25-vm"));
        Files.writeString(dir.resolve("replay.json"), "{\"metadata\": {}, \"workloads\": []}");

        final Fixtures.Cli cli = Fixtures.cli("report", dir.toString());

        assertRefused(cli, "allocator-bench report: " + dir + " holds no JMH results (replay.json: JSON objects, not JMH's arrays of results)");
    }

    @Test
    void anArrayThatIsNotJmhsShouldBeRefused() throws IOException
    {
        final Path dir = Files.createDirectories(tempDir.resolve("run"));
        Files.writeString(dir.resolve("numbers.json"), "[1, 2, 3]");

        final Fixtures.Cli cli = Fixtures.cli("report", dir.toString());

        assertRefused(cli, "allocator-bench report: " + dir.resolve("numbers.json") + " is not JMH JSON: expected an array of " +
            "results, each with \"benchmark\", \"mode\" and \"primaryMetric\"");
    }

    @Test
    void anEmptyFolderShouldSaySo() throws IOException
    {
        final Path dir = Files.createDirectories(tempDir.resolve("empty"));

        final Fixtures.Cli cli = Fixtures.cli("report", dir.toString());

        assertRefused(cli, "allocator-bench report: " + dir + " holds no JMH results (no *.json file besides metadata.json)");
    }

    @Test
    void comparingWithAMissingBaselineShouldWriteNothing()
    {
        final Path after = Fixtures.copyRun("after-fixes", tempDir);
        final Path missing = tempDir.resolve("gone");

        final Fixtures.Cli cli = Fixtures.cli("report", missing.toString(), after.toString());

        assertRefused(cli, "allocator-bench report: " + missing + ": no such folder");
        assertFalse(Files.exists(after.resolve("compare-to-gone.md")));
    }

    @Test
    void noFolderOrThreeFoldersShouldBeAUsageError()
    {
        assertEquals(2, Fixtures.cli("report").exitCode());
        assertEquals(2, Fixtures.cli("report", "a", "b", "c").exitCode());
    }

    private static void assertRefused(final Fixtures.Cli cli, final String message)
    {
        assertEquals(2, cli.exitCode(), cli.err());
        assertEquals(message + "\n", cli.err());
        assertEquals("", cli.out());
    }
}
