package dev.iova.bench.trace;

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
     * @throws TraceFormatException at the first entry that breaks a replay rule.
     */
    public ReplayResult replay(final ReplayTarget target)
    {
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
        return summarise(reservesSkipped, elapsedNanos);
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

    private ReplayResult summarise(final long reservesSkipped, final long elapsedNanos)
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
            if (kinds[entry] == Trace.ALLOC)
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
            trace.ops(), allocOk, allocFailed, freeSkipped, allocOk - freeDone, reservesSkipped, digest, elapsedNanos);
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
