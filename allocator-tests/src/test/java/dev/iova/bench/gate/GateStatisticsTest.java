package dev.iova.bench.gate;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The statistics on synthetic data with known answers: Student's t, the bootstrap, the verdict rule. */
class GateStatisticsTest
{
    private static final GateSettings DEFAULTS = GateSettings.defaults();

    @Test
    void studentTCriticalValuesShouldMatchTheTables()
    {
        assertEquals(12.706, StudentT.criticalValue(0.05, 1), 1e-3);
        assertEquals(2.228, StudentT.criticalValue(0.05, 10), 1e-3);
        assertEquals(3.250, StudentT.criticalValue(0.01, 9), 1e-3);
        assertEquals(31.599, StudentT.criticalValue(0.001, 2), 1e-3);
        assertEquals(2.576, StudentT.criticalValue(0.01, 1e9), 1e-3);
        // a Bonferroni level for 60 benchmarks: P(|T| > t) = 0.01 / 60 with 9 degrees of freedom
        assertEquals(0.01 / 60, StudentT.twoSidedTail(StudentT.criticalValue(0.01 / 60, 9), 9), 1e-9);
        // Cauchy (1 degree of freedom) has a closed form
        assertEquals(Math.tan(Math.PI / 2 * (1 - 1e-6)), StudentT.criticalValue(1e-6, 1), 1e-3 * Math.tan(Math.PI / 2 * (1 - 1e-6)));
    }

    @Test
    void bootstrapShouldBeReproducibleWithItsSeed()
    {
        final double[][] a = SyntheticRuns.rawData(SyntheticRuns.Spec.of("tree", "avgt", 310), new SplittableRandom(1));
        final double[][] b = SyntheticRuns.rawData(SyntheticRuns.Spec.of("tree", "avgt", 320), new SplittableRandom(2));

        final LogRatio first = HierarchicalBootstrap.unpaired(a, b, 2000, 42);
        final LogRatio again = HierarchicalBootstrap.unpaired(a, b, 2000, 42);
        final LogRatio otherSeed = HierarchicalBootstrap.unpaired(a, b, 2000, 43);

        assertEquals(first, again);
        assertEquals(first.estimate(), otherSeed.estimate(), 0.0, "the estimate does not depend on the seed");
        assertTrue(first.standardError() != otherSeed.standardError(), "the error does, a little");
        assertEquals(first.standardError(), otherSeed.standardError(), 0.1 * first.standardError());
    }

    @Test
    void estimateShouldBeTheLogRatioOfTheMeansOfForkMeans()
    {
        final double[][] baseline = {{100, 102}, {98, 100}};
        final double[][] candidate = {{150, 150}, {150, 150}};

        final LogRatio ratio = HierarchicalBootstrap.unpaired(baseline, candidate, 1000, 1);

        assertEquals(Math.log(1.5), ratio.estimate(), 1e-12);
        assertEquals(2, ratio.units());
    }

    @Test
    void pairedEstimateShouldBeTheMeanOfTheRoundsLogRatios()
    {
        final double[][] baseline = {{100, 100}, {200, 200}, {100, 100}};
        final double[][] candidate = {{110, 110}, {220, 220}, {110, 110}};

        final LogRatio ratio = HierarchicalBootstrap.paired(baseline, candidate, 1000, 1);

        assertEquals(Math.log(1.1), ratio.estimate(), 1e-12, "a drift of the machine between rounds cancels out");
        assertEquals(0, ratio.standardError(), 1e-12);
        assertEquals(2, ratio.degreesOfFreedom());
    }

    @Test
    void identicalDistributionsShouldBeNoChange()
    {
        final SyntheticRuns.Spec tenForks = SyntheticRuns.Spec.of("tree", "avgt", 310).forks(10, 5).spread(0.01, 0.01);

        final BenchmarkVerdict row = judgeOne(tenForks, tenForks);

        assertEquals(Verdict.NO_CHANGE, row.verdict(), row.toString());
    }

    @Test
    void identicalDistributionsWithThreeNoisyForksShouldBeInconclusiveNotARegression()
    {
        // 2% fork-to-fork, 3 forks a side: the 99% interval is about +-11%, wider than the 10% that matters
        final BenchmarkVerdict row = judgeOne(SyntheticRuns.Spec.of("tree", "avgt", 310), SyntheticRuns.Spec.of("tree", "avgt", 310));

        assertEquals(Verdict.INCONCLUSIVE, row.verdict(), row.toString());
    }

    @Test
    void twiceAsSlowWithSmallNoiseShouldBeARegression()
    {
        final BenchmarkVerdict row = judgeOne(SyntheticRuns.Spec.of("tree", "avgt", 310), SyntheticRuns.Spec.of("tree", "avgt", 620));

        assertEquals(Verdict.REGRESSION, row.verdict());
        assertEquals(1.0, row.change().slowdown(), 0.05);
        assertTrue(row.change().slowdownLow() > 0.6 && row.change().slowdownHigh() < 1.5, row.change().toString());
    }

    @Test
    void aRealShiftBelowTheMinimumEffectShouldBeNoChange()
    {
        final SyntheticRuns.Spec quiet = SyntheticRuns.Spec.of("tree", "avgt", 310).forks(10, 5).spread(0.003, 0.003);

        final BenchmarkVerdict row = judgeOne(quiet, quiet.score(310 * 1.03));

        assertTrue(row.change().slowdownLow() > 0, "the 3% shift is real: " + row.change());
        assertEquals(Verdict.NO_CHANGE, row.verdict(), "but smaller than the 10% that matters");
    }

