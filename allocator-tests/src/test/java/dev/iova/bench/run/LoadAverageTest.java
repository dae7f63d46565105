package dev.iova.bench.run;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The 1-minute load average recorded at the start and end of a run. */
class LoadAverageTest
{
    @Test
    void shouldReadTheFirstFieldOfProcLoadavg()
    {
        assertEquals(0.22, LoadAverage.parse("0.22 1.46 2.73 2/83 6194\n"));
    }

    @Test
    void somethingElseShouldBeUnknown()
    {
        assertNull(LoadAverage.parse("load: high"));
    }
}
