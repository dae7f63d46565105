package dev.iova.bench.baseline;

import dev.iova.bench.trace.ReplayTarget;

/**
 * Replays into a {@link TreeMapAllocator}: {@code alloc(pages, limitPfn, true)},
 * {@code free(pfn, pages)}, {@code reserve(loPfn, hiPfn)}. Highest fit, like the tree, so its pfn
 * digest equals a tree replay's ({@code DomainReplayTarget}) on every trace.
 *
 * <p>Unlike the library's targets it allocates on the heap on every call: that is what it is for.
 */
public final class TreeMapReplayTarget implements ReplayTarget
{
    private final TreeMapAllocator allocator;

    /**
     * @param allocator the allocator to replay into.
     */
    public TreeMapReplayTarget(final TreeMapAllocator allocator)
    {
        this.allocator = allocator;
    }

    /** @return the allocator replayed into. */
    public TreeMapAllocator allocator()
    {
        return allocator;
    }

    @Override
    public String whyNotV2()
    {
        return "it places only size-aligned ranges at the highest fit";
    }

    @Override
    public String description()
    {
        return "the TreeMap baseline";
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
