package dev.iova.tree;

/**
 * Layout of an inner node of the B-tree off-heap: up to {@link #CAPACITY} children, with what
 * each child's subtree knows about its free gaps.
 *
 * <pre>
 *   0       4       8                  72                     200                    328                    456
 *   +-------+-------+------------------+----------------------+----------------------+----------------------+
 *   | count | (pad) |  child[0..15]    |  sepPfn[0..15]       |  maxGapPages[0..15]  |  maxFitPages[0..15]  |
 *   +-------+-------+------------------+----------------------+----------------------+----------------------+
 *   456              488            496            504      505      506   512
 *   +----------------+--------------+--------------+--------+--------+-----+
 *   | gapClasses[16] | secondGap    | secondFit    | argGap | argFit | pad |
 *   +----------------+--------------+--------------+--------+--------+-----+
 * </pre>
 *
 * <ul>
 *   <li>{@code count}: children, 2 to {@link #CAPACITY} for the root, 1 to {@link #CAPACITY} for others.</li>
 *   <li>{@code child[i]}: a leaf index when the node is one level above the leaves, else an inner node index.</li>
 *   <li>{@code sepPfn[i]}: the first pfn of the gap below the first range of child {@code i}'s subtree,
 *       that is the last {@code hiPfn + 1} of child {@code i - 1}'s. Every range and every gap of child
 *       {@code i} lies in {@code [sepPfn[i], sepPfn[i + 1] - 1]}: a pfn belongs to the last child whose
 *       {@code sepPfn} is at or below it.</li>
 *   <li>{@code maxGapPages[i]}: the longest gap in child {@code i}'s subtree (unaligned requests).</li>
 *   <li>{@code maxFitPages[i]}: the largest size-aligned request that fits in one gap of child
 *       {@code i}'s subtree ({@link Gaps#alignedFitPages(long, long)}).</li>
 *   <li>{@code gapClasses[i]}: 16 bits, one per gap-length class ({@link #gapLengthClass}), set for
 *       every class a gap of child {@code i}'s subtree has; a bit may stay set after the last such
 *       gap went (it is cleared when the subtree is next summarised), never the other way. Best fit
 *       skips subtrees with no gap of a length it still wants.</li>
 *   <li>{@code argGap}, {@code argFit}: the argmax summary, one byte each: the child holding the
 *       node's longest gap and largest fit; both {@code 0xff} ({@link #NO_ARGMAX}) when unknown.
 *       When known, {@code secondGap} and {@code secondFit} are at least every other child's value
 *       (an upper bound, exact after a rescan). A repair that shrinks one child's maximum then
 *       learns the node's new maximum without rescanning the node unless that child held the
 *       maximum and fell below the second value. Any other write to a node's slots or count
 *       marks the summary unknown; the next repair through the node rescans it.</li>
 * </ul>
 *
 * <p>512 bytes, eight cache lines; a search reads the separators, then one maxima array, each a
 * run of consecutive words.
 */
public final class InnerDescriptor
{
    /** Children per inner node. */
    public static final int CAPACITY = 16;

    /** Offset of the number of children, an int. */
    public static final int COUNT_OFFSET = 0;

    /** Offset of the child indexes, {@link #CAPACITY} ints. */
    public static final int CHILD_OFFSET = 8;

    /** Offset of the separators, {@link #CAPACITY} longs. */
    public static final int SEP_PFN_OFFSET = CHILD_OFFSET + CAPACITY * Integer.BYTES;

    /** Offset of the children's longest gaps, {@link #CAPACITY} longs. */
    public static final int MAX_GAP_PAGES_OFFSET = SEP_PFN_OFFSET + CAPACITY * Long.BYTES;

    /** Offset of the children's largest size-aligned fits, {@link #CAPACITY} longs. */
    public static final int MAX_FIT_PAGES_OFFSET = MAX_GAP_PAGES_OFFSET + CAPACITY * Long.BYTES;

    /** Offset of the children's gap-length classes, {@link #CAPACITY} shorts. */
    public static final int GAP_CLASSES_OFFSET = MAX_FIT_PAGES_OFFSET + CAPACITY * Long.BYTES;

    /** Offset of the bound on every child's longest gap but the argmax child's, a long. */
    public static final int SECOND_GAP_PAGES_OFFSET = GAP_CLASSES_OFFSET + CAPACITY * Short.BYTES;

    /** Offset of the bound on every child's largest fit but the argmax child's, a long. */
    public static final int SECOND_FIT_PAGES_OFFSET = SECOND_GAP_PAGES_OFFSET + Long.BYTES;

    /** Offset of the argmax summary: the argmax child of the longest gap (a byte), then of the largest fit (a byte). */
    public static final int ARGMAX_OFFSET = SECOND_FIT_PAGES_OFFSET + Long.BYTES;

    /** The argmax summary's two bytes when unknown, read as an unsigned short. */
    public static final int NO_ARGMAX = 0xffff;

    /** Bytes per inner node, a power of two (the last 6 are unused). */
    public static final int INNER_LENGTH = 512;

    private InnerDescriptor()
    {
    }

    /**
     * The class bit of a gap of {@code gapPages} pages: lengths 1 to 8 have a class each (bits 0 to
     * 7), then 9 to 15 (bit 8), and one class per power of two from 16 (bit 9) to 512 (bit 14);
     * 1,024 pages and more share bit 15. An empty gap has none.
     *
     * @param gapPages a gap's length.
     * @return one bit, or 0 for an empty gap.
     */
    public static int gapLengthClass(final long gapPages)
    {
        if (gapPages <= 8)
        {
            return gapPages <= 0 ? 0 : 1 << (gapPages - 1);
        }
        return gapPages < 16 ? 1 << 8 : 1 << Math.min(15, 68 - Long.numberOfLeadingZeros(gapPages));
    }

    /**
     * @param fromPages shortest length wanted, at least 1.
     * @param toPages   longest length wanted.
     * @return the class bits of every length in {@code [fromPages, toPages]}; 0 when empty.
     */
    public static int gapLengthClasses(final long fromPages, final long toPages)
    {
        if (toPages < fromPages)
        {
            return 0;
        }
        final int low = Integer.numberOfTrailingZeros(gapLengthClass(fromPages));
        final int high = Integer.numberOfTrailingZeros(gapLengthClass(toPages));
        return (0xffff >>> (15 - high)) & ~((1 << low) - 1);
    }

    /** @return the offset of child {@code i}'s index. */
    static long childOffset(final int i)
    {
        return CHILD_OFFSET + ((long)i << 2);
    }

    /** @return the offset of child {@code i}'s separator. */
    static long sepPfnOffset(final int i)
    {
        return SEP_PFN_OFFSET + ((long)i << 3);
    }

    /** @return the offset of child {@code i}'s longest gap. */
    static long maxGapPagesOffset(final int i)
    {
        return MAX_GAP_PAGES_OFFSET + ((long)i << 3);
    }

    /** @return the offset of child {@code i}'s largest aligned fit. */
    static long maxFitPagesOffset(final int i)
    {
        return MAX_FIT_PAGES_OFFSET + ((long)i << 3);
    }
}
