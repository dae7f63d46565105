package dev.iova.bench.run;

import java.lang.management.ManagementFactory;

/**
 * The 1-minute load average, as the JVM's {@link java.lang.management.OperatingSystemMXBean} reports
 * it: how busy the machine was. On a shared machine a run's figures mean little without it, so
 * {@code metadata.json} records it at the start and at the end of every run.
 */
public final class LoadAverage
{
    private LoadAverage()
    {
    }

    /** @return the 1-minute load average now, or null where the platform has none (the bean's negative value). */
    public static Double oneMinute()
    {
        return known(ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }

    /**
     * @param systemLoadAverage what {@link java.lang.management.OperatingSystemMXBean#getSystemLoadAverage()} returned.
     * @return it to two decimals, as the kernel keeps it ({@code /proc/loadavg}; the bean's double
     *         carries binary noise such as 10.271484375), or null when it is negative (not available).
     */
    static Double known(final double systemLoadAverage)
    {
        return systemLoadAverage >= 0 ? Math.round(systemLoadAverage * 100) / 100.0 : null;
    }
}
