package dev.iova.bench.report;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The issue's targets judged from recorded runs: the fixtures and the runs in results/. */
class TargetsTest
{
    private static final String TREEMAP = "at least 5x faster than the TreeMap baseline";
    private static final String TREE = "at least 5x faster than our tree without caches";
    private static final String CACHED_2_THREADS = "cached pair from 2 threads at least 1.8x";
    private static final String TREE_AT_SCALE = "step at 1 million live ranges";
    private static final String FRAGMENTED = "at least 100x faster than the linear walk";
    private static final String HOLES = "independent of the number of holes";
    private static final String MAP_2_THREADS = "map/unmap, lazy, invalidation cost 0: 2 threads";
    private static final String MAP_4_THREADS = "4 threads at least 1.5x";
    private static final String CROSS_THREAD = "cross-thread unmap";
    private static final String ALLOCATION = "gc.alloc.rate.norm";
    private static final String TREEMAP_7X = "at least 7x faster than the TreeMap baseline";
    private static final String FREED_ON_ANOTHER_THREAD = "freed on another thread";
    private static final String NETWORK_TRACE = "network trace through the caches";
    private static final String STORAGE_TRACE = "storage trace through the caches";

    @TempDir
    Path tempDir;

    @Test
    void aTargetTheRunMeetsShouldHoldWithItsFiguresAndRatio() throws Exception
    {
        final List<Target.Outcome> outcomes = Targets.evaluate(RunResults.load(Fixtures.copyRun("after-fixes", tempDir)).results());

        final Target.Outcome tree = outcome(outcomes, TREE);
        assertEquals(Target.Verdict.HOLDS, tree.verdict(), "378.9 / 26.50 ns/op from AllocFreePairBenchmark, the run has no AllocFreeSizesBenchmark");
        assertEquals("14.3x", tree.value());
        assertEquals("≥ 5x", tree.threshold());
        assertTrue(tree.atBounds(), "(378.9 - 29.3) / (26.50 + 1.49) = 12.5x");
        assertEquals("12.5x", tree.boundValue());
        assertEquals("`AllocFreePairBenchmark` avgt: tree 378.9 ± 29.3 ns/op / cached 26.50 ± 1.49 ns/op", tree.figures());
        assertEquals("**HOLDS**, also at the CI bounds (12.5x at their worst ends)", tree.verdictText());

        final Target.Outcome twoThreads = outcome(outcomes, CACHED_2_THREADS);
        assertEquals(Target.Verdict.HOLDS, twoThreads.verdict());
        assertEquals("2.10x", twoThreads.value(), "76.08 / 36.31 ops/µs");
    }

    @Test
    void aTargetTheRunMissesShouldBeMissed() throws Exception
    {
        final Target.Outcome twoThreads = outcome(Targets.evaluate(RunResults.load(Fixtures.copyRun("before-fixes", tempDir)).results()),
            CACHED_2_THREADS);

        assertEquals(Target.Verdict.MISSED, twoThreads.verdict(), "18.5 / 24.3 ops/µs before the cache fixes");
        assertEquals("0.76x", twoThreads.value());
        assertTrue(twoThreads.atBounds(), "(18.5 + 8.9) / (24.3 - 3.6) = 1.32x, still below 1.8x");
        assertTrue(twoThreads.verdictText().startsWith("**MISSED**, also at the CI bounds (1.3"), twoThreads.verdictText());
    }

