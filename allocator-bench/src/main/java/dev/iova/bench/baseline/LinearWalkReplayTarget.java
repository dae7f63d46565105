package dev.iova.bench.baseline;

import dev.iova.bench.trace.ReplayTarget;

/** {@link LinearWalkAllocator} behind the replay interface: size-aligned alloc, free by first pfn and pages. */
public final class LinearWalkReplayTarget implements ReplayTarget
{
    private final LinearWalkAllocator allocator;

    /** @param allocator the allocator every call goes to. */
    public LinearWalkReplayTarget(final LinearWalkAllocator allocator)
    {
        this.allocator = allocator;
    }

    @Override
    public String whyNotV2()
    {
        return "it places only size-aligned ranges at the highest fit";
    }

    @Override
    public String description()
    {
        return "the linear-walk baseline";
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
