package dev.iova.bench.baseline.avl;

import dev.iova.tree.Gaps;

/**
 * An off-heap AVL tree of disjoint pfn ranges, augmented so that the highest free position
 * for any request is found in O(log n), and the engine behind {@code dev.iova.IovaDomain}.
 *
 * <h2>Shape</h2>
 * Every node is one range, allocated or reserved, keyed by its first pfn. Each node also owns
 * the free gap just below it, {@code [gapLoPfn, loPfn - 1]}, where {@code gapLoPfn} is the
 * predecessor's {@code hiPfn + 1}. An <em>anchor</em> node at {@code lastPfn + 1} (as Linux's
 * {@code IOVA_ANCHOR}) owns the gap at the top, so every free pfn belongs to exactly one node's
 * gap. Each node keeps two maxima over its subtree's gaps: the longest gap (for unaligned
 * requests) and the largest size-aligned request that fits ({@link Gaps}), which is exact.
 *
 * <h2>Search: highest fit below a limit</h2>
 * One descent from the root splits the nodes at {@code limitPfn + 1}: nodes whose gap lies
 * entirely at or below the limit are pushed on a stack as the descent turns right past them;
 * the lowest node above the limit, the last one the descent turns left at, owns the one gap that
 * straddles the limit. That gap, clipped to the limit, is tried first (it is the highest); then
 * the stack is popped, highest first: each popped node's own gap, then its left subtree, which
 * holds only gaps between it and the previous stack entry. A left subtree is entered only when
 * its maximum says a gap in it fits, and then a second descent goes straight to the highest
 * fitting gap. Two root-to-leaf paths and one pass over a stack of at most the tree's height:
 * O(log n), whether the request fits or not, however the space is fragmented.
 *
 * <h2>Updates</h2>
 * Insert and delete are AVL's, done iteratively over an explicit root-to-node path: going back
 * up it, each node rebalances and recomputes its height and maxima from its own gap and its
 * children. Inserting or deleting a range changes the gap of its successor, which is always on
 * that path (or is the node that replaces the deleted one), so the same pass repairs it. The
 * pass stops at the first node that neither rotates nor changes, once the changed gap's owner is
 * behind it: nothing above can change.
 *
 * <p>Not thread-safe: {@code IovaDomain} serialises every call.
 */
public final class AvlIntervalTree
{
    /** The index that means "no node". */
    public static final int NIL = AvlNodeDescriptor.NIL;

    /** The most nodes a tree can address (indexes are positive ints; slot 0 is {@link #NIL}). */
    public static final int MAX_NODES = 1 << 30;

    /** Default nodes per off-heap chunk: 16 Ki nodes, 768 KiB. */
    public static final int DEFAULT_CHUNK_NODES = 1 << 14;

    /** Returned by {@link #alloc} when nothing fits; pfn 0 is never handed out. */
    public static final long NO_ADDRESS = 0L;

    /** An AVL tree of 2^30 nodes is at most 44 high; the descent stack has room to spare. */
    private static final int MAX_HEIGHT = 64;

    private final AvlNodeStore store;
    /** False only for the benchmark baseline: no subtree maxima, Linux's linear search. */
    private final boolean augmented;
    private final LinearSearchBaseline linearBaseline;
    private int lastInsertedNode = NIL;
    private final long startPfn;
    private final long lastPfn;
    private final int anchor;
    private final int[] descentStack = new int[MAX_HEIGHT];
    /** Root-to-node path of the insert or delete in progress: path[0] is the root. */
    private final int[] path = new int[MAX_HEIGHT];
    /** Set by {@link #rebalance(int)}: whether the node's height or maxima changed, or it rotated. */
    private boolean rebalanceChanged;
    private int root;
    private long allocatedRanges;
    private long reservedRanges;

    /**
     * @param startPfn   the lowest pfn handed out, at least 1.
     * @param lastPfn    the highest pfn handed out, at most {@link AvlNodeDescriptor#MAX_PFN}.
     * @param maxRanges  the most ranges (allocated plus reserved) live at once.
     * @param chunkNodes nodes per off-heap chunk, a power of two.
     */
    public AvlIntervalTree(final long startPfn, final long lastPfn, final int maxRanges, final int chunkNodes)
    {
        this(startPfn, lastPfn, maxRanges, chunkNodes, 0);
    }

    /**
     * A benchmark baseline: the same tree without the gap augmentation, searched as Linux's
     * {@code iova.c} does, linearly from a cached node (see {@code LinearSearchBaseline}).
     * Never for production: a request can cost O(n), and placements depend on history.
     *
     * @param startPfn    the lowest pfn handed out, at least 1.
     * @param lastPfn     the highest pfn handed out, at most {@link AvlNodeDescriptor#MAX_PFN}.
     * @param maxRanges   the most ranges (allocated plus reserved) live at once.
     * @param chunkNodes  nodes per off-heap chunk, a power of two.
     * @param dma32EndPfn the first pfn at or above 4 GiB, which splits Linux's two cached nodes.
     * @return a tree whose {@code alloc} walks like Linux's.
     */
    public static AvlIntervalTree linearSearchBaseline(
        final long startPfn, final long lastPfn, final int maxRanges, final int chunkNodes, final long dma32EndPfn)
    {
        return new AvlIntervalTree(startPfn, lastPfn, maxRanges, chunkNodes, Math.max(1, dma32EndPfn));
    }

