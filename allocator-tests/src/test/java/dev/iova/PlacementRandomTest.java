package dev.iova;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Random placement operations (every fit, any alignment, fixed addresses, owned reservations,
 * allowed ranges) against a brute-force model of one state byte per pfn, checked after every
 * step with {@link IovaDomain#verify()}; domains big enough for trees of two and three levels.
 */
class PlacementRandomTest
{
    private static final byte FREE = 0;
    private static final byte LIVE = 1;

    /** The model: pfns [1, last]; live pfns, reservations per owner (null key: unowned), allowed ranges. */
    private static final class Model
    {
        final int last;
        final byte[] live;
        final Map<String, boolean[]> reserved = new HashMap<>();
        boolean[] allowed;

        Model(final int last)
        {
            this.last = last;
            this.live = new byte[last + 1];
            this.cover = new int[last + 1];
        }

        /** How many owners' reservations (the unowned counted as one owner) cover each pfn. */
        final int[] cover;

        boolean reservedAt(final int pfn)
        {
            return cover[pfn] > 0;
        }

        void addReserved(final String owner, final int lo, final int hi)
        {
            final boolean[] r = reserved.computeIfAbsent(owner, o -> new boolean[last + 1]);
            for (int q = lo; q <= hi; q++)
            {
                if (!r[q])
                {
                    r[q] = true;
                    cover[q]++;
                }
            }
        }

        boolean removeOwner(final String owner)
        {
            final boolean[] r = reserved.remove(owner);
            if (r == null)
            {
                return false;
            }
            for (int q = 0; q <= last; q++)
            {
                cover[q] -= r[q] ? 1 : 0;
            }
            return true;
        }

        boolean free(final int pfn)
        {
            return live[pfn] == FREE && !reservedAt(pfn) && (allowed == null || allowed[pfn]);
        }

        long alloc(final long pages, final long limit, final long align, final Fit fit)
        {
            final long top = Math.min(limit, last);
            long best = 0;
            long bestRun = Long.MAX_VALUE;
            for (long p = 1; p + pages - 1 <= top; p++)
            {
                if (p % align != 0 || !allFree(p, pages))
                {
                    continue;
                }
                if (fit == Fit.LOWEST)
                {
                    return p;
                }
                if (fit == Fit.HIGHEST)
                {
                    best = p;
                    continue;
                }
                long lo = p;
                while (lo > 1 && free((int)lo - 1))
                {
                    lo--;
                }
                long hi = p;
                while (hi < top && free((int)hi + 1))
                {
                    hi++;
                }
                final long run = hi - lo + 1;
                if (run < bestRun || run == bestRun)
                {
                    // same run (or a higher run of the same length): the highest candidate wins
                    bestRun = run;
                    best = p;
                }
            }
            return best;
        }

        boolean allFree(final long p, final long pages)
        {
            for (long q = p; q < p + pages; q++)
            {
                if (!free((int)q))
                {
                    return false;
                }
            }
            return true;
        }

        void mark(final long p, final long pages, final byte v)
        {
            for (long q = p; q < p + pages; q++)
            {
                live[(int)q] = v;
            }
        }
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
    void agreesWithBruteForce(final long seed)
    {
        final Random random = new Random(seed);
        // Seeds 9 and 10 grow a tree of three levels: mostly small allocations, few frees.
        final boolean grow = seed > 8;
        final int last = grow ? 16000 : seed % 2 == 0 ? 1500 : 6000;
        final int allocBelow = grow ? 70 : 45;
        final int allocAtBelow = allocBelow + 10;
        final int freeBelow = grow ? 88 : 85;
        final Model model = new Model(last);
        final List<long[]> live = new ArrayList<>();
        final String[] owners = {"a", "b", "c"};
        int maxLive = 0;
        try (IovaDomain domain = IovaDomain.builder().lastPfn(last).maxCachedPages(0).build())
        {
            for (int step = 0; step < (grow ? 4000 : 1500); step++)
            {
                final int op = random.nextInt(100);
                if (op < allocBelow)
                {
                    final long pages = 1 + random.nextInt(random.nextBoolean() || grow ? 4 : 40);
                    final long align = 1L << random.nextInt(7);
                    final long limit = random.nextInt(4) == 0 ? 1 + random.nextInt(last) : last;
                    if (limit < 1)
                    {
                        continue;
                    }
                    final Fit fit = Fit.values()[random.nextInt(3)];
                    final long expected = model.alloc(pages, limit, align, fit);
                    final long got = domain.alloc(pages, limit, align, fit);
                    assertEquals(expected, got, "step " + step + ": alloc(" + pages + ", limit " + limit + ", align " + align + ", " + fit + ")");
                    if (got != 0)
                    {
                        model.mark(got, pages, LIVE);
                        live.add(new long[] {got, pages});
                    }
                }
                else if (op < allocAtBelow)
                {
                    final long pages = 1 + random.nextInt(20);
                    final long pfn = random.nextInt(last + 10);
                    final AllocAtOutcome expected = expectedAt(model, pfn, pages);
                    assertEquals(expected, domain.allocAt(pfn, pages), "step " + step + ": allocAt(" + pfn + ", " + pages + ")");
                    if (expected == AllocAtOutcome.PLACED)
                    {
                        model.mark(pfn, pages, LIVE);
                        live.add(new long[] {pfn, pages});
                    }
                }
                else if (op < freeBelow && !live.isEmpty())
                {
                    final long[] r = live.remove(random.nextInt(live.size()));
                    domain.free(r[0], r[1]);
                    model.mark(r[0], r[1], FREE);
                }
                else if (op < freeBelow + 6)
                {
                    final int lo = 1 + random.nextInt(last);
                    final int hi = Math.min(last, lo + random.nextInt(60));
                    final String owner = random.nextInt(4) == 0 ? null : owners[random.nextInt(owners.length)];
                    boolean overlapsLive = false;
                    for (int q = lo; q <= hi; q++)
                    {
                        overlapsLive |= model.live[q] != FREE;
                    }
                    assertEquals(!overlapsLive, domain.reserve(lo, hi, owner), "step " + step + ": reserve");
                    if (!overlapsLive)
                    {
                        model.addReserved(owner, lo, hi);
                    }
                }
                else if (op < freeBelow + 9)
                {
                    final String owner = owners[random.nextInt(owners.length)];
                    final boolean had = model.removeOwner(owner);
                    assertEquals(had, domain.unreserve(owner) > 0, "step " + step + ": unreserve " + owner);
                }
                else
                {
                    final int lo = 1 + random.nextInt(last);
                    final int hi = Math.min(last, lo + random.nextInt(last / 3));
                    boolean liveOutside = false;
                    if (model.allowed == null)
                    {
                        for (int q = 1; q <= last; q++)
                        {
                            liveOutside |= model.live[q] != FREE && (q < lo || q > hi);
                        }
                    }
                    if (liveOutside)
                    {
                        final int fLo = lo;
                        final int fHi = hi;
                        org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, () -> domain.allow(fLo, fHi));
                    }
                    else
                    {
                        domain.allow(lo, hi);
                        if (model.allowed == null)
                        {
                            model.allowed = new boolean[last + 1];
                        }
                        for (int q = lo; q <= hi; q++)
                        {
                            model.allowed[q] = true;
                        }
                    }
                }
                if (!grow || step % 50 == 0)
                {
                    domain.verify(); // O(n): every step while the tree is small, every 50th once it grows
                }
                assertEquals(live.size(), domain.liveRanges(), "step " + step);
                maxLive = Math.max(maxLive, live.size());
            }
            domain.verify();
            // The growing seeds must have reached a tree of two inner levels (more than 16 full leaves).
            assertTrue(!grow || maxLive > 1000, "seed " + seed + " reached only " + maxLive + " live ranges");
        }
    }

    private static AllocAtOutcome expectedAt(final Model model, final long pfn, final long pages)
    {
        if (pfn < 1 || pfn + pages - 1 > model.last)
        {
            return AllocAtOutcome.OUTSIDE_DOMAIN;
        }
        if (model.allowed != null)
        {
            // wholly inside one allowed range: every pfn allowed (adjacent allows merge)
            for (long q = pfn; q < pfn + pages; q++)
            {
                if (!model.allowed[(int)q])
                {
                    return AllocAtOutcome.OUTSIDE_ALLOWED;
                }
            }
        }
        for (long q = pfn; q < pfn + pages; q++)
        {
            if (model.reservedAt((int)q))
            {
                return AllocAtOutcome.RESERVED;
            }
        }
        for (long q = pfn; q < pfn + pages; q++)
        {
            if (model.live[(int)q] != FREE)
            {
                return AllocAtOutcome.LIVE;
            }
        }
        return AllocAtOutcome.PLACED;
    }
}
