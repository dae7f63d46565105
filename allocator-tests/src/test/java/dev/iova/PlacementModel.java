package dev.iova;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A brute-force model of a domain with placement control, over a small pfn space, written
 * straight from iova-trace v2 ({@code ../shared/trace-format.md}) so that the real
 * {@link IovaDomain} can be checked against it step by step.
 *
 * <p>Every pfn of the domain has a bit in each of a few bit sets, indexed by the pfn itself:
 * {@code livePfns} (held by an allocation), one set per reserve owner (the unowned reserves
 * have their own set), and {@code allowedPfns}. A pfn is <em>free</em> when it is not live, not
 * reserved by any owner, and, once any allow exists, allowed. Placement tries candidate first
 * pfns one by one and checks every pfn of the candidate range: nothing is clever, nothing is
 * fast, and each rule of the spec is one visible line.
 *
 * <ul>
 *   <li>{@code highest}: the largest candidate; {@code lowest}: the smallest;</li>
 *   <li>{@code best}: the maximal free runs of {@code [startPfn, min(limitPfn, lastPfn)]} (cut at
 *       the allowed edges because a disallowed pfn is not free), the run with the fewest pfns
 *       among those holding a candidate (ties: the highest run), its largest candidate.</li>
 *   <li>{@code allocAt}: outside the domain, outside the allowed ranges, reserved, live, in that
 *       order, as {@link AllocAtOutcome} lists them.</li>
 * </ul>
 *
 * <p>Misuse throws as the domain's API says (bad sizes, alignments and bounds:
 * {@link IllegalArgumentException}; an allow that would leave a live allocation outside:
 * {@link IllegalStateException}) and changes nothing.
 */
public final class PlacementModel
{
    /** The largest pfn the model accepts: it keeps bits indexed by pfn. */
    public static final long MAX_LAST_PFN = 1L << 20;

    private final long startPfn;
    private final long lastPfn;
    private final BitSet livePfns = new BitSet();
    /** Live allocations, first pfn to last pfn. */
    private final TreeMap<Long, Long> liveRanges = new TreeMap<>();
    private final BitSet unownedReservedPfns = new BitSet();
    private final TreeMap<String, BitSet> reservedPfnsByOwner = new TreeMap<>();
    private final BitSet allowedPfns = new BitSet();
    private boolean anyAllowed;

    /**
     * @param startPfn the lowest pfn handed out, at least 1.
     * @param lastPfn  the highest pfn handed out, at most {@link #MAX_LAST_PFN}.
     */
    public PlacementModel(final long startPfn, final long lastPfn)
    {
        if (startPfn < 1 || lastPfn < startPfn || lastPfn > MAX_LAST_PFN)
        {
            throw new IllegalArgumentException("model space [0x" + Long.toHexString(startPfn) + ", 0x" +
                Long.toHexString(lastPfn) + "] is empty, starts at 0 or ends above 0x" + Long.toHexString(MAX_LAST_PFN));
        }
        this.startPfn = startPfn;
        this.lastPfn = lastPfn;
    }

    /** @return a deep copy, for snapshot round trips. */
    public PlacementModel copy()
    {
        final PlacementModel copy = new PlacementModel(startPfn, lastPfn);
        copy.livePfns.or(livePfns);
        copy.liveRanges.putAll(liveRanges);
        copy.unownedReservedPfns.or(unownedReservedPfns);
        reservedPfnsByOwner.forEach((owner, pfns) -> copy.reservedPfnsByOwner.put(owner, (BitSet)pfns.clone()));
        copy.allowedPfns.or(allowedPfns);
        copy.anyAllowed = anyAllowed;
        return copy;
    }

    public long startPfn()
    {
        return startPfn;
    }

    public long lastPfn()
    {
        return lastPfn;
    }

    // ---------------------------------------------------------------------------------------
    // Placement
    // ---------------------------------------------------------------------------------------

    /**
     * v1's {@code alloc(pages, limitPfn, sizeAligned)} with a default fit.
     */
    public long alloc(final long pages, final long limitPfn, final boolean sizeAligned, final Fit defaultFit)
    {
        return alloc(pages, limitPfn, sizeAligned ? roundUpToPowerOfTwo(pages) : 1, defaultFit);
    }

