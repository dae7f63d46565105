package dev.iova.tree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/**
 * {@link IntervalTree#allocIfFree}, the range caches' run walk: it places exactly the requested
 * range when no range of any kind overlaps it, and otherwise changes nothing.
 */
class AllocIfFreeTest
{
    private static final long LAST_PFN = 0x3ff;

    @Test
    void placesExactlyWhenFreeAndChangesNothingOtherwise()
    {
        final SplittableRandom random = new SplittableRandom(12);
        final IntervalTree tree = new IntervalTree(1, LAST_PFN, 1 << 12, 8);
        final boolean[] used = new boolean[(int)LAST_PFN + 1];
        try
        {
            tree.reserve(0x100, 0x10f);
            mark(used, 0x100, 0x10f);
            for (int step = 0; step < 20_000; step++)
            {
                final long pages = 1L << random.nextInt(4);
                final long lo = 1 + random.nextLong(LAST_PFN - pages + 1);
                final long hi = lo + pages - 1;
                final boolean free = isFree(used, lo, hi);
                final String before = describe(tree);
                final long kind = random.nextBoolean() ? LeafDescriptor.KIND_CACHED : LeafDescriptor.KIND_ALLOCATED;
                final boolean placed = tree.allocIfFree(lo, hi, kind);
                assertEquals(free, placed, "[0x" + Long.toHexString(lo) + ", 0x" + Long.toHexString(hi) + "] at step " + step);
                if (placed)
                {
                    mark(used, lo, hi);
                    assertTrue(tree.find(lo) && tree.foundLoPfn() == lo && tree.foundHiPfn() == hi && tree.foundKind() == kind);
                    if (random.nextInt(3) == 0)
                    {
                        tree.free(lo, pages, kind);
                        clear(used, lo, hi);
                    }
                }
                else
                {
                    assertEquals(before, describe(tree), "a refused range changed the tree");
                }
                if (step % 997 == 0)
                {
                    tree.verify();
                }
            }
            tree.verify();
            assertFalse(tree.allocIfFree(0x100, 0x100, LeafDescriptor.KIND_CACHED), "a reserved pfn is not free");
        }
        finally
        {
            tree.release();
        }
    }

    @Test
    void refusesWhenTheTreeIsFull()
    {
        final IntervalTree tree = new IntervalTree(1, LAST_PFN, 2, 8);
        try
        {
            assertTrue(tree.allocIfFree(0x10, 0x10, LeafDescriptor.KIND_CACHED));
            assertTrue(tree.allocIfFree(0x20, 0x21, LeafDescriptor.KIND_CACHED));
            assertFalse(tree.allocIfFree(0x30, 0x30, LeafDescriptor.KIND_CACHED), "a third range exceeds maxRanges=2");
            assertEquals(2, tree.allocatedRanges());
            tree.verify();
        }
        finally
        {
            tree.release();
        }
    }

    private static boolean isFree(final boolean[] used, final long lo, final long hi)
    {
        for (long pfn = lo; pfn <= hi; pfn++)
        {
            if (used[(int)pfn])
            {
                return false;
            }
        }
        return true;
    }

    private static void mark(final boolean[] used, final long lo, final long hi)
    {
        for (long pfn = lo; pfn <= hi; pfn++)
        {
            used[(int)pfn] = true;
        }
    }

    private static void clear(final boolean[] used, final long lo, final long hi)
    {
        for (long pfn = lo; pfn <= hi; pfn++)
        {
            used[(int)pfn] = false;
        }
    }

    private static String describe(final IntervalTree tree)
    {
        final List<String> ranges = new ArrayList<>();
        tree.forEach((lo, hi, reserved) -> ranges.add(lo + "-" + hi + (reserved ? "r" : "")));
        return ranges + " allocated=" + tree.allocatedRanges();
    }
}
