package dev.iova.tree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;

import dev.iova.AllocAtOutcome;
import dev.iova.Fit;
import dev.iova.IovaDomain;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The placement operations (aligned, lowest and best fit, allocAt, owned reserve and unreserve,
 * allow) with a node allocation failing every few chunks: each failed call leaves the domain as it
 * was (ranges, reservations with their owners, allowed ranges) and valid.
 */
class PlacementFaultInjectionTest
{
    @AfterEach
    void removeHook()
    {
        SlabStore.beforeChunkAllocation = null;
    }

    private static List<String> state(final IovaDomain domain)
    {
        final List<String> state = new ArrayList<>();
        domain.forEachRange((lo, hi, reserved) -> state.add(lo + "-" + hi + (reserved ? "r" : "")));
        domain.forEachReservation((lo, hi, owner) -> state.add("owner " + owner + " " + lo + "-" + hi));
        domain.forEachAllowed((lo, hi, reserved) -> state.add("allowed " + lo + "-" + hi));
        state.add("live=" + domain.liveRanges() + " reserved=" + domain.reservedRanges());
        return state;
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 5})
    void failedNodeAllocationChangesNothing(final int period)
    {
        final SplittableRandom random = new SplittableRandom(period * 31L);
        final long last = 0x3fff;
        final AtomicInteger calls = new AtomicInteger();
        final AtomicInteger failures = new AtomicInteger();
        final String[] owners = {"dev0", "dev1"};
        try (IovaDomain domain = IovaDomain.builder().lastPfn(last).chunkRanges(64).maxCachedPages(0).build())
        {
            SlabStore.beforeChunkAllocation = () ->
            {
                if (calls.incrementAndGet() % period == 0)
                {
                    failures.incrementAndGet();
                    throw new OutOfMemoryError("injected: direct buffer memory");
                }
            };
            final List<long[]> live = new ArrayList<>();
            boolean allowed = false;
            for (int step = 0; step < 5000; step++)
            {
                final List<String> before = step % 5 == 0 ? state(domain) : null;
                final int op = random.nextInt(100);
                try
                {
                    if (op < 50)
                    {
                        final long pages = 1 + random.nextInt(6);
                        final long pfn = domain.alloc(pages, last, 1L << random.nextInt(5), Fit.values()[random.nextInt(3)]);
                        if (pfn != IovaDomain.NO_ADDRESS)
                        {
                            live.add(new long[] {pfn, pages});
                        }
                    }
                    else if (op < 60)
                    {
                        final long pfn = 1 + random.nextLong(last);
                        final long pages = 1 + random.nextInt(4);
                        if (domain.allocAt(pfn, pages) == AllocAtOutcome.PLACED)
                        {
                            live.add(new long[] {pfn, pages});
                        }
                    }
                    else if (op < 85 && !live.isEmpty())
                    {
                        final long[] range = live.get(random.nextInt(live.size()));
                        domain.free(range[0], range[1]);
                        live.remove(range);
                    }
                    else if (op < 94)
                    {
                        final long lo = 1 + random.nextLong(last - 20);
                        domain.reserve(lo, lo + random.nextInt(20), owners[random.nextInt(2)]);
                    }
                    else if (op < 99)
                    {
                        domain.unreserve(owners[random.nextInt(2)]);
                    }
                    else if (!allowed)
                    {
                        domain.allow(1, last - 0x100);
                        allowed = true;
                    }
                    else
                    {
                        final long lo = 1 + random.nextLong(last - 0x200);
                        domain.allow(lo, lo + 0x40);
                    }
                }
                catch (final OutOfMemoryError e)
                {
                    domain.verify();
                    if (before != null)
                    {
                        assertEquals(before, state(domain), "step " + step + ": a failed node allocation changed the domain");
                    }
                    continue;
                }
                catch (final IllegalStateException e)
                {
                    // the first allow with a live allocation above it: refused, nothing changed
                    assertTrue(e.getMessage().contains("lies outside"), e.getMessage());
                    allowed = false;
                }
                if (step % 50 == 0)
                {
                    domain.verify();
                }
            }
            SlabStore.beforeChunkAllocation = null;
            domain.verify();
            assertTrue(failures.get() > 20, "too few faults injected: " + failures.get());
            assertTrue(live.size() > 200, "the domain stayed small: " + live.size() + " live ranges");
        }
    }

    @Test
    void stackOverflowAtAnyDepthChangesNothingOrEverything() throws InterruptedException
    {
        final OverflowRun run = new OverflowRun();
        final Thread thread = new Thread(null, run, "small-stack-placement", 256 * 1024);
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

    /**
     * Recurses to the stack's end, then at each depth on the way back runs one placement call: a
     * call that threw must have changed nothing, one that returned must have done all of its work.
     * The live ranges and every owner's reservations are compared with what the returned calls did.
     */
    private static final class OverflowRun implements Runnable
    {
        private static final long LAST = 0xffff;
        private static final String[] OWNERS = {"owner0", "owner1", "owner2"};
        private final IovaDomain domain = IovaDomain.builder().lastPfn(LAST).chunkRanges(64).maxCachedPages(0).build();
        private final List<long[]> live = new ArrayList<>();
        private final Map<String, BitSet> reserved = new TreeMap<>();
        private final SplittableRandom random = new SplittableRandom(11);
        private int overflows;
        private Throwable failure;

        @Override
        public void run()
        {
            try
            {
                for (int i = 0; i < 3000; i++)
                {
                    final long pages = 1 + i % 3;
                    live.add(new long[] {domain.alloc(pages, LAST, 1, Fit.LOWEST), pages});
                }
                for (int round = 0; round < 30; round++)
                {
                    recurse(0);
                    applyDone();
                    domain.verify(); // the reservations agree with the tree's reserved ranges
                    final List<String> expected = new ArrayList<>();
                    live.forEach(r -> expected.add(r[0] + "+" + r[1]));
                    final List<String> actual = new ArrayList<>();
                    domain.forEachRange((lo, hi, isReserved) ->
                    {
                        if (!isReserved)
                        {
                            actual.add(lo + "+" + (hi - lo + 1));
                        }
                    });
                    Collections.sort(expected);
                    Collections.sort(actual);
                    assertEquals(expected, actual, "round " + round + ": live ranges");
                    final List<String> expectedReserved = new ArrayList<>();
                    reserved.forEach((owner, pfns) ->
                    {
                        for (int lo = pfns.nextSetBit(0); lo >= 0; lo = pfns.nextSetBit(pfns.nextClearBit(lo)))
                        {
                            expectedReserved.add(owner + " " + lo + "-" + (pfns.nextClearBit(lo) - 1));
                        }
                    });
                    final List<String> actualReserved = new ArrayList<>();
                    domain.forEachReservation((lo, hi, owner) -> actualReserved.add(owner + " " + lo + "-" + hi));
                    Collections.sort(expectedReserved);
                    Collections.sort(actualReserved);
                    assertEquals(expectedReserved, actualReserved, "round " + round + ": reservations");
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

        // What the calls that returned did, written with array stores only (no call that could
        // overflow between the library's return and the record); applied to the model per round.
        private final int[] doneKind = new int[1 << 16];
        private final long[] doneA = new long[1 << 16];
        private final long[] doneB = new long[1 << 16];
        private final int[] doneOwner = new int[1 << 16];
        private int done;

        private void applyDone()
        {
            for (int i = 0; i < done; i++)
            {
                final long a = doneA[i];
                final long b = doneB[i];
                switch (doneKind[i])
                {
                    case 0 -> live.add(new long[] {a, b});
                    case 1 -> live.removeIf(r -> r[0] == a);
                    case 2 -> reserved.computeIfAbsent("owner" + doneOwner[i], o -> new BitSet()).set((int)a, (int)b + 1);
                    default -> reserved.remove("owner" + doneOwner[i]);
                }
            }
            done = 0;
        }

        private void step()
        {
            final int op = random.nextInt(10);
            final int ownerIndex = random.nextInt(3);
            final String owner = OWNERS[ownerIndex];
            final long lo = 1 + random.nextLong(LAST - 40);
            final long hi = lo + random.nextInt(32);
            final long pages = 1 + random.nextInt(3);
            final int which = live.isEmpty() ? -1 : random.nextInt(live.size());
            final long[] range = which >= 0 ? live.get(which) : null;
            try
            {
                if (op < 3)
                {
                    final long pfn = domain.alloc(pages, LAST, 1L << (op & 1), op == 0 ? Fit.LOWEST : Fit.BEST);
                    if (pfn != IovaDomain.NO_ADDRESS)
                    {
                        doneKind[done] = 0;
                        doneA[done] = pfn;
                        doneB[done++] = pages;
                    }
                }
                else if (op < 5)
                {
                    if (domain.allocAt(lo, pages) == AllocAtOutcome.PLACED)
                    {
                        doneKind[done] = 0;
                        doneA[done] = lo;
                        doneB[done++] = pages;
                    }
                }
                else if (op < 7 && range != null)
                {
                    domain.free(range[0], range[1]);
                    doneKind[done] = 1;
                    doneA[done++] = range[0];
                }
                else if (op < 9)
                {
                    if (domain.reserve(lo, hi, owner))
                    {
                        doneKind[done] = 2;
                        doneA[done] = lo;
                        doneB[done] = hi;
                        doneOwner[done++] = ownerIndex;
                    }
                }
                else if (domain.unreserve(owner) > 0)
                {
                    doneKind[done] = 3;
                    doneOwner[done++] = ownerIndex;
                }
            }
            catch (final StackOverflowError e)
            {
                overflows++;
                throw e;
            }
        }
    }
}
