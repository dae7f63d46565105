package dev.iova.dma;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * An IOTLB that caches nothing and makes each invalidation cost a configured time, busy-spinning
 * as a CPU waits for an IOMMU's invalidation to complete: for benchmarks that weigh strict against
 * lazy invalidation. Counts every call. {@link #rangesOnly(long)} makes one that cannot invalidate
 * everything at once, as a VFIO container that unmaps range by range.
 *
 * <p>Thread-safe and garbage-free. The counters sit on separate 128-byte lines.
 */
public final class SimulatedIotlb implements Iotlb
{
    private static final int RANGE_CALLS = 0;
    private static final int RANGE_BYTES = 16;
    private static final int ALL_CALLS = 32;

    private final long rangeCostNanos;
    private final long allCostNanos;
    private final boolean canInvalidateAll;
    private final AtomicLongArray counters = new AtomicLongArray(48);

    /** An IOTLB whose invalidations cost nothing. */
    public SimulatedIotlb()
    {
        this(0, 0);
    }

    /**
     * @param rangeCostNanos how long each {@link #invalidateRange} spins, at least 0.
     * @param allCostNanos   how long each {@link #invalidateAll} spins, at least 0.
     */
    public SimulatedIotlb(final long rangeCostNanos, final long allCostNanos)
    {
        this(rangeCostNanos, allCostNanos, true);
    }

    /**
     * An IOTLB that invalidates range by range only ({@link #canInvalidateAll()} false): the lazy
     * flush queues then hand it each queued range.
     *
     * @param rangeCostNanos how long each {@link #invalidateRange} spins, at least 0.
     * @return the IOTLB; its {@link #invalidateAll()} throws {@link IllegalStateException}.
     */
    public static SimulatedIotlb rangesOnly(final long rangeCostNanos)
    {
        return new SimulatedIotlb(rangeCostNanos, 0, false);
    }

    private SimulatedIotlb(final long rangeCostNanos, final long allCostNanos, final boolean canInvalidateAll)
    {
        if (rangeCostNanos < 0 || allCostNanos < 0)
        {
            throw new IllegalArgumentException("rangeCostNanos=" + rangeCostNanos + " and allCostNanos=" + allCostNanos +
                " must not be negative");
        }
        this.rangeCostNanos = rangeCostNanos;
        this.allCostNanos = allCostNanos;
        this.canInvalidateAll = canInvalidateAll;
    }

    @Override
    public void invalidateRange(final long iova, final long bytes)
    {
        spin(rangeCostNanos);
        counters.getAndIncrement(RANGE_CALLS);
        counters.getAndAdd(RANGE_BYTES, bytes);
    }

    @Override
    public void invalidateAll()
    {
        if (!canInvalidateAll)
        {
            throw new IllegalStateException("this IOTLB invalidates ranges only (canInvalidateAll() is false)");
        }
        spin(allCostNanos);
        counters.getAndIncrement(ALL_CALLS);
    }

    @Override
    public boolean canInvalidateAll()
    {
        return canInvalidateAll;
    }

    /** @return calls to {@link #invalidateRange} so far. */
    public long rangeInvalidations()
    {
        return counters.get(RANGE_CALLS);
    }

    /** @return bytes passed to {@link #invalidateRange} so far. */
    public long bytesInvalidated()
    {
        return counters.get(RANGE_BYTES);
    }

    /** @return calls to {@link #invalidateAll} so far. */
    public long allInvalidations()
    {
        return counters.get(ALL_CALLS);
    }

    /** @return the cost of one range invalidation, in nanoseconds. */
    public long rangeCostNanos()
    {
        return rangeCostNanos;
    }

    /** @return the cost of one whole invalidation, in nanoseconds. */
    public long allCostNanos()
    {
        return allCostNanos;
    }

    private static void spin(final long nanos)
    {
        if (nanos > 0)
        {
            final long start = System.nanoTime();
            while (System.nanoTime() - start < nanos)
            {
                Thread.onSpinWait();
            }
        }
    }

    @Override
    public String toString()
    {
        return "SimulatedIotlb{rangeCostNanos=" + rangeCostNanos + ", allCostNanos=" + allCostNanos + ", canInvalidateAll=" + canInvalidateAll +
            ", rangeInvalidations=" + rangeInvalidations() + ", allInvalidations=" + allInvalidations() + "}";
    }
}
