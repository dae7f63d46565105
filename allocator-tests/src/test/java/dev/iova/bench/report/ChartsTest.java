package dev.iova.bench.report;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The logarithmic value axis of the report's charts: when it is chosen, and that its labels are the values plotted. */
class ChartsTest
{
    @Test
    void logAxisLabelsAreTheValuesAtTheirPositionNotLinearTicks()
    {
        // A p50 of 321 ns sits at log10(321) = 2.51: its label must read about 320, not 49,000.
        assertEquals("320", Charts.logTickLabel(Math.log10(321)));
        assertEquals("1,000", Charts.logTickLabel(3.0));
        assertEquals("100,000", Charts.logTickLabel(5.0));
        assertEquals("3,200", Charts.logTickLabel(3.5));
        assertEquals("0.032", Charts.logTickLabel(-1.5));
        assertEquals("1", Charts.logTickLabel(0.0));
    }

    @Test
    void valueAxisIsLogarithmicFromThirtyTimesSpreadOn()
    {
        final List<String> x = List.of("a", "b");
        assertFalse(Charts.logScale(List.of(new Charts.Series("s", x, new double[] {10, 299}, new double[] {1, 1}))));
        assertTrue(Charts.logScale(List.of(new Charts.Series("s", x, new double[] {10, 300}, new double[] {1, 1}))));
        assertTrue(Charts.logScale(List.of(new Charts.Series("ours", x, new double[] {154, Double.NaN}, new double[2]),
            new Charts.Series("linear walk", x, new double[] {8.3e6, Double.NaN}, new double[2]))), "across series");
        assertFalse(Charts.logScale(List.of(new Charts.Series("s", x, new double[] {0, 300}, new double[2]))),
            "a zero is not a spread: it cannot be drawn on a log axis");
    }

    @Test
    void errorBarsBeyondTwiceTheLargestScoreAreClipped()
    {
        final List<String> x = List.of("a", "b");
        assertFalse(Charts.clipErrorBars(List.of(new Charts.Series("s", x, new double[] {100, 480}, new double[] {50, 480}))));
        assertTrue(Charts.clipErrorBars(List.of(new Charts.Series("s", x, new double[] {100, 480}, new double[] {50, 11_000}))),
            "a one-fork run's interval of 11,000 ns around 480 ns");
    }
}