    @Test
    void aTargetWhoseBenchmarkDidNotRunShouldBeNotMeasured() throws Exception
    {
        final List<Target.Outcome> outcomes = Targets.evaluate(RunResults.load(Fixtures.copyRun("after-fixes", tempDir)).results());

        final Target.Outcome treeMap = outcome(outcomes, TREEMAP);
        assertEquals(Target.Verdict.NOT_MEASURED, treeMap.verdict());
        assertEquals("**NOT MEASURED**", treeMap.verdictText());
        assertEquals("–", treeMap.value());
        assertEquals("no `AllocFreeSizesBenchmark.allocFreePair` avgt pages=1 target=treemap-baseline nor " +
            "`AllocFreeSizesBenchmark.allocFreePair` avgt pages=1 target=cached in this run", treeMap.figures());
        for (final String name : List.of(TREE_AT_SCALE, FRAGMENTED, HOLES, MAP_2_THREADS, MAP_4_THREADS, CROSS_THREAD))
        {
            assertEquals(Target.Verdict.NOT_MEASURED, outcome(outcomes, name).verdict(), name);
        }
        assertEquals(Target.Verdict.HOLDS, outcome(outcomes, ALLOCATION).verdict(), "every result of the run is ours");
    }

    @Test
    void aCostParamAtOneValueOnlyCannotShowIndependence() throws Exception
    {
        final List<BenchmarkResult> oneHoleCount = fullReference().results().stream()
            .filter(r -> !"131071".equals(r.params().get("holes"))).toList();

        final List<Target.Outcome> outcomes = Targets.evaluate(oneHoleCount);

        assertEquals(Target.Verdict.NOT_MEASURED, outcome(outcomes, HOLES).verdict());
        assertTrue(outcome(outcomes, HOLES).figures().contains("at one value of the parameter only"), outcome(outcomes, HOLES).figures());
        assertEquals("66,990x", outcome(outcomes, FRAGMENTED).value(), "11.64 ms / 173.7 ns at 524287 holes alone");
    }

    @Test
    void aRatioTargetAtEveryParamValueShouldReportTheWorst() throws Exception
    {
        final Target.Outcome fragmented = outcome(Targets.evaluate(fullReference().results()), FRAGMENTED);

        assertEquals(Target.Verdict.HOLDS, fragmented.verdict());
        assertEquals("10,102x (worst: 131071 holes)", fragmented.value(), "1.481 ms / 146.6 ns; 66,990x at 524287 holes");
        assertTrue(fragmented.figures().contains("524287 holes: linear walk 11.64 ± 0.15 ms/op / tree 173.7 ± 29.4 ns/op = 66,990x"),
            fragmented.figures());
    }

    @Test
    void holdingOnTheMeansWithIntervalsAcrossTheThresholdShouldBeSaid() throws Exception
    {
        final Target.Outcome tree = outcome(Targets.evaluate(quickRun().results()), TREE);

        assertEquals(Target.Verdict.HOLDS, tree.verdict(), "323.2 / 30.95 ns/op = 10.4x");
        assertFalse(tree.atBounds(), "(323.2 - 51.9) / (30.95 + 24.20) = 4.92x, below 5x");
        assertEquals("**HOLDS** on the means; the CIs overlap the threshold (4.92x at their worst ends)", tree.verdictText());
    }

    @Test
    void theCrossThreadPairShouldBeReadAtItsSlowerSideNotTheGroupsSum() throws Exception
    {
        final Target.Outcome cross = outcome(Targets.evaluate(fullReference().results()), CROSS_THREAD);

        // JMH's crossThread score, 6.68 ops/µs, is crossThreadMap + crossThreadUnmap: twice the pair rate
        assertEquals(Target.Verdict.MISSED, cross.verdict());
        assertEquals("2.46x", cross.value(), "8.219 / 3.338 ops/µs");
        assertTrue(cross.figures().contains("cross-thread (`crossThreadUnmap`) 3.338 ± 0.342 ops/µs"), cross.figures());
    }

    @Test
    void allocationShouldLeaveTheBaselinesOutAndNameTheWorstOfOurs() throws Exception
    {
        final Target.Outcome allocation = outcome(Targets.evaluate(fullReference().results()), ALLOCATION);

        assertEquals(Target.Verdict.HOLDS, allocation.verdict(), "the TreeMap baseline's 312 B/op is left out");
        assertEquals("0.108 B/op", allocation.value());
        assertTrue(allocation.figures().startsWith("worst of 46 results of ours: `MapUnmapBenchmark.crossThread` sample, 0.108"),
            allocation.figures());
        assertTrue(allocation.figures().endsWith("(21 results of the baselines left out)"), allocation.figures());
    }