    private AvlIntervalTree(final long startPfn, final long lastPfn, final int maxRanges, final int chunkNodes, final long dma32EndPfn)
    {
        if (startPfn < 1 || lastPfn < startPfn || lastPfn > AvlNodeDescriptor.MAX_PFN)
        {
            throw new IllegalArgumentException("need 1 <= startPfn <= lastPfn <= 0x" + Long.toHexString(AvlNodeDescriptor.MAX_PFN) +
                ", got startPfn=0x" + Long.toHexString(startPfn) + " lastPfn=0x" + Long.toHexString(lastPfn));
        }
        if (maxRanges < 1 || maxRanges > MAX_NODES - 2)
        {
            throw new IllegalArgumentException("maxRanges=" + maxRanges + " must be in [1, " + (MAX_NODES - 2) + "]");
        }
        this.startPfn = startPfn;
        this.lastPfn = lastPfn;
        this.store = new AvlNodeStore(chunkNodes, maxRanges + 1);
        this.anchor = store.allocate();
        store.setLoPfn(anchor, lastPfn + 1);
        store.setHiPfn(anchor, lastPfn + 1);
        store.setGapWord(anchor, AvlNodeDescriptor.gapWord(startPfn, 1, AvlNodeDescriptor.KIND_RESERVED));
        this.augmented = dma32EndPfn == 0;
        update(anchor);
        root = anchor;
        this.linearBaseline = augmented ? null : new LinearSearchBaseline(this, store, dma32EndPfn);
    }

    int anchorNode()
    {
        return anchor;
    }

    int rootNode()
    {
        return root;
    }

    long startPfn()
    {
        return startPfn;
    }

    int lastInsertedNode()
    {
        return lastInsertedNode;
    }

    /** @return whether the tree keeps its subtree maxima and searches with them (false only for the baseline). */
    public boolean isAugmented()
    {
        return augmented;
    }

    // ---------------------------------------------------------------------------------------------
    // Allocation
    // ---------------------------------------------------------------------------------------------

    /**
     * Allocates at the highest position that fits, top-down from {@code limitPfn}.
     *
     * @param pages       at least 1.
     * @param limitPfn    highest pfn the range may use (inclusive), in {@code [startPfn, lastPfn]}.
     * @param sizeAligned align the first pfn to {@code pages} rounded up to a power of two.
     * @return the first pfn, or {@link #NO_ADDRESS} when nothing fits or no node is left.
     */
    public long alloc(final long pages, final long limitPfn, final boolean sizeAligned)
    {
        return alloc(pages, limitPfn, sizeAligned, AvlNodeDescriptor.KIND_ALLOCATED);
    }

    /**
     * As {@link #alloc(long, long, boolean)}, creating a range of the given kind.
     *
     * @param pages       at least 1.
     * @param limitPfn    highest pfn the range may use (inclusive), in {@code [startPfn, lastPfn]}.
     * @param sizeAligned align the first pfn to {@code pages} rounded up to a power of two.
     * @param kind        {@link AvlNodeDescriptor#KIND_ALLOCATED} or {@link AvlNodeDescriptor#KIND_CACHED}.
     * @return the first pfn, or {@link #NO_ADDRESS} when nothing fits or no node is left.
     */
    public long alloc(final long pages, final long limitPfn, final boolean sizeAligned, final long kind)
    {
        if (pages > limitPfn - startPfn + 1)
        {
            return NO_ADDRESS;
        }
        if (!augmented)
        {
            return linearBaseline.alloc(pages, limitPfn, sizeAligned, kind);
        }
        final long alignPages = sizeAligned ? Gaps.sizeAlignment(pages) : 1;
        final AvlNodeStore store = this.store;

        // Split at limitPfn + 1: the path's right turns are stacked, its last left turn owns the straddling gap.
        final int[] stack = descentStack;
        int depth = 0;
        int straddling = NIL;
        int node = root;
        while (node != NIL)
        {
            if (store.loPfn(node) > limitPfn + 1)
            {
                straddling = node;
                node = store.left(node);
            }
            else
            {
                stack[depth++] = node;
                node = store.right(node);
            }
        }

        if (straddling != NIL)
        {
            final long pfn = Gaps.highestFit(store.gapLoPfn(straddling), limitPfn, pages, alignPages);
            if (pfn != Gaps.NO_FIT)
            {
                return insertInGapOf(straddling, pfn, pages, kind);
            }
        }
        while (depth > 0)
        {
            final int candidate = stack[--depth];
            final long pfn = Gaps.highestFit(store.gapLoPfn(candidate), store.loPfn(candidate) - 1, pages, alignPages);
            if (pfn != Gaps.NO_FIT)
            {
                return insertInGapOf(candidate, pfn, pages, kind);
            }
            final int left = store.left(candidate);
            if (subtreeFits(left, pages, sizeAligned))
            {
                return allocInSubtree(left, pages, alignPages, sizeAligned, kind);
            }
        }
        return NO_ADDRESS;
    }

