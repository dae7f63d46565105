package dev.iova.tree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/**
 * The boundary gaps, below the lowest range and the anchor's at the top, count in no maximum of
 * the inner nodes ({@code docs/tree.md}, "Boundary gaps"): every search tries them on its own.
 * These trees have two inner levels or more and room only in a boundary gap, so a search that
 * trusted the maxima alone would miss it.
 */
class BoundaryGapTest
{
    private static final long LAST_PFN = 0xfffff;

    /** 1-page ranges two pfns apart: every interior gap is 1 page. */
    private static final int RANGES = 3000;

    private static final long PAGES = 64;

    @Test
    void roomOnlyInTheAnchorsGapIsFoundByEveryPlacement()
    {
        final IntervalTree tree = new IntervalTree(1, LAST_PFN, 1 << 16, 64);
        try
        {
            for (int i = 0; i < RANGES; i++)
            {
                tree.allocAt(1 + 2L * i, 1 + 2L * i, LeafDescriptor.KIND_ALLOCATED); // from pfn 1 up: no lowest gap
            }
            assertTrue(tree.innerLevels() >= 2, "levels: " + tree.innerLevels());
            final long anchorGapLoPfn = 2L * RANGES;
            assertEquals(LAST_PFN - anchorGapLoPfn + 1, tree.largestFreeGapPages(LAST_PFN));
            assertEquals(1, tree.largestFreeGapPages(anchorGapLoPfn - 2));
            placeAndFree(tree, PAGES, LAST_PFN, PAGES, IntervalTree.FIT_LOWEST, alignUp(anchorGapLoPfn, PAGES));
            placeAndFree(tree, PAGES, LAST_PFN, 1, IntervalTree.FIT_LOWEST, anchorGapLoPfn);
            placeAndFree(tree, PAGES, LAST_PFN, PAGES, IntervalTree.FIT_BEST, LAST_PFN + 1 - PAGES);
            placeAndFree(tree, PAGES, LAST_PFN, 2, IntervalTree.FIT_HIGHEST, LAST_PFN + 1 - PAGES);
            placeAndFree(tree, PAGES, LAST_PFN, PAGES, IntervalTree.FIT_HIGHEST, LAST_PFN + 1 - PAGES);
            placeAndFree(tree, PAGES, anchorGapLoPfn + PAGES - 1, 1, IntervalTree.FIT_HIGHEST, anchorGapLoPfn);
            assertEquals(IntervalTree.NO_ADDRESS, tree.alloc(2, anchorGapLoPfn - 1, 1, IntervalTree.FIT_BEST, LeafDescriptor.KIND_ALLOCATED));
            tree.verify();
        }
        finally
        {
            tree.release();
        }
    }

    @Test
    void roomOnlyInTheLowestGapIsFoundByEveryPlacement()
    {
        final IntervalTree tree = new IntervalTree(1, LAST_PFN, 1 << 16, 64);
        try
        {
            for (int i = 0; i < RANGES; i++)
            {
                tree.allocAt(LAST_PFN - 2L * i, LAST_PFN - 2L * i, LeafDescriptor.KIND_ALLOCATED); // from the top down: no anchor gap
            }
            assertTrue(tree.innerLevels() >= 2, "levels: " + tree.innerLevels());
            final long lowestGapHiPfn = LAST_PFN - 2L * (RANGES - 1) - 1;
            assertEquals(lowestGapHiPfn, tree.largestFreeGapPages(LAST_PFN));
            assertEquals(lowestGapHiPfn, tree.largestFreeGapPages(LAST_PFN - 100));
            // Highest fit under a limit among the 1-page gaps: the climb finds nothing, the lowest gap is last.
            placeAndFree(tree, PAGES, LAST_PFN, PAGES, IntervalTree.FIT_HIGHEST, (lowestGapHiPfn + 1 - PAGES) & -PAGES);
            placeAndFree(tree, PAGES, LAST_PFN - 1001, 1, IntervalTree.FIT_HIGHEST, lowestGapHiPfn + 1 - PAGES);
            placeAndFree(tree, PAGES, LAST_PFN, 2, IntervalTree.FIT_HIGHEST, (lowestGapHiPfn + 1 - PAGES) & -2);
            placeAndFree(tree, PAGES, LAST_PFN, PAGES, IntervalTree.FIT_LOWEST, 64);
            placeAndFree(tree, PAGES, LAST_PFN, PAGES, IntervalTree.FIT_BEST, (lowestGapHiPfn + 1 - PAGES) & -PAGES);
            assertEquals(IntervalTree.NO_ADDRESS, tree.alloc(lowestGapHiPfn + 1, LAST_PFN, 1, IntervalTree.FIT_BEST, LeafDescriptor.KIND_ALLOCATED));
            tree.verify();
        }
        finally
        {
            tree.release();
        }
    }

    /** Fills down from a limit and frees at random, as a DMA layer does: both boundary gaps split and grow back at every step. */
    @Test
    void fillingDownAndFreeingAtRandomKeepsTheMaximaExact()
    {
        final SplittableRandom random = new SplittableRandom(7);
        final IntervalTree tree = new IntervalTree(1, LAST_PFN, 1 << 16, 64);
        final List<long[]> live = new ArrayList<>();
        try
        {
            for (int step = 0; step < 30_000; step++)
            {
                if (live.isEmpty() || random.nextInt(3) != 0)
                {
                    final long pages = 1 + random.nextInt(4);
                    final long limit = random.nextInt(4) == 0 ? LAST_PFN : 0x7ffff;
                    final long pfn = tree.alloc(pages, limit, random.nextBoolean());
                    if (pfn != IntervalTree.NO_ADDRESS)
                    {
                        live.add(new long[] {pfn, pages});
                    }
                }
                else
                {
                    final long[] range = live.remove(random.nextInt(live.size()));
                    tree.free(range[0], range[1], LeafDescriptor.KIND_ALLOCATED);
                }
                if (step % 1009 == 0)
                {
                    tree.verify();
                }
            }
            assertTrue(tree.innerLevels() >= 2, "levels: " + tree.innerLevels());
            tree.verify();
        }
        finally
        {
            tree.release();
        }
    }

    private static void placeAndFree(
        final IntervalTree tree, final long pages, final long limitPfn, final long alignPages, final int fit, final long expectedPfn)
    {
        final long pfn = tree.alloc(pages, limitPfn, alignPages, fit, LeafDescriptor.KIND_ALLOCATED);
        assertEquals(expectedPfn, pfn, "fit " + fit + " of " + pages + " pages aligned to " + alignPages + " under 0x" +
            Long.toHexString(limitPfn) + " placed at 0x" + Long.toHexString(pfn));
        tree.verify();
        tree.free(pfn, pages, LeafDescriptor.KIND_ALLOCATED);
        tree.verify();
    }

    private static long alignUp(final long pfn, final long alignPages)
    {
        return (pfn + alignPages - 1) & -alignPages;
    }
}
