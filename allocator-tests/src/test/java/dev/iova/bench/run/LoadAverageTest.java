package dev.iova.bench.run;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The 1-minute load average recorded at the start and end of a run. */
class LoadAverageTest
{
    @Test
    void onLinuxItIsTheFirstFieldOfProcLoadavg() throws Exception
    {
        final Path procLoadavg = Path.of("/proc/loadavg");
        if (!Files.isReadable(procLoadavg))
        {
            return; // not Linux: nothing to compare with
        }
        final double before = Double.parseDouble(Files.readString(procLoadavg).trim().split("\\s+")[0]);
        final Double load = LoadAverage.oneMinute();
        final double after = Double.parseDouble(Files.readString(procLoadavg).trim().split("\\s+")[0]);
        assertNotNull(load);
        // the kernel updates it every 5 s: the bean's reading lies between the two reads around it
        assertEquals(0, Math.max(0, Math.min(before, after) - load) + Math.max(0, load - Math.max(before, after)), 0.011,
            before + " <= " + load + " <= " + after);
    }

    @Test
    void aNegativeReadingMeansUnknown()
    {
        assertNull(LoadAverage.known(-1));
        assertEquals(0.22, LoadAverage.known(0.22));
        assertEquals(10.27, LoadAverage.known(10.271484375), "two decimals, as the kernel keeps it");
    }
}