    /**
     * @return the first pfn placed, or {@link IovaDomain#NO_ADDRESS}.
     */
    public long alloc(final long pages, final long limitPfn, final long alignPages, final Fit fit)
    {
        if (fit == null || pages < 1 || limitPfn < startPfn)
        {
            throw new IllegalArgumentException("pages=" + pages + ", limitPfn=0x" + Long.toHexString(limitPfn) + ", fit=" + fit);
        }
        if (alignPages < 1 || Long.bitCount(alignPages) != 1)
        {
            throw new IllegalArgumentException("alignPages=" + alignPages + " is not a power of two");
        }
        final long hiPfn = Math.min(limitPfn, lastPfn);
        if (pages > hiPfn - startPfn + 1)
        {
            return IovaDomain.NO_ADDRESS;
        }
        final long pfn;
        switch (fit)
        {
            case HIGHEST:
                pfn = highest(startPfn, hiPfn, pages, alignPages);
                break;
            case LOWEST:
                pfn = lowest(hiPfn, pages, alignPages);
                break;
            default:
                pfn = best(hiPfn, pages, alignPages);
                break;
        }
        if (pfn != IovaDomain.NO_ADDRESS)
        {
            place(pfn, pages);
        }
        return pfn;
    }

    /** The largest aligned p in [loPfn, hiPfn - pages + 1] with every pfn free. */
    private long highest(final long loPfn, final long hiPfn, final long pages, final long alignPages)
    {
        for (long p = floorToMultiple(hiPfn - pages + 1, alignPages); p >= loPfn; p -= alignPages)
        {
            if (allFree(p, pages))
            {
                return p;
            }
        }
        return IovaDomain.NO_ADDRESS;
    }

    private long lowest(final long hiPfn, final long pages, final long alignPages)
    {
        // p >= startPfn also stops the walk if p += alignPages overflows
        for (long p = ceilToMultiple(startPfn, alignPages); p >= startPfn && p <= hiPfn - pages + 1; p += alignPages)
        {
            if (allFree(p, pages))
            {
                return p;
            }
        }
        return IovaDomain.NO_ADDRESS;
    }

    private long best(final long hiPfn, final long pages, final long alignPages)
    {
        long bestPfn = IovaDomain.NO_ADDRESS;
        long bestRunPages = Long.MAX_VALUE;
        long runLo = -1;
        for (long pfn = startPfn; pfn <= hiPfn + 1; pfn++)
        {
            final boolean free = pfn <= hiPfn && isFree(pfn);
            if (free && runLo < 0)
            {
                runLo = pfn;
            }
            else if (!free && runLo >= 0)
            {
                final long runHi = pfn - 1;
                final long runPages = runHi - runLo + 1;
                final long candidate = highest(runLo, runHi, pages, alignPages);
                // Runs come in ascending order, so "<=" makes the highest of equal runs win.
                if (candidate != IovaDomain.NO_ADDRESS && runPages <= bestRunPages)
                {
                    bestRunPages = runPages;
                    bestPfn = candidate;
                }
                runLo = -1;
            }
        }
        return bestPfn;
    }

    /**
     * @return how a fixed allocation of exactly {@code [pfn, pfn + pages - 1]} ends.
     */
    public AllocAtOutcome allocAt(final long pfn, final long pages)
    {
        if (pages < 1)
        {
            throw new IllegalArgumentException("pages=" + pages + " must be at least 1");
        }
        if (pfn < startPfn || pfn > lastPfn || pages > lastPfn - pfn + 1)
        {
            return AllocAtOutcome.OUTSIDE_DOMAIN;
        }
        final long hiPfn = pfn + pages - 1;
        if (anyAllowed && anyPfn(pfn, hiPfn, p -> !allowedPfns.get(index(p))))
        {
            return AllocAtOutcome.OUTSIDE_ALLOWED;
        }
        if (anyPfn(pfn, hiPfn, this::isReserved))
        {
            return AllocAtOutcome.RESERVED;
        }
        if (anyPfn(pfn, hiPfn, p -> livePfns.get(index(p))))
        {
            return AllocAtOutcome.LIVE;
        }
        place(pfn, pages);
        return AllocAtOutcome.PLACED;
    }

