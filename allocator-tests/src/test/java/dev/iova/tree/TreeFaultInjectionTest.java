package dev.iova.tree;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;

import dev.iova.IovaDomain;
import dev.iova.IovaRange;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Faults inside tree updates: a node allocation that fails (direct memory running out) at every
 * step of inserts, splits, merges and reserves, and a {@link StackOverflowError} at every stack
 * depth near the limit. After each fault the tree must pass {@link IntervalTree#verify()} and
 * hold exactly the ranges it held before the failed call.
 */
class TreeFaultInjectionTest
{
    @AfterEach
    void removeHook()
    {
        SlabStore.beforeChunkAllocation = null;
    }

    /** Fails every {@code period}-th chunk allocation; one node per chunk makes every new node a chunk. */
    private static void failEvery(final int period, final AtomicInteger failures)
    {
        final AtomicInteger calls = new AtomicInteger();
        SlabStore.beforeChunkAllocation = () ->
        {
            if (calls.incrementAndGet() % period == 0)
            {
                failures.incrementAndGet();
                throw new OutOfMemoryError("injected: direct buffer memory");
            }
        };
    }

    private static List<String> listing(final IntervalTree tree)
    {
        final List<String> ranges = new ArrayList<>();
        tree.forEach((lo, hi, reserved) -> ranges.add(lo + "-" + hi + (reserved ? "r" : "")));
        ranges.add("allocated=" + tree.allocatedRanges() + " reserved=" + tree.reservedRanges());
        return ranges;
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 5, 7})
    void nodeAllocationFailingAtAnyStepLeavesTheTreeUnchanged(final int period)
    {
        final SplittableRandom random = new SplittableRandom(period);
        // chunkNodes 8: one leaf and one inner node per chunk, so every new node allocates a chunk.
        final IntervalTree tree = new IntervalTree(1, 0x1fff, 1 << 20, 8);
        final AtomicInteger failures = new AtomicInteger();
        failEvery(period, failures);
        final List<long[]> live = new ArrayList<>();
        try
        {
            for (int step = 0; step < 6000; step++)
            {
                final List<String> before = step % 7 == 0 ? listing(tree) : null;
                final int op = random.nextInt(10);
                try
                {
                    if (op < 6 || live.isEmpty())
                    {
                        final long pages = 1 + random.nextInt(4);
                        final long pfn = tree.alloc(pages, 1 + random.nextLong(0x1fff), random.nextBoolean());
                        if (pfn != IntervalTree.NO_ADDRESS)
                        {
                            live.add(new long[] {pfn, pages});
                        }
                    }
                    else if (op < 9)
                    {
                        final long[] range = live.get(random.nextInt(live.size()));
                        tree.free(range[0], range[1], LeafDescriptor.KIND_ALLOCATED);
                        live.remove(range);
                    }
                    else
                    {
                        final long loPfn = 1 + random.nextLong(0x1ff0);
                        final long[] los = {loPfn, loPfn + 4, loPfn + 9};
                        final long[] his = {loPfn + 1, loPfn + 6, loPfn + 9};
                        boolean free = true;
                        for (int i = 0; i < 3; i++)
                        {
                            free &= !tree.find(los[i]) && !tree.find(his[i]) && !tree.find(los[i] + 1);
                        }
                        if (free)
                        {
                            tree.checkCapacityToReserve(los, his, 3);
                            for (int i = 0; i < 3; i++)
                            {
                                tree.reserve(los[i], his[i]);
                            }
                        }
                    }
                }
                catch (final OutOfMemoryError e)
                {
                    tree.verify();
                    if (before != null)
                    {
                        assertEquals(before, listing(tree), "step " + step + ": a failed node allocation changed the tree");
                    }
                    continue;
                }
                if (step % 101 == 0)
                {
                    tree.verify();
                }
            }
            tree.verify();
            assertTrue(failures.get() > 20, "too few faults injected: " + failures.get());
            assertTrue(tree.innerLevels() >= 2, "the tree stayed shallow: " + tree.innerLevels() + " inner levels");
        }
        finally
        {
            SlabStore.beforeChunkAllocation = null;
            tree.release();
        }
    }

    @Test
    void reserveAllIsAllOrNothingWhenDirectMemoryRunsOut()
    {
        try (IovaDomain domain = IovaDomain.builder().lastPfn(0xffff).chunkRanges(64).maxCachedPages(0).build())
        {
            for (int i = 0; i < 200; i++)
            {
                domain.alloc(1, 0xffff, false);
            }
            final List<IovaRange> before = new ArrayList<>();
            domain.forEachRange((lo, hi, reserved) -> before.add(new IovaRange(lo, hi, reserved)));
            final long[] los = {0x100, 0x200, 0x300, 0x400, 0x500};
            final long[] his = {0x101, 0x201, 0x301, 0x401, 0x501};
            for (int allowed = 0; allowed < 3; allowed++)
            {
                final AtomicInteger chunks = new AtomicInteger();
                final int limit = allowed;
                SlabStore.beforeChunkAllocation = () ->
                {
                    if (chunks.incrementAndGet() > limit)
                    {
                        throw new OutOfMemoryError("injected: direct buffer memory");
                    }
                };
                assertThrows(OutOfMemoryError.class, () -> domain.reserveAll(los, his));
                SlabStore.beforeChunkAllocation = null;
                final List<IovaRange> after = new ArrayList<>();
                domain.forEachRange((lo, hi, reserved) -> after.add(new IovaRange(lo, hi, reserved)));
                assertEquals(before, after, "with room for " + allowed + " more chunks, reserveAll changed the domain");
                domain.verify();
            }
            domain.reserveAll(los, his);
            assertEquals(5, domain.reservedRanges());
            domain.verify();
        }
    }

    @Test
    void stackOverflowAtAnyDepthInsideUpdatesLeavesTheTreeValid() throws InterruptedException
    {
        final StackOverflowRun run = new StackOverflowRun();
        final Thread thread = new Thread(null, run, "small-stack", 256 * 1024);
        thread.setDaemon(true); // should it hang, it must not keep the test JVM alive
        thread.start();
        thread.join(120_000);
        if (thread.isAlive())
        {
            // A lock left held by an overflow makes the next call wait for ever: fail instead of hanging.
            final StackTraceElement[] stack = thread.getStackTrace();
            thread.interrupt();
            throw new AssertionError("the small-stack thread is still running after 120 s, at " + java.util.Arrays.toString(stack));
        }
        if (run.failure != null)
        {
            throw new AssertionError(run.failure);
        }
        assertTrue(run.overflows > 20, "too few overflows inside the library: " + run.overflows);
    }

    /** Recurses to the stack's end, then at each depth on the way back runs an alloc and a free. */
    private static final class StackOverflowRun implements Runnable
    {
        private final IovaDomain domain = IovaDomain.builder().lastPfn(0xfffff).chunkRanges(64).maxCachedPages(0).build();
        private final List<long[]> live = new ArrayList<>();
        private final SplittableRandom random = new SplittableRandom(7);
        private int overflows;
        private Throwable failure;

        @Override
        public void run()
        {
            try
            {
                for (int i = 0; i < 3000; i++)
                {
                    live.add(new long[] {domain.alloc(1 + i % 3, 0xfffff, true), 1 + i % 3});
                }
                for (int round = 0; round < 30; round++)
                {
                    recurse(0);
                    domain.verify();
                    final long[] expected = live.stream().mapToLong(r -> r[0]).sorted().toArray();
                    final long[] actual = new long[(int)domain.liveRanges()];
                    final int[] n = {0};
                    domain.forEachRange((lo, hi, reserved) -> actual[n[0]++] = lo);
                    assertEquals(expected.length, actual.length, "round " + round + ": live ranges");
                    for (int i = 0; i < expected.length; i++)
                    {
                        assertEquals(expected[i], actual[i], "round " + round + ": live range " + i);
                    }
                }
            }
            catch (final Throwable t)
            {
                failure = t;
            }
            finally
            {
                domain.close();
            }
        }

        private void recurse(final int depth)
        {
            try
            {
                recurse(depth + 1);
            }
            catch (final StackOverflowError deeper)
            {
                step();
            }
        }

        /** One alloc or free near the stack's end; an overflow inside must change nothing. */
        private void step()
        {
            if (random.nextBoolean() || live.isEmpty())
            {
                final long pages = 1 + random.nextInt(3);
                try
                {
                    final long pfn = domain.alloc(pages, 0xfffff, true);
                    live.add(new long[] {pfn, pages});
                }
                catch (final StackOverflowError e)
                {
                    overflows++;
                    throw e;
                }
            }
            else
            {
                final int which = random.nextInt(live.size());
                final long[] range = live.get(which);
                try
                {
                    domain.free(range[0], range[1]);
                    live.remove(which);
                }
                catch (final StackOverflowError e)
                {
                    overflows++;
                    throw e;
                }
            }
        }
    }
}
