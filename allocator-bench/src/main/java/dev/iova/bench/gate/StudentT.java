package dev.iova.bench.gate;

/**
 * Student's t distribution: the two-sided critical value {@code t} with {@code P(|T| > t) = alpha}
 * for any positive (also fractional, Welch-Satterthwaite) degrees of freedom.
 *
 * <p>The tail comes from the regularized incomplete beta function,
 * {@code P(|T| > t) = I_x(df/2, 1/2)} with {@code x = df / (df + t²)}, evaluated by its continued
 * fraction (modified Lentz) with a Lanczos log-gamma; the critical value is found by bisection on
 * {@code log t}. Small tails are computed directly, not as {@code 1 - cdf}, so the Bonferroni
 * levels of a gate over dozens of benchmarks (alpha of 10<sup>-4</sup> and below) stay accurate.
 */
public final class StudentT
{
    /** Above this many degrees of freedom t is the normal distribution to better than 10<sup>-5</sup>. */
    static final double MAX_DEGREES_OF_FREEDOM = 1e5;

    private static final double[] LANCZOS = {
        0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
        12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7};

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
        if (!(degreesOfFreedom > 0))
        {
            throw new IllegalArgumentException("degreesOfFreedom=" + degreesOfFreedom + " must be positive");
        }
        final double df = Math.min(degreesOfFreedom, MAX_DEGREES_OF_FREEDOM);
        double lowLog = Math.log(1e-9);
        double highLog = Math.log(1e15);
        for (int i = 0; i < 200 && highLog - lowLog > 1e-13; i++)
        {
            final double midLog = 0.5 * (lowLog + highLog);
            if (twoSidedTail(Math.exp(midLog), df) > twoSidedAlpha)
            {
                lowLog = midLog;
            }
            else
            {
                highLog = midLog;
            }
        }
        return Math.exp(0.5 * (lowLog + highLog));
    }

    /**
     * @param t                a value, at least 0.
     * @param degreesOfFreedom positive.
     * @return {@code P(|T| > t)}.
     */
    public static double twoSidedTail(final double t, final double degreesOfFreedom)
    {
        final double df = Math.min(degreesOfFreedom, MAX_DEGREES_OF_FREEDOM);
        return regularizedIncompleteBeta(df / (df + t * t), 0.5 * df, 0.5);
    }

    /** @return {@code I_x(a, b)}, the regularized incomplete beta function, for x in [0, 1]. */
    static double regularizedIncompleteBeta(final double x, final double a, final double b)
    {
        if (x <= 0)
        {
            return 0;
        }
        if (x >= 1)
        {
            return 1;
        }
        final double logFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x);
        if (x < (a + 1) / (a + b + 2))
        {
            return Math.exp(logFront) * continuedFraction(x, a, b) / a;
        }
        return 1 - Math.exp(logFront) * continuedFraction(1 - x, b, a) / b;
    }

    /** The continued fraction of the incomplete beta function, by the modified Lentz method. */
    private static double continuedFraction(final double x, final double a, final double b)
    {
        final double tiny = 1e-300;
        double c = 1;
        double d = 1 - (a + b) * x / (a + 1);
        d = 1 / (Math.abs(d) < tiny ? tiny : d);
        double h = d;
        for (int m = 1; m <= 10_000; m++)
        {
            final int m2 = 2 * m;
            double aa = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
            d = 1 + aa * d;
            d = 1 / (Math.abs(d) < tiny ? tiny : d);
            c = 1 + aa / c;
            c = Math.abs(c) < tiny ? tiny : c;
            h *= d * c;
            aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
            d = 1 + aa * d;
            d = 1 / (Math.abs(d) < tiny ? tiny : d);
            c = 1 + aa / c;
            c = Math.abs(c) < tiny ? tiny : c;
            final double delta = d * c;
            h *= delta;
            if (Math.abs(delta - 1) < 1e-15)
            {
                break;
            }
        }
        return h;
    }

    /** @return {@code ln Γ(x)} for x &gt; 0 (Lanczos, g = 7, about 15 significant digits). */
    static double logGamma(final double x)
    {
        if (x < 0.5)
        {
            // reflection: Γ(x) Γ(1 - x) = π / sin(πx)
            return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
        }
        final double z = x - 1;
        double sum = LANCZOS[0];
        for (int i = 1; i < LANCZOS.length; i++)
        {
            sum += LANCZOS[i] / (z + i);
        }
        final double t = z + 7.5;
        return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
    }
}
