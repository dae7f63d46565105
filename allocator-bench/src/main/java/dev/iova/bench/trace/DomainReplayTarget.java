package dev.iova.bench.trace;

import dev.iova.AllocAtOutcome;
import dev.iova.Fit;
import dev.iova.IovaDomain;

/**
 * Replays straight into the tree of an {@link IovaDomain}: for v1, {@code alloc} with
 * {@code sizeAligned = true}, {@code free(pfn, pages)}, {@code reserve(loPfn, hiPfn)}; for v2
 * also {@code alloc(pages, limitPfn, alignPages, fit)}, {@code allocAt}, owned {@code reserve},
 * {@code unreserve} and {@code allow}. Every placement rule of the trace format is
 * deterministic, so the results, and the pfn digest, depend on the trace alone.
 *
 * <p>The target does not own the domain: whoever built it closes it.
 */
public final class DomainReplayTarget implements PlacementReplayTarget
{
    private final IovaDomain domain;

    /**
     * @param domain the domain to replay into, usually from {@link #newDomain(Trace)}.
     */
    public DomainReplayTarget(final IovaDomain domain)
    {
        this.domain = domain;
    }

    /**
     * Builds the empty domain a trace's domain line asks for: its granule and start pfn, and
     * its {@code end} pfn as the last pfn (v2), or else the default aperture (the top of a
     * 64-bit address space for that granule).
     *
     * @param trace a parsed trace.
     * @return a new domain; the caller closes it.
     * @throws TraceFormatException  at the domain line, when the domain cannot have those values
     *                               (a start pfn above the aperture, an end pfn beyond it).
     * @throws IllegalStateException when the JVM lacks the {@code --add-exports} the library needs.
     */
    public static IovaDomain newDomain(final Trace trace)
    {
        try
        {
            final IovaDomain.Builder builder = IovaDomain.builder().granuleBytes(trace.granuleBytes()).startPfn(trace.startPfn());
            if (trace.endPfn() != Trace.NO_END_PFN)
            {
                builder.lastPfn(trace.endPfn());
            }
            return builder.build();
        }
        catch (final IllegalArgumentException ex)
        {
            throw new TraceFormatException(trace.name(), trace.domainLine(), "cannot build this domain: " + ex.getMessage());
        }
    }

    /** @return the domain replayed into. */
    public IovaDomain domain()
    {
        return domain;
    }

    @Override
    public long startPfn()
    {
        return domain.startPfn();
    }

    @Override
    public long lastPfn()
    {
        return domain.lastPfn();
    }

    @Override
    public long alloc(final long pages, final long limitPfn)
    {
        return domain.alloc(pages, limitPfn, true);
    }

    @Override
    public void free(final long pfn, final long pages)
    {
        domain.free(pfn, pages);
    }

    @Override
    public void reserve(final long loPfn, final long hiPfn)
    {
        domain.reserve(loPfn, hiPfn);
    }

    @Override
    public long alloc(final long pages, final long limitPfn, final long alignPages, final Fit fit)
    {
        return domain.alloc(pages, limitPfn, alignPages, fit);
    }

    @Override
    public AllocAtOutcome allocAt(final long pfn, final long pages)
    {
        return domain.allocAt(pfn, pages);
    }

    @Override
    public boolean reserve(final long loPfn, final long hiPfn, final String owner)
    {
        return domain.reserve(loPfn, hiPfn, owner);
    }

    @Override
    public int unreserve(final String owner)
    {
        return domain.unreserve(owner);
    }

    @Override
    public void allow(final long loPfn, final long hiPfn)
    {
        domain.allow(loPfn, hiPfn);
    }
}
