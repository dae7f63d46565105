package dev.iova;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Who reserved what, and which ranges are allowed: the bookkeeping behind a domain's owned
 * reservations and allowed ranges (control-plane state, on the heap; none of it is on an
 * allocation path). The tree holds the union of all reservations and of the complement of the
 * allowed ranges as its reserved ranges; this book says which owner holds which part, so that a
 * reservation can be removed by owner without freeing what another owner still covers.
 *
 * <p>Every set is a map from first pfn to last pfn (inclusive) of disjoint, non-touching ranges.
 * A book does not change once the domain holds it: a change makes a new book, before the tree
 * changes, and the domain swaps it in with one field write after the tree's update has committed,
 * so that no {@link Throwable} (a {@link StackOverflowError} in a map's method included) can leave
 * the book and the tree disagreeing. Guarded by the domain's lock.
 */
final class ReservationBook
{
    private final long startPfn;
    private final long lastPfn;
    private final TreeMap<String, TreeMap<Long, Long>> owned = new TreeMap<>();
    private final TreeMap<Long, Long> unowned = new TreeMap<>();
    private final TreeMap<Long, Long> allowed = new TreeMap<>();
    /** The allowed ranges again, as sorted arrays: {@link #insideAllowed} searches them without allocating. */
    private long[] allowedLoPfns = new long[0];
    private long[] allowedHiPfns = new long[0];

    ReservationBook(final long startPfn, final long lastPfn)
    {
        this.startPfn = startPfn;
        this.lastPfn = lastPfn;
    }

    private ReservationBook copy()
    {
        final ReservationBook copy = new ReservationBook(startPfn, lastPfn);
        owned.forEach((owner, ranges) -> copy.owned.put(owner, new TreeMap<>(ranges)));
        copy.unowned.putAll(unowned);
        copy.allowed.putAll(allowed);
        copy.allowedLoPfns = allowedLoPfns;
        copy.allowedHiPfns = allowedHiPfns;
        return copy;
    }

    /** @return a new book with {@code [loPfn, hiPfn]} reserved for {@code owner} (null: unowned) as well. */
    ReservationBook withReservation(final long loPfn, final long hiPfn, final String owner)
    {
        final ReservationBook next = copy();
        addMerging(owner == null ? next.unowned : next.owned.computeIfAbsent(owner, o -> new TreeMap<>()), loPfn, hiPfn);
        return next;
    }

    /** @return a new book without {@code owner}'s reservations. */
    ReservationBook withoutOwner(final String owner)
    {
        final ReservationBook next = copy();
        next.owned.remove(owner);
        return next;
    }

    /** @return a new book with {@code [loPfn, hiPfn]} allowed as well. */
    ReservationBook withAllowed(final long loPfn, final long hiPfn)
    {
        final ReservationBook next = copy();
        addMerging(next.allowed, loPfn, hiPfn);
        next.allowedLoPfns = new long[next.allowed.size()];
        next.allowedHiPfns = new long[next.allowed.size()];
        int i = 0;
        for (final Map.Entry<Long, Long> e : next.allowed.entrySet())
        {
            next.allowedLoPfns[i] = e.getKey();
            next.allowedHiPfns[i++] = e.getValue();
        }
        return next;
    }

    boolean hasAllowed()
    {
        return !allowed.isEmpty();
    }

    /**
     * @return whether {@code [loPfn, hiPfn]} lies inside one allowed range (always true when none
     *         exists). O(log n), allocates nothing: {@code allocAt} calls it.
     */
    boolean insideAllowed(final long loPfn, final long hiPfn)
    {
        if (allowedLoPfns.length == 0)
        {
            return true;
        }
        final int found = Arrays.binarySearch(allowedLoPfns, loPfn);
        final int floor = found >= 0 ? found : -found - 2;
        return floor >= 0 && allowedHiPfns[floor] >= hiPfn;
    }

    /** @return the merged reservations of {@code owner}, or {@code null} when it has none. */
    TreeMap<Long, Long> reservationsOf(final String owner)
    {
        return owned.get(owner);
    }

    /**
     * The parts of {@code ranges} that nothing else covers: not another owner's reservation (the
     * owner {@code except} left out), not an unowned one, not outside the allowed ranges (when
     * {@code countDisallowed}). These are the pfns that become free when {@code ranges} go.
     */
    List<long[]> uncovered(final TreeMap<Long, Long> ranges, final String except, final boolean countDisallowed)
    {
        final TreeMap<Long, Long> cover = new TreeMap<>();
        for (final Map.Entry<String, TreeMap<Long, Long>> e : owned.entrySet())
        {
            if (!e.getKey().equals(except))
            {
                e.getValue().forEach((lo, hi) -> addMerging(cover, lo, hi));
            }
        }
        unowned.forEach((lo, hi) -> addMerging(cover, lo, hi));
        if (countDisallowed)
        {
            disallowed().forEach(r -> addMerging(cover, r[0], r[1]));
        }
        final List<long[]> result = new ArrayList<>();
        ranges.forEach((lo, hi) -> subtract(lo, hi, cover, result));
        return result;
    }

    /** @return the complement of the allowed ranges inside the domain, ascending; empty when no range is allowed. */
    List<long[]> disallowed()
    {
        final List<long[]> result = new ArrayList<>();
        if (allowed.isEmpty())
        {
            return result;
        }
        long next = startPfn;
        for (final Map.Entry<Long, Long> e : allowed.entrySet())
        {
            if (e.getKey() > next)
            {
                result.add(new long[] {next, e.getKey() - 1});
            }
            next = e.getValue() + 1;
        }
        if (next <= lastPfn)
        {
            result.add(new long[] {next, lastPfn});
        }
        return result;
    }

    /** @return the parts of {@code [loPfn, hiPfn]} not yet allowed, ascending. */
    List<long[]> notYetAllowed(final long loPfn, final long hiPfn)
    {
        final List<long[]> result = new ArrayList<>();
        subtract(loPfn, hiPfn, allowed, result);
        return result;
    }

    /** Visits the allowed ranges, ascending. */
    void forEachAllowed(final RangeVisitor visitor)
    {
        allowed.forEach((lo, hi) -> visitor.visit(lo, hi, false));
    }

    /** Visits every reservation, ascending by first pfn, then unowned before owned, then by owner. */
    void forEachReservation(final ReservationVisitor visitor)
    {
        final List<Object[]> all = new ArrayList<>();
        unowned.forEach((lo, hi) -> all.add(new Object[] {lo, hi, null}));
        owned.forEach((owner, ranges) -> ranges.forEach((lo, hi) -> all.add(new Object[] {lo, hi, owner})));
        all.sort(Comparator.<Object[]>comparingLong(r -> (Long)r[0])
            .thenComparing(r -> (String)r[2], Comparator.nullsFirst(Comparator.naturalOrder())));
        for (final Object[] r : all)
        {
            visitor.visit((Long)r[0], (Long)r[1], (String)r[2]);
        }
    }

    /**
     * The union of every reservation and of the complement of the allowed ranges, merged:
     * exactly what the tree must hold as reserved ranges.
     */
    TreeMap<Long, Long> reservedUnion()
    {
        final TreeMap<Long, Long> union = new TreeMap<>();
        owned.values().forEach(m -> m.forEach((lo, hi) -> addMerging(union, lo, hi)));
        unowned.forEach((lo, hi) -> addMerging(union, lo, hi));
        disallowed().forEach(r -> addMerging(union, r[0], r[1]));
        return union;
    }

    /** Adds {@code [loPfn, hiPfn]} to a set, merging what it overlaps or touches. */
    static void addMerging(final TreeMap<Long, Long> set, final long loPfn, final long hiPfn)
    {
        long lo = loPfn;
        long hi = hiPfn;
        Map.Entry<Long, Long> e = set.floorEntry(lo);
        if (e != null && e.getValue() >= lo - 1)
        {
            lo = e.getKey();
            hi = Math.max(hi, e.getValue());
            set.remove(e.getKey());
        }
        while ((e = set.ceilingEntry(lo)) != null && e.getKey() <= hi + 1)
        {
            hi = Math.max(hi, e.getValue());
            set.remove(e.getKey());
        }
        set.put(lo, hi);
    }

    /** Appends to {@code out} the parts of {@code [loPfn, hiPfn]} outside {@code cover}, ascending. */
    private static void subtract(final long loPfn, final long hiPfn, final TreeMap<Long, Long> cover, final List<long[]> out)
    {
        long next = loPfn;
        final Map.Entry<Long, Long> below = cover.floorEntry(loPfn);
        if (below != null && below.getValue() >= next)
        {
            next = below.getValue() + 1;
        }
        for (final Map.Entry<Long, Long> e : cover.subMap(loPfn, false, hiPfn, true).entrySet())
        {
            if (e.getKey() > next)
            {
                out.add(new long[] {next, e.getKey() - 1});
            }
            next = Math.max(next, e.getValue() + 1);
        }
        if (next <= hiPfn)
        {
            out.add(new long[] {next, hiPfn});
        }
    }
}
