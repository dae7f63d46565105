package dev.iova.bench.baseline.avl;

import dev.iova.tree.Gaps;

/**
 * Layout of one tree node off-heap: one allocated or reserved range, the free gap just below
 * it, and what its subtree knows about free space.
 *
 * <pre>
 *   0               8               16                    24                32                40      44      48
 *   +---------------+---------------+---------------------+-----------------+-----------------+-------+-------+
 *   |    loPfn      |    hiPfn      | meta | gapLoPfn     |  maxGapPages    |  maxFitPages    | left  | right |
 *   +---------------+---------------+---------------------+-----------------+-----------------+-------+-------+
 *                                    bits 63..56: meta (bit 63 cache-owned, bit 62 reserved, bits 61..56 AVL height)
 *                                    bits 55..0:  gapLoPfn
 * </pre>
 *
 * <ul>
 *   <li>{@code loPfn..hiPfn}: the range, inclusive. {@code loPfn} is the key.</li>
 *   <li>{@code gapLoPfn}: the first pfn of the free gap below this range, that is the
 *       predecessor's {@code hiPfn + 1} (or the domain's {@code startPfn} for the lowest node);
 *       the gap is {@code [gapLoPfn, loPfn - 1]}, empty when {@code gapLoPfn == loPfn}.</li>
 *   <li>{@code maxGapPages}: the longest gap of any node in this subtree (unaligned requests).</li>
 *   <li>{@code maxFitPages}: the largest size-aligned request that fits in some gap of this
 *       subtree (see {@link Gaps#alignedFitPages(long, long)}).</li>
 *   <li>{@code left}, {@code right}: child node indexes, {@link #NIL} for none. A free node
 *       keeps the next free index in {@code left}.</li>
 * </ul>
 *
 * <p>Linux's {@code struct iova} is 40 bytes (rb_node 24, pfn_hi, pfn_lo) and has no
 * augmentation; these 48 bytes carry two subtree maxima and the gap, which is what lets every
 * search stop after O(log n) nodes. Index 0 is never a real node: it stays all zeros, so
 * reading the height or maxima of {@link #NIL} gives 0 without a branch.
 */
public final class AvlNodeDescriptor
{
    /** The index that means "no node". Slot 0 is kept zeroed and never written. */
    public static final int NIL = 0;

    /** Offset of the first pfn of the range. */
    public static final int LO_PFN_OFFSET = 0;

    /** Offset of the last pfn of the range (inclusive). */
    public static final int HI_PFN_OFFSET = LO_PFN_OFFSET + Long.BYTES;

    /** Offset of the word holding {@code gapLoPfn} in its low 56 bits and the meta byte above. */
    public static final int GAP_LO_META_OFFSET = HI_PFN_OFFSET + Long.BYTES;

    /** Offset of the longest gap in the subtree, in pages. */
    public static final int MAX_GAP_PAGES_OFFSET = GAP_LO_META_OFFSET + Long.BYTES;

    /** Offset of the largest size-aligned request that fits in the subtree, in pages. */
    public static final int MAX_FIT_PAGES_OFFSET = MAX_GAP_PAGES_OFFSET + Long.BYTES;

    /** Offset of the left child index. */
    public static final int LEFT_OFFSET = MAX_FIT_PAGES_OFFSET + Long.BYTES;

    /** Offset of the right child index. */
    public static final int RIGHT_OFFSET = LEFT_OFFSET + Integer.BYTES;

    /** Bytes per node. */
    public static final int NODE_LENGTH = RIGHT_OFFSET + Integer.BYTES;

    /** How many low bits of the gap word hold {@code gapLoPfn}; pfns must fit in them. */
    public static final int PFN_BITS = 56;

    /** Mask of {@code gapLoPfn} in the gap word. */
    public static final long PFN_MASK = (1L << PFN_BITS) - 1;

    /** The highest pfn a tree can hold: a 56-bit pfn, one below the mask so that an anchor above it still fits. */
    public static final long MAX_PFN = PFN_MASK - 1;

    /** Kind of a range handed out through the tree's own API. */
    public static final long KIND_ALLOCATED = 0L;

    /** Kind of a reserved range: never handed out, never freed. */
    public static final long KIND_RESERVED = 1L << 62;

    /**
     * Kind of a range that the range caches own: allocated in the tree, handed out and taken
     * back by the caches, and freed to the tree only by them.
     */
    public static final long KIND_CACHED = 1L << 63;

    /** The meta bits that hold the kind. */
    static final long KIND_MASK = KIND_RESERVED | KIND_CACHED;

    /** Shift of the AVL height in the gap word. */
    static final int HEIGHT_SHIFT = PFN_BITS;

    /** Mask of the AVL height after shifting (6 bits: heights up to 63). */
    static final long HEIGHT_MASK = 0x3f;

    private AvlNodeDescriptor()
    {
    }

    /**
     * @param gapLoPfn the gap's first pfn, at most {@link #PFN_MASK}.
     * @param height   the AVL height, 0 to 63.
     * @param kind     {@link #KIND_ALLOCATED}, {@link #KIND_RESERVED} or {@link #KIND_CACHED}.
     * @return the gap word.
     */
    static long gapWord(final long gapLoPfn, final int height, final long kind)
    {
        return gapLoPfn | ((long)height << HEIGHT_SHIFT) | kind;
    }
}
