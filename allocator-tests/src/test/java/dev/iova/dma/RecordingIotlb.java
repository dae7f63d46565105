package dev.iova.dma;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongUnaryOperator;

/**
 * An IOTLB that caches what the device used, as a real one does, and fails the moment an IOVA is
 * handed out again while a translation from its previous life is still cached: that is, before
 * the invalidation that covers its last unmap has completed.
 *
 * <p>The test's "device" calls {@link #load} on every page of a mapping it uses (filling the
 * cache from the page table); invalidations remove pages; {@link #checkFresh} runs on every
 * address a map returns. A correct domain removes a page's cached translation (invalidation
 * completed) before it frees the IOVA, and the allocator orders that free before the next
 * allocation of the page, so {@code checkFresh} can only fail when the rule is broken.
 * Invalidations spin for a while, to widen the windows a broken order would open.
 */
final class RecordingIotlb implements Iotlb
{
    private static final long PAGE_MASK = 4095;

    /**
     * Page to cached physical page, under its own monitor: {@code ConcurrentHashMap.clear()} is not
     * atomic against concurrent puts that resize the map (entries survived it in this very test),
     * and an oracle must not miss an invalidation.
     */
    private final Map<Long, Long> cached = new HashMap<>();
    private final AtomicReference<String> violation = new AtomicReference<>();
    private final AtomicLong rangeInvalidations = new AtomicLong();
    private final AtomicLong allInvalidations = new AtomicLong();
    private final long spinNanos;

    /**
     * @param spinNanos how long each invalidation takes.
     */
    RecordingIotlb(final long spinNanos)
    {
        this.spinNanos = spinNanos;
    }

    /**
     * The device uses {@code [dma, dma + bytes)}: caches the translation of each page.
     *
     * @param translator iova to packed translation (the page table).
     * @param dma        first address.
     * @param bytes      length.
     * @param phys       the physical address {@code dma} must translate to.
     */
    void load(final LongUnaryOperator translator, final long dma, final long bytes, final long phys)
    {
        for (long page = dma & ~PAGE_MASK; page < dma + bytes; page += PAGE_MASK + 1)
        {
            final long translation = translator.applyAsLong(Math.max(page, dma));
            if (Translation.isFault(translation) || Translation.phys(translation) != phys + Math.max(page, dma) - dma)
            {
                fail("iova=0x" + Long.toHexString(Math.max(page, dma)) + " of a live mapping translates to " +
                    Translation.of(translation) + ", not phys=0x" + Long.toHexString(phys + Math.max(page, dma) - dma));
            }
            synchronized (cached)
            {
                cached.put(page, Translation.phys(translation) & ~PAGE_MASK);
            }
        }
    }

    /**
     * Checks that no page of a range just handed out is still cached from an earlier mapping.
     *
     * @param dma   what map returned.
     * @param bytes its length.
     */
    void checkFresh(final long dma, final long bytes)
    {
        for (long page = dma & ~PAGE_MASK; page < dma + bytes; page += PAGE_MASK + 1)
        {
            final Long stalePhys;
            synchronized (cached)
            {
                stalePhys = cached.get(page);
            }
            if (stalePhys != null)
            {
                fail("iova=0x" + Long.toHexString(page) + " (of [0x" + Long.toHexString(dma) + " +" + bytes + "] by " + Thread.currentThread().getName() + ") was handed out again while the IOTLB still caches its old " +
                    "translation to phys=0x" + Long.toHexString(stalePhys) +
                    ": reused before the invalidation covering its last unmap completed");
            }
        }
    }

    @Override
    public void invalidateRange(final long iova, final long bytes)
    {
        spin();
        synchronized (cached)
        {
            for (long page = iova; page < iova + bytes; page += PAGE_MASK + 1)
            {
                cached.remove(page);
            }
        }
        rangeInvalidations.incrementAndGet();
    }

    @Override
    public void invalidateAll()
    {
        spin();
        synchronized (cached)
        {
            cached.clear();
        }
        allInvalidations.incrementAndGet();
    }

    /** @return the first violation seen, or null. */
    String violation()
    {
        return violation.get();
    }

    long rangeInvalidations()
    {
        return rangeInvalidations.get();
    }

    long allInvalidations()
    {
        return allInvalidations.get();
    }

    int cachedPages()
    {
        synchronized (cached)
        {
            return cached.size();
        }
    }

    private void fail(final String message)
    {
        violation.compareAndSet(null, message);
        throw new AssertionError(message);
    }

    private void spin()
    {
        final long start = System.nanoTime();
        while (System.nanoTime() - start < spinNanos)
        {
            Thread.onSpinWait();
        }
    }
}
