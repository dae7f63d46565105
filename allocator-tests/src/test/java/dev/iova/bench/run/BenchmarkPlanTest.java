package dev.iova.bench.run;

import dev.iova.bench.report.Fixtures;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.runner.BenchmarkList;
import org.openjdk.jmh.runner.BenchmarkListEntry;

import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The plan and its estimate, on the benchmark list of the suites as they were when this was
 * written (test resource {@code jmh/BenchmarkList}), so that it does not move with the suites.
 */
class BenchmarkPlanTest
{
    private static final BenchmarkList LIST = BenchmarkList.fromFile(Fixtures.resource("/jmh/BenchmarkList").toString());

    @Test
    void oneMethodInTwoModesShouldBeTwoBenchmarks()
    {
        final BenchmarkPlan plan = BenchmarkPlan.of(BenchmarkPlan.select(LIST, "AllocFreePairBenchmark.cached$", null),
            Profile.QUICK, Map.of());

        assertEquals(2, plan.size());
        assertEquals(List.of("thrpt", "avgt"), plan.benchmarks().stream().map(PlannedBenchmark::mode).toList());
        assertEquals(Map.of("liveRanges", "1000"), plan.benchmarks().get(0).params());
        assertEquals("AllocFreePairBenchmark.cached thrpt liveRanges=1000", plan.benchmarks().get(0).label());
    }

    @Test
    void estimateShouldBeForksTimesIterationsPlusStartUp()
    {
        final BenchmarkPlan quick = BenchmarkPlan.of(BenchmarkPlan.select(LIST, "AllocFreePairBenchmark.cached$", null),
            Profile.QUICK, Map.of());
        final BenchmarkPlan full = BenchmarkPlan.of(BenchmarkPlan.select(LIST, "AllocFreePairBenchmark.cached$", null),
            Profile.FULL, Map.of());

        final double quickPerFork = BenchmarkPlan.FORK_OVERHEAD_SECONDS + 2 * 1 + 3 * 1;
        assertEquals(2 * quickPerFork, quick.estimatedSeconds(), 1e-9);
        final double fullPerFork = BenchmarkPlan.FORK_OVERHEAD_SECONDS + 3 * 2 + 5 * 2;
        assertEquals(2 * 3 * fullPerFork, full.estimatedSeconds(), 1e-9);
    }

    @Test
    void everySuiteShouldRunInUnderTenMinutesWithQuick()
    {
        final BenchmarkPlan plan = BenchmarkPlan.of(BenchmarkPlan.select(LIST, ".*", null), Profile.QUICK, Map.of());

        assertEquals(14, plan.size());
        assertEquals(14 * (BenchmarkPlan.FORK_OVERHEAD_SECONDS + 5), plan.estimatedSeconds(), 1e-9);
        assertTrue(plan.estimatedSeconds() < 600);
    }

    @Test
    void theJarsSuitesShouldRunInUnderTenMinutesWithQuick()
    {
        final BenchmarkPlan plan = BenchmarkPlan.of(BenchmarkPlan.selectForRun(BenchmarkList.defaultList(), ".*", null),
            Profile.QUICK, Map.of());

        assertTrue(plan.estimatedSeconds() < 600, "the README's first command runs the quick profile, promised in under " +
            "~10 minutes on 2 cores; the suites now take " + plan.estimatedSeconds() + " s by the estimate: shorten the quick " +
            "profile or leave slow suites out of it");
    }

    @Test
    void aSuiteOfSingleShotBenchmarksShouldWarmUpWithFiveShotsAndAMixedSuiteWithTheProfilesIterations()
    {
        final BenchmarkPlan plan = BenchmarkPlan.of(BenchmarkPlan.selectForRun(BenchmarkList.defaultList(),
            "TreeFillBenchmark|PageTableBenchmark", null), Profile.QUICK, Map.of());
        final Map<String, List<PlannedBenchmark>> suites = plan.bySuite();
        final List<PlannedBenchmark> fill = suites.get("dev.iova.bench.jmh.TreeFillBenchmark");
        final List<PlannedBenchmark> pageTable = suites.get("dev.iova.bench.jmh.PageTableBenchmark");

        assertTrue(plan.isSingleShotSuite("dev.iova.bench.jmh.TreeFillBenchmark"));
        assertFalse(plan.isSingleShotSuite("dev.iova.bench.jmh.PageTableBenchmark"), "its sparse sweep is single-shot, its other benchmarks are not");
        assertTrue(pageTable.stream().anyMatch(b -> b.mode().equals("ss")));
        assertEquals(5, Profile.QUICK.warmupIterations(true));
        assertEquals(2, Profile.QUICK.warmupIterations(false));
        assertEquals(5, Profile.FULL.warmupIterations(true));
        assertEquals(3, Profile.FULL.warmupIterations(false));
        final double fillPerFork = BenchmarkPlan.FORK_OVERHEAD_SECONDS + (5 + 3) * BenchmarkPlan.SINGLE_SHOT_ITERATION_SECONDS;
        assertEquals(fill.size() * fillPerFork, fill.stream().mapToDouble(PlannedBenchmark::estimatedSeconds).sum(), 1e-9);
        final PlannedBenchmark sweep = pageTable.stream().filter(b -> b.mode().equals("ss")).findFirst().orElseThrow();
        assertEquals(BenchmarkPlan.FORK_OVERHEAD_SECONDS + (2 + 3) * BenchmarkPlan.SINGLE_SHOT_ITERATION_SECONDS,
            sweep.estimatedSeconds(), 1e-9);
    }