    private boolean subtreeFits(final int node, final long pages, final boolean sizeAligned)
    {
        return (sizeAligned ? store.maxFitPages(node) : store.maxGapPages(node)) >= pages;
    }

    /** Descends a subtree known to hold a fitting gap (all of it below the limit) to the highest one. */
    private long allocInSubtree(final int subtree, final long pages, final long alignPages, final boolean sizeAligned, final long kind)
    {
        final AvlNodeStore store = this.store;
        int node = subtree;
        while (node != NIL)
        {
            final int right = store.right(node);
            if (subtreeFits(right, pages, sizeAligned))
            {
                node = right;
                continue;
            }
            final long pfn = Gaps.highestFit(store.gapLoPfn(node), store.loPfn(node) - 1, pages, alignPages);
            if (pfn != Gaps.NO_FIT)
            {
                return insertInGapOf(node, pfn, pages, kind);
            }
            node = store.left(node);
        }
        throw new IllegalStateException("gap augmentation is broken: subtree of node " + subtree + " claims a fit for " + pages +
            " pages that no gap holds");
    }

    /** Inserts the allocation {@code [pfn, pfn + pages - 1]}, which lies in the gap below {@code owner}. */
    long insertInGapOf(final int owner, final long pfn, final long pages, final long kind)
    {
        final int node = store.allocate();
        if (node == NIL)
        {
            return NO_ADDRESS;
        }
        store.setLoPfn(node, pfn);
        store.setHiPfn(node, pfn + pages - 1);
        store.setGapWord(node, AvlNodeDescriptor.gapWord(store.gapLoPfn(owner), 1, kind));
        store.setGapLoPfn(owner, pfn + pages);
        insertNode(node, pfn, owner);
        allocatedRanges++;
        lastInsertedNode = node;
        return pfn;
    }

    // ---------------------------------------------------------------------------------------------
    // Free, find, reserve
    // ---------------------------------------------------------------------------------------------

    /**
     * Frees an allocation.
     *
     * @param pfn   any pfn of the allocation when {@code pages == 0}; its first pfn otherwise.
     * @param pages 0 to free whatever holds {@code pfn}; otherwise the exact length expected.
     * @param kind  the kind the range must have: {@link AvlNodeDescriptor#KIND_ALLOCATED} or
     *              {@link AvlNodeDescriptor#KIND_CACHED}.
     * @throws IllegalArgumentException when no allocation of that kind matches; the tree is then unchanged.
     */
    public void free(final long pfn, final long pages, final long kind)
    {
        // One descent finds the node and its successor (the last node the path turned left at,
        // unless the node has a right subtree), which inherits the freed range as gap.
        final AvlNodeStore store = this.store;
        final int[] path = this.path;
        int depth = 0;
        int successor = NIL;
        int node = root;
        while (node != NIL)
        {
            if (pfn < store.loPfn(node))
            {
                successor = node;
                path[depth++] = node;
                node = store.left(node);
            }
            else if (pfn > store.hiPfn(node))
            {
                path[depth++] = node;
                node = store.right(node);
            }
            else
            {
                break;
            }
        }
        if (node == NIL || node == anchor)
        {
            throw new IllegalArgumentException("no allocation holds pfn=0x" + Long.toHexString(pfn) +
                " (never allocated, already freed, or outside the domain)");
        }
        final long loPfn = store.loPfn(node);
        final long hiPfn = store.hiPfn(node);
        if (store.isReserved(node))
        {
            throw new IllegalArgumentException("pfn=0x" + Long.toHexString(pfn) + " is in reserved range [0x" +
                Long.toHexString(loPfn) + ", 0x" + Long.toHexString(hiPfn) + "], which cannot be freed");
        }
        if (pages != 0 && (loPfn != pfn || hiPfn - loPfn + 1 != pages))
        {
            throw new IllegalArgumentException("free(pfn=0x" + Long.toHexString(pfn) + ", pages=" + pages +
                ") does not match allocation [0x" + Long.toHexString(loPfn) + ", 0x" + Long.toHexString(hiPfn) + "] of " +
                (hiPfn - loPfn + 1) + " pages");
        }
        if (store.kind(node) != kind)
        {
            throw new IllegalArgumentException("pfn=0x" + Long.toHexString(pfn) + " is in range [0x" + Long.toHexString(loPfn) +
                ", 0x" + Long.toHexString(hiPfn) + "], which " + (kind == AvlNodeDescriptor.KIND_CACHED ?
                "the range caches do not own" :
                "belongs to the range caches: handed out by allocFast (free it with freeFast), or already freed into a cache"));
        }
        removeAt(depth, node, store.right(node) == NIL ? successor : NIL);
        allocatedRanges--;
    }

