package dev.iova.bench.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code report --format bencher | github-action-benchmark}: the recorded JMH run in those tools' formats, units converted. */
class CiExportTest
{
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @TempDir
    Path tempDir;

    @Test
    void bencherHasOneMeasureOfTimeOrThroughputPerResultInBenchersUnits() throws Exception
    {
        final RunResults run = RunResults.load(Fixtures.resource("/jmh/after-fixes"));
        final Fixtures.Cli cli = Fixtures.cli("report", Fixtures.resource("/jmh/after-fixes").toString(), "--format", "bencher");

        assertEquals(0, cli.exitCode(), cli.err());
        final JsonNode bmf = MAPPER.readTree(cli.out());
        assertEquals(run.results().size(), bmf.size(), "one benchmark per result");
        for (final BenchmarkResult result : run.results())
        {
            final JsonNode measures = bmf.get(CiExport.name(result));
            assertTrue(measures != null, CiExport.name(result));
            if (result.higherIsBetter())
            {
                // Bencher's throughput is operations per second; JMH's unit here is per microsecond or nanosecond
                final double perSecond = result.score() * Units.conversion(result.unit(), "ops/s");
                assertEquals(perSecond, measures.get("throughput").get("value").asDouble(), perSecond * 1e-12, result.unit());
                assertTrue(measures.get("throughput").get("lower_value").asDouble() < perSecond);
                assertFalse(measures.has("latency"));
            }
            else
            {
                final double nanos = result.score() * Units.conversion(result.unit(), "ns/op");
                assertEquals(nanos, measures.get("latency").get("value").asDouble(), nanos * 1e-12, result.unit());
                assertTrue(measures.get("latency").get("upper_value").asDouble() > nanos);
            }
            assertEquals(result.allocBytesPerOp(), measures.get("allocation").get("value").asDouble(), 1e-12);
        }
    }

    @Test
    void githubActionBenchmarkIsSmallerIsBetterThroughoutWithThroughputsTurnedIntoTimePerOperation() throws Exception
    {
        final Path file = tempDir.resolve("gab.json");
        final Fixtures.Cli cli = Fixtures.cli("report", Fixtures.resource("/jmh/after-fixes").toString(),
            "--format", "github-action-benchmark", "--out", file.toString());

        assertEquals(0, cli.exitCode(), cli.err());
        final RunResults run = RunResults.load(Fixtures.resource("/jmh/after-fixes"));
        assertEquals(run.results().size() + " results written to " + file + "\n", cli.out());
        final JsonNode entries = MAPPER.readTree(file.toFile());
        assertEquals(2 * run.results().size(), entries.size(), "time and allocation per result");
        for (final BenchmarkResult result : run.results())
        {
            final JsonNode time = find(entries, CiExport.name(result));
            assertEquals("ns/op", time.get("unit").asText());
            final double expected = result.higherIsBetter() ? 1 / (result.score() * Units.conversion(result.unit(), "ops/ns")) :
                result.score() * Units.conversion(result.unit(), "ns/op");
            assertEquals(expected, time.get("value").asDouble(), expected * 1e-12, CiExport.name(result));
            assertTrue(time.get("extra").asText().startsWith("JMH: "), time.toString());
            assertEquals("B/op", find(entries, CiExport.name(result) + " allocation").get("unit").asText());
        }
    }

    @Test
    void exportsWriteNothingIntoTheRunFolderAndRefuseTwoFolders() throws Exception
    {
        final Path dir = Fixtures.copyRun("after-fixes", tempDir);
        final List<String> before = list(dir);

        assertEquals(0, Fixtures.cli("report", dir.toString(), "--format", "bencher").exitCode());
        assertEquals(before, list(dir), "the run folder's JSON files are read as JMH's: nothing is added");

        final Fixtures.Cli two = Fixtures.cli("report", dir.toString(), dir.toString(), "--format", "bencher");
        assertEquals(2, two.exitCode());
        assertTrue(two.err().contains("--format bencher exports one run: give one folder"), two.err());
        final Fixtures.Cli unknown = Fixtures.cli("report", dir.toString(), "--format", "csv");
        assertEquals(2, unknown.exitCode());
        assertTrue(unknown.err().contains("--format csv is none of png, svg, bencher, github-action-benchmark"), unknown.err());
    }

    private static JsonNode find(final JsonNode entries, final String name)
    {
        for (final JsonNode entry : entries)
        {
            if (entry.get("name").asText().equals(name))
            {
                return entry;
            }
        }
        throw new AssertionError("no entry named " + name);
    }

    private static List<String> list(final Path dir) throws Exception
    {
        try (Stream<Path> files = Files.list(dir))
        {
            return files.map(f -> f.getFileName().toString()).sorted().toList();
        }
    }
}
