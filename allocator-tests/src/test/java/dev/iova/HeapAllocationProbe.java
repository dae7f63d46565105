package dev.iova;

import java.lang.management.ManagementFactory;

/**
 * Counts the bytes the current thread allocates on the Java heap, through HotSpot's
 * {@code com.sun.management.ThreadMXBean}. A count, not a timing: the same code allocates the
 * same bytes on every machine.
 */
public final class HeapAllocationProbe
{
    private static final com.sun.management.ThreadMXBean THREADS =
        (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();

    private HeapAllocationProbe()
    {
    }

    /** @return bytes allocated by the calling thread so far. */
    public static long allocatedBytes()
    {
        return THREADS.getThreadAllocatedBytes(Thread.currentThread().getId());
    }

    /**
     * Runs {@code action}, returning the bytes the calling thread allocated meanwhile, less
     * the probe's own cost (measured once with an empty action).
     *
     * @param action what to measure.
     * @return heap bytes allocated by {@code action}.
     */
    public static long bytesAllocatedBy(final Runnable action)
    {
        final long overheadBytes = measure(() -> { });
        return measure(action) - overheadBytes;
    }

    private static long measure(final Runnable action)
    {
        final long before = allocatedBytes();
        action.run();
        return allocatedBytes() - before;
    }
}