    /**
     * @param pfn any pfn.
     * @return the node (allocated or reserved, never the anchor) whose range holds {@code pfn}, or {@link #NIL}.
     */
    public int find(final long pfn)
    {
        final AvlNodeStore store = this.store;
        int node = root;
        while (node != NIL)
        {
            if (pfn < store.loPfn(node))
            {
                node = store.left(node);
            }
            else if (pfn > store.hiPfn(node))
            {
                node = store.right(node);
            }
            else
            {
                return node == anchor ? NIL : node;
            }
        }
        return NIL;
    }

    /** @return the first pfn of {@code node}'s range. */
    public long loPfn(final int node)
    {
        return store.loPfn(node);
    }

    /** @return the last pfn of {@code node}'s range (inclusive). */
    public long hiPfn(final int node)
    {
        return store.hiPfn(node);
    }

    /** @return whether {@code node}'s range belongs to the range caches ({@link AvlNodeDescriptor#KIND_CACHED}). */
    public boolean isCacheOwned(final int node)
    {
        return store.kind(node) == AvlNodeDescriptor.KIND_CACHED;
    }

    /** @return whether {@code node}'s range is reserved rather than allocated. */
    public boolean isReserved(final int node)
    {
        return store.isReserved(node);
    }

    /**
     * @param loPfn first pfn.
     * @param hiPfn last pfn (inclusive).
     * @throws IllegalArgumentException naming the first allocation inside {@code [loPfn, hiPfn]}.
     */
    public void checkNoAllocationOverlaps(final long loPfn, final long hiPfn)
    {
        for (int node = lowestEndingAtOrAbove(loPfn); node != NIL && store.loPfn(node) <= hiPfn; node = successor(node))
        {
            if (!store.isReserved(node))
            {
                throw new IllegalArgumentException("cannot reserve [0x" + Long.toHexString(loPfn) + ", 0x" + Long.toHexString(hiPfn) +
                    "]: it overlaps live allocation [0x" + Long.toHexString(store.loPfn(node)) + ", 0x" +
                    Long.toHexString(store.hiPfn(node)) + "]");
            }
        }
    }

    /**
     * Reserves {@code [loPfn, hiPfn]}, merging it with every reserved range it overlaps or touches.
     *
     * @param loPfn first pfn, at least {@code startPfn}.
     * @param hiPfn last pfn (inclusive), at most {@code lastPfn}.
     * @throws IllegalArgumentException when the range overlaps an allocation or leaves the domain.
     * @throws IllegalStateException    when no node is left for it; in both cases nothing changes.
     */
    public void reserve(final long loPfn, final long hiPfn)
    {
        if (hiPfn < loPfn || loPfn < startPfn || hiPfn > lastPfn)
        {
            throw new IllegalArgumentException("cannot reserve [0x" + Long.toHexString(loPfn) + ", 0x" + Long.toHexString(hiPfn) +
                "] in a domain of [0x" + Long.toHexString(startPfn) + ", 0x" + Long.toHexString(lastPfn) + "]");
        }
        checkNoAllocationOverlaps(loPfn, hiPfn);

        long mergedLoPfn = loPfn;
        long mergedHiPfn = hiPfn;
        int touching = reservedTouching(loPfn, hiPfn);
        if (touching == NIL && store.liveNodes() >= store.maxNodes())
        {
            throw new IllegalStateException("cannot reserve [0x" + Long.toHexString(loPfn) + ", 0x" + Long.toHexString(hiPfn) +
                "]: the domain already holds its maximum of " + (store.maxNodes() - 1) + " ranges");
        }
        while (touching != NIL)
        {
            mergedLoPfn = Math.min(mergedLoPfn, store.loPfn(touching));
            mergedHiPfn = Math.max(mergedHiPfn, store.hiPfn(touching));
            removeNode(touching);
            reservedRanges--;
            touching = reservedTouching(mergedLoPfn, mergedHiPfn);
        }

        final int node = store.allocate(); // a node was just freed, or there was room
        final int successor = lowestStartingAbove(mergedHiPfn);
        final int predecessor = highestStartingBelow(mergedLoPfn);
        store.setLoPfn(node, mergedLoPfn);
        store.setHiPfn(node, mergedHiPfn);
        store.setGapWord(node, AvlNodeDescriptor.gapWord(predecessor == NIL ? startPfn : store.hiPfn(predecessor) + 1, 1, AvlNodeDescriptor.KIND_RESERVED));
        store.setGapLoPfn(successor, mergedHiPfn + 1);
        insertNode(node, mergedLoPfn, successor);
        reservedRanges++;
    }