    /** Frees exactly a live allocation. */
    public void free(final long pfn, final long pages)
    {
        final Long hiPfn = liveRanges.get(pfn);
        if (pages < 1 || hiPfn == null || hiPfn - pfn + 1 != pages)
        {
            throw new IllegalArgumentException("no live allocation [0x" + Long.toHexString(pfn) + ", +" + pages + ")");
        }
        liveRanges.remove(pfn);
        livePfns.clear(index(pfn), index(hiPfn) + 1);
    }

    /** Frees the live allocation holding {@code pfn}. */
    public void free(final long pfn)
    {
        final Map.Entry<Long, Long> range = liveRanges.floorEntry(pfn);
        if (range == null || range.getValue() < pfn)
        {
            throw new IllegalArgumentException("no live allocation holds pfn 0x" + Long.toHexString(pfn));
        }
        free(range.getKey(), range.getValue() - range.getKey() + 1);
    }

    // ---------------------------------------------------------------------------------------
    // Reserves and allows
    // ---------------------------------------------------------------------------------------

    /**
     * @return false, changing nothing, when the range overlaps a live allocation.
     */
    public boolean reserve(final long loPfn, final long hiPfn, final String owner)
    {
        checkBounds(loPfn, hiPfn);
        if (anyPfn(loPfn, hiPfn, p -> livePfns.get(index(p))))
        {
            return false;
        }
        final BitSet pfns = owner == null ? unownedReservedPfns : reservedPfnsByOwner.computeIfAbsent(owner, o -> new BitSet());
        pfns.set(index(loPfn), index(hiPfn) + 1);
        return true;
    }

    /** v1's unowned reserve: throws where the owned one returns false. */
    public void reserve(final long loPfn, final long hiPfn)
    {
        if (!reserve(loPfn, hiPfn, null))
        {
            throw new IllegalArgumentException("[0x" + Long.toHexString(loPfn) + ", 0x" + Long.toHexString(hiPfn) +
                "] overlaps a live allocation");
        }
    }

    /** @return how many merged reserves of {@code owner} went. */
    public int unreserve(final String owner)
    {
        Objects.requireNonNull(owner, "owner");
        final BitSet pfns = reservedPfnsByOwner.remove(owner);
        return pfns == null ? 0 : runs(pfns).size();
    }

    public void allow(final long loPfn, final long hiPfn)
    {
        checkBounds(loPfn, hiPfn);
        final BitSet after = (BitSet)allowedPfns.clone();
        after.set(index(loPfn), index(hiPfn) + 1);
        for (final Map.Entry<Long, Long> range : liveRanges.entrySet())
        {
            for (long p = range.getKey(); p <= range.getValue(); p++)
            {
                if (!after.get(index(p)))
                {
                    throw new IllegalStateException("live allocation [0x" + Long.toHexString(range.getKey()) + ", 0x" +
                        Long.toHexString(range.getValue()) + "] would lie outside the allowed ranges");
                }
            }
        }
        allowedPfns.or(after);
        anyAllowed = true;
    }

    // ---------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------

    /** @return live allocations, ascending, as {@code {loPfn, hiPfn}}. */
    public List<long[]> liveRangeList()
    {
        final List<long[]> list = new ArrayList<>();
        liveRanges.forEach((lo, hi) -> list.add(new long[] {lo, hi}));
        return list;
    }

    public long liveRanges()
    {
        return liveRanges.size();
    }

    /** @return merged allowed ranges, ascending. */
    public List<long[]> allowedRanges()
    {
        return runs(allowedPfns);
    }

    /** One merged reserve of one owner. */
    public record Reservation(long loPfn, long hiPfn, String owner)
    {
        @Override
        public String toString()
        {
            return "[0x" + Long.toHexString(loPfn) + ", 0x" + Long.toHexString(hiPfn) + "] " + (owner == null ? "unowned" : owner);
        }
    }

    /** Ascending by first pfn, then by owner (unowned first). */
    public static final Comparator<Reservation> RESERVATION_ORDER = Comparator.comparingLong(Reservation::loPfn)
        .thenComparing(Reservation::owner, Comparator.nullsFirst(Comparator.naturalOrder()));

