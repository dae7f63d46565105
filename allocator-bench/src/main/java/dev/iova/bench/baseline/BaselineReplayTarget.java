package dev.iova.bench.baseline;

import dev.iova.bench.trace.ReplayTarget;

/**
 * A baseline behind the replay interface: {@code alloc(pages, limitPfn, true)},
 * {@code free(pfn, pages)}, {@code reserve(loPfn, hiPfn)}. Both baselines are highest fit, like
 * the tree, so a replay's pfn digest equals a tree replay's ({@code DomainReplayTarget}) on every
 * v1 trace; neither places anything else, so v2 traces are refused.
 */
public final class BaselineReplayTarget implements ReplayTarget
{
    private final BaselineAllocator allocator;
    private final String description;

    /**
     * @param allocator   the allocator every call goes to.
     * @param description what the replay's messages call it, e.g. "the TreeMap baseline".
     */
    public BaselineReplayTarget(final BaselineAllocator allocator, final String description)
    {
        this.allocator = allocator;
        this.description = description;
    }

    @Override
    public String whyNotV2()
    {
        return "it places only size-aligned ranges at the highest fit";
    }

    @Override
    public String description()
    {
        return description;
    }

    @Override
    public long startPfn()
    {
        return allocator.startPfn();
    }

    @Override
    public long lastPfn()
    {
        return allocator.lastPfn();
    }

    @Override
    public long alloc(final long pages, final long limitPfn)
    {
        return allocator.alloc(pages, limitPfn, true);
    }

    @Override
    public void free(final long pfn, final long pages)
    {
        allocator.free(pfn, pages);
    }

    @Override
    public void reserve(final long loPfn, final long hiPfn)
    {
        allocator.reserve(loPfn, hiPfn);
    }
}