    /**
     * How many new nodes reserving these ranges would take, to check capacity before changing
     * anything: a range that touches an existing reserved range merges into it and takes none.
     *
     * @param loPfns first pfns of ranges that neither overlap nor touch each other.
     * @param hiPfns last pfns (inclusive).
     * @param count  how many ranges.
     * @throws IllegalStateException when the domain has fewer free nodes than that.
     */
    public void checkCapacityToReserve(final long[] loPfns, final long[] hiPfns, final int count)
    {
        long needed = 0;
        for (int i = 0; i < count; i++)
        {
            if (reservedTouching(loPfns[i], hiPfns[i]) == NIL)
            {
                needed++;
            }
        }
        final long free = store.maxNodes() - store.liveNodes();
        if (needed > free)
        {
            throw new IllegalStateException("cannot reserve " + count + " ranges: they need " + needed +
                " new ranges and the domain has room for " + free + " more (maxRanges=" + (store.maxNodes() - 1) + ")");
        }
    }

    /** @return a reserved node (not the anchor) overlapping or touching {@code [loPfn, hiPfn]}, or NIL. */
    private int reservedTouching(final long loPfn, final long hiPfn)
    {
        for (int node = lowestEndingAtOrAbove(loPfn - 1); node != NIL && store.loPfn(node) <= hiPfn + 1; node = successor(node))
        {
            if (store.isReserved(node) && node != anchor)
            {
                return node;
            }
        }
        return NIL;
    }

    // ---------------------------------------------------------------------------------------------
    // Introspection
    // ---------------------------------------------------------------------------------------------

    /** @return live allocations. */
    public long allocatedRanges()
    {
        return allocatedRanges;
    }

    /** @return reserved ranges, after merging. */
    public long reservedRanges()
    {
        return reservedRanges;
    }

    /** @return off-heap bytes held. */
    public long offHeapBytes()
    {
        return store.offHeapBytes();
    }

    /**
     * Free pfns in {@code [startPfn, limitPfn]}, by walking every node in order: O(n).
     *
     * @param limitPfn in {@code [startPfn, lastPfn]}.
     * @return free pfns at or below {@code limitPfn}.
     */
    public long freePages(final long limitPfn)
    {
        return walkGapsAtOrBelow(limitPfn, true);
    }

    /**
     * Visits the gap of every node in order, clipped to {@code limitPfn}, stopping at the first
     * gap above it: O(n), for inspection.
     *
     * @return the sum of the gaps' lengths when {@code sum}, else the longest.
     */
    private long walkGapsAtOrBelow(final long limitPfn, final boolean sum)
    {
        long result = 0;
        final int[] stack = descentStack;
        int depth = 0;
        int node = root;
        while (node != NIL || depth > 0)
        {
            while (node != NIL)
            {
                stack[depth++] = node;
                node = store.left(node);
            }
            node = stack[--depth];
            final long gapLoPfn = store.gapLoPfn(node);
            if (gapLoPfn > limitPfn)
            {
                break;
            }
            final long gapPages = Math.min(store.loPfn(node) - 1, limitPfn) - gapLoPfn + 1;
            result = sum ? result + gapPages : Math.max(result, gapPages);
            node = store.right(node);
        }
        return result;
    }

    /**
     * The longest free run at or below {@code limitPfn}, in O(log n), by the descent of {@link #alloc}.
     *
     * @param limitPfn in {@code [startPfn, lastPfn]}.
     * @return its length in pages.
     */
    public long largestFreeGapPages(final long limitPfn)
    {
        if (!augmented)
        {
            return walkGapsAtOrBelow(limitPfn, false);
        }
        long bestPages = 0;
        int node = root;
        while (node != NIL)
        {
            if (store.loPfn(node) > limitPfn + 1)
            {
                bestPages = Math.max(bestPages, limitPfn - store.gapLoPfn(node) + 1);
                node = store.left(node);
            }
            else
            {
                bestPages = Math.max(bestPages, store.loPfn(node) - store.gapLoPfn(node));
                bestPages = Math.max(bestPages, store.maxGapPages(store.left(node)));
                node = store.right(node);
            }
        }
        return bestPages;
    }

    /** Receives ranges in ascending order. */
    @FunctionalInterface
    public interface RangeConsumer
    {
        /**
         * @param loPfn    first pfn.
         * @param hiPfn    last pfn (inclusive).
         * @param reserved reserved rather than allocated.
         */
        void accept(long loPfn, long hiPfn, boolean reserved);
    }

    /**
     * Visits every range, allocated and reserved, in ascending order (the anchor excluded).
     *
     * @param consumer receives each range; must not modify the tree.
     */
    public void forEach(final RangeConsumer consumer)
    {
        final int[] stack = new int[MAX_HEIGHT];
        int depth = 0;
        int node = root;
        while (node != NIL || depth > 0)
        {
            while (node != NIL)
            {
                stack[depth++] = node;
                node = store.left(node);
            }
            node = stack[--depth];
            if (node != anchor)
            {
                consumer.accept(store.loPfn(node), store.hiPfn(node), store.isReserved(node));
            }
            node = store.right(node);
        }
    }

