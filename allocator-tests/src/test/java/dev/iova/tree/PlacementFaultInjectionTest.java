package dev.iova.tree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;

import dev.iova.AllocAtOutcome;
import dev.iova.Fit;
import dev.iova.IovaDomain;
import org.junit.jupiter.api.AfterEach;
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
}