    @Test
    void aTraceCeilingShouldJudgeTheScoreItselfAgainstNanosPerOperation() throws Exception
    {
        final List<Target.Outcome> outcomes = Targets.evaluate(issue13Run().results());

        final Target.Outcome network = outcome(outcomes, NETWORK_TRACE);
        assertEquals(Target.Verdict.MISSED, network.verdict(), "20.75 ns/op against at most 15");
        assertEquals("20.75 ns/op", network.value());
        assertEquals("≤ 15 ns/op", network.threshold());
        assertTrue(network.atBounds(), "the interval's lower end, 17.4 ns/op, is still above 15");
        assertEquals("17.43 ns/op", network.boundValue());
        assertTrue(network.figures().startsWith("`TraceReplayBenchmark.replay` avgt shape=network target=cached: cached 20."),
            network.figures());

        final Target.Outcome storage = outcome(outcomes, STORAGE_TRACE);
        assertEquals(Target.Verdict.HOLDS, storage.verdict(), "38.32 ns/op against at most 60");
        assertFalse(storage.atBounds(), "the interval's upper end, 121.8 ns/op, is above 60");
        assertEquals("121.8 ns/op", storage.boundValue());
    }

    @Test
    void aTraceCeilingWithoutItsResultShouldBeNotMeasured() throws Exception
    {
        final Target.Outcome network = outcome(Targets.evaluate(RunResults.load(Fixtures.copyRun("after-fixes", tempDir)).results()),
            NETWORK_TRACE);

        assertEquals(Target.Verdict.NOT_MEASURED, network.verdict());
        assertEquals("no `TraceReplayBenchmark.replay` avgt shape=network target=cached in this run", network.figures());
    }

    @Test
    void theIssue13PairAndCrossThreadTargetsShouldReadTheirSuites() throws Exception
    {
        final List<Target.Outcome> outcomes = Targets.evaluate(issue13Run().results());

        final Target.Outcome treeMap = outcome(outcomes, TREEMAP_7X);
        assertEquals(Target.Verdict.MISSED, treeMap.verdict(), "151.8 / 32.66 ns/op");
        assertEquals("4.65x", treeMap.value());
        assertEquals("≥ 7x", treeMap.threshold());

        // sameThread 38.99 ops/µs over the freeing side of crossThread, 41.99 (the group's 83.98 is both sides)
        final Target.Outcome crossThread = outcome(outcomes, FREED_ON_ANOTHER_THREAD);
        assertEquals(Target.Verdict.HOLDS, crossThread.verdict());
        assertEquals("0.93x", crossThread.value());
        assertEquals("≤ 1.2x", crossThread.threshold());
        assertTrue(crossThread.figures().contains("freeing thread (`crossThreadFree`) 41.99"), crossThread.figures());
    }

    @Test
    void theIssue12TreeTargetsShouldReadTheTreeResults() throws Exception
    {
        final List<Target.Outcome> outcomes = Targets.evaluate(issue13Run().results());

        final Target.Outcome step = outcome(outcomes, "the 1,000,000-range step at most 562.5 ns");
        assertEquals(Target.Verdict.MISSED, step.verdict(), "620.0 ns/op against at most 562.5");
        assertEquals("620.0 ns/op", step.value());
        final Target.Outcome storage = outcome(outcomes, "storage trace straight into the tree");
        assertEquals(Target.Verdict.MISSED, storage.verdict());
        assertEquals("241.0 ns/op", storage.value());
        assertTrue(storage.figures().startsWith("`TraceReplayBenchmark.replay` avgt shape=storage target=tree: tree 241"),
            storage.figures());
        final Target.Outcome failing = outcome(outcomes, "a request that cannot fit, at the most holes: at most 150 ns");
        assertEquals(Target.Verdict.HOLDS, failing.verdict(), "99.22 ns/op at 524,287 holes");
        assertEquals("99.22 ns/op", failing.value());
        final Target.Outcome fill = outcome(outcomes, "filling a million ranges through the tree");
        assertEquals(Target.Verdict.MISSED, fill.verdict(), "the single-shot fill, 445.4 ns per allocation");
        assertEquals("445.4 ns/op", fill.value());
        assertEquals(Target.Verdict.NOT_MEASURED, outcome(outcomes, "pair at 1 million live ranges at most 1.5x").verdict(),
            "the run predates treeMillion");
    }

