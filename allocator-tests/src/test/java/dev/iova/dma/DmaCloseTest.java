package dev.iova.dma;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import dev.iova.region.Protection;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Closing while other threads map, unmap and translate: they see the domain or an exception, never freed memory. */
class DmaCloseTest
{
    @Test
    void closeWaitsForCallsInProgressAndLaterCallsThrow() throws InterruptedException
    {
        for (final InvalidationMode mode : InvalidationMode.values())
        {
            final DmaDomain domain = DmaDomain.builder().invalidationMode(mode).flushTimer(true).build();
            final AtomicReference<Throwable> unexpected = new AtomicReference<>();
            final AtomicLong closedSeen = new AtomicLong();
            final CountDownLatch running = new CountDownLatch(6);
            final List<Thread> threads = new ArrayList<>();
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
                            final long dma = domain.map(round * 4096 + id, 3 * 4096, Protection.READ);
                            domain.translate(dma);
                            domain.unmap(dma, 3 * 4096);
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
            assertEquals(6, closedSeen.get(), "every worker stopped on an IllegalStateException");
            assertTrue(domain.isClosed());
        }
    }
}
