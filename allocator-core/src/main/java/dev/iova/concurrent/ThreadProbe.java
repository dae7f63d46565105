package dev.iova.concurrent;

import java.util.concurrent.ThreadLocalRandom;

import org.agrona.UnsafeApi;

/**
 * A per-thread hash that a thread keeps until it collides: the {@code threadLocalRandomProbe}
 * that {@code java.util.concurrent} gives every thread ({@code LongAdder} and
 * {@code ConcurrentHashMap} pick their cells with it). Reading and rehashing it costs a field
 * access and allocates nothing. Where the JDK has no such field, a hash of the thread id stands
 * in (rehashing then only lasts for the call).
 *
 * <p>Shared by the striped structures of the caches and of the DMA layer.
 */
public final class ThreadProbe
{
    private static final long PROBE_OFFSET = probeOffset();

    private ThreadProbe()
    {
    }

    /**
     * @param thread the current thread.
     * @return its probe, never 0.
     */
    public static int get(final Thread thread)
    {
        int probe = getUnseeded(thread);
        if (probe == 0) // only with the JDK's field: the fallback is never 0
        {
            ThreadLocalRandom.current(); // seeds this thread's probe
            probe = UnsafeApi.getInt(thread, PROBE_OFFSET);
        }
        return probe;
    }

    /**
     * The thread's probe as it is, without seeding it: 0 for a thread that has not used one yet.
     * For the hot path of {@link StripedSpinLocks#lockAny()}, which seeds it ({@link #get}) only
     * when it first meets a busy stripe.
     *
     * @param thread the current thread.
     * @return its probe, or 0 when not seeded yet.
     */
    public static int getUnseeded(final Thread thread)
    {
        if (PROBE_OFFSET < 0)
        {
            return (int)((thread.getId() * 0x9E3779B97F4A7C15L) >>> 33) | 1;
        }
        return UnsafeApi.getInt(thread, PROBE_OFFSET);
    }

    /**
     * Moves the thread to another probe (xorshift, as {@code ThreadLocalRandom.advanceProbe}) and keeps it.
     *
     * @param thread the current thread.
     * @param probe  its probe now.
     * @return the new probe.
     */
    public static int advance(final Thread thread, final int probe)
    {
        int next = probe;
        next ^= next << 13;
        next ^= next >>> 17;
        next ^= next << 5;
        if (PROBE_OFFSET >= 0)
        {
            UnsafeApi.putInt(thread, PROBE_OFFSET, next);
        }
        return next;
    }

    /**
     * Sets the thread's probe: a thread that works on behalf of another stripe (freeing what that
     * stripe's thread queued) takes that stripe's probe for the while, then sets its own back.
     * Without the JDK's field, does nothing.
     *
     * @param thread the current thread.
     * @param probe  the probe to take, not 0.
     */
    public static void set(final Thread thread, final int probe)
    {
        if (probe == 0)
        {
            throw new IllegalArgumentException("probe=0: a probe is never 0");
        }
        if (PROBE_OFFSET >= 0)
        {
            UnsafeApi.putInt(thread, PROBE_OFFSET, probe);
        }
    }

    private static long probeOffset()
    {
        try
        {
            return UnsafeApi.objectFieldOffset(Thread.class, "threadLocalRandomProbe");
        }
        catch (final RuntimeException | LinkageError ex)
        {
            return -1;
        }
    }
}