    @Test
    void theRecordedQuickRunShouldGetTheseVerdicts() throws Exception
    {
        final List<Target.Outcome> outcomes = Targets.evaluate(quickRun().results());

        assertEquals(List.of("MISSED 3.23x", "HOLDS 10.4x", "HOLDS 2.07x", "MISSED 3.24x", "HOLDS 1.72x", "HOLDS 12,304x (worst: 131071 holes)",
            "HOLDS 1.57x", "MISSED 0.63x", "MISSED 0.99x", "MISSED 1.96x",
            "NOT_MEASURED –", "NOT_MEASURED –", "NOT_MEASURED –", // the run predates PageTableBenchmark (and its 256 x 2 MiB pair)
            "NOT_MEASURED –", "NOT_MEASURED –", "NOT_MEASURED –", "NOT_MEASURED –", "NOT_MEASURED –", // the run predates PlacementBenchmark
            "MISSED 3.23x", "NOT_MEASURED –", "MISSED 20.69 ns/op", "NOT_MEASURED –", "MISSED 257.8 ns/op", "MISSED 371.4 ns/op", // no mixed trace yet
            "HOLDS 2.07x", "HOLDS 1.98x", "NOT_MEASURED –", // issue 13's 2 and 4 threads; the run predates LargeRangesTwoThreadsBenchmark
            "NOT_MEASURED –", "MISSED 1176 ns/op", "MISSED 261.4 ns/op", "MISSED 381.5 ns/op", "MISSED 389.7 ns/op", "NOT_MEASURED –",
            "MISSED 211.0 ns/op", "NOT_MEASURED –", // issue 12: no treeMillion, no mixed trace, no fill yet
            "HOLDS 0.450 B/op"),
            outcomes.stream().map(o -> o.verdict() + " " + o.value()).toList());
        assertEquals(List.of(false, false, false, true, false, true, true, true, false, false, false, true, true, true, false, false, true, false, true,
                true, true, false),
            outcomes.stream().filter(o -> o.verdict() != Target.Verdict.NOT_MEASURED).map(Target.Outcome::atBounds).toList(),
            "one fork of 3 iterations: wide intervals");
    }

