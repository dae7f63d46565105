package dev.iova.bench.baseline.avl;

import dev.iova.tree.Gaps;

import static dev.iova.bench.baseline.avl.AvlNodeDescriptor.NIL;

/**
 * A benchmark baseline, not for production: the search of Linux's {@code iova.c}
 * ({@code __alloc_and_insert_iova_range}) on our tree with the gap augmentation turned off.
 *
 * <p>It starts from a cached node (one for limits at or below 4 GiB, one above), walks the
 * ranges downward one by one until a gap below the current range holds the request, and, when
 * the walk reaches the bottom, retries once from the top down to where it started. Each
 * allocation moves the cached node of its half to the new range; each free moves it up past the
 * freed range, as {@code __cached_rbnode_insert_update} and {@code __cached_rbnode_delete_update}
 * do. Linux's {@code max32_alloc_size} short-cut is left out, so that a benchmark sees the walk
 * itself. The walk is O(n) in the worst case, and placements depend on history: this is what
 * the augmented search is measured against.
 *
 * <p>Our tree has no parent pointers, so stepping to the previous range keeps the path from the
 * root in an array; each step is amortised O(1), like Linux's {@code rb_prev}.
 */
final class LinearSearchBaseline
{
    private final AvlIntervalTree tree;
    private final AvlNodeStore store;
    private final long dma32EndPfn;
    private final int[] walk = new int[64];
    private int walkDepth;
    private int cached32Node;
    private int cachedNode;

    /**
     * @param tree        the tree to search, built without augmentation.
     * @param store       its node store.
     * @param dma32EndPfn the first pfn at or above 4 GiB (Linux's {@code dma_32bit_pfn}).
     */
    LinearSearchBaseline(final AvlIntervalTree tree, final AvlNodeStore store, final long dma32EndPfn)
    {
        this.tree = tree;
        this.store = store;
        this.dma32EndPfn = dma32EndPfn;
        this.cached32Node = tree.anchorNode();
        this.cachedNode = tree.anchorNode();
    }

    /** As {@link AvlIntervalTree#alloc(long, long, boolean, long)}, by Linux's walk. */
    long alloc(final long pages, final long limitPfn, final boolean sizeAligned, final long kind)
    {
        final long limitEndPfn = limitPfn + 1;
        final long alignMask = sizeAligned ? -Gaps.sizeAlignment(pages) : -1L;
        int current = limitEndPfn <= dma32EndPfn ? cached32Node : cachedNode;
        final long retryLowPfn = store.hiPfn(current) + 1;
        long highPfn = limitEndPfn;
        long lowPfn = tree.startPfn();
        seek(current);
        while (true)
        {
            int previous;
            long newPfn;
            do
            {
                highPfn = Math.min(highPfn, store.loPfn(current));
                newPfn = (highPfn - pages) & alignMask;
                previous = current;
                current = stepBack();
            }
            while (current != NIL && newPfn <= store.hiPfn(current) && newPfn >= lowPfn);

            if (highPfn < pages || newPfn < lowPfn)
            {
                if (lowPfn == tree.startPfn() && retryLowPfn < limitEndPfn)
                {
                    highPfn = limitEndPfn; // once more, from the top down to where the first walk began
                    lowPfn = retryLowPfn;
                    current = tree.anchorNode();
                    seek(current);
                    continue;
                }
                return AvlIntervalTree.NO_ADDRESS;
            }
            final long pfn = tree.insertInGapOf(previous, newPfn, pages, kind);
            if (pfn != AvlIntervalTree.NO_ADDRESS)
            {
                if (pfn + pages - 1 < dma32EndPfn)
                {
                    cached32Node = tree.lastInsertedNode();
                }
                else
                {
                    cachedNode = tree.lastInsertedNode();
                }
            }
            return pfn;
        }
    }

    /**
     * Moves the cached nodes off a range about to be removed.
     *
     * @param node      the range being removed.
     * @param successor the next range up, which inherits its space.
     */
    void onRemove(final int node, final int successor)
    {
        if (node == cached32Node || (store.hiPfn(node) < dma32EndPfn && store.loPfn(node) >= store.loPfn(cached32Node)))
        {
            cached32Node = successor;
        }
        if (store.loPfn(node) >= store.loPfn(cachedNode))
        {
            cachedNode = successor;
        }
    }

    /** Puts the path from the root to {@code node} on the walk stack, {@code node} on top. */
    private void seek(final int node)
    {
        final long loPfn = store.loPfn(node);
        walkDepth = 0;
        int current = tree.rootNode();
        while (current != node)
        {
            walk[walkDepth++] = current;
            current = loPfn < store.loPfn(current) ? store.left(current) : store.right(current);
        }
        walk[walkDepth++] = node;
    }

    /** @return the range just below the one on top of the walk stack (which it replaces), or NIL. */
    private int stepBack()
    {
        final int node = walk[walkDepth - 1];
        int below = store.left(node);
        if (below != NIL)
        {
            walk[walkDepth++] = below;
            while (store.right(below) != NIL)
            {
                below = store.right(below);
                walk[walkDepth++] = below;
            }
            return below;
        }
        int child = walk[--walkDepth];
        while (walkDepth > 0)
        {
            final int parent = walk[walkDepth - 1];
            if (store.right(parent) == child)
            {
                return parent;
            }
            child = walk[--walkDepth];
        }
        return NIL;
    }
}
