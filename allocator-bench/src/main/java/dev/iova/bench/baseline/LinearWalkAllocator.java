package dev.iova.bench.baseline;

import dev.iova.bench.baseline.avl.AvlIntervalTree;
import dev.iova.bench.baseline.avl.AvlNodeDescriptor;

/**
 * A benchmark baseline, never for production: Linux's {@code iova.c} search on an off-heap AVL
 * tree without gap augmentation, under a lock. It walks the ranges downward one by one from a
 * cached node (one for limits below 4 GiB, one above), with one retry from the top, so a request
 * costs O(n) in the worst case; its placements are Linux's first fit from the cached node, not
 * the highest fit. This is the engine the library used before its B-tree, with the augmentation
 * turned off ({@link AvlIntervalTree}, {@code avl/LinearSearchBaseline.java}): the suites measure
 * the augmented search against the walk on the same off-heap memory.
 */
public final class LinearWalkAllocator implements BaselineAllocator, AutoCloseable
{
    /** What {@link #alloc} returns when nothing fits. */
    public static final long NO_ADDRESS = 0L;

    private final AvlIntervalTree tree;
    private final long startPfn;
    private final long lastPfn;
    private boolean closed;

    /**
     * @param startPfn    the lowest pfn handed out, at least 1.
     * @param lastPfn     the highest pfn handed out.
     * @param dma32EndPfn the first pfn at or above 4 GiB (with a 4 KiB granule: {@code 0x100000}),
     *                    which splits Linux's two cached nodes.
     */
    public LinearWalkAllocator(final long startPfn, final long lastPfn, final long dma32EndPfn)
    {
        this.tree = AvlIntervalTree.linearSearchBaseline(startPfn, lastPfn, 1 << 26, 1 << 14, dma32EndPfn);
        this.startPfn = startPfn;
        this.lastPfn = lastPfn;
    }

    /** @return the lowest pfn handed out. */
    @Override
    public long startPfn()
    {
        return startPfn;
    }

    /** @return the highest pfn handed out (inclusive). */
    @Override
    public long lastPfn()
    {
        return lastPfn;
    }

    /**
     * Linux's {@code alloc_iova}: first fit walking down from the cached node.
     *
     * @param pages       at least 1.
     * @param limitPfn    the highest pfn the range may use.
     * @param sizeAligned align the first pfn to {@code pages} rounded up to a power of two.
     * @return the first pfn, or {@link #NO_ADDRESS}.
     */
    @Override
    public synchronized long alloc(final long pages, final long limitPfn, final boolean sizeAligned)
    {
        checkOpen();
        if (pages < 1 || limitPfn < startPfn)
        {
            throw new IllegalArgumentException("pages=" + pages + " must be at least 1 and limitPfn=0x" + Long.toHexString(limitPfn) +
                " at least startPfn=0x" + Long.toHexString(startPfn));
        }
        return tree.alloc(pages, Math.min(limitPfn, lastPfn), sizeAligned);
    }

    /** @param pfn any pfn of a live allocation. */
    public synchronized void free(final long pfn)
    {
        checkOpen();
        tree.free(pfn, 0, AvlNodeDescriptor.KIND_ALLOCATED);
    }

    /**
     * @param pfn   the first pfn of a live allocation.
     * @param pages its length.
     */
    @Override
    public synchronized void free(final long pfn, final long pages)
    {
        checkOpen();
        tree.free(pfn, pages, AvlNodeDescriptor.KIND_ALLOCATED);
    }

    /**
     * @param loPfn first pfn.
     * @param hiPfn last pfn (inclusive).
     */
    @Override
    public synchronized void reserve(final long loPfn, final long hiPfn)
    {
        checkOpen();
        tree.reserve(loPfn, hiPfn);
    }

    /** @return live allocations. */
    public synchronized long liveRanges()
    {
        checkOpen();
        return tree.allocatedRanges();
    }

    /** Checks the tree's invariants. */
    public synchronized void verify()
    {
        checkOpen();
        tree.verify();
    }

    @Override
    public synchronized void close()
    {
        if (!closed)
        {
            closed = true;
            tree.release();
        }
    }

    private void checkOpen()
    {
        if (closed)
        {
            throw new IllegalStateException("allocator is closed");
        }
    }
}
