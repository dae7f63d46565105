package dev.iova.dma;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import dev.iova.region.Protection;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Closing while other threads map, unmap and translate: they see the domain or an exception, never freed memory. */
class DmaCloseTest
{
    /** Over several geometries (issue 17, item 10): 512-, 8-, 2048- and 16-entry tables. */
    @ParameterizedTest(name = "granule={0} bitsPerLevel={1} iovaBits={2}")
    @CsvSource({"4096, 9, 48", "4096, 3, 39", "16384, 11, 47", "65536, 4, 40"})
    void closeWaitsForCallsInProgressAndLaterCallsThrow(final long granule, final int bitsPerLevel, final int iovaBits)
        throws InterruptedException
    {
        for (final InvalidationMode mode : InvalidationMode.values())
        {
            final DmaDomain domain = DmaDomain.builder().granuleBytes(granule).bitsPerLevel(bitsPerLevel).iovaBits(iovaBits)
                .invalidationMode(mode).flushTimer(true).build();
            final IoPageTable table = domain.pageTable();
            final AtomicReference<Throwable> unexpected = new AtomicReference<>();
            final AtomicLong closedSeen = new AtomicLong();
            final CountDownLatch running = new CountDownLatch(7);
            final List<Thread> threads = new ArrayList<>();
            threads.add(new Thread(() ->
            {
                running.countDown();
                try
                {
                    for (long round = 0; ; round++)
                    {
                        table.translate((round * granule) & ((1L << 32) - 1)); // inspection racing close
                    }
                }
                catch (final IllegalStateException ex)
                {
                    closedSeen.incrementAndGet();
                }
                catch (final Throwable ex)
                {
                    unexpected.compareAndSet(null, ex);
                }
            }));
            for (int t = 0; t < 6; t++)
            {
                final int id = t;
                threads.add(new Thread(() ->
                {
                    running.countDown();
                    try
                    {
                        for (long round = 0; ; round++)
                        {
                            final long dma = domain.map(round * 4096 + id, 3 * granule, Protection.READ);
                            domain.translate(dma);
                            domain.unmap(dma, 3 * granule);
                        }
                    }
                    catch (final IllegalStateException ex)
                    {
                        closedSeen.incrementAndGet();
                    }
                    catch (final Throwable ex)
                    {
                        unexpected.compareAndSet(null, ex);
                    }
                }));
            }
            threads.forEach(Thread::start);
            running.await();
            Thread.sleep(20);

            domain.close();

            for (final Thread thread : threads)
            {
                thread.join();
            }
            assertNull(unexpected.get());
            assertEquals(7, closedSeen.get(), "every worker stopped on an IllegalStateException");
            assertTrue(domain.isClosed());
        }
    }
}
