package dev.iova;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * The tree's hot paths allocate nothing on the Java heap once the chunks they need exist.
 * (JMH's {@code -prof gc} shows the same in the benchmark suites; this catches a regression in
 * every build.)
 */
class GarbageFreeTreeTest
{
    private static final int PAIRS = 200_000;
    private static final Fit[] FITS = Fit.values();

    @Test
    void allocAndFreeAllocateNothingOnTheHeap()
    {
        try (IovaDomain domain = IovaDomain.builder().build())
        {
            final long[] pfns = new long[1000];
            for (int i = 0; i < pfns.length; i++)
            {
                pfns[i] = domain.alloc(1 + (i % 7), 0xfffffL, (i & 1) == 0);
            }
            churn(domain, pfns); // warm up and let every chunk exist

            final long bytes = HeapAllocationProbe.bytesAllocatedBy(() -> churn(domain, pfns));

            assertEquals(0, bytes, "heap bytes allocated by " + PAIRS + " alloc/free pairs");
            domain.verify();
        }
    }

    @Test
    void failingAllocInAFragmentedSpaceAllocatesNothing()
    {
        try (IovaDomain domain = IovaDomain.builder().lastPfn(0x3ffff).build())
        {
            for (long pfn = 1; pfn <= 0x3ffff; pfn++)
            {
                assertNotEquals(IovaDomain.NO_ADDRESS, domain.alloc(1, 0x3ffff, false));
            }
            for (long pfn = 1; pfn <= 0x3ffff; pfn += 2)
            {
                domain.free(pfn, 1);
            }
            final long bytes = HeapAllocationProbe.bytesAllocatedBy(() ->
            {
                for (int i = 0; i < PAIRS; i++)
                {
                    if (domain.alloc(2, 0x3ffff, true) != IovaDomain.NO_ADDRESS)
                    {
                        throw new AssertionError("a 2-page aligned request fit in a space of 1-page holes");
                    }
                }
            });
            assertEquals(0, bytes, "heap bytes allocated by " + PAIRS + " failing requests");
        }
    }

    @Test
    void placementPathsAllocateNothingOnTheHeap()
    {
        try (IovaDomain domain = IovaDomain.builder().maxCachedPages(0).build())
        {
            final long[] pfns = new long[1000];
            for (int i = 0; i < pfns.length; i++)
            {
                pfns[i] = domain.alloc(1 + (i % 7), 0xfffffL, (i & 1) == 0);
            }
            final Runnable placements = () ->
            {
                for (int i = 0; i < PAIRS / 4; i++)
                {
                    final int slot = i % pfns.length;
                    final long pages = 1 + (slot % 7);
                    domain.free(pfns[slot], pages);
                    final Fit fit = FITS[i % 3]; // Fit.values() would clone an array per call
                    pfns[slot] = domain.alloc(pages, 0xfffffL, 1L << (i % 10), fit);
                    if (domain.allocAt(pfns[slot], pages) != AllocAtOutcome.LIVE)
                    {
                        throw new AssertionError("allocAt over a live range did not say LIVE");
                    }
                }
            };
            placements.run(); // warm up and let every chunk exist
            final long bytes = HeapAllocationProbe.bytesAllocatedBy(placements);
            assertEquals(0, bytes, "heap bytes allocated by " + PAIRS / 4 + " aligned, lowest- and best-fit pairs and allocAt conflicts");
            domain.verify();
        }
    }

    private static void churn(final IovaDomain domain, final long[] pfns)
    {
        for (int i = 0; i < PAIRS; i++)
        {
            final int slot = i % pfns.length;
            final long pages = 1 + (slot % 7);
            domain.free(pfns[slot], pages);
            pfns[slot] = domain.alloc(pages, 0xfffffL, (slot & 1) == 0);
        }
    }
}
