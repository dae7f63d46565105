package dev.iova.bench.trace;

import dev.iova.AllocAtOutcome;
import dev.iova.Fit;
import dev.iova.PlacementModel;

/**
 * {@link PlacementModel} behind the replay interface, so that a v2 trace can be replayed into
 * the brute-force model and its digest compared with the domain's.
 */
final class ModelReplayTarget implements PlacementReplayTarget
{
    private final PlacementModel model;

    ModelReplayTarget(final PlacementModel model)
    {
        this.model = model;
    }

    PlacementModel model()
    {
        return model;
    }

    @Override
    public long startPfn()
    {
        return model.startPfn();
    }

    @Override
    public long lastPfn()
    {
        return model.lastPfn();
    }

    @Override
    public long alloc(final long pages, final long limitPfn)
    {
        return model.alloc(pages, limitPfn, true, Fit.HIGHEST);
    }

    @Override
    public void free(final long pfn, final long pages)
    {
        model.free(pfn, pages);
    }

    @Override
    public void reserve(final long loPfn, final long hiPfn)
    {
        model.reserve(loPfn, hiPfn);
    }

    @Override
    public long alloc(final long pages, final long limitPfn, final long alignPages, final Fit fit)
    {
        return model.alloc(pages, limitPfn, alignPages, fit);
    }

    @Override
    public AllocAtOutcome allocAt(final long pfn, final long pages)
    {
        return model.allocAt(pfn, pages);
    }

    @Override
    public boolean reserve(final long loPfn, final long hiPfn, final String owner)
    {
        return model.reserve(loPfn, hiPfn, owner);
    }

    @Override
    public int unreserve(final String owner)
    {
        return model.unreserve(owner);
    }

    @Override
    public void allow(final long loPfn, final long hiPfn)
    {
        model.allow(loPfn, hiPfn);
    }
}