    /**
     * Checks every invariant: ranges ordered, disjoint and inside the domain; each gap starting
     * right after its predecessor; AVL balance and stored heights; both maxima; the counts.
     *
     * @throws IllegalStateException naming the first broken invariant.
     */
    public void verify()
    {
        final Verifier verifier = new Verifier();
        verifier.check(root);
        if (verifier.lastVisited != anchor)
        {
            throw broken("the anchor is not the highest node", verifier.lastVisited);
        }
        if (store.loPfn(anchor) != lastPfn + 1 || store.hiPfn(anchor) != lastPfn + 1 || !store.isReserved(anchor))
        {
            throw broken("the anchor moved", anchor);
        }
        if (verifier.allocated != allocatedRanges || verifier.reserved != reservedRanges + 1)
        {
            throw new IllegalStateException("counts disagree: tree holds " + verifier.allocated + " allocations and " +
                (verifier.reserved - 1) + " reserved ranges, counters say " + allocatedRanges + " and " + reservedRanges);
        }
        if (verifier.nodes != store.liveNodes())
        {
            throw new IllegalStateException("node store has " + store.liveNodes() + " live nodes, the tree holds " + verifier.nodes);
        }
    }

    /** Frees all off-heap memory; the tree is unusable afterwards. */
    public void release()
    {
        store.releaseAll();
        root = NIL;
    }

    private final class Verifier
    {
        private long previousHiPfn = startPfn - 1;
        private int lastVisited = NIL;
        private long allocated;
        private long reserved;
        private long nodes;

        int check(final int node)
        {
            if (node == NIL)
            {
                return 0;
            }
            if (++nodes > store.liveNodes())
            {
                throw broken("the tree has more nodes than the store (a cycle?)", node);
            }
            final int left = store.left(node);
            final int right = store.right(node);
            final int leftHeight = check(left);

            final long loPfn = store.loPfn(node);
            final long hiPfn = store.hiPfn(node);
            if (hiPfn < loPfn)
            {
                throw broken("hiPfn is below loPfn", node);
            }
            if (loPfn <= previousHiPfn)
            {
                throw broken("overlaps or is out of order with the range ending at 0x" + Long.toHexString(previousHiPfn), node);
            }
            if (node != anchor && (loPfn < startPfn || hiPfn > lastPfn))
            {
                throw broken("lies outside the domain", node);
            }
            if (store.gapLoPfn(node) != previousHiPfn + 1)
            {
                throw broken("gapLoPfn should be 0x" + Long.toHexString(previousHiPfn + 1), node);
            }
            previousHiPfn = hiPfn;
            lastVisited = node;
            if (store.isReserved(node))
            {
                reserved++;
            }
            else
            {
                allocated++;
            }

            final int rightHeight = check(right);
            if (Math.abs(leftHeight - rightHeight) > 1)
            {
                throw broken("unbalanced: left height " + leftHeight + ", right height " + rightHeight, node);
            }
            final int height = 1 + Math.max(leftHeight, rightHeight);
            if (store.height(node) != height)
            {
                throw broken("stored height " + store.height(node) + " should be " + height, node);
            }
            if (!augmented)
            {
                return height;
            }
            final long gapHiPfn = loPfn - 1;
            final long maxGapPages = Math.max(loPfn - store.gapLoPfn(node), Math.max(store.maxGapPages(left), store.maxGapPages(right)));
            if (store.maxGapPages(node) != maxGapPages)
            {
                throw broken("maxGapPages " + store.maxGapPages(node) + " should be " + maxGapPages, node);
            }
            final long maxFitPages = Math.max(Gaps.alignedFitPages(store.gapLoPfn(node), gapHiPfn),
                Math.max(store.maxFitPages(left), store.maxFitPages(right)));
            if (store.maxFitPages(node) != maxFitPages)
            {
                throw broken("maxFitPages " + store.maxFitPages(node) + " should be " + maxFitPages, node);
            }
            return height;
        }
    }

    private IllegalStateException broken(final String what, final int node)
    {
        return new IllegalStateException("tree invariant broken at node " + node + " [0x" + Long.toHexString(store.loPfn(node)) +
            ", 0x" + Long.toHexString(store.hiPfn(node)) + "] gapLoPfn=0x" + Long.toHexString(store.gapLoPfn(node)) + ": " + what);
    }

    // ---------------------------------------------------------------------------------------------
    // Ordered lookups
    // ---------------------------------------------------------------------------------------------

    /** @return the lowest node whose {@code hiPfn >= pfn}, or NIL. */
    private int lowestEndingAtOrAbove(final long pfn)
    {
        int best = NIL;
        int node = root;
        while (node != NIL)
        {
            if (store.hiPfn(node) >= pfn)
            {
                best = node;
                node = store.left(node);
            }
            else
            {
                node = store.right(node);
            }
        }
        return best;
    }

