package dev.iova;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Phaser;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.LongAdder;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static dev.iova.IovaDomain.NO_ADDRESS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Many more threads than cores allocate, free their own ranges and free ranges handed to them by
 * other threads, while a shadow map of page owners catches any page handed out twice.
 *
 * <p>Each page of the domain has a slot in {@link #owners}: 0 when free, the owning thread's id
 * while allocated, {@link #RESERVED} for reserved pages. A thread that gets a range claims every
 * page with a compare-and-set from 0; a CAS that finds anything else means the domain handed out
 * a page that was not free. Pages are given back (CAS from the owner to 0) before the range is
 * freed, so a page is never 0 while the domain still counts it as allocated. Runs are bounded by
 * iteration counts, never by time.
 */
class DomainStressTest
{
    private static final long START_PFN = 1;
    private static final long LAST_PFN = 0xffff;
    private static final int RESERVED = -1;
    /** A thread frees before it holds more than this many ranges. */
    private static final int MAX_HELD = 64;
    /** Iterations per round: every worker waits for the others after each. */
    private static final int ROUND_ITERATIONS = 1_000;
    /**
     * Hang guard only, not a performance check: a run takes seconds; a deadlock or a tree walk
     * that never ends must not stall the build forever.
     */
    private static final long HANG_GUARD_MINUTES = 2;

    private final AtomicIntegerArray owners = new AtomicIntegerArray((int)LAST_PFN + 1);
    private final ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
    private final LongAdder allocations = new LongAdder();
    private final LongAdder failedAllocations = new LongAdder();
    private final LongAdder crossThreadFrees = new LongAdder();
    /** Set when a worker never finished: it may still hold the domain's lock, so close() would wait forever. */
    private volatile boolean hung;

    @ParameterizedTest(name = "{0} threads x {1} iterations")
    @CsvSource({"8, 60000", "32, 16000"})
    void concurrentThreadsNeverGetTheSamePage(final int threads, final int iterationsPerThread) throws Exception
    {
        final IovaDomain domain = IovaDomain.builder().granuleBytes(4096).startPfn(START_PFN).lastPfn(LAST_PFN).chunkRanges(64).build();
        try
        {
            final long[][] reservedRanges = {{0x100, 0x1ff}, {0x8000, 0x80ff}, {0xff00, 0xffff}};
            for (final long[] range : reservedRanges)
            {
                domain.reserve(range[0], range[1]);
                for (long pfn = range[0]; pfn <= range[1]; pfn++)
                {
                    owners.set((int)pfn, RESERVED);
                }
            }
            final long initialFreePages = domain.freePages(Long.MAX_VALUE);
            final List<IovaRange> initialListing = ReferenceModel.listingOf(domain);

            @SuppressWarnings("unchecked")
            final ConcurrentLinkedQueue<long[]>[] inboxes = new ConcurrentLinkedQueue[threads + 1];
            final List<Worker> workers = new ArrayList<>();
            // Rounds keep the workers in step whatever the scheduler does on a loaded machine:
            // ranges handed to another thread's inbox are taken out by it in a later round, so
            // the cross-thread frees the test counts cannot depend on how threads interleave.
            final Phaser rounds = new Phaser(threads);
            for (int id = 1; id <= threads; id++)
            {
                inboxes[id] = new ConcurrentLinkedQueue<>();
                workers.add(new Worker(id, domain, inboxes, iterationsPerThread, 0x5eed_0000L + id * 7919L + threads, rounds));
            }

            final CountDownLatch start = new CountDownLatch(1);
            final ExecutorService executor = Executors.newFixedThreadPool(threads, runnable -> {
                final Thread thread = new Thread(runnable, "stress-worker");
                thread.setDaemon(true);                     // a hung worker must not keep the test JVM alive
                return thread;
            });
            try
            {
                final List<Future<?>> futures = new ArrayList<>();
                for (final Worker worker : workers)
                {
                    futures.add(executor.submit(() -> {
                        start.await();
                        worker.run();
                        return null;
                    }));
                }
                start.countDown();
                for (final Future<?> future : futures)
                {
                    try
                    {
                        future.get(HANG_GUARD_MINUTES, TimeUnit.MINUTES);
                    }
                    catch (final ExecutionException e)
                    {
                        fail("a worker died: " + e.getCause(), e.getCause());
                    }
                    catch (final TimeoutException e)
                    {
                        hung = true;
                        fail("a worker has not finished after " + HANG_GUARD_MINUTES + " minutes: deadlock?");
                    }
                }
            }
            finally
            {
                executor.shutdownNow();
            }
            assertTrue(errors.isEmpty(), () -> errors.size() + " errors, the first ones:\n  " +
                String.join("\n  ", errors.stream().limit(20).toList()));

            // Everything still held, by a thread or in an inbox, is freed from here.
            domain.verify();
            for (final Worker worker : workers)
            {
                for (final long[] range : worker.held)
                {
                    release(domain, range);
                }
            }
            for (int id = 1; id <= threads; id++)
            {
                for (long[] range = inboxes[id].poll(); range != null; range = inboxes[id].poll())
                {
                    release(domain, range);
                }
            }
            assertTrue(errors.isEmpty(), () -> "while freeing what was left: " + String.join("\n  ", errors.stream().limit(20).toList()));
            domain.verify();
            assertEquals(0, domain.liveRanges(), "every allocation was freed");
            assertEquals(initialFreePages, domain.freePages(Long.MAX_VALUE), "every page is free again");
            assertEquals(initialListing, ReferenceModel.listingOf(domain), "only the reserved ranges are left");
            for (int pfn = (int)START_PFN; pfn <= LAST_PFN; pfn++)
            {
                final int owner = owners.get(pfn);
                if (owner != 0 && owner != RESERVED)
                {
                    fail("page 0x" + Integer.toHexString(pfn) + " still has owner " + owner);
                }
            }

            // The run did what it was meant to: many allocations, exhaustion, cross-thread frees.
            final long total = (long)threads * iterationsPerThread;
            assertTrue(allocations.sum() > total / 5, () -> allocations.sum() + " successful allocations in " + total + " iterations");
            assertTrue(failedAllocations.sum() > 0, "some allocations met exhaustion (tiny limit windows)");
            assertTrue(crossThreadFrees.sum() > total / 50, () -> crossThreadFrees.sum() + " cross-thread frees");
        }
        finally
        {
            if (!hung)
            {
                domain.close();
            }
        }
    }

    @Test
    void closeWhileThreadsAllocateStopsThemWithIllegalStateException() throws Exception
    {
        // Closing frees the off-heap chunks: a thread still inside the tree would read freed
        // memory. Every thread must instead see IllegalStateException once the domain is closed.
        final int threads = 8;
        final IovaDomain domain = IovaDomain.builder().startPfn(START_PFN).lastPfn(LAST_PFN).chunkRanges(64).build();
        final CountDownLatch running = new CountDownLatch(threads);
        final ExecutorService executor = Executors.newFixedThreadPool(threads, runnable -> {
            final Thread thread = new Thread(runnable, "close-race-worker");
            thread.setDaemon(true);
            return thread;
        });
        try
        {
            final List<Future<String>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++)
            {
                final int seed = t;
                futures.add(executor.submit(() -> {
                    final SplittableRandom random = new SplittableRandom(seed);
                    final List<Long> mine = new ArrayList<>();
                    long calls = 0;
                    try
                    {
                        while (true)
                        {
                            if (++calls == 2_000)
                            {
                                running.countDown();
                            }
                            if (mine.size() < 32 && random.nextBoolean())
                            {
                                final long pfn = domain.alloc(1 + random.nextInt(8), Long.MAX_VALUE, random.nextBoolean());
                                if (pfn != NO_ADDRESS)
                                {
                                    mine.add(pfn);
                                }
                            }
                            else if (!mine.isEmpty())
                            {
                                domain.free(mine.remove(mine.size() - 1));
                            }
                        }
                    }
                    catch (final IllegalStateException e)
                    {
                        if (calls < 2_000)
                        {
                            running.countDown();
                        }
                        return e.getMessage();
                    }
                }));
            }
            assertTrue(running.await(HANG_GUARD_MINUTES, TimeUnit.MINUTES), "hang guard: the workers never got going");
            domain.close();
            for (final Future<String> future : futures)
            {
                try
                {
                    final String message = future.get(HANG_GUARD_MINUTES, TimeUnit.MINUTES);
                    assertTrue(message.contains("closed"), () -> "a worker stopped with: " + message);
                }
                catch (final ExecutionException e)
                {
                    fail("a worker failed with something other than IllegalStateException: " + e.getCause(), e.getCause());
                }
            }
            assertTrue(domain.isClosed());
            assertEquals(0, domain.offHeapBytes());
        }
        finally
        {
            executor.shutdownNow();
            domain.close();
        }
    }

    /** Takes the pages of {@code range} back from its owner, then frees it, by one of the three forms. */
    private void release(final IovaDomain domain, final long[] range)
    {
        final long pfn = range[0];
        final long pages = range[1];
        final int owner = (int)range[2];
        for (long p = pfn; p < pfn + pages; p++)
        {
            if (!owners.compareAndSet((int)p, owner, 0))
            {
                errors.add("page 0x" + Long.toHexString(p) + " of [0x" + Long.toHexString(pfn) + ", +" + pages + ") belongs to " +
                    owners.get((int)p) + ", not to its allocator " + owner);
            }
        }
        switch ((int)(range[3] % 3))
        {
            case 0 -> domain.free(pfn, pages);
            case 1 -> domain.free(pfn);
            default -> domain.free(pfn + range[3] % pages);
        }
    }

    private final class Worker
    {
        private final int id;
        private final IovaDomain domain;
        private final ConcurrentLinkedQueue<long[]>[] inboxes;
        private final int iterations;
        private final SplittableRandom random;
        private final Phaser rounds;
        /** {pfn, pages, owner id, free form} of each range this thread holds. */
        private final List<long[]> held = new ArrayList<>();

        Worker(final int id, final IovaDomain domain, final ConcurrentLinkedQueue<long[]>[] inboxes, final int iterations, final long seed,
            final Phaser rounds)
        {
            this.id = id;
            this.domain = domain;
            this.inboxes = inboxes;
            this.iterations = iterations;
            this.random = new SplittableRandom(seed);
            this.rounds = rounds;
        }

        void run()
        {
            try
            {
                iterate();
            }
            finally
            {
                rounds.arriveAndDeregister(); // a worker that ended (or died) holds no one back
            }
        }

        private void iterate()
        {
            for (int i = 0; i < iterations; i++)
            {
                if (i % ROUND_ITERATIONS == ROUND_ITERATIONS - 1)
                {
                    rounds.arriveAndAwaitAdvance();
                }
                final int dice = random.nextInt(100);
                if (held.isEmpty() || (dice < 50 && held.size() < MAX_HELD))
                {
                    alloc();
                }
                else if (dice < 70)
                {
                    release(domain, held.remove(random.nextInt(held.size())));
                }
                else if (dice < 85)
                {
                    final int to = 1 + random.nextInt(inboxes.length - 1);
                    inboxes[to].add(held.remove(random.nextInt(held.size())));
                }
                else if (dice < 97)
                {
                    for (int n = 0; n < 4; n++)
                    {
                        final long[] range = inboxes[id].poll();
                        if (range == null)
                        {
                            break;
                        }
                        if (range[2] != id)
                        {
                            crossThreadFrees.increment();
                        }
                        release(domain, range);
                    }
                }
                else
                {
                    check(i);
                }
            }
        }

        private void alloc()
        {
            final long pages = random.nextInt(10) < 8 ? 1 + random.nextInt(8) : 9 + random.nextInt(56);
            final boolean sizeAligned = random.nextBoolean();
            final long limitPfn = switch (random.nextInt(5))
            {
                case 0 -> Long.MAX_VALUE;
                case 1 -> START_PFN + random.nextInt(16);            // a tiny window: exhausted often
                default -> START_PFN + random.nextLong(LAST_PFN);
            };
            final long pfn = domain.alloc(pages, limitPfn, sizeAligned);
            if (pfn == NO_ADDRESS)
            {
                failedAllocations.increment();
                return;
            }
            allocations.increment();
            final long hiPfn = pfn + pages - 1;
            if (pfn < START_PFN || hiPfn > Math.min(limitPfn, LAST_PFN) ||
                (sizeAligned && pfn % ReferenceModel.roundUpToPowerOfTwo(pages) != 0))
            {
                errors.add("alloc(" + pages + ", 0x" + Long.toHexString(limitPfn) + ", " + sizeAligned + ") = 0x" + Long.toHexString(pfn) +
                    ": outside the limit or misaligned");
                return;
            }
            for (long p = pfn; p <= hiPfn; p++)
            {
                if (!owners.compareAndSet((int)p, 0, id))
                {
                    errors.add("alloc(" + pages + ", 0x" + Long.toHexString(limitPfn) + ", " + sizeAligned + ") = 0x" + Long.toHexString(pfn) +
                        " on thread " + id + ": page 0x" + Long.toHexString(p) + " already belongs to " +
                        (owners.get((int)p) == RESERVED ? "a reserved range" : "thread " + owners.get((int)p)));
                    for (long q = pfn; q < p; q++)
                    {
                        owners.compareAndSet((int)q, id, 0);
                    }
                    return;                                                // leaked on purpose: the run has already failed
                }
            }
            held.add(new long[] {pfn, pages, id, random.nextLong(Long.MAX_VALUE)});
        }

        private void check(final int iteration)
        {
            if (!held.isEmpty())
            {
                final long[] range = held.get(random.nextInt(held.size()));
                final IovaRange expected = new IovaRange(range[0], range[0] + range[1] - 1, false);
                final IovaRange found = domain.find(range[0] + random.nextLong(range[1]));
                if (!expected.equals(found))
                {
                    errors.add("thread " + id + " holds " + expected + " but find says " + found);
                }
            }
            final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> domain.free(0x150),
                "freeing a reserved pfn must throw, under contention too");
            if (!e.getMessage().contains("0x150"))
            {
                errors.add("message without the pfn: " + e.getMessage());
            }
            if (iteration % 16 == 0)
            {
                domain.verify();
                final List<IovaRange> listing = ReferenceModel.listingOf(domain);
                for (int k = 1; k < listing.size(); k++)
                {
                    if (listing.get(k).loPfn() <= listing.get(k - 1).hiPfn())
                    {
                        errors.add("listing out of order or overlapping: " + listing.get(k - 1) + " then " + listing.get(k));
                    }
                }
            }
        }
    }
}
