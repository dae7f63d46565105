package dev.iova;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Long random sequences on a domain with thousands of live ranges, so that the B-tree is three
 * or four levels deep and every structural path runs many times (leaf and inner splits at the
 * ends and in the middle, merges, evening out, root growth and shrinkage, the first gap of the
 * next leaf growing when a leaf's last range goes), checked step by step against
 * {@link ReferenceModel} and with {@link IovaDomain#verify()} every few steps.
 */
class DeepTreeModelTest
{
    private static final long LAST_PFN = 0x3fff;

    @ParameterizedTest
    @ValueSource(longs = {11, 12, 13})
    void deepTreeAgreesWithReferenceModel(final long seed)
    {
        final SplittableRandom random = new SplittableRandom(seed);
        final ReferenceModel model = new ReferenceModel(1, LAST_PFN, 1 << 20);
        try (IovaDomain domain = IovaDomain.builder().lastPfn(LAST_PFN).maxCachedPages(0).chunkRanges(64).build())
        {
            final List<long[]> live = new ArrayList<>();
            for (int step = 0; step < 30_000; step++)
            {
                // Phases: grow to thousands of ranges, then shrink, then grow again, so levels come and go.
                final boolean growing = (step / 6000) % 2 == 0;
                final int op = random.nextInt(100);
                if (op < (growing ? 70 : 30) || live.isEmpty())
                {
                    final long pages = random.nextInt(8) == 0 ? 1 + random.nextInt(40) : 1 + random.nextInt(3);
                    final long limitPfn = random.nextInt(4) == 0 ? 1 + random.nextLong(LAST_PFN) : LAST_PFN;
                    final boolean sizeAligned = random.nextBoolean();
                    final long expected = model.alloc(pages, limitPfn, sizeAligned);
                    final long pfn = domain.alloc(pages, limitPfn, sizeAligned);
                    assertEquals(expected, pfn, "step " + step + ": alloc(" + pages + ", 0x" + Long.toHexString(limitPfn) + ", " + sizeAligned + ")");
                    if (pfn != IovaDomain.NO_ADDRESS)
                    {
                        live.add(new long[] {pfn, pages});
                    }
                }
                else if (op < 97)
                {
                    // Mostly random frees; sometimes the oldest or newest, for FIFO and LIFO runs.
                    final int which = random.nextInt(3) == 0 ? 0 : random.nextInt(2) == 0 ? live.size() - 1 : random.nextInt(live.size());
                    final long[] range = live.remove(which);
                    if (random.nextBoolean())
                    {
                        model.free(range[0], range[1]);
                        domain.free(range[0], range[1]);
                    }
                    else
                    {
                        final long anyPfn = range[0] + random.nextLong(range[1]);
                        model.free(anyPfn);
                        domain.free(anyPfn);
                    }
                }
                else
                {
                    final long loPfn = 1 + random.nextLong(LAST_PFN);
                    final long hiPfn = Math.min(LAST_PFN, loPfn + random.nextInt(6));
                    boolean modelThrew = false;
                    try
                    {
                        model.reserve(loPfn, hiPfn);
                    }
                    catch (final IllegalArgumentException e)
                    {
                        modelThrew = true;
                    }
                    if (modelThrew)
                    {
                        assertThrows(IllegalArgumentException.class, () -> domain.reserve(loPfn, hiPfn), "step " + step);
                    }
                    else
                    {
                        domain.reserve(loPfn, hiPfn);
                    }
                }
                if (step % 251 == 0)
                {
                    domain.verify();
                    assertEquals(model.listing(), ReferenceModel.listingOf(domain), "step " + step);
                    final long limitPfn = 1 + random.nextLong(LAST_PFN);
                    assertEquals(model.largestFreeGapPages(limitPfn), domain.largestFreeGapPages(limitPfn), "step " + step);
                    assertEquals(model.freePages(limitPfn), domain.freePages(limitPfn), "step " + step);
                }
            }
            domain.verify();
            assertEquals(model.listing(), ReferenceModel.listingOf(domain));
            for (final long[] range : live)
            {
                domain.free(range[0], range[1]);
                model.free(range[0], range[1]);
            }
            domain.verify();
            assertEquals(model.listing(), ReferenceModel.listingOf(domain));
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void ascendingAndDescendingFillsAndDrainsStayValid(final boolean drainAscending)
    {
        try (IovaDomain domain = IovaDomain.builder().lastPfn(0xfffff).maxCachedPages(0).chunkRanges(64).build())
        {
            final int ranges = 20_000;
            final long[] pfns = new long[ranges];
            for (int i = 0; i < ranges; i++)
            {
                pfns[i] = domain.alloc(2, 0xfffff, true);
                assertEquals(0xfffff - 1 - 2L * i, pfns[i]);
            }
            domain.verify();
            for (int i = 0; i < ranges; i++)
            {
                domain.free(pfns[drainAscending ? ranges - 1 - i : i], 2);
                if (i % 997 == 0)
                {
                    domain.verify();
                }
            }
            domain.verify();
            assertEquals(0, domain.liveRanges());
            assertEquals(0xfffff, domain.alloc(1, 0xfffff, false));
        }
    }
}