    @Test
    void runShouldLeaveTheDiagnosticsOutUnlessIncludeIsGiven()
    {
        final Predicate<List<BenchmarkListEntry>> hasFloor =
            entries -> entries.stream().anyMatch(e -> e.getUserClassQName().endsWith(".CachedPairFloorBenchmark"));
        final Predicate<List<BenchmarkListEntry>> hasTrustedCrossing =
            entries -> entries.stream().anyMatch(e -> e.getUsername().endsWith("CachedCrossThreadFreeBenchmark.crossThreadTrusted"));
        final Predicate<List<BenchmarkListEntry>> hasOutOfLinePair =
            entries -> entries.stream().anyMatch(e -> e.getUsername().endsWith("AllocFreePairBenchmark.cachedOutOfLine"));
        final Predicate<List<BenchmarkListEntry>> hasFastApiCachesOff =
            entries -> entries.stream().anyMatch(e -> e.getUsername().endsWith("AllocFreePairBenchmark.treeViaFastApiCachesOff"));
        final List<BenchmarkListEntry> all = BenchmarkPlan.select(BenchmarkList.defaultList(), ".*", null);
        final List<BenchmarkListEntry> run = BenchmarkPlan.selectForRun(BenchmarkList.defaultList(), ".*", null);

        assertTrue(hasFloor.test(all) && hasTrustedCrossing.test(all) && hasOutOfLinePair.test(all) && hasFastApiCachesOff.test(all),
            "the jar has all four");
        assertFalse(hasFloor.test(run) || hasTrustedCrossing.test(run) || hasOutOfLinePair.test(run) || hasFastApiCachesOff.test(run));
        assertTrue(run.stream().anyMatch(e -> e.getUsername().endsWith("CachedCrossThreadFreeBenchmark.crossThread")),
            "the judged cross-thread group stays");
        assertTrue(run.stream().anyMatch(e -> e.getUsername().endsWith("AllocFreePairBenchmark.cached")), "the judged cached pair stays");
        final List<BenchmarkListEntry> runWithExclude = BenchmarkPlan.selectForRun(BenchmarkList.defaultList(), ".*", "TraceReplay");
        assertFalse(hasFloor.test(runWithExclude));
        assertTrue(runWithExclude.stream().noneMatch(e -> e.getUserClassQName().endsWith("TraceReplayBenchmark")),
            "the user's exclude still applies");
        assertTrue(hasFloor.test(BenchmarkPlan.selectForRun(BenchmarkList.defaultList(), "CachedPairFloor", null)));
        assertTrue(hasTrustedCrossing.test(BenchmarkPlan.selectForRun(BenchmarkList.defaultList(), "CachedCrossThreadFree", null)));
        assertTrue(hasOutOfLinePair.test(BenchmarkPlan.selectForRun(BenchmarkList.defaultList(), "AllocFreePairBenchmark", null)));
        assertTrue(hasFastApiCachesOff.test(BenchmarkPlan.selectForRun(BenchmarkList.defaultList(), "AllocFreePairBenchmark", null)));
    }

    @Test
    void paramValuesFromTheCommandLineShouldMultiplyOnlyTheSuitesThatHaveTheParam()
    {
        final BenchmarkPlan plan = BenchmarkPlan.of(BenchmarkPlan.select(LIST, ".*", null), Profile.QUICK,
            Map.of("liveRanges", List.of("1000", "1000000")));

        final Map<String, List<PlannedBenchmark>> suites = plan.bySuite();
        assertEquals(16, suites.get("dev.iova.bench.jmh.AllocFreePairBenchmark").size());
        assertEquals(6, suites.get("dev.iova.bench.jmh.CachedPairFalseSharingBenchmark").size());
        assertEquals(List.of("dev.iova.bench.jmh.AllocFreePairBenchmark", "dev.iova.bench.jmh.CachedPairFalseSharingBenchmark"),
            List.copyOf(suites.keySet()));
    }

    @Test
    void thePlanShouldGoSuiteBySuite()
    {
        final BenchmarkPlan plan = BenchmarkPlan.of(BenchmarkPlan.select(LIST, ".*", null), Profile.QUICK, Map.of());

        final List<String> classes = plan.benchmarks().stream().map(PlannedBenchmark::className).distinct().toList();
        assertEquals(2, classes.size());
        assertTrue(plan.benchmarks().subList(0, 8).stream().allMatch(b -> b.className().endsWith("AllocFreePairBenchmark")));
    }

    @Test
    void excludeShouldLeaveBenchmarksOut()
    {
        assertEquals(8, BenchmarkPlan.of(BenchmarkPlan.select(LIST, ".*", "FalseSharing"), Profile.QUICK, Map.of()).size());
        assertTrue(BenchmarkPlan.select(LIST, "NoSuchBenchmark", null).isEmpty());
    }
}
