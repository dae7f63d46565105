package dev.iova.bench.gate;

import dev.iova.bench.report.Format;

import java.util.Locale;

/** How the gate prints its numbers: signed percentages with one decimal, scores with three significant digits. */
final class GateFormat
{
    private GateFormat()
    {
    }

    /**
     * @param fraction a change, 0.234 for 23.4%.
     * @return {@code +23.4%}, {@code -9.1%}, {@code +0.0%}.
     */
    static String percent(final double fraction)
    {
        if (!Double.isFinite(fraction))
        {
            return "n/a";
        }
        final double percent = fraction * 100;
        if (percent >= 10_000)
        {
            return ">+9999%";
        }
        return String.format(Locale.ROOT, "%+.1f%%", Math.abs(percent) < 0.05 ? 0.0 : percent);
    }

    /**
     * @param change a change with its interval.
     * @return {@code +23.4% [+18.0%, +29.1%]}.
     */
    static String change(final Change change)
    {
        return percent(change.slowdown()) + " [" + percent(change.slowdownLow()) + ", " + percent(change.slowdownHigh()) + "]";
    }

    /**
     * @param confidence a level in (0, 1).
     * @return {@code 99%}, {@code 99.75%}, {@code 99.98%}: as many decimals as it takes, up to 4.
     */
    static String level(final double confidence)
    {
        final double percent = confidence * 100;
        for (int decimals = 0; decimals < 4; decimals++)
        {
            final String text = String.format(Locale.ROOT, "%." + decimals + "f", percent);
            if (Math.abs(Double.parseDouble(text) - percent) < 1e-9)
            {
                return text + "%";
            }
        }
        return String.format(Locale.ROOT, "%.4f%%", percent);
    }

    /**
     * @param score a score.
     * @param unit  its unit.
     * @return {@code 309 ns/op}.
     */
    static String score(final double score, final String unit)
    {
        return Format.number(score) + " " + unit;
    }

    /**
     * @param bytesPerOp {@code gc.alloc.rate.norm}.
     * @return {@code 0.00}, {@code 40.0}, or {@code –} when not measured.
     */
    static String bytes(final double bytesPerOp)
    {
        if (!Double.isFinite(bytesPerOp))
        {
            return "–";
        }
        return Math.abs(bytesPerOp) < 0.01 ? "< 0.01" : Format.number(bytesPerOp);
    }
}
