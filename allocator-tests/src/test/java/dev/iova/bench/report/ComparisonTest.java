package dev.iova.bench.report;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The run before the cache fixes against the run after them, both recorded in results/. */
class ComparisonTest
{
    @TempDir
    Path tempDir;

    @Test
    void shouldMatchResultsByMethodModeThreadsAndParams() throws Exception
    {
        final Comparison comparison = Comparison.of(RunResults.load(Fixtures.copyRun("before-fixes", tempDir)).results(),
            RunResults.load(Fixtures.copyRun("after-fixes", tempDir)).results());

        assertEquals(8, comparison.rows().size());
        assertEquals(6, comparison.onlyInBaseline().size(), "CachedPairFalseSharingBenchmark ran only before");
        assertTrue(comparison.onlyInCandidate().isEmpty());
    }

    @Test
    void ratioAndOverlapShouldFollowTheConfidenceIntervals() throws Exception
    {
        final Map<String, Comparison.Row> rows = Comparison.of(
                RunResults.load(Fixtures.copyRun("before-fixes", tempDir)).results(),
                RunResults.load(Fixtures.copyRun("after-fixes", tempDir)).results())
            .rows().stream().collect(Collectors.toMap(r -> r.baseline().method() + " " + r.baseline().mode(), Function.identity()));

        final Comparison.Row cachedThrpt = rows.get("cached thrpt");
        assertEquals(0.03630670844352129 / cachedThrpt.baseline().score(), cachedThrpt.ratio(), 1e-12);
        assertEquals("1.49x", Format.ratio(cachedThrpt.ratio()));
        assertFalse(cachedThrpt.overlap(), "[0.0207, 0.0279] and [0.0351, 0.0375] ops/ns");
        assertEquals("better", cachedThrpt.verdict());

        final Comparison.Row treeAvgt = rows.get("tree avgt");
        assertTrue(treeAvgt.overlap(), "383.4 ± 9.3 and 378.9 ± 29.3 ns/op");
        assertEquals("overlap", treeAvgt.verdict());

        final Comparison.Row cached2Avgt = rows.get("cached2Threads avgt");
        assertFalse(cached2Avgt.overlap());
        assertEquals("better", cached2Avgt.verdict(), "less time per operation");
    }

    @Test
    void aWorseCandidateShouldBeCalledWorse() throws Exception
    {
        final Map<String, Comparison.Row> rows = Comparison.of(
                RunResults.load(Fixtures.copyRun("after-fixes", tempDir)).results(),
                RunResults.load(Fixtures.copyRun("before-fixes", tempDir)).results())
            .rows().stream().collect(Collectors.toMap(r -> r.baseline().method() + " " + r.baseline().mode(), Function.identity()));

        assertEquals("worse", rows.get("cached thrpt").verdict());
        assertEquals("worse", rows.get("treeViaFastApiCachesOff avgt").verdict());
    }

    @Test
    void unitsShouldConvertBetweenRunsMeasuredDifferently()
    {
        assertEquals(0.001, Units.conversion("ops/us", "ops/ns"), 1e-15);
        assertEquals(1000, Units.conversion("ops/ns", "ops/us"), 1e-9);
        assertEquals(1000, Units.conversion("us/op", "ns/op"), 1e-9);
        assertEquals(1e-6, Units.conversion("ns/op", "ms/op"), 1e-18);
        assertTrue(Double.isNaN(Units.conversion("ops/ns", "ns/op")));
        assertEquals(1, Units.conversion("counts", "counts"));
    }

    @Test
    void reportWithTwoFoldersShouldWriteTheComparisonIntoTheCandidate() throws Exception
    {
        final Path before = Fixtures.copyRun("before-fixes", tempDir);
        final Path after = Fixtures.copyRun("after-fixes", tempDir);

        final Fixtures.Cli cli = Fixtures.cli("report", before.toString(), after.toString());

        assertEquals(0, cli.exitCode(), cli.err());
        final Path file = after.resolve("compare-to-before-fixes.md");
        assertTrue(cli.out().contains("8 results in both runs: 5 better and 0 worse with confidence intervals apart, 3 overlapping; " +
            "6 only in the baseline, 0 only in the candidate"), cli.out());
        assertTrue(cli.out().contains("comparison written to " + file), cli.out());
        final String md = Files.readString(file);
        assertTrue(md.startsWith("# Comparison: before-fixes → after-fixes\n"), md);
        assertTrue(md.contains("| cached | thrpt | 1 | liveRanges=1000 | 24.31 ± 3.58 | 36.31 ± 1.21 | ops/µs | 1.49x | apart: better |"), md);
        assertTrue(md.contains("| tree | avgt | 1 | liveRanges=1000 | 383.4 ± 9.3 | 378.9 ± 29.3 | ns/op | 0.99x | overlap |"), md);
        assertTrue(md.contains("## Only in the baseline\n"), md);
        assertTrue(md.contains("| load | not recorded | 1-minute load average 1.52 at the start, 1.59 at the end (2 cores) |"), md);
        ReportWriterTest.assertPng(after.resolve("charts/compare-to-before-fixes-alloc-free-pair-thrpt.png"));
        ReportWriterTest.assertPng(after.resolve("charts/compare-to-before-fixes-alloc-free-pair-avgt.png"));
    }
}
