package dev.iova.bench.report;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** How the report prints numbers and chooses units. */
class FormatTest
{
    @Test
    void scoresShouldKeepThreeSignificantDigits()
    {
        assertEquals("378.9", Format.number(378.9238936473197));
        assertEquals("26.50", Format.number(26.497673706406704));
        assertEquals("3.142", Format.number(Math.PI));
        assertEquals("0.0363", Format.number(0.03630670844352129));
        assertEquals("2500000", Format.number(2_500_000.4));
        assertEquals("n/a", Format.number(Double.NaN));
    }

    @Test
    void errorsShouldShowAsManyDecimalsAsTheirScore()
    {
        assertEquals("29.3", Format.error(29.271, 378.9));
        assertEquals("0.0012", Format.error(0.0012095948417368168, 0.0363));
        assertEquals("n/a", Format.error(Double.NaN, 1.0));
    }

    @Test
    void bytesPerOpBelowAHundredthShouldReadAsLessThanAHundredth()
    {
        assertEquals("< 0.01", Format.bytesPerOp(1.0e-4));
        assertEquals("24.00", Format.bytesPerOp(24));
        assertEquals("–", Format.bytesPerOp(Double.NaN));
    }

    @Test
    void durationsShouldReadAsSecondsMinutesOrHours()
    {
        assertEquals("13 s", Format.duration(12.6));
        assertEquals("7 min 05 s", Format.duration(425));
        assertEquals("1 h 05 min", Format.duration(3900));
    }

    @Test
    void unitsShouldBeScaledToReadableNumbers()
    {
        final Units.Scale opsPerUs = Units.readable("ops/ns", new double[] {0.036, 0.076, 0.073});
        assertEquals("ops/µs", opsPerUs.label());
        assertEquals(36.0, opsPerUs.apply(0.036), 1e-9);
        assertEquals("ns/op", Units.readable("ns/op", new double[] {26.5, 378.9}).unit());
        final Units.Scale us = Units.readable("ns/op", new double[] {2_500_000, 3_000_000});
        assertEquals("µs/op", us.label());
        assertEquals(2500, us.apply(2_500_000), 1e-9);
        assertEquals("ms/op", Units.readable("ns/op", new double[] {25_000_000}).unit());
        assertEquals("B/op", Units.readable("B/op", new double[] {0.001}).unit());
    }
}
