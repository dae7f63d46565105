package dev.iova.bench.trace;

import dev.iova.AllocAtOutcome;
import dev.iova.Fit;

/**
 * Replays a parsed {@link Trace} into a {@link ReplayTarget} and reports a {@link ReplayResult}.
 *
 * <h2>What is timed</h2>
 * Only the loop over the entries: one call into the target per {@code alloc}, {@code free} or
 * {@code reserve}, plus a few array reads. The ids were resolved when the trace was parsed
 * (see {@link Trace}), so the loop needs no map; it stores the result of each allocation in
 * an array sized once per replayer, and allocates nothing. Counts and the pfn digest are
 * worked out from that array after the clock stops.
 *
 * <h2>Rules</h2>
 * <ul>
 *   <li>{@code alloc}: {@code target.alloc(pages, limitPfn)}, naturally aligned. A request that
 *       can never fit (limit below the start pfn, more pages than the whole domain or than
 *       {@code 2^62}, the largest natural alignment of a long) counts as
 *       a failed allocation without calling the target. A failed allocation leaves its id
 *       unbound; an {@code alloc} of an id that is still bound is an error of the trace.</li>
 *   <li>{@code free}: frees what the id got. The first free after a failed alloc of the id is
 *       skipped and counted; a free of an id that is not bound otherwise is an error.</li>
 *   <li>{@code reserve}: the range is clipped to {@code [startPfn, lastPfn]} of the target, and
 *       skipped (counted in {@link ReplayResult#reservesSkipped()}) when it lies wholly outside,
 *       so that a trace written for a smaller or larger aperture still replays. A reserve that
 *       overlaps a live allocation is an error of the trace.</li>
 * </ul>
 * A v2 trace ({@link Trace#version()} 2) needs a {@link PlacementReplayTarget}; any other
 * target is refused before the first line, with one sentence naming it. In a v2 replay:
 * <ul>
 *   <li>{@code alloc}: {@code target.alloc(pages, limitPfn, alignPages, fit)}, align as given
 *       or natural; an alignment above the target's last pfn can never be met and counts as a
 *       failure without a call.</li>
 *   <li>{@code alloc-at}: {@code target.allocAt(pfn, pages)}; a range that leaves
 *       {@code [startPfn, lastPfn]} counts as a failure without a call. The result, for the
 *       digest and the free, is the pfn when placed, 0 otherwise.</li>
 *   <li>{@code reserve}: clipped and skipped as in v1; one that overlaps a live allocation is
 *       refused by the target, changes nothing and is counted in
 *       {@link ReplayResult#reserveFailed()}.</li>
 *   <li>{@code unreserve}: an owner with no reserve in force (all refused, skipped, or already
 *       unreserved) is an error of the trace.</li>
 *   <li>{@code allow}: clipped to the target's bounds; one wholly outside them, or one that
 *       would leave a live allocation outside the allowed ranges, is an error of the trace.</li>
 * </ul>
 * Errors of the trace throw {@link TraceFormatException} with the line; the target is then left
 * in the middle of the trace and should be discarded.
 *
 * <p>A replayer may be reused for several replays of its trace ({@code --repeat}), one at a
 * time; it is not thread-safe.
 */
public final class TraceReplayer
{
    /**
     * The most pages a naturally aligned range can have: its alignment, pages rounded up to a
     * power of two, must stay a positive long. Larger requests can never fit.
     */
    static final long MAX_ALIGNED_PAGES = 1L << 62;

    /** {@link Fit} by the fit codes of {@link Trace}. */
    private static final Fit[] FITS = {Fit.HIGHEST, Fit.LOWEST, Fit.BEST};

    private final Trace trace;
    private final long[] pfnByEntry;

    /**
     * @param trace the trace to replay.
     */
    public TraceReplayer(final Trace trace)
    {
        this.trace = trace;
        this.pfnByEntry = new long[trace.entries()];
    }

    /**
     * @param entry an {@link Trace#ALLOC} or {@link Trace#ALLOC_AT} entry.
     * @return its result in the last replay: the first pfn, or 0 when it failed.
     */
    public long resultPfn(final int entry)
    {
        return pfnByEntry[entry];
    }

    /** @return the trace this replayer replays. */
    public Trace trace()
    {
        return trace;
    }

