package dev.iova.bench.trace;

import dev.iova.IovaDomain;

/**
 * Replays straight into the tree of an {@link IovaDomain}: {@code alloc} with
 * {@code sizeAligned = true}, {@code free(pfn, pages)}, {@code reserve(loPfn, hiPfn)}. With a
 * highest-fit tree the results, and so the pfn digest, depend on the trace alone.
 *
 * <p>The target does not own the domain: whoever built it closes it.
 */
public final class DomainReplayTarget implements ReplayTarget
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
     * the default aperture (the top of a 64-bit address space for that granule).
     *
     * @param trace a parsed trace.
     * @return a new domain; the caller closes it.
     * @throws TraceFormatException  at the domain line, when the domain cannot have those values
     *                               (a start pfn above the aperture).
     * @throws IllegalStateException when the JVM lacks the {@code --add-exports} the library needs.
     */
    public static IovaDomain newDomain(final Trace trace)
    {
        try
        {
            return IovaDomain.builder().granuleBytes(trace.granuleBytes()).startPfn(trace.startPfn()).build();
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
}
