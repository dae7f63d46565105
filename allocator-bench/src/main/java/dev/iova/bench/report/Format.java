package dev.iova.bench.report;

import java.util.Locale;

/** Numbers as the report prints them: three significant digits or more, never exponents. */
public final class Format
{
    private Format()
    {
    }

    /**
     * @param value a score.
     * @return it with the decimals that keep three significant digits: 378.9, 26.50, 0.0363, 2500000.
     */
    public static String number(final double value)
    {
        return Double.isFinite(value) ? fixed(value, decimals(value)) : "n/a";
    }

    /**
     * @param error a score's error.
     * @param score the score.
     * @return the error with as many decimals as the score shows, or "n/a" when JMH gave none.
     */
    static String error(final double error, final double score)
    {
        return Double.isFinite(error) ? fixed(error, decimals(score)) : "n/a";
    }

    /**
     * @param bytesPerOp {@code gc.alloc.rate.norm}.
     * @return the bytes per operation; "&lt; 0.01" for what JMH prints as ≈ 10⁻⁴; "–" when not measured.
     */
    static String bytesPerOp(final double bytesPerOp)
    {
        if (!Double.isFinite(bytesPerOp))
        {
            return "–";
        }
        return Math.abs(bytesPerOp) < 0.01 ? "< 0.01" : number(bytesPerOp);
    }

    /** @return a ratio such as {@code 1.49x}, {@code 12.3x}, {@code 67,006x}; "∞" for an unbounded one. */
    static String ratio(final double ratio)
    {
        if (Double.isInfinite(ratio) && ratio > 0)
        {
            return "∞";
        }
        if (!Double.isFinite(ratio))
        {
            return "n/a";
        }
        final String format = ratio >= 1000 ? "%,.0f" : ratio >= 100 ? "%.0f" : ratio >= 10 ? "%.1f" : "%.2f";
        return String.format(Locale.ROOT, format, ratio) + "x";
    }

    /**
     * @param seconds a duration.
     * @return it as "45 s", "7 min 30 s" or "1 h 05 min".
     */
    public static String duration(final double seconds)
    {
        final long total = Math.round(seconds);
        if (total < 60)
        {
            return total + " s";
        }
        if (total < 3600)
        {
            return String.format(Locale.ROOT, "%d min %02d s", total / 60, total % 60);
        }
        return String.format(Locale.ROOT, "%d h %02d min", total / 3600, (total % 3600) / 60);
    }

    private static int decimals(final double value)
    {
        final double magnitude = Math.abs(value);
        if (magnitude >= 1000 || magnitude == 0)
        {
            return magnitude == 0 ? 1 : 0;
        }
        if (magnitude >= 100)
        {
            return 1;
        }
        if (magnitude >= 10)
        {
            return 2;
        }
        if (magnitude >= 1)
        {
            return 3;
        }
        return Math.min(12, 2 - (int)Math.floor(Math.log10(magnitude)));
    }

    private static String fixed(final double value, final int decimals)
    {
        return String.format(Locale.ROOT, "%." + decimals + "f", value);
    }
}
