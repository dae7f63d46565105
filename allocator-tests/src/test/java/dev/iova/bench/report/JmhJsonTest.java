package dev.iova.bench.report;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reads the JMH JSON recorded in results/2026-11-25-vm-cache-pair-after-fixes. */
class JmhJsonTest
{
    @TempDir
    Path tempDir;

    @Test
    void shouldReadEveryEntryOfARealRunInFileOrder() throws Exception
    {
        final List<BenchmarkResult> results = JmhJson.read(Fixtures.resource("/jmh/after-fixes/alloc-free-pair.json"));

        assertEquals(8, results.size());
        assertEquals(List.of("cached", "cached2Threads", "cached4Threads", "cached", "cached2Threads", "cached4Threads",
            "tree", "treeViaFastApiCachesOff"), results.stream().map(BenchmarkResult::method).toList());
        assertEquals(List.of(1, 2, 4, 1, 2, 4, 1, 1), results.stream().map(BenchmarkResult::threads).toList());
    }

    @Test
    void shouldReadScoreErrorIntervalUnitAndBytesPerOp() throws Exception
    {
        final BenchmarkResult cached = JmhJson.read(Fixtures.resource("/jmh/after-fixes/alloc-free-pair.json")).get(0);

        assertEquals("dev.iova.bench.jmh.AllocFreePairBenchmark.cached", cached.benchmark());
        assertEquals("dev.iova.bench.jmh.AllocFreePairBenchmark", cached.className());
        assertEquals("AllocFreePairBenchmark", cached.simpleClassName());
        assertEquals("thrpt", cached.mode());
        assertEquals(Map.of("liveRanges", "1000"), cached.params());
        assertEquals(0.03630670844352129, cached.score());
        assertEquals(0.0012095948417368168, cached.scoreError());
        assertEquals(0.035097113601784476, cached.scoreLow());
        assertEquals(0.0375163032852581, cached.scoreHigh());
        assertEquals("ops/ns", cached.unit());
        assertEquals(10, cached.samples(), "2 forks of 5 iterations");
        assertEquals(2, cached.forks());
        assertTrue(cached.allocBytesPerOp() >= 0 && cached.allocBytesPerOp() < 0.01, "gc.alloc.rate.norm " + cached.allocBytesPerOp());
        assertEquals("2 forks, 3 × 2 s warm-up, 5 × 2 s measurement", cached.settings());
        assertEquals("1.37", cached.jmhVersion());
    }

    @Test
    void shouldReadAGroupsMethodsAndSampledPercentiles() throws Exception
    {
        final List<BenchmarkResult> results = JmhJson.read(Fixtures.resource("/jmh/mixed-params/map-unmap.json"));

        final BenchmarkResult crossThread = results.stream()
            .filter(r -> r.method().equals("crossThread") && r.mode().equals("thrpt")).findFirst().orElseThrow();
        assertEquals(4.118603821165820, crossThread.secondaryMetrics().get("crossThreadUnmap").score(), 1e-12);
        assertEquals("ops/us", crossThread.secondaryMetrics().get("crossThreadUnmap").unit());
        assertEquals(crossThread.allocBytesPerOp(), crossThread.secondaryMetrics().get("gc.alloc.rate.norm").score());

        final BenchmarkResult sampled = results.stream()
            .filter(r -> r.method().equals("sameThread1Thread") && r.mode().equals("sample")).findFirst().orElseThrow();
        assertEquals(0.135, sampled.scorePercentiles().get(50.0));
        assertEquals(4.552, sampled.scorePercentiles().get(99.9), 1e-12);
        assertEquals(131.328, sampled.scorePercentiles().get(100.0));
        assertEquals("us/op", sampled.unit());
    }

    @Test
    void scoreErrorWrittenAsNaNShouldReadAsNaN() throws Exception
    {
        final Path file = tempDir.resolve("one-iteration.json");
        Files.writeString(file, Files.readString(Fixtures.resource("/jmh/after-fixes/alloc-free-pair.json"))
            .replace("\"scoreError\" : 0.0012095948417368168", "\"scoreError\" : \"NaN\""));

        assertTrue(Double.isNaN(JmhJson.read(file).get(0).scoreError()));
    }

    @Test
    void brokenJsonShouldBeOneSentenceWithFileAndLine() throws IOException
    {
        final Path file = tempDir.resolve("broken.json");
        Files.writeString(file, "[\n  {\"benchmark\": \"a.B.c\",\n  \"mode\": }\n]");

        final ReportException ex = assertThrows(ReportException.class, () -> JmhJson.read(file));

        assertTrue(ex.getMessage().startsWith(file + " is not valid JSON (line 3"), ex.getMessage());
        assertEquals(1, ex.getMessage().lines().count());
    }

    @Test
    void jsonThatIsNotJmhsShouldBeSaidSo() throws IOException
    {
        final Path file = tempDir.resolve("other.json");
        Files.writeString(file, "[{\"workload\": \"network\", \"ops\": 50000}]");

        final ReportException ex = assertThrows(ReportException.class, () -> JmhJson.read(file));

        assertEquals(file + " is not JMH JSON: expected an array of results, each with \"benchmark\", \"mode\" and " +
            "\"primaryMetric\"", ex.getMessage());
    }
}
