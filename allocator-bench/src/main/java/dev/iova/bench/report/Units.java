package dev.iova.bench.report;

import java.util.Arrays;
import java.util.List;

/**
 * Score units as JMH writes them ({@code ops/ns}, {@code ns/op}, ...): choosing a readable one
 * for a group of scores (0.036 ops/ns reads better as 36.3 ops/µs), and converting between them
 * so that two runs measured in different units can be compared.
 *
 * <p>Units other than operations per time and time per operation are left as they are.
 */
public final class Units
{
    /** JMH's time units, smallest first, and their length in nanoseconds. */
    private static final List<String> TIME_UNITS = List.of("ns", "us", "ms", "s");
    private static final double[] TIME_UNIT_NANOS = {1, 1e3, 1e6, 1e9};

    private Units()
    {
    }

    /**
     * A unit to show scores in: multiply a score by {@code factor} to express it in {@code unit}.
     *
     * @param factor what to multiply a score in the original unit by.
     * @param unit   the unit to show, as JMH would write it ({@code ops/us}).
     */
    record Scale(double factor, String unit)
    {
        double apply(final double value)
        {
            return value * factor;
        }

        /** @return the unit with {@code µs} for JMH's {@code us}. */
        String label()
        {
            return pretty(unit);
        }
    }

    /**
     * @param unit   the unit the scores are in.
     * @param scores the scores of a group that should share one unit (a table or a chart).
     * @return the unit in which their median is between 1 and 10,000 when one of JMH's time units allows it.
     */
    static Scale readable(final String unit, final double[] scores)
    {
        final double median = median(scores);
        if (Double.isNaN(median) || median == 0)
        {
            return new Scale(1, unit);
        }
        int timeIndex = timeIndex(unit);
        if (timeIndex < 0)
        {
            return new Scale(1, unit);
        }
        final boolean perTime = unit.startsWith("ops/");
        double factor = 1;
        if (perTime)
        {
            // ops per ns -> ops per µs multiplies by 1000
            while (median * factor < 1 && timeIndex < TIME_UNITS.size() - 1)
            {
                factor *= TIME_UNIT_NANOS[timeIndex + 1] / TIME_UNIT_NANOS[timeIndex];
                timeIndex++;
            }
            return new Scale(factor, "ops/" + TIME_UNITS.get(timeIndex));
        }
        while (median * factor >= 10_000 && timeIndex < TIME_UNITS.size() - 1)
        {
            factor /= TIME_UNIT_NANOS[timeIndex + 1] / TIME_UNIT_NANOS[timeIndex];
            timeIndex++;
        }
        return new Scale(factor, TIME_UNITS.get(timeIndex) + "/op");
    }

    /**
     * @param from a unit.
     * @param to   another unit.
     * @return what to multiply a value in {@code from} by to express it in {@code to}, or NaN when
     *         the two are not the same kind of unit (operations per time against time per operation).
     */
    public static double conversion(final String from, final String to)
    {
        if (from.equals(to))
        {
            return 1;
        }
        final int fromIndex = timeIndex(from);
        final int toIndex = timeIndex(to);
        if (fromIndex < 0 || toIndex < 0 || from.startsWith("ops/") != to.startsWith("ops/"))
        {
            return Double.NaN;
        }
        final double ratio = TIME_UNIT_NANOS[toIndex] / TIME_UNIT_NANOS[fromIndex];
        return from.startsWith("ops/") ? ratio : 1 / ratio;
    }

    /** @return the unit with {@code µs} for JMH's {@code us}. */
    static String pretty(final String unit)
    {
        return unit.replace("us/", "µs/").replace("/us", "/µs");
    }

    private static int timeIndex(final String unit)
    {
        if (unit.startsWith("ops/"))
        {
            return TIME_UNITS.indexOf(unit.substring(4));
        }
        if (unit.endsWith("/op"))
        {
            return TIME_UNITS.indexOf(unit.substring(0, unit.length() - 3));
        }
        return -1;
    }

    private static double median(final double[] scores)
    {
        final double[] finite = Arrays.stream(scores).filter(Double::isFinite).sorted().toArray();
        return finite.length == 0 ? Double.NaN : finite[finite.length / 2];
    }
}
