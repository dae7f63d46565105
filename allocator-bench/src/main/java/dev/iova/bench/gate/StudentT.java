package dev.iova.bench.gate;

import org.apache.commons.math3.distribution.NormalDistribution;
import org.apache.commons.math3.distribution.TDistribution;

/**
 * Student's t distribution's two-sided critical values and tails, for any positive (also
 * fractional, Welch-Satterthwaite) degrees of freedom: commons-math3's {@link TDistribution}
 * (the same library JMH computes its own confidence intervals with), with the names the gate
 * reasons in. Above {@value #MAX_DEGREES_OF_FREEDOM} degrees of freedom it is the normal
 * distribution.
 */
public final class StudentT
{
    /** Above this many degrees of freedom t is the normal distribution to better than 10<sup>-5</sup>. */
    static final double MAX_DEGREES_OF_FREEDOM = 1e5;

    /** How precisely {@link TDistribution} inverts its cumulative probability: far below the gate's 10<sup>-3</sup> needs. */
    private static final double INVERSE_ACCURACY = 1e-12;

    private StudentT()
    {
    }

    /**
     * @param twoSidedAlpha    the probability of {@code |T|} beyond the value, in (0, 1): 0.01 for a 99% interval.
     * @param degreesOfFreedom positive.
     * @return {@code t} with {@code P(|T| > t) = twoSidedAlpha}.
     * @throws IllegalArgumentException naming the value out of range.
     */
    public static double criticalValue(final double twoSidedAlpha, final double degreesOfFreedom)
    {
        if (!(twoSidedAlpha > 0 && twoSidedAlpha < 1))
        {
            throw new IllegalArgumentException("twoSidedAlpha=" + twoSidedAlpha + " must be in (0, 1)");
        }
        checkDegreesOfFreedom(degreesOfFreedom);
        // the upper tail alone, by symmetry: P(T > t) = alpha / 2
        return degreesOfFreedom > MAX_DEGREES_OF_FREEDOM ?
            -new NormalDistribution(null, 0, 1).inverseCumulativeProbability(twoSidedAlpha / 2) :
            -new TDistribution(null, degreesOfFreedom, INVERSE_ACCURACY).inverseCumulativeProbability(twoSidedAlpha / 2);
    }

    /**
     * @param t                a value of T.
     * @param degreesOfFreedom positive.
     * @return {@code P(|T| > |t|)}, computed from the lower tail so that small tails keep their digits.
     * @throws IllegalArgumentException naming the value out of range.
     */
    public static double twoSidedTail(final double t, final double degreesOfFreedom)
    {
        checkDegreesOfFreedom(degreesOfFreedom);
        final double lowerTail = degreesOfFreedom > MAX_DEGREES_OF_FREEDOM ?
            new NormalDistribution(null, 0, 1).cumulativeProbability(-Math.abs(t)) :
            new TDistribution(null, degreesOfFreedom, INVERSE_ACCURACY).cumulativeProbability(-Math.abs(t));
        return 2 * lowerTail;
    }

    private static void checkDegreesOfFreedom(final double degreesOfFreedom)
    {
        if (!(degreesOfFreedom > 0))
        {
            throw new IllegalArgumentException("degreesOfFreedom=" + degreesOfFreedom + " must be positive");
        }
    }
}