    @Test
    void theRecordedFullReferenceRunShouldGetTheseVerdicts() throws Exception
    {
        final List<Target.Outcome> outcomes = Targets.evaluate(fullReference().results());

        assertEquals(List.of("MISSED 3.29x", "HOLDS 10.3x", "HOLDS 1.95x", "MISSED 3.11x", "HOLDS 1.78x", "HOLDS 10,102x (worst: 131071 holes)",
            "HOLDS 1.18x", "MISSED 1.21x", "MISSED 1.01x", "MISSED 2.46x",
            "NOT_MEASURED –", "NOT_MEASURED –", "NOT_MEASURED –", // the run predates PageTableBenchmark (and its 256 x 2 MiB pair)
            "NOT_MEASURED –", "NOT_MEASURED –", "NOT_MEASURED –", "NOT_MEASURED –", "NOT_MEASURED –", // the run predates PlacementBenchmark
            "MISSED 3.29x", "NOT_MEASURED –", "MISSED 20.85 ns/op", "NOT_MEASURED –", "MISSED 241.0 ns/op", "MISSED 333.5 ns/op", // no mixed trace yet
            "HOLDS 1.95x", "HOLDS 2.02x", "NOT_MEASURED –", // issue 13's 2 and 4 threads; the run predates LargeRangesTwoThreadsBenchmark
            "NOT_MEASURED –", "MISSED 1260 ns/op", "MISSED 261.0 ns/op", "MISSED 358.7 ns/op", "MISSED 369.4 ns/op", "NOT_MEASURED –",
            "MISSED 173.7 ns/op", "NOT_MEASURED –", // issue 12: no treeMillion, no mixed trace, no fill yet
            "HOLDS 0.108 B/op"),
            outcomes.stream().map(o -> o.verdict() + " " + o.value()).toList());
        // 3 forks: every verdict stands at the CI bounds but two: 2 threads' 1.95x, whose interval reaches below 1.9x, and the
        // failing request, whose interval (173.7 ns/op) reaches below its 150
        assertEquals(List.of("cached pair from 2 threads at least 1.9x one thread's throughput (issue 13)",
                "fragmented 32-bit space, a request that cannot fit, at the most holes: at most 150 ns (issue 12)"),
            outcomes.stream().filter(o -> o.verdict() != Target.Verdict.NOT_MEASURED && !o.atBounds()).map(o -> o.target().name()).toList());
    }

    @Test
    void theReportShouldOpenWithTheTargets() throws Exception
    {
        final Path dir = Fixtures.copyRun("after-fixes", tempDir);

        final String md = Files.readString(ReportWriter.write(RunResults.load(dir)));

        assertTrue(md.indexOf("## Targets\n") < md.indexOf("## AllocFreePairBenchmark\n"), md);
        assertTrue(md.contains("| target | figures | ratio | threshold | verdict |"), md);
        assertTrue(md.contains("| cached 1-page alloc+free pair, 1 thread, at least 5x faster than our tree without caches | " +
            "`AllocFreePairBenchmark` avgt: tree 378.9 ± 29.3 ns/op / cached 26.50 ± 1.49 ns/op | 14.3x | ≥ 5x | " +
            "**HOLDS**, also at the CI bounds (12.5x at their worst ends) |"), md);
        // the 3 of issue 7's targets the run measures, and issue 13's 2 and 4 threads, read from the same cached pairs
        assertTrue(md.contains("5 of 36 targets hold (5 also at the CI bounds), 0 missed (0 also at the CI bounds), 31 not measured."), md);
    }

    @Test
    void theComparisonShouldShowBothRunsTargetsSideBySide() throws Exception
    {
        final Path before = Fixtures.copyRun("before-fixes", tempDir);
        final Path after = Fixtures.copyRun("after-fixes", tempDir);

        final String md = Files.readString(ComparisonWriter.write(RunResults.load(before), RunResults.load(after)).file());

        assertTrue(md.contains("| target | threshold | baseline | candidate |"), md);
        assertTrue(md.contains("| cached pair from 2 threads at least 1.8x one thread's throughput | ≥ 1.8x | 0.76x: **MISSED**"), md);
        assertTrue(md.contains(" | 2.10x: **HOLDS**, also at the CI bounds"), md);
    }

    @Test
    void placementTargetsShouldReadEachPlacementAtOneMillionOverOneThousand() throws Exception
    {
        final Path dir = tempDir.resolve("placement");
        Files.createDirectories(dir);
        Files.copy(Path.of(System.getProperty("iova.results.dir"), "2026-12-02-vm-placement", "PlacementBenchmark-2.json"),
            dir.resolve("PlacementBenchmark.json"));
        final List<Target.Outcome> outcomes = Targets.evaluate(RunResults.load(dir).results());

        final Target.Outcome highest = outcome(outcomes, "placement highest:");
        assertEquals(Target.Verdict.HOLDS, highest.verdict(), "655.4 / 478.7 ns/op");
        assertEquals("1.37x", highest.value());
        assertEquals("≤ 2x", highest.threshold());
        final Target.Outcome best = outcome(outcomes, "placement best:");
        assertEquals(Target.Verdict.MISSED, best.verdict(), "1,290.5 / 354.2 ns/op");
        assertEquals("3.64x", best.value());
        assertEquals(Target.Verdict.NOT_MEASURED, outcome(outcomes, TREE_AT_SCALE).verdict(), "the run has no TreeAtScaleBenchmark");
    }

