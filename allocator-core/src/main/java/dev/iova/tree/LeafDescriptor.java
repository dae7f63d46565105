package dev.iova.tree;

/**
 * Layout of a leaf of the B-tree off-heap: up to {@link #CAPACITY} ranges in ascending order, as
 * two parallel arrays so that a scan of first pfns reads consecutive words.
 *
 * <pre>
 *   0       4        8               16                         136                        256
 *   +-------+--------+---------------+--------------------------+--------------------------+
 *   | count | second |   gapLoPfn    |  loPfn[0..14]            |  hiKind[0..14]           |
 *   +-------+--------+---------------+--------------------------+--------------------------+
 *   hiKind[i]: bits 63..62 the kind ({@link #KIND_RESERVED}, {@link #KIND_CACHED}), bits 55..0 the last pfn
 * </pre>
 *
 * <ul>
 *   <li>{@code count}: ranges held, 1 to {@link #CAPACITY} (0 only while an update is in progress).</li>
 *   <li>{@code gapLoPfn}: the first pfn of the free gap below range 0, that is the previous
 *       leaf's last {@code hiPfn + 1} (the domain's {@code startPfn} for the first leaf).</li>
 *   <li>{@code second}: a bound on the leaf's second-longest gap (every gap but its
 *       longest is at most this many pages). Because a gap's aligned
 *       fit is at most its length, it also bounds the second-largest fit. It lets an insertion
 *       that splits the longest gap find the leaf's new maxima from the two pieces alone,
 *       without reading the other gaps. Kept only while the leaf has a parent.</li>
 *   <li>Range {@code i} is {@code [loPfn[i], hiPfn[i]]}, inclusive, and owns the free gap just
 *       below it: {@code [hiPfn[i - 1] + 1, loPfn[i] - 1]} ({@code gapLoPfn} for {@code i = 0}),
 *       empty when the two touch. Every free pfn of the domain is in exactly one range's gap.</li>
 * </ul>
 *
 * <p>256 bytes, four cache lines, 15 ranges: 17 bytes per range when full. Linux's
 * {@code struct iova} is 40 bytes plus its slab's rounding, and a range of the AVL tree this
 * replaces was 48.
 */
public final class LeafDescriptor
{
    /** Ranges per leaf. */
    public static final int CAPACITY = 15;

    /** Offset of the number of ranges, an int. */
    public static final int COUNT_OFFSET = 0;

    /**
     * Offset of the bound on the second-longest gap, an int: from 0 to 2^31 - 1 the bound in pages;
     * with bit 31 set, {@code 2^(low six bits)} pages (a bound rounded up).
     */
    public static final int SECOND_OFFSET = 4;

    /** Offset of the first pfn of range 0's gap. */
    public static final int GAP_LO_PFN_OFFSET = 8;

    /** Offset of the first pfns, {@link #CAPACITY} longs. */
    public static final int LO_PFN_OFFSET = GAP_LO_PFN_OFFSET + Long.BYTES;

    /** Offset of the last pfns with their kinds, {@link #CAPACITY} longs. */
    public static final int HI_KIND_OFFSET = LO_PFN_OFFSET + CAPACITY * Long.BYTES;

    /** Bytes per leaf. */
    public static final int LEAF_LENGTH = HI_KIND_OFFSET + CAPACITY * Long.BYTES;

    /** How many low bits of {@code hiKind} hold the last pfn. */
    public static final int PFN_BITS = 56;

    /** Mask of the pfn in {@code hiKind}. */
    public static final long PFN_MASK = (1L << PFN_BITS) - 1;

    /** The highest pfn a tree can hold: one below the mask, so that the anchor above it still fits. */
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

    /** The bits of {@code hiKind} that hold the kind. */
    public static final long KIND_MASK = KIND_RESERVED | KIND_CACHED;

    private LeafDescriptor()
    {
    }

    /** @return the offset of range {@code i}'s first pfn. */
    static long loPfnOffset(final int i)
    {
        return LO_PFN_OFFSET + ((long)i << 3);
    }

    /** @return the offset of range {@code i}'s last pfn and kind. */
    static long hiKindOffset(final int i)
    {
        return HI_KIND_OFFSET + ((long)i << 3);
    }
}
