package dev.iova.bench.trace;

import dev.iova.IovaDomain;

/**
 * Replays through the range caches of an {@link IovaDomain}: {@code allocFast(pages, limitPfn)},
 * {@code freeFast(pfn, pages)}, and {@code reserve(loPfn, hiPfn)} (which flushes the caches
 * first) — what a DMA layer's map and unmap call (Linux: {@code alloc_iova_fast},
 * {@code free_iova_fast}).
 *
 * <h2>How results differ from {@link DomainReplayTarget}</h2>
 * <ul>
 *   <li>An allocation of up to {@link IovaDomain#maxCachedPages()} pages gets a range of that
 *       size rounded up to a power of two (3 pages take 4), size-aligned as the trace asks.</li>
 *   <li>A magazine hands back a recently freed range, not the highest that fits, so placements
 *       depend on history: the pfn digest is not comparable with a tree replay's, only with
 *       another cached replay of the same trace (which, from one thread, is deterministic).</li>
 *   <li>When the tree has no room, the caches are flushed back and the tree asked once more, so
 *       a failure means that no aligned range of the rounded size was free below the limit at
 *       that moment. Because placements and sizes differ, failures may still come at other lines
 *       than in a tree replay.</li>
 *   <li>Ranges sitting in a magazine at the end count as live in the domain until
 *       {@link #flush()}; {@code liveAtEnd} counts only what the trace holds.</li>
 * </ul>
 *
 * <p>The target does not own the domain: whoever built it closes it.
 */
public final class CachedReplayTarget implements ReplayTarget
{
    private final IovaDomain domain;

    /**
     * @param domain the domain to replay into, with its caches on (from
     *               {@link DomainReplayTarget#newDomain(Trace)}); with caches off this replays
     *               into the tree through the fast API.
     */
    public CachedReplayTarget(final IovaDomain domain)
    {
        this.domain = domain;
    }

    /** @return the domain replayed into. */
    public IovaDomain domain()
    {
        return domain;
    }

    /**
     * Gives every cached range back to the tree, so that the domain holds exactly the trace's
     * live ranges (and its reserves): call it before {@code verify()} or counting live ranges.
     */
    public void flush()
    {
        domain.flushCaches();
    }

    @Override
    public String whyNotV2()
    {
        return "they place only size-aligned ranges at the highest fit";
    }

    @Override
    public String description()
    {
        return "the range caches (--cache)";
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
        return domain.allocFast(pages, limitPfn);
    }

    @Override
    public void free(final long pfn, final long pages)
    {
        domain.freeFast(pfn, pages);
    }

    @Override
    public void reserve(final long loPfn, final long hiPfn)
    {
        domain.reserve(loPfn, hiPfn);
    }
}