    /** @return every owner's merged reserves, in {@link #RESERVATION_ORDER}. */
    public List<Reservation> reservations()
    {
        final List<Reservation> list = new ArrayList<>();
        for (final long[] run : runs(unownedReservedPfns))
        {
            list.add(new Reservation(run[0], run[1], null));
        }
        reservedPfnsByOwner.forEach((owner, pfns) -> {
            for (final long[] run : runs(pfns))
            {
                list.add(new Reservation(run[0], run[1], owner));
            }
        });
        list.sort(RESERVATION_ORDER);
        return list;
    }

    /** @return the owners with at least one reserve in force. */
    public List<String> owners()
    {
        return new ArrayList<>(reservedPfnsByOwner.keySet());
    }

    /**
     * @return the pfns of the domain the tree holds as reserved: every owner's reserves and,
     * once any allow exists, every pfn outside the allowed ranges.
     */
    public BitSet blockedPfns()
    {
        final BitSet blocked = new BitSet();
        for (long p = startPfn; p <= lastPfn; p++)
        {
            if (isReserved(p) || (anyAllowed && !allowedPfns.get(index(p))))
            {
                blocked.set(index(p));
            }
        }
        return blocked;
    }

    public boolean isFree(final long pfn)
    {
        return pfn >= startPfn && pfn <= lastPfn && !livePfns.get(index(pfn)) && !isReserved(pfn) &&
            (!anyAllowed || allowedPfns.get(index(pfn)));
    }

    public boolean anyAllowed()
    {
        return anyAllowed;
    }

    // ---------------------------------------------------------------------------------------
    // Helpers
    // ---------------------------------------------------------------------------------------

    private boolean isReserved(final long pfn)
    {
        if (unownedReservedPfns.get(index(pfn)))
        {
            return true;
        }
        for (final BitSet pfns : reservedPfnsByOwner.values())
        {
            if (pfns.get(index(pfn)))
            {
                return true;
            }
        }
        return false;
    }

    private boolean allFree(final long pfn, final long pages)
    {
        for (long p = pfn; p < pfn + pages; p++)
        {
            if (!isFree(p))
            {
                return false;
            }
        }
        return true;
    }

    private interface PfnTest
    {
        boolean test(long pfn);
    }

    private static boolean anyPfn(final long loPfn, final long hiPfn, final PfnTest test)
    {
        for (long p = loPfn; p <= hiPfn; p++)
        {
            if (test.test(p))
            {
                return true;
            }
        }
        return false;
    }

    private void place(final long pfn, final long pages)
    {
        liveRanges.put(pfn, pfn + pages - 1);
        livePfns.set(index(pfn), index(pfn + pages - 1) + 1);
    }

    private void checkBounds(final long loPfn, final long hiPfn)
    {
        if (loPfn > hiPfn || loPfn < startPfn || hiPfn > lastPfn)
        {
            throw new IllegalArgumentException("[0x" + Long.toHexString(loPfn) + ", 0x" + Long.toHexString(hiPfn) +
                "] is empty or leaves the domain [0x" + Long.toHexString(startPfn) + ", 0x" + Long.toHexString(lastPfn) + "]");
        }
    }

    private static int index(final long pfn)
    {
        return (int)pfn;
    }

    /** @return the maximal runs of set bits, ascending, as {@code {loPfn, hiPfn}}. */
    static List<long[]> runs(final BitSet pfns)
    {
        final List<long[]> runs = new ArrayList<>();
        for (int lo = pfns.nextSetBit(0); lo >= 0; lo = pfns.nextSetBit(lo))
        {
            final int end = pfns.nextClearBit(lo);
            runs.add(new long[] {lo, end - 1});
            lo = end;
        }
        return runs;
    }

    static long floorToMultiple(final long value, final long alignPages)
    {
        return Math.floorDiv(value, alignPages) * alignPages;
    }

    static long ceilToMultiple(final long value, final long alignPages)
    {
        return -Math.floorDiv(-value, alignPages) * alignPages;
    }

    public static long roundUpToPowerOfTwo(final long pages)
    {
        return pages <= 1 ? 1 : Long.highestOneBit(pages - 1) << 1;
    }
}