    /** @return the lowest node whose {@code loPfn > pfn}, or NIL. */
    private int lowestStartingAbove(final long pfn)
    {
        int best = NIL;
        int node = root;
        while (node != NIL)
        {
            if (store.loPfn(node) > pfn)
            {
                best = node;
                node = store.left(node);
            }
            else
            {
                node = store.right(node);
            }
        }
        return best;
    }

    /** @return the highest node whose {@code loPfn < pfn}, or NIL. */
    private int highestStartingBelow(final long pfn)
    {
        int best = NIL;
        int node = root;
        while (node != NIL)
        {
            if (store.loPfn(node) < pfn)
            {
                best = node;
                node = store.right(node);
            }
            else
            {
                node = store.left(node);
            }
        }
        return best;
    }

    private int successor(final int node)
    {
        return lowestStartingAbove(store.loPfn(node));
    }

    // ---------------------------------------------------------------------------------------------
    // AVL insert and delete, keeping the augmentation
    // ---------------------------------------------------------------------------------------------

    /**
     * Inserts {@code node} (key {@code loPfn}, gap already set) as a leaf, then repairs the path.
     *
     * @param owner the node whose gap changed for this insert (the new node's successor, always
     *              on the path), or NIL.
     */
    private void insertNode(final int node, final long loPfn, final int owner)
    {
        final AvlNodeStore store = this.store;
        final int[] path = this.path;
        int depth = 0;
        int current = root;
        while (current != NIL)
        {
            path[depth++] = current;
            current = loPfn < store.loPfn(current) ? store.left(current) : store.right(current);
        }
        update(node);
        if (depth == 0)
        {
            root = node;
            return;
        }
        final int parent = path[depth - 1];
        if (loPfn < store.loPfn(parent))
        {
            store.setLeft(parent, node);
        }
        else
        {
            store.setRight(parent, node);
        }
        repairUpward(depth, owner);
    }

    /** Removes {@code node}, found by its key, handing its gap to its successor. */
    private void removeNode(final int node)
    {
        final AvlNodeStore store = this.store;
        final long loPfn = store.loPfn(node);
        int depth = 0;
        int current = root;
        while (current != node)
        {
            path[depth++] = current;
            current = loPfn < store.loPfn(current) ? store.left(current) : store.right(current);
        }
        removeAt(depth, node, NIL);
    }

    /**
     * Unlinks {@code node}, whose ancestors are {@code path[0..depth-1]}, hands its gap (and its
     * range, now free) to its successor, frees it and repairs the path.
     *
     * @param successor the node's successor when the caller knows it, else {@link #NIL}.
     */
    private void removeAt(final int depth, final int node, final int successor)
    {
        final AvlNodeStore store = this.store;
        final int[] path = this.path;
        final int left = store.left(node);
        final int right = store.right(node);
        if (left == NIL || right == NIL)
        {
            // The successor takes over the merged gap. It is an ancestor, repaired on the way up,
            // or the lone right child, a leaf in an AVL tree, repaired here.
            final int heir = successor != NIL ? successor : successor(node);
            if (linearBaseline != null)
            {
                linearBaseline.onRemove(node, heir);
            }
            store.setGapLoPfn(heir, store.gapLoPfn(node));
            final int child = left != NIL ? left : right;
            if (heir == right)
            {
                update(heir);
            }
            relink(depth, node, child);
            store.release(node);
            repairUpward(depth, heir == right ? NIL : heir);
            return;
        }
        // Two children: the successor, the lowest node of the right subtree, takes this node's
        // place and its gap start, which now begins the merged gap below the successor. Nodes
        // never change identity, so the anchor stays where it is.
        final int nodeDepth = depth;
        int pathDepth = depth + 1;
        int heir = right;
        while (store.left(heir) != NIL)
        {
            path[pathDepth++] = heir;
            heir = store.left(heir);
        }
        if (linearBaseline != null)
        {
            linearBaseline.onRemove(node, heir);
        }
        if (heir != right)
        {
            store.setLeft(path[pathDepth - 1], store.right(heir));
            store.setRight(heir, right);
        }
        store.setLeft(heir, left);
        store.setGapLoPfn(heir, store.gapLoPfn(node));
        // Start from the values the parent last saw, so that "unchanged" below means unchanged for it.
        store.setDerived(heir, store.height(node), store.maxGapPages(node), store.maxFitPages(node));
        path[nodeDepth] = heir;
        relink(nodeDepth, node, heir);
        store.release(node);
        repairUpward(pathDepth, heir);
    }

    /** Makes {@code replacement} the child that {@code old} was of {@code path[depth - 1]} (or the root). */
    private void relink(final int depth, final int old, final int replacement)
    {
        if (depth == 0)
        {
            root = replacement;
            return;
        }
        final int parent = path[depth - 1];
        if (store.left(parent) == old)
        {
            store.setLeft(parent, replacement);
        }
        else
        {
            store.setRight(parent, replacement);
        }
    }