    /**
     * Replays the trace into a fresh target.
     *
     * @param target an allocator in the state the trace expects: empty.
     * @return the counts, the digest and the time of the replay loop.
     * @throws TraceFormatException at the first entry that breaks a replay rule, or at the
     *                              header when the trace is v2 and the target cannot replay it.
     */
    public ReplayResult replay(final ReplayTarget target)
    {
        if (trace.version() >= 2)
        {
            if (!(target instanceof PlacementReplayTarget))
            {
                throw new TraceFormatException(trace.name(), 1, target.description() + " cannot replay an iova-trace v2 file, because " +
                    target.whyNotV2() + ": replay it straight into the tree");
            }
            return replayV2((PlacementReplayTarget)target);
        }
        final int entries = trace.entries();
        final byte[] kinds = trace.kinds;
        final long[] pagesOrLoPfns = trace.pagesOrLoPfns;
        final long[] limitOrHiPfns = trace.limitOrHiPfns;
        final int[] links = trace.links;
        final long[] pfnByEntry = this.pfnByEntry;
        final long startPfn = target.startPfn();
        final long lastPfn = target.lastPfn();
        final long maxPages = Math.min(lastPfn - startPfn + 1, MAX_ALIGNED_PAGES);
        long reservesSkipped = 0;

        int entry = 0;
        final long startNanos = System.nanoTime();
        try
        {
            for (; entry < entries; entry++)
            {
                final byte kind = kinds[entry];
                if (kind == Trace.ALLOC)
                {
                    final int pendingAlloc = links[entry];
                    if (pendingAlloc != Trace.NO_LINK && pfnByEntry[pendingAlloc] != ReplayTarget.NO_ADDRESS)
                    {
                        throw stillBound(entry, pendingAlloc);
                    }
                    final long pages = pagesOrLoPfns[entry];
                    final long limitPfn = limitOrHiPfns[entry];
                    pfnByEntry[entry] = limitPfn < startPfn || pages > maxPages ?
                        ReplayTarget.NO_ADDRESS : target.alloc(pages, limitPfn);
                }
                else if (kind == Trace.FREE)
                {
                    final int alloc = links[entry];
                    if (alloc == Trace.NO_LINK)
                    {
                        throw notBound(entry);
                    }
                    final long pfn = pfnByEntry[alloc];
                    if (pfn != ReplayTarget.NO_ADDRESS)
                    {
                        target.free(pfn, pagesOrLoPfns[alloc]);
                    }
                }
                else if (!reserveClipped(target, pagesOrLoPfns[entry], limitOrHiPfns[entry], startPfn, lastPfn))
                {
                    reservesSkipped++;
                }
            }
        }
        catch (final TraceFormatException ex)
        {
            throw ex;
        }
        catch (final IllegalArgumentException ex)
        {
            throw trace.error(entry, Trace.kindName(kinds[entry]) + " rejected by the allocator: " + ex.getMessage());
        }
        final long elapsedNanos = System.nanoTime() - startNanos;
        return summarise(reservesSkipped, 0, elapsedNanos);
    }

    private ReplayResult replayV2(final PlacementReplayTarget target)
    {
        final int entries = trace.entries();
        final byte[] kinds = trace.kinds;
        final long[] pagesOrLoPfns = trace.pagesOrLoPfns;
        final long[] limitOrHiPfns = trace.limitOrHiPfns;
        final long[] alignOrOwners = trace.alignOrOwners;
        final byte[] fits = trace.fits;
        final String[] owners = trace.owners;
        final int[] links = trace.links;
        final long[] pfnByEntry = this.pfnByEntry;
        final long startPfn = target.startPfn();
        final long lastPfn = target.lastPfn();
        final long domainPages = lastPfn - startPfn + 1;
        long reservesSkipped = 0;
        long reserveFailed = 0;

        int entry = 0;
        final long startNanos = System.nanoTime();
        try
        {
            for (; entry < entries; entry++)
            {
                final byte kind = kinds[entry];
                if (kind == Trace.ALLOC || kind == Trace.ALLOC_AT)
                {
                    final int pendingAlloc = links[entry];
                    if (pendingAlloc != Trace.NO_LINK && pfnByEntry[pendingAlloc] != ReplayTarget.NO_ADDRESS)
                    {
                        throw stillBound(entry, pendingAlloc);
                    }
                    final long pages = pagesOrLoPfns[entry];
                    if (kind == Trace.ALLOC)
                    {
                        final long limitPfn = limitOrHiPfns[entry];
                        final long alignPages = alignOrOwners[entry] == Trace.NATURAL_ALIGN ?
                            (pages > MAX_ALIGNED_PAGES ? Trace.ALIGN_2_63 : roundUpToPowerOfTwo(pages)) : alignOrOwners[entry];
                        pfnByEntry[entry] = limitPfn < startPfn || pages > domainPages || alignPages < 0 || alignPages > lastPfn ?
                            ReplayTarget.NO_ADDRESS : target.alloc(pages, limitPfn, alignPages, FITS[fits[entry]]);
                    }
                    else
                    {
                        final long pfn = limitOrHiPfns[entry];
                        pfnByEntry[entry] = pfn < startPfn || pfn > lastPfn || pages > lastPfn - pfn + 1 ||
                            target.allocAt(pfn, pages) != AllocAtOutcome.PLACED ? ReplayTarget.NO_ADDRESS : pfn;
                    }
                }
                else if (kind == Trace.FREE)
                {
                    final int alloc = links[entry];
                    if (alloc == Trace.NO_LINK)
                    {
                        throw notBound(entry);
                    }
                    final long pfn = pfnByEntry[alloc];
                    if (pfn != ReplayTarget.NO_ADDRESS)
                    {
                        target.free(pfn, pagesOrLoPfns[alloc]);
                    }
                }
                else if (kind == Trace.RESERVE)
                {
                    final long loPfn = pagesOrLoPfns[entry];
                    final long hiPfn = limitOrHiPfns[entry];
                    if (hiPfn < startPfn || loPfn > lastPfn)
                    {
                        reservesSkipped++;
                    }
                    else if (!target.reserve(Math.max(loPfn, startPfn), Math.min(hiPfn, lastPfn), ownerOf(owners, alignOrOwners[entry])))
                    {
                        reserveFailed++;
                    }
                }
                else if (kind == Trace.UNRESERVE)
                {
                    if (target.unreserve(owners[(int)alignOrOwners[entry]]) == 0)
                    {
                        throw noReserveInForce(entry);
                    }
                }
                else
                {
                    allowClipped(target, entry, startPfn, lastPfn);
                }
            }
        }
        catch (final TraceFormatException ex)
        {
            throw ex;
        }
        catch (final IllegalArgumentException | IllegalStateException ex)
        {
            throw trace.error(entry, Trace.kindName(kinds[entry]) + " rejected by the allocator: " + ex.getMessage());
        }
        final long elapsedNanos = System.nanoTime() - startNanos;
        return summarise(reservesSkipped, reserveFailed, elapsedNanos);
    }

