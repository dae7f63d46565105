package dev.iova.dma;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import dev.iova.region.Protection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What used to hang: a callback that closes its domain, an interrupted flush timer. */
class DmaHangTest
{
    private static final long PAGE = 4096;

    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void iotlbCallbackThatClosesTheDomainDuringAStrictUnmapDoesNotDeadlock()
    {
        final FaultyIotlb iotlb = new FaultyIotlb();
        final AtomicReference<DmaDomain> holder = new AtomicReference<>();
        final DmaDomain domain = DmaDomain.builder().iotlb(iotlb).build();
        holder.set(domain);
        final IoPageTable table = domain.pageTable();
        final long dma = domain.map(0x10_0000L, PAGE, Protection.READ);
        iotlb.onInvalidate(() -> holder.get().close());

        domain.unmap(dma, PAGE);

        assertTrue(domain.isClosed());
        assertTrue(table.isClosed(), "released when the unmap returned");
        assertThrows(IllegalStateException.class, () -> domain.map(0x10_0000L, PAGE, Protection.READ));
    }

    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void iotlbCallbackThatClosesTheDomainDuringALazyFlushDoesNotDeadlock()
    {
        final FaultyIotlb iotlb = new FaultyIotlb();
        final AtomicReference<DmaDomain> holder = new AtomicReference<>();
        final DmaDomain domain = DmaDomain.builder().iotlb(iotlb).invalidationMode(InvalidationMode.LAZY).flushTimer(false).build();
        holder.set(domain);
        final IoPageTable table = domain.pageTable();
        domain.unmap(domain.map(0x10_0000L, PAGE, Protection.READ), PAGE);
        iotlb.onInvalidate(() -> holder.get().close());

        domain.flush();

        assertTrue(table.isClosed());
        assertEquals(0, domain.offHeapBytes());
    }

    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void iotlbCallbackOnTheFlushTimerThatClosesTheDomainDoesNotDeadlock() throws InterruptedException
    {
        final FaultyIotlb iotlb = new FaultyIotlb();
        final AtomicReference<DmaDomain> holder = new AtomicReference<>();
        final DmaDomain domain = DmaDomain.builder().iotlb(iotlb).invalidationMode(InvalidationMode.LAZY)
            .flushTimeoutNanos(TimeUnit.MILLISECONDS.toNanos(2)).build();
        holder.set(domain);
        final IoPageTable table = domain.pageTable();
        final Thread timer = domain.flushTimerThread();
        iotlb.onInvalidate(() -> holder.get().close());
        domain.unmap(domain.map(0x10_0000L, PAGE, Protection.READ), PAGE);

        timer.join(); // the timer flushes, its callback closes, the timer frees and ends

        assertTrue(table.isClosed());
    }

    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void interruptedFlushTimerGoesBackToSleepInsteadOfSpinning()
    {
        try (DmaDomain domain = DmaDomain.builder().invalidationMode(InvalidationMode.LAZY)
            .flushTimeoutNanos(TimeUnit.HOURS.toNanos(1)).build())
        {
            final Thread timer = domain.flushTimerThread();

            timer.interrupt();

            // Spinning, the timer would keep its interrupt flag and never park again: the timeout fails the test.
            while (timer.isInterrupted() || timer.getState() != Thread.State.TIMED_WAITING)
            {
                Thread.onSpinWait();
            }
            assertTrue(timer.isAlive());
        }
    }
}
