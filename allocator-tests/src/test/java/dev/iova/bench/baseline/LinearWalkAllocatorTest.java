package dev.iova.bench.baseline;

import dev.iova.IovaDomain;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The benchmark baseline {@link LinearWalkAllocator}: Linux's linear search from a cached node
 * on a tree without augmentation. Its placements are not the
 * highest fit, but every range must be free, aligned and within its limit, and, since the walk
 * and its retry cover the whole of {@code [startPfn, limitPfn]}, it must fail exactly when no
 * position fits.
 */
class LinearWalkAllocatorTest
{
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void handsOutOnlyFreeAlignedRangesAndFailsOnlyWhenNothingFits(final long seed)
    {
        final SplittableRandom random = new SplittableRandom(seed);
        final long lastPfn = 0x1ff + random.nextInt(0x200);
        // A 64-page "4 GiB" boundary: granule 2^26 bytes puts 4 GiB at pfn 64, so both cached nodes work.
        try (LinearWalkAllocator domain = new LinearWalkAllocator(1, lastPfn, 64))
        {
            final BitSet used = new BitSet();
            final List<long[]> live = new ArrayList<>();
            int allocations = 0;
            int failures = 0;
            for (int step = 0; step < 3000; step++)
            {
                final int op = random.nextInt(10);
                if (op < 6 || live.isEmpty())
                {
                    final long pages = 1 + random.nextInt(random.nextBoolean() ? 4 : 24);
                    final long limitPfn = 1 + random.nextLong(lastPfn + 16);
                    final boolean sizeAligned = random.nextBoolean();
                    final long pfn = domain.alloc(pages, limitPfn, sizeAligned);
                    final long alignPages = sizeAligned ? Long.highestOneBit(pages - 1) << 1 | (pages == 1 ? 1 : 0) : 1;
                    if (pfn == IovaDomain.NO_ADDRESS)
                    {
                        failures++;
                        final long fit = highestFit(used, pages, Math.min(limitPfn, lastPfn), alignPages);
                        assertEquals(-1, fit, "step " + step + ": alloc(" + pages + ", 0x" + Long.toHexString(limitPfn) + ", " +
                            sizeAligned + ") failed but 0x" + Long.toHexString(fit) + " fits");
                    }
                    else
                    {
                        allocations++;
                        assertTrue(pfn >= 1 && pfn + pages - 1 <= Math.min(limitPfn, lastPfn), "out of bounds: 0x" + Long.toHexString(pfn));
                        assertEquals(0, pfn % alignPages, "misaligned 0x" + Long.toHexString(pfn) + " for " + pages + " pages");
                        final int clash = used.nextSetBit((int)pfn);
                        assertTrue(clash < 0 || clash > pfn + pages - 1, "0x" + Long.toHexString(pfn) + " overlaps a used page");
                        used.set((int)pfn, (int)(pfn + pages));
                        live.add(new long[]{pfn, pages});
                    }
                }
                else if (op < 9)
                {
                    final long[] range = live.remove(random.nextInt(live.size()));
                    domain.free(range[0] + random.nextLong(range[1]));
                    used.clear((int)range[0], (int)(range[0] + range[1]));
                }
                else
                {
                    final long loPfn = 1 + random.nextLong(lastPfn);
                    final long hiPfn = Math.min(lastPfn, loPfn + random.nextInt(4));
                    final int clash = used.nextSetBit((int)loPfn);
                    if (clash < 0 || clash > hiPfn)
                    {
                        domain.reserve(loPfn, hiPfn);
                        used.set((int)loPfn, (int)hiPfn + 1);
                    }
                }
                domain.verify();
            }
            assertTrue(allocations > 500 && failures > 20, "the sequence exercised too little: " + allocations + " allocations, " + failures + " failures");
        }
    }

    @Test
    void walksFromTheCachedNodeLikeLinuxNotByHighestFit()
    {
        try (LinearWalkAllocator domain = new LinearWalkAllocator(1, (1L << 52) - 1, 0x100000))
        {
            assertEquals(0xfffff, domain.alloc(1, 0xfffff, false));
            assertEquals(0xffffe, domain.alloc(1, 0xfffff, false));
            // A lower limit: the walk starts at the cached node and places the range below 0x80000,
            // which becomes the cached node for limits below 4 GiB.
            assertEquals(0x7ffff, domain.alloc(1, 0x7ffff, false));
            // Highest fit would now take 0xffffd; Linux walks on down from its cached node.
            final long next = domain.alloc(1, 0xfffff, false);
            assertNotEquals(0xffffd, next, "the baseline searched by highest fit");
            assertEquals(0x7fffe, next);
            domain.verify();
        }
        try (IovaDomain domain = IovaDomain.builder().maxCachedPages(0).build())
        {
            domain.alloc(1, 0xfffff, false);
            domain.alloc(1, 0xfffff, false);
            domain.alloc(1, 0x7ffff, false);
            assertEquals(0xffffd, domain.alloc(1, 0xfffff, false), "the augmented tree places by highest fit");
        }
    }

    private static long highestFit(final BitSet used, final long pages, final long limitPfn, final long alignPages)
    {
        for (long pfn = (limitPfn - pages + 1) / alignPages * alignPages; pfn >= 1; pfn -= alignPages)
        {
            final int clash = used.nextSetBit((int)pfn);
            if (clash < 0 || clash > pfn + pages - 1)
            {
                return pfn;
            }
        }
        if (alignPages == 0)
        {
            fail("bad alignment");
        }
        return -1;
    }
}