    private void allowClipped(final PlacementReplayTarget target, final int entry, final long startPfn, final long lastPfn)
    {
        final long loPfn = trace.pagesOrLoPfns[entry];
        final long hiPfn = trace.limitOrHiPfns[entry];
        if (hiPfn < startPfn || loPfn > lastPfn)
        {
            throw trace.error(entry, "allow [0x" + Long.toHexString(loPfn) + ", 0x" + Long.toHexString(hiPfn) +
                "] lies wholly outside the domain [0x" + Long.toHexString(startPfn) + ", 0x" + Long.toHexString(lastPfn) + "]");
        }
        target.allow(Math.max(loPfn, startPfn), Math.min(hiPfn, lastPfn));
    }

    private static String ownerOf(final String[] owners, final long ownerIndex)
    {
        return ownerIndex == Trace.UNOWNED ? null : owners[(int)ownerIndex];
    }

    private static long roundUpToPowerOfTwo(final long pages)
    {
        return pages <= 1 ? 1 : Long.highestOneBit(pages - 1) << 1;
    }

    private TraceFormatException noReserveInForce(final int entry)
    {
        return trace.error(entry, "unreserve of owner '" + trace.owner(entry) +
            "', which has no reserve in force (all refused or skipped, or already unreserved)");
    }

    private static boolean reserveClipped(
        final ReplayTarget target, final long loPfn, final long hiPfn, final long startPfn, final long lastPfn)
    {
        if (hiPfn < startPfn || loPfn > lastPfn)
        {
            return false;
        }
        target.reserve(Math.max(loPfn, startPfn), Math.min(hiPfn, lastPfn));
        return true;
    }

    private ReplayResult summarise(final long reservesSkipped, final long reserveFailed, final long elapsedNanos)
    {
        final byte[] kinds = trace.kinds;
        final int[] links = trace.links;
        long digest = PfnDigest.OFFSET_BASIS;
        long allocOk = 0;
        long allocFailed = 0;
        long freeDone = 0;
        long freeSkipped = 0;
        for (int entry = 0; entry < kinds.length; entry++)
        {
            if (kinds[entry] == Trace.ALLOC || kinds[entry] == Trace.ALLOC_AT)
            {
                final long pfn = pfnByEntry[entry];
                digest = PfnDigest.update(digest, pfn);
                if (pfn == ReplayTarget.NO_ADDRESS)
                {
                    allocFailed++;
                }
                else
                {
                    allocOk++;
                }
            }
            else if (kinds[entry] == Trace.FREE)
            {
                if (pfnByEntry[links[entry]] == ReplayTarget.NO_ADDRESS)
                {
                    freeSkipped++;
                }
                else
                {
                    freeDone++;
                }
            }
        }
        return new ReplayResult(
            trace.ops(), allocOk, allocFailed, freeSkipped, allocOk - freeDone, reservesSkipped, reserveFailed, digest, elapsedNanos);
    }

    private TraceFormatException stillBound(final int entry, final int pendingAlloc)
    {
        return trace.error(entry, "alloc of id " + Long.toUnsignedString(trace.ids[entry]) + ", which is still bound to pfn 0x" +
            Long.toHexString(pfnByEntry[pendingAlloc]) + " (allocated on line " + trace.lines[pendingAlloc] + ")");
    }

    private TraceFormatException notBound(final int entry)
    {
        return trace.error(entry, "free of id " + Long.toUnsignedString(trace.ids[entry]) +
            ", which is not bound (never allocated, or already freed)");
    }
}
