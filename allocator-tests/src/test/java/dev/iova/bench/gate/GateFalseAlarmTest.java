package dev.iova.bench.gate;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gate's false-alarm rate on many synthetic A/A draws (both sides from the same distribution),
 * with fixed seeds, and its power on synthetic slowdowns. No timing: the data is generated.
 *
 * <p>The synthetic machine: each round (or fork) has its own speed, log-normal with a 5% spread,
 * shared by both sides of a round in the paired design; each fork adds 2% of its own and each
 * iteration 1%. That is rougher than the reference run's median fork-to-fork spread (2.6%).
 */
class GateFalseAlarmTest
{
    private static final int TRIALS = 400;
    private static final int BENCHMARKS = 5;
    private static final int ROUNDS = 10;

    /** Significance alone (a minimum effect of almost 0): every interval that excludes 0 is a false discovery. */
    private static final GateSettings SIGNIFICANCE_ONLY = new GateSettings(0.95, 1e-9, 500, 1, 1.0);

    @Test
    void pairedFamilyWiseFalseDiscoveriesShouldStayNearTheLevel()
    {
        final int alarms = falseAlarmTrials(true, SIGNIFICANCE_ONLY);

        // 95% family-wise: at most 5% of the trials expected; 8% is 2.7 standard deviations of a binomial above that
        assertTrue(alarms <= 0.08 * TRIALS, alarms + " of " + TRIALS + " A/A trials had an interval excluding 0");
    }

    @Test
    void unpairedFamilyWiseFalseDiscoveriesShouldStayNearTheLevel()
    {
        final int alarms = falseAlarmTrials(false, SIGNIFICANCE_ONLY);

        assertTrue(alarms <= 0.08 * TRIALS, alarms + " of " + TRIALS + " A/A trials had an interval excluding 0");
    }

    @Test
    void defaultSettingsShouldKeepAAFalseAlarmsWithinTheLevel()
    {
        final GateSettings defaults = new GateSettings(GateSettings.DEFAULT_CONFIDENCE, GateSettings.DEFAULT_MIN_EFFECT_FRACTION, 500, 1, 1.0);

        assertEquals(0, falseAlarmTrials(true, defaults), "paired: the machine's drift cancels, the minimum effect is never reached");
        // unpaired, 3 forks a side with a 5% spread between forks: the minimum effect is within reach of the
        // noise, and the 99% family-wise level is what holds the rate (one-sided: about 0.5% of the trials)
        final int unpaired = falseAlarmTrials(false, defaults);
        assertTrue(unpaired <= 0.015 * TRIALS, unpaired + " of " + TRIALS + " unpaired A/A trials called a regression or improvement");
    }

    @Property(tries = 60)
    void aADrawsNeverRegressUnderTheDefaults(@ForAll @LongRange(min = 1, max = 1_000_000_000L) final long seed) throws GateException
    {
        final GateSettings defaults = new GateSettings(GateSettings.DEFAULT_CONFIDENCE, GateSettings.DEFAULT_MIN_EFFECT_FRACTION, 500, 1, 1.0);

        final GateResult result = trial(new SplittableRandom(seed), true, defaults, 1.0);

        assertTrue(result.rows(Verdict.REGRESSION).isEmpty(), result.headline());
        assertEquals(0, result.exitCode());
    }

    @Property(tries = 60)
    void aTwoTimesSlowdownIsAlwaysCaught(@ForAll @LongRange(min = 1, max = 1_000_000_000L) final long seed) throws GateException
    {
        final GateSettings defaults = new GateSettings(GateSettings.DEFAULT_CONFIDENCE, GateSettings.DEFAULT_MIN_EFFECT_FRACTION, 500, 1, 1.0);

        final GateResult result = trial(new SplittableRandom(seed), true, defaults, 2.0);

        assertEquals(BENCHMARKS, result.rows(Verdict.REGRESSION).size(), result.headline());
        assertEquals(1, result.exitCode());
    }

    private static int falseAlarmTrials(final boolean paired, final GateSettings settings)
    {
        final SplittableRandom random = new SplittableRandom(20261125);
        int alarms = 0;
        for (int trial = 0; trial < TRIALS; trial++)
        {
            try
            {
                final GateResult result = trial(random, paired, settings, 1.0);
                alarms += result.rows().stream().anyMatch(r -> r.verdict() == Verdict.REGRESSION || r.verdict() == Verdict.IMPROVEMENT) ? 1 : 0;
            }
            catch (final GateException ex)
            {
                throw new AssertionError(ex.getMessage(), ex);
            }
        }
        return alarms;
    }

    /**
     * @param slowdownFactor the candidate's time per operation over the baseline's (1 for A/A).
     */
    private static GateResult trial(final SplittableRandom random, final boolean paired, final GateSettings settings,
        final double slowdownFactor) throws GateException
    {
        final List<BenchmarkSamples> baseline = new ArrayList<>();
        final List<BenchmarkSamples> candidate = new ArrayList<>();
        for (int b = 0; b < BENCHMARKS; b++)
        {
            final int units = paired ? ROUNDS : 3;
            final double[][] baselineForks = new double[units][];
            final double[][] candidateForks = new double[units][];
            for (int u = 0; u < units; u++)
            {
                final double machine = 100 * Math.exp(0.05 * gaussian(random));
                baselineForks[u] = fork(random, machine);
                candidateForks[u] = fork(random, (paired ? machine : 100 * Math.exp(0.05 * gaussian(random))) * slowdownFactor);
            }
            final String name = SyntheticRuns.PAIR + ".synthetic" + b;
            baseline.add(new BenchmarkSamples(name, "avgt", 1, java.util.Map.of(), "ns/op", baselineForks, 0.0, Double.NaN, "a"));
            candidate.add(new BenchmarkSamples(name, "avgt", 1, java.util.Map.of(), "ns/op", candidateForks, 0.0, Double.NaN, "b"));
        }
        return GateJudge.judge("a", baseline, "b", candidate, paired, "synthetic", true, settings, AcceptedTradeoffs.none());
    }

    private static double[] fork(final SplittableRandom random, final double speed)
    {
        final double forkFactor = Math.exp(0.02 * gaussian(random));
        final double[] iterations = new double[4];
        for (int i = 0; i < iterations.length; i++)
        {
            iterations[i] = speed * forkFactor * Math.exp(0.01 * gaussian(random));
        }
        return iterations;
    }

    private static double gaussian(final SplittableRandom random)
    {
        final double u = 1 - random.nextDouble();
        final double v = random.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }
}