    /**
     * Rebalances and recomputes {@code path[depth-1]} up to the root, and stops early at the
     * first node that neither rotates nor changes its height or maxima, unless the node whose
     * gap changed ({@code gapChanged}) is still above: nothing above such a node can change.
     */
    private void repairUpward(final int depth, final int gapChanged)
    {
        final int[] path = this.path;
        boolean gapChangePending = gapChanged != NIL;
        for (int i = depth - 1; i >= 0; i--)
        {
            final int node = path[i];
            if (node == gapChanged)
            {
                gapChangePending = false;
            }
            final int subtree = rebalance(node);
            if (subtree != node)
            {
                relink(i, node, subtree);
            }
            else if (!rebalanceChanged && !gapChangePending)
            {
                return;
            }
        }
    }

    private int rebalance(final int node)
    {
        // One pass over the node and its two children, each address computed once: this runs
        // at every level of every insert and delete.
        final AvlNodeStore store = this.store;
        final long address = store.address(node);
        final int left = AvlNodeStore.leftAt(address);
        final int right = AvlNodeStore.rightAt(address);
        final long leftAddress = store.address(left);
        final long rightAddress = store.address(right);
        final int leftHeight = AvlNodeStore.heightOf(AvlNodeStore.gapWordAt(leftAddress));
        final int rightHeight = AvlNodeStore.heightOf(AvlNodeStore.gapWordAt(rightAddress));
        if (leftHeight > rightHeight + 1)
        {
            if (store.height(store.left(left)) < store.height(store.right(left)))
            {
                store.setLeft(node, rotateLeft(left));
            }
            rebalanceChanged = true;
            return rotateRight(node);
        }
        if (rightHeight > leftHeight + 1)
        {
            if (store.height(store.right(right)) < store.height(store.left(right)))
            {
                store.setRight(node, rotateRight(right));
            }
            rebalanceChanged = true;
            return rotateLeft(node);
        }
        final long gapWord = AvlNodeStore.gapWordAt(address);
        final long loPfn = AvlNodeStore.loPfnAt(address);
        final long gapLoPfn = gapWord & AvlNodeDescriptor.PFN_MASK;
        final int height = 1 + Math.max(leftHeight, rightHeight);
        final long maxGapPages;
        final long maxFitPages;
        if (augmented)
        {
            maxGapPages = Math.max(loPfn - gapLoPfn, Math.max(AvlNodeStore.maxGapPagesAt(leftAddress), AvlNodeStore.maxGapPagesAt(rightAddress)));
            maxFitPages = Math.max(Gaps.alignedFitPages(gapLoPfn, loPfn - 1),
                Math.max(AvlNodeStore.maxFitPagesAt(leftAddress), AvlNodeStore.maxFitPagesAt(rightAddress)));
        }
        else
        {
            maxGapPages = 0;
            maxFitPages = 0;
        }
        if (height == AvlNodeStore.heightOf(gapWord) && maxGapPages == AvlNodeStore.maxGapPagesAt(address) &&
            maxFitPages == AvlNodeStore.maxFitPagesAt(address))
        {
            rebalanceChanged = false;
            return node;
        }
        AvlNodeStore.putDerivedAt(address, gapWord, height, maxGapPages, maxFitPages);
        rebalanceChanged = true;
        return node;
    }

    private int rotateRight(final int node)
    {
        final int left = store.left(node);
        store.setLeft(node, store.right(left));
        store.setRight(left, node);
        update(node);
        update(left);
        return left;
    }

    private int rotateLeft(final int node)
    {
        final int right = store.right(node);
        store.setRight(node, store.left(right));
        store.setLeft(right, node);
        update(node);
        update(right);
        return right;
    }

    /**
     * Recomputes {@code node}'s height and maxima from its own gap and its children.
     *
     * @return whether any of them changed.
     */
    private boolean update(final int node)
    {
        final int left = store.left(node);
        final int right = store.right(node);
        if (!augmented)
        {
            final int height = 1 + Math.max(store.height(left), store.height(right));
            if (height == store.height(node))
            {
                return false;
            }
            store.setDerived(node, height, 0, 0);
            return true;
        }
        final long loPfn = store.loPfn(node);
        final long gapLoPfn = store.gapLoPfn(node);
        final long maxGapPages = Math.max(loPfn - gapLoPfn, Math.max(store.maxGapPages(left), store.maxGapPages(right)));
        final long maxFitPages = Math.max(Gaps.alignedFitPages(gapLoPfn, loPfn - 1),
            Math.max(store.maxFitPages(left), store.maxFitPages(right)));
        final int height = 1 + Math.max(store.height(left), store.height(right));
        if (height == store.height(node) && maxGapPages == store.maxGapPages(node) && maxFitPages == store.maxFitPages(node))
        {
            return false;
        }
        store.setDerived(node, height, maxGapPages, maxFitPages);
        return true;
    }
}