    @Test
    void aBigShiftInHighNoiseShouldBeInconclusive()
    {
        final SyntheticRuns.Spec noisy = SyntheticRuns.Spec.of("tree", "avgt", 310).forks(3, 5).spread(0.30, 0.05);

        final BenchmarkVerdict row = judgeOne(noisy, noisy.score(310 * 1.25));

        assertEquals(Verdict.INCONCLUSIVE, row.verdict(), row.change().toString());
    }

    @Test
    void halfTheThroughputShouldBeARegressionAndTwiceTheThroughputAnImprovement()
    {
        final SyntheticRuns.Spec thrpt = SyntheticRuns.Spec.of("cached", "thrpt", 0.0374);

        final BenchmarkVerdict halved = judgeOne(thrpt, thrpt.score(0.0374 / 2));
        final BenchmarkVerdict doubled = judgeOne(thrpt, thrpt.score(0.0374 * 2));

        assertEquals(Verdict.REGRESSION, halved.verdict());
        assertEquals(1.0, halved.change().slowdown(), 0.05, "half the throughput is twice the time per operation");
        assertEquals(Verdict.IMPROVEMENT, doubled.verdict());
        assertEquals(-0.5, doubled.change().slowdown(), 0.03);
    }

    @Test
    void halfTheTimeShouldBeAnImprovement()
    {
        final BenchmarkVerdict row = judgeOne(SyntheticRuns.Spec.of("tree", "avgt", 310), SyntheticRuns.Spec.of("tree", "avgt", 155));

        assertEquals(Verdict.IMPROVEMENT, row.verdict());
    }

    @Test
    void pairedRoundsShouldSeeASlowdownThatMachineDriftHidesFromTwoRuns()
    {
        // the machine's speed drifts by +-15% from round to round; within a round both sides see the same machine
        final SplittableRandom random = new SplittableRandom(7);
        final int rounds = 10;
        final double[][] baseline = new double[rounds][];
        final double[][] candidate = new double[rounds][];
        for (int r = 0; r < rounds; r++)
        {
            final double machine = 310 * Math.exp(0.15 * (random.nextDouble() * 2 - 1));
            baseline[r] = new double[] {machine * 1.00, machine * 1.01, machine * 0.99, machine};
            candidate[r] = new double[] {machine * 1.15, machine * 1.16, machine * 1.14, machine * 1.15};
        }

        final Change paired = Change.of(HierarchicalBootstrap.paired(baseline, candidate, 4000, 1), false, 0.99);
        final Change unpaired = Change.of(HierarchicalBootstrap.unpaired(baseline, candidate, 4000, 1), false, 0.99);

        assertEquals(Verdict.REGRESSION, Verdict.of(paired, 0.10), paired.toString());
        assertEquals(0.15, paired.slowdown(), 0.005);
        assertTrue(unpaired.slowdownHigh() - unpaired.slowdownLow() > 5 * (paired.slowdownHigh() - paired.slowdownLow()),
            "unpaired, the drift is noise: " + unpaired + " against " + paired);
    }

    @Test
    void verdictRuleShouldNeedBothARealChangeAndALargeOne()
    {
        final double m = 0.10;
        assertEquals(Verdict.REGRESSION, Verdict.of(change(0.12, 0.02, 0.22), m));
        assertEquals(Verdict.INCONCLUSIVE, Verdict.of(change(0.12, -0.02, 0.28), m), "large but not established");
        assertEquals(Verdict.INCONCLUSIVE, Verdict.of(change(0.08, 0.02, 0.14), m), "real, maybe large");
        assertEquals(Verdict.NO_CHANGE, Verdict.of(change(0.05, 0.02, 0.08), m), "real and small");
        assertEquals(Verdict.NO_CHANGE, Verdict.of(change(0.0, -0.05, 0.05), m));
        assertEquals(Verdict.IMPROVEMENT, Verdict.of(change(-0.20, -0.30, -0.05), m));
        assertEquals(Verdict.INCONCLUSIVE, Verdict.of(change(-0.05, -0.20, 0.02), m));
    }

    @Test
    void bonferroniShouldSplitTheFamilyWiseLevel()
    {
        assertEquals(0.99, DEFAULTS.perBenchmarkConfidence(1), 1e-12);
        assertEquals(0.9975, DEFAULTS.perBenchmarkConfidence(4), 1e-12);
        assertEquals(1 - 0.01 / 67, DEFAULTS.perBenchmarkConfidence(67), 1e-12);
    }

    private static Change change(final double slowdown, final double low, final double high)
    {
        return new Change(slowdown, low, high, Math.log1p(slowdown), Math.log1p(low), Math.log1p(high), 0.99, 9, 10);
    }

    private static BenchmarkVerdict judgeOne(final SyntheticRuns.Spec baseline, final SyntheticRuns.Spec candidate)
    {
        try
        {
            final GateResult result = GateJudge.judge("baseline", List.of(SyntheticRuns.samples(baseline, new SplittableRandom(11))),
                "candidate", List.of(SyntheticRuns.samples(candidate, new SplittableRandom(12))), false, "test", true, DEFAULTS,
                AcceptedTradeoffs.none());
            assertEquals(1, result.rows().size());
            return result.rows().get(0);
        }
        catch (final GateException ex)
        {
            throw new AssertionError(ex.getMessage(), ex);
        }
    }
}
