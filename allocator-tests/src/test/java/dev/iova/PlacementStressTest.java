package dev.iova;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

/**
 * Threads mixing every placement (aligned, lowest and best fit, fixed addresses) with the cached
 * fast path and owned reservations on one domain: a pfn handed to two holders at once fails the
 * test the moment the second claims it.
 */
class PlacementStressTest
{
    private static final int THREADS = 4;
    private static final long LAST = 0x3fff;

    @Test
    void noPfnIsHandedOutTwice() throws InterruptedException
    {
        final AtomicIntegerArray holder = new AtomicIntegerArray((int)LAST + 1);
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final AtomicLong placed = new AtomicLong();
        try (IovaDomain domain = IovaDomain.builder().lastPfn(LAST).maxCachedPages(16).build())
        {
            final CountDownLatch start = new CountDownLatch(1);
            final List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < THREADS; t++)
            {
                final int id = t + 1;
                final Thread thread = new Thread(() ->
                {
                    final SplittableRandom random = new SplittableRandom(id);
                    final List<long[]> mine = new ArrayList<>(); // {pfn, pages, fast ? 1 : 0}
                    try
                    {
                        start.await();
                        for (int step = 0; step < 20_000 && failure.get() == null; step++)
                        {
                            final int op = random.nextInt(10);
                            if (op < 5 || mine.isEmpty())
                            {
                                final long pages = 1 + random.nextInt(8);
                                long pfn;
                                boolean fast = false;
                                if (op == 0)
                                {
                                    pfn = domain.allocFast(pages, LAST);
                                    fast = true;
                                }
                                else if (op == 1)
                                {
                                    final long at = 1 + random.nextLong(LAST - 8);
                                    pfn = domain.allocAt(at, pages) == AllocAtOutcome.PLACED ? at : IovaDomain.NO_ADDRESS;
                                }
                                else
                                {
                                    pfn = domain.alloc(pages, LAST, 1L << random.nextInt(4), Fit.values()[random.nextInt(3)]);
                                }
                                if (pfn != IovaDomain.NO_ADDRESS)
                                {
                                    claim(holder, pfn, fast ? Long.highestOneBit(pages - 1) << 1 | (pages == 1 ? 1 : 0) : pages, id);
                                    mine.add(new long[] {pfn, pages, fast ? 1 : 0});
                                    placed.incrementAndGet();
                                }
                            }
                            else if (op < 9)
                            {
                                final long[] r = mine.remove(random.nextInt(mine.size()));
                                final long span = r[2] == 1 ? Long.highestOneBit(r[1] - 1) << 1 | (r[1] == 1 ? 1 : 0) : r[1];
                                release(holder, r[0], span, id);
                                if (r[2] == 1)
                                {
                                    domain.freeFast(r[0], r[1]);
                                }
                                else
                                {
                                    domain.free(r[0], r[1]);
                                }
                            }
                            else
                            {
                                final String owner = "owner" + id;
                                final long lo = 1 + random.nextLong(LAST - 16);
                                if (random.nextBoolean())
                                {
                                    domain.reserve(lo, lo + random.nextInt(16), owner);
                                }
                                else
                                {
                                    domain.unreserve(owner);
                                }
                            }
                        }
                        for (final long[] r : mine)
                        {
                            final long span = r[2] == 1 ? Long.highestOneBit(r[1] - 1) << 1 | (r[1] == 1 ? 1 : 0) : r[1];
                            release(holder, r[0], span, id);
                            if (r[2] == 1)
                            {
                                domain.freeFast(r[0], r[1]);
                            }
                            else
                            {
                                domain.free(r[0], r[1]);
                            }
                        }
                    }
                    catch (final Throwable e)
                    {
                        failure.compareAndSet(null, e);
                    }
                }, "placement-stress-" + id);
                threads.add(thread);
                thread.start();
            }
            start.countDown();
            for (final Thread thread : threads)
            {
                thread.join();
            }
            if (failure.get() != null)
            {
                throw new AssertionError(failure.get());
            }
            for (int t = 1; t <= THREADS; t++)
            {
                domain.unreserve("owner" + t);
            }
            domain.flushCaches();
            domain.verify();
            assertEquals(0, domain.liveRanges());
            assertTrue(placed.get() > 10_000, "too few placements succeeded: " + placed.get());
        }
    }

    private static void claim(final AtomicIntegerArray holder, final long pfn, final long pages, final int id)
    {
        for (long p = pfn; p < pfn + pages; p++)
        {
            final int previous = holder.getAndSet((int)p, id);
            if (previous != 0)
            {
                throw new AssertionError("pfn 0x" + Long.toHexString(p) + " handed to thread " + id + " while thread " + previous + " holds it");
            }
        }
    }

    private static void release(final AtomicIntegerArray holder, final long pfn, final long pages, final int id)
    {
        for (long p = pfn; p < pfn + pages; p++)
        {
            holder.set((int)p, 0);
        }
    }
}
