package dev.iova.dma;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An IOTLB that throws when told to: on the next {@code n} range or whole invalidations, or on
 * the Nth call of either kind counted from now. Counts the calls that completed. Thread-safe.
 */
final class FaultyIotlb implements Iotlb
{
    /** What it throws: an unchecked exception of its own, so a test can tell it from the library's. */
    static final class InjectedFault extends RuntimeException
    {
        InjectedFault(final String message)
        {
            super(message, null, false, false);
        }
    }

    private final AtomicInteger failRanges = new AtomicInteger();
    private final AtomicInteger failAlls = new AtomicInteger();
    private final AtomicLong failOnCall = new AtomicLong(-1);
    private final AtomicLong calls = new AtomicLong();
    private final AtomicLong completedRanges = new AtomicLong();
    private final AtomicLong completedAlls = new AtomicLong();
    private volatile Runnable onInvalidate;

    /** @param n the next {@code n} {@code invalidateRange} calls throw. */
    void failNextRanges(final int n)
    {
        failRanges.set(n);
    }

    /** @param n the next {@code n} {@code invalidateAll} calls throw. */
    void failNextAlls(final int n)
    {
        failAlls.set(n);
    }

    /** @param n the {@code n}th call from now (1 = the next), of either kind, throws. */
    void failCall(final long n)
    {
        failOnCall.set(calls.get() + n);
    }

    /** @param action runs inside every invalidation, before it completes (null for none). */
    void onInvalidate(final Runnable action)
    {
        this.onInvalidate = action;
    }

    long completedRanges()
    {
        return completedRanges.get();
    }

    long completedAlls()
    {
        return completedAlls.get();
    }

    @Override
    public void invalidateRange(final long iova, final long bytes)
    {
        enter(failRanges, "invalidateRange(0x" + Long.toHexString(iova) + ", 0x" + Long.toHexString(bytes) + ")");
        completedRanges.incrementAndGet();
    }

    @Override
    public void invalidateAll()
    {
        enter(failAlls, "invalidateAll()");
        completedAlls.incrementAndGet();
    }

    private void enter(final AtomicInteger failures, final String what)
    {
        final long call = calls.incrementAndGet();
        final Runnable action = onInvalidate;
        if (action != null)
        {
            action.run();
        }
        if (call == failOnCall.get() || failures.getAndUpdate(n -> Math.max(0, n - 1)) > 0)
        {
            throw new InjectedFault("injected IOTLB failure in call " + call + ": " + what);
        }
    }
}