    @Test
    void pageTableCeilingsShouldJudgeTheScoreAndItsIntervalAgainstTheLimit() throws Exception
    {
        final List<Target.Outcome> outcomes = Targets.evaluate(RunResults.load(recorded("2026-12-02-vm-2")).results());

        final Target.Outcome onePage = outcome(outcomes, "map + unmap of one 4 KiB page");
        assertEquals(Target.Verdict.HOLDS, onePage.verdict(), "79.89 ± 8.30 ns/op against 55 + 70");
        assertEquals("≤ 125 ns/op", onePage.threshold());
        assertEquals("79.89 ns/op", onePage.value());
        assertTrue(onePage.atBounds(), "the interval's upper end, 88.19, is below 125 too");
        assertTrue(onePage.figures().startsWith("`PageTableBenchmark.mapUnmap` avgt pages=1: 1 page 79.89 ± 8.30 ns/op"),
            onePage.figures());

        final Target.Outcome pages256 = outcome(outcomes, "256 x 4 KiB");
        assertEquals(Target.Verdict.MISSED, pages256.verdict(), "813.9 ± 11.4 ns/op against 390 + 360");
        assertTrue(pages256.atBounds(), "the interval's lower end, 802.5, is above 750 too");
        assertEquals("**MISSED**, also at the CI bounds (802.5 ns/op at their best ends)", pages256.verdictText());

        final Target.Outcome blocks = outcome(outcomes, "256 x 2 MiB");
        assertEquals(Target.Verdict.NOT_MEASURED, blocks.verdict(), "the run predates block entries");
        assertEquals("≤ 720 ns/op", blocks.threshold());
        assertEquals("no `PageTableBenchmark.mapUnmap2M` avgt in this run", blocks.figures());
    }

    @Test
    void aCeilingWhoseBenchmarkDidNotRunShouldBeNotMeasured() throws Exception
    {
        final Target.Outcome onePage = outcome(Targets.evaluate(quickRun().results()), "map + unmap of one 4 KiB page");

        assertEquals(Target.Verdict.NOT_MEASURED, onePage.verdict());
        assertEquals("no `PageTableBenchmark.mapUnmap` avgt pages=1 in this run", onePage.figures());
    }

    private static Target.Outcome outcome(final List<Target.Outcome> outcomes, final String nameContains)
    {
        final List<Target.Outcome> found = outcomes.stream().filter(o -> o.target().name().contains(nameContains)).toList();
        assertEquals(1, found.size(), nameContains + " names " + found.size() + " targets");
        return found.get(0);
    }

    static RunResults quickRun() throws Exception
    {
        return RunResults.load(recorded("2026-11-25-vm"));
    }

    /** The last quick run before issue 13's second fast path: it has the trace replays and the cross-thread free. */
    static RunResults issue13Run() throws Exception
    {
        return RunResults.load(recorded("2026-12-02-vm-2"));
    }

    static RunResults fullReference() throws Exception
    {
        return RunResults.load(recorded("2026-11-25-vm-full-reference"));
    }

    /** @return a run folder of results/, which surefire names in {@code iova.results.dir}; read, never written. */
    static Path recorded(final String name)
    {
        final String resultsDir = System.getProperty("iova.results.dir");
        assertNotNull(resultsDir, "system property iova.results.dir (the repository's results/) is not set");
        final Path dir = Path.of(resultsDir, name);
        assertTrue(Files.isDirectory(dir), dir + " is not a folder");
        return dir;
    }
}
