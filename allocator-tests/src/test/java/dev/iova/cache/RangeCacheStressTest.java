package dev.iova.cache;

import dev.iova.IovaDomain;

import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.LongAdder;

import org.junit.jupiter.api.Test;

import static dev.iova.cache.DomainSnapshot.roundUpToPowerOfTwo;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Many more threads than cores (8 and 32 on the 2-core build machine) allocate and free through
 * the range caches, under a shadow ownership map that catches a range handed out twice the moment
 * it happens.
 *
 * <h2>The shadow map</h2>
 * One int per pfn of a small domain (pfns 1 to {@value #LAST_PFN}). A thread that receives a range
 * compare-and-sets every one of its pages from 0 to its own id, so two live ranges that overlap
 * fail at once, naming both owners; it sets them back to 0 (checking they still hold its id)
 * before it frees the range, so a page that changed owner while live fails too. At the end every
 * page must be 0 again, every range freed, and after {@link IovaDomain#flushCaches()} the tree
 * must hold nothing and have exactly the free pages it started with: no range lost.
 *
 * <h2>The load</h2>
 * Threads start in waves, do a fixed number of operations and die (over 200 threads per test);
 * sizes from 1 to 64 pages (cached and uncached), limits from the whole space down to pfn 0xff
 * (so that the low part runs out and the flush-and-retry runs concurrently), frees with any
 * length of the range's size class, cross-thread frees through a queue, ranges still held when a
 * thread dies handed to later threads, and an occasional concurrent {@code flushCaches()} and
 * {@code cacheStats()}. Bounded by operation counts, never by time; seeds are fixed, the
 * interleaving is whatever the scheduler makes of it. ({@code close()} under running threads is
 * {@link RangeCacheCloseTest}'s, in a child JVM.)
 */
class RangeCacheStressTest
{
    private static final long LAST_PFN = 0x3ffff;
    private static final long[] LIMITS = {LAST_PFN, LAST_PFN, LAST_PFN, 0x2ffff, 0xffff, 0x3fff, 0x7ff, 0xff};
    private static final int MAX_HELD = 48;
    private static final long JOIN_SECONDS = 120;

    @Test
    void eightThreadsInWavesNeverShareOrLoseARange() throws InterruptedException
    {
        new StressRun(IovaDomain.builder().lastPfn(LAST_PFN), 8, 26, 10_000, 0x5eed8).run();
    }

    @Test
    void thirtyTwoThreadsOnFewStripesAndSmallMagazinesNeverShareOrLoseARange() throws InterruptedException
    {
        new StressRun(IovaDomain.builder().lastPfn(LAST_PFN).cacheStripes(4).magazineRanges(8).depotMagazines(4), 32, 7, 10_000,
            0x5eed32).run();
    }

    /** A range handed from the thread that allocated it to whichever thread frees it. */
    private record Handoff(long pfn, long requestPages, int ownerId)
    {
    }

    /** One stress test: waves of threads over one domain, then the final accounting. */
    private static final class StressRun
    {
        private final IovaDomain.Builder builder;
        private final int threadsPerWave;
        private final int waves;
        private final int operationsPerThread;
        private final long seed;
        private final AtomicIntegerArray owners = new AtomicIntegerArray(Math.toIntExact(LAST_PFN + 1));
        private final Queue<Handoff> handoffs = new ConcurrentLinkedQueue<>();
        private final Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
        private final LongAdder cachedAllocFasts = new LongAdder();
        private final LongAdder cachedFreeFasts = new LongAdder();
        private final LongAdder allocations = new LongAdder();
        private final LongAdder noAddress = new LongAdder();
        private final LongAdder crossThreadFrees = new LongAdder();
        private IovaDomain domain;

        StressRun(final IovaDomain.Builder builder, final int threadsPerWave, final int waves, final int operationsPerThread,
            final long seed)
        {
            this.builder = builder;
            this.threadsPerWave = threadsPerWave;
            this.waves = waves;
            this.operationsPerThread = operationsPerThread;
            this.seed = seed;
        }

        void run() throws InterruptedException
        {
            try (IovaDomain domain = builder.build())
            {
                this.domain = domain;
                final long initialFreePages = domain.freePages(LAST_PFN);
                for (int wave = 0; wave < waves && failures.isEmpty(); wave++)
                {
                    runWave(wave);
                }
                assertNoFailures();

                Handoff handoff;
                while ((handoff = handoffs.poll()) != null)
                {
                    freeHandedOff(handoff);
                }
                assertNoFailures();
                for (int pfn = 0; pfn <= LAST_PFN; pfn++)
                {
                    if (owners.get(pfn) != 0)
                    {
                        fail("pfn 0x" + Integer.toHexString(pfn) + " is still owned by thread " + owners.get(pfn) + " after every free");
                    }
                }

                final RangeCacheStats beforeFlush = domain.cacheStats();
                assertEquals(beforeFlush.cachedRanges(), domain.liveRanges(), "with every range freed, only cached ranges are live");
                domain.flushCaches();

                final RangeCacheStats stats = domain.cacheStats();
                assertAll(
                    () -> assertEquals(0, domain.liveRanges(), "ranges left in the tree after the final flush"),
                    () -> assertEquals(initialFreePages, domain.freePages(LAST_PFN), "free pages after the final flush"),
                    () -> assertEquals(cachedAllocFasts.sum(), stats.allocHits() + stats.allocMisses(),
                        "hits + misses == allocFast calls of cached sizes"),
                    () -> assertEquals(cachedFreeFasts.sum(), stats.fastFrees(), "fast frees == freeFast calls of cached sizes"),
                    () -> assertEquals(0, stats.untrackedAllocs()),
                    () -> assertEquals(0, stats.cachedRanges()),
                    () -> assertEquals(0, stats.depotMagazines()),
                    () -> assertTrue(stats.allocHits() > 0, "the caches never hit"),
                    () -> assertTrue(crossThreadFrees.sum() > 0, "no range was freed by another thread"),
                    () -> assertTrue(allocations.sum() > 0));
                domain.verify();
            }
        }

        private void runWave(final int wave) throws InterruptedException
        {
            final List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < threadsPerWave; t++)
            {
                final int ownerId = 1 + wave * threadsPerWave + t;
                final SplittableRandom random = new SplittableRandom(seed * 1_000_003L + ownerId);
                final Thread thread = new Thread(() -> work(ownerId, random), "stress-" + ownerId);
                thread.setUncaughtExceptionHandler((th, e) -> failures.add(e));
                threads.add(thread);
            }
            threads.forEach(Thread::start);
            for (final Thread thread : threads)
            {
                thread.join(TimeUnit.SECONDS.toMillis(JOIN_SECONDS));
                if (thread.isAlive())
                {
                    failures.add(new AssertionError(thread.getName() + " did not finish " + operationsPerThread + " operations"));
                }
            }
        }

        private void work(final int ownerId, final SplittableRandom random)
        {
            final long[] pfns = new long[MAX_HELD];
            final long[] requests = new long[MAX_HELD];
            int held = 0;
            try
            {
                for (int op = 0; op < operationsPerThread && failures.isEmpty(); op++)
                {
                    final int dice = random.nextInt(100);
                    if (dice < 44)
                    {
                        if (held < MAX_HELD)
                        {
                            final long request = randomRequest(random);
                            final long pfn = allocate(ownerId, request, LIMITS[random.nextInt(LIMITS.length)]);
                            if (pfn != IovaDomain.NO_ADDRESS)
                            {
                                pfns[held] = pfn;
                                requests[held++] = request;
                            }
                        }
                    }
                    else if (dice < 88 && held > 0)
                    {
                        final int index = random.nextInt(held);
                        if (dice < 80)
                        {
                            release(pfns[index], requests[index], ownerId);
                            free(pfns[index], requests[index], random);
                        }
                        else
                        {
                            handoffs.add(new Handoff(pfns[index], requests[index], ownerId));
                        }
                        pfns[index] = pfns[--held];
                        requests[index] = requests[held];
                    }
                    else if (dice < 98)
                    {
                        final Handoff handoff = handoffs.poll();
                        if (handoff != null)
                        {
                            freeHandedOff(handoff);
                            crossThreadFrees.increment();
                        }
                    }
                    else if (random.nextInt(8) == 0)
                    {
                        domain.flushCaches();
                    }
                    else
                    {
                        final RangeCacheStats stats = domain.cacheStats();
                        if (stats.cachedRanges() < 0 || stats.depotMagazines() < 0)
                        {
                            throw new AssertionError("impossible statistics " + stats);
                        }
                    }
                }
                // The thread dies: even owners free what they hold, odd owners leave it to later threads.
                for (int index = 0; index < held; index++)
                {
                    if ((ownerId & 1) == 0)
                    {
                        release(pfns[index], requests[index], ownerId);
                        free(pfns[index], requests[index], random);
                    }
                    else
                    {
                        handoffs.add(new Handoff(pfns[index], requests[index], ownerId));
                    }
                }
            }
            catch (final Throwable failure)
            {
                failures.add(failure);
            }
        }

        private static long randomRequest(final SplittableRandom random)
        {
            final int dice = random.nextInt(100);
            if (dice < 50)
            {
                return 1 + random.nextInt(4);
            }
            if (dice < 80)
            {
                return 5 + random.nextInt(12);
            }
            if (dice < 92)
            {
                return 17 + random.nextInt(16);
            }
            return 33 + random.nextInt(32);
        }

        private long allocate(final int ownerId, final long request, final long limitPfn)
        {
            final boolean cached = request <= domain.maxCachedPages();
            if (cached)
            {
                cachedAllocFasts.increment();
            }
            final long pfn = domain.allocFast(request, limitPfn);
            if (pfn == IovaDomain.NO_ADDRESS)
            {
                noAddress.increment();
                return pfn;
            }
            allocations.increment();
            final long alignPages = roundUpToPowerOfTwo(request);
            final long spanPages = cached ? alignPages : request;
            if (pfn % alignPages != 0 || pfn < domain.startPfn() || pfn + spanPages - 1 > Math.min(limitPfn, LAST_PFN))
            {
                throw new AssertionError("allocFast(" + request + ", 0x" + Long.toHexString(limitPfn) + ") returned pfn=0x" +
                    Long.toHexString(pfn) + ": misaligned or outside [startPfn, limitPfn]");
            }
            for (long page = pfn; page < pfn + spanPages; page++)
            {
                if (!owners.compareAndSet((int)page, 0, ownerId))
                {
                    throw new AssertionError("allocFast(" + request + ") handed range [0x" + Long.toHexString(pfn) + ", 0x" +
                        Long.toHexString(pfn + spanPages - 1) + "] to thread " + ownerId + ", but pfn 0x" + Long.toHexString(page) +
                        " is live in thread " + owners.get((int)page) + "'s range");
                }
            }
            return pfn;
        }

        private void release(final long pfn, final long request, final int ownerId)
        {
            final long spanPages = request <= domain.maxCachedPages() ? roundUpToPowerOfTwo(request) : request;
            for (long page = pfn; page < pfn + spanPages; page++)
            {
                if (!owners.compareAndSet((int)page, ownerId, 0))
                {
                    throw new AssertionError("pfn 0x" + Long.toHexString(page) + " of thread " + ownerId + "'s live range at 0x" +
                        Long.toHexString(pfn) + " is owned by " + owners.get((int)page));
                }
            }
        }

        /** Frees with a random length of the same size class when cached, the exact length otherwise. */
        private void free(final long pfn, final long request, final SplittableRandom random)
        {
            long pages = request;
            if (request <= domain.maxCachedPages())
            {
                cachedFreeFasts.increment();
                final long classPages = roundUpToPowerOfTwo(request);
                pages = classPages == 1 ? 1 : classPages / 2 + 1 + random.nextLong(classPages / 2);
            }
            domain.freeFast(pfn, pages);
        }

        private void freeHandedOff(final Handoff handoff)
        {
            release(handoff.pfn(), handoff.requestPages(), handoff.ownerId());
            free(handoff.pfn(), handoff.requestPages(), new SplittableRandom(handoff.pfn()));
        }

        private void assertNoFailures()
        {
            if (!failures.isEmpty())
            {
                final AssertionError error = new AssertionError(failures.size() + " failure(s); the first is the cause");
                error.initCause(failures.peek());
                failures.stream().skip(1).limit(5).forEach(error::addSuppressed);
                throw error;
            }
        }
    }
}
