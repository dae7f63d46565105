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
            final boolean[] extra = operations(percent, 1_200);
            for (int start : new int[] {0, 37, 1_000})
            {
                int count = 0;
                for (int k = start; k < start + 100; k++)
                {
                    count += extra[k] ? 1 : 0;
                }
                assertEquals(percent, count, "percent " + percent + " from operation " + start);
            }
        }
    }

    @Test
    void theExtraPairsAreSpreadEvenly()
    {
        for (int percent = 1; percent <= 100; percent++)
        {
            final boolean[] extra = operations(percent, 220);
            // any 20 consecutive operations take 20 P / 100 extra pairs, rounded either way
            for (int start = 0; start < 200; start++)
            {
                int count = 0;
                for (int k = start; k < start + 20; k++)
                {
                    count += extra[k] ? 1 : 0;
                }
                assertTrue(Math.abs(count * 100 - 20 * percent) < 100,
                    "percent " + percent + ", operations " + start + ".." + (start + 19) + ": " + count);
            }
        }
    }

    /** Whether each of the first {@code n} operations of a fork does an extra pair. */
    private static boolean[] operations(final int percent, final int n)
    {
        InjectedCost.resetCredit();
        final boolean[] extra = new boolean[n];
        for (int k = 0; k < n; k++)
        {
            extra[k] = InjectedCost.takesExtraPair(percent);
        }
        return extra;
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
