package dev.iova.bench.jmh;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The gate proof's injected slowdown: exactly P extra pairs in every 100 operations, evenly spread. */
class InjectedCostTest
{
    @Test
    void everyHundredConsecutiveOperationsTakeExactlyPercentExtraPairs()
    {
        for (int percent = 0; percent <= 100; percent++)
        {
            for (long start : new long[] {0, 37, 1_000, (1L << 40) + 13})
            {
                int extra = 0;
                for (long k = start; k < start + 100; k++)
                {
                    extra += InjectedCost.takesExtraPair(k, percent) ? 1 : 0;
                }
                assertEquals(percent, extra, "percent " + percent + " from operation " + start);
            }
        }
    }

    @Test
    void theExtraPairsAreSpreadEvenly()
    {
        for (int percent = 1; percent <= 100; percent++)
        {
            // any 20 consecutive operations take 20 P / 100 extra pairs, rounded either way
            for (long start = 0; start < 200; start++)
            {
                int extra = 0;
                for (long k = start; k < start + 20; k++)
                {
                    extra += InjectedCost.takesExtraPair(k, percent) ? 1 : 0;
                }
                assertTrue(Math.abs(extra * 100 - 20 * percent) < 100,
                    "percent " + percent + ", operations " + start + ".." + (start + 19) + ": " + extra);
            }
        }
    }

    @Test
    void aPercentageOutsideZeroToHundredIsRefusedNamingTheProperty()
    {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> InjectedCost.percent(101));
        assertEquals("-Diova.bench.extraPairPercent=101 is not a percentage from 0 to 100", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> InjectedCost.percent(-1));
        assertEquals(15, InjectedCost.percent(15));
    }
}
