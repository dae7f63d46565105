package dev.iova.concurrent;

/**
 * The one wait loop of the project's lock-free and spin-locked structures: spin a little, then
 * yield. Spinning ({@link Thread#onSpinWait()}) suits a holder that runs on another core and
 * finishes within a few hundred nanoseconds; yielding lets a holder that was preempted run again
 * on an oversubscribed machine (more runnable threads than cores), where spinning would only burn
 * its time slice.
 *
 * <p>Garbage-free; the caller counts its attempts:
 * <pre>{@code
 * for (int attempt = 0; !condition(); attempt++)
 * {
 *     SpinWait.pause(attempt);
 * }
 * }</pre>
 */
public final class SpinWait
{
    /** Attempts that spin before a waiting thread starts yielding. */
    public static final int SPINS = 64;

    private SpinWait()
    {
    }

    /**
     * Waits a moment: spins for the first {@link #SPINS} attempts, then yields.
     *
     * @param attempt how many times the caller has waited already, from 0.
     */
    public static void pause(final int attempt)
    {
        if (attempt < SPINS)
        {
            Thread.onSpinWait();
        }
        else
        {
            Thread.yield(); // the holder may be preempted on an oversubscribed machine
        }
    }
}
