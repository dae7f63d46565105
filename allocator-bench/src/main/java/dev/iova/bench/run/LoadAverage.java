package dev.iova.bench.run;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The 1-minute load average from {@code /proc/loadavg}: how busy the machine was. On a shared
 * machine a run's figures mean little without it, so {@code metadata.json} records it at the
 * start and at the end of every run.
 */
public final class LoadAverage
{
    private static final Path PROC_LOADAVG = Path.of("/proc/loadavg");

    private LoadAverage()
    {
    }

    /** @return the 1-minute load average now, or null where there is no {@code /proc/loadavg}. */
    public static Double oneMinute()
    {
        try
        {
            return parse(Files.readString(PROC_LOADAVG, StandardCharsets.US_ASCII));
        }
        catch (final IOException | RuntimeException ex)
        {
            return null;
        }
    }

    /**
     * @param procLoadavg the contents of {@code /proc/loadavg}: {@code "0.22 1.46 2.73 2/83 6194"}.
     * @return the first field, or null when it is not a number.
     */
    public static Double parse(final String procLoadavg)
    {
        final String[] fields = procLoadavg.trim().split("\\s+");
        try
        {
            return Double.valueOf(fields[0]);
        }
        catch (final NumberFormatException ex)
        {
            return null;
        }
    }
}
