package dev.iova.tree;

import java.nio.ByteBuffer;

import org.agrona.BufferUtil;
import org.agrona.UnsafeApi;

/**
 * An off-heap B-tree of disjoint pfn ranges, augmented with the largest free gap of every
 * subtree, so that the highest free position for any request is found in O(log n): the engine
 * behind {@code dev.iova.IovaDomain}.
 *
 * <h2>Shape</h2>
 * Leaves ({@link LeafDescriptor}) hold up to 15 ranges in ascending order; inner nodes
 * ({@link InnerDescriptor}) hold up to 16 children, each with a separator and two maxima over
 * its subtree's gaps: the longest gap (unaligned requests) and the largest size-aligned request
 * that fits in one gap ({@link Gaps#alignedFitPages}), which is exact. Every range owns the
 * free gap just below it; an <em>anchor</em> range at {@code lastPfn + 1} (Linux's
 * {@code IOVA_ANCHOR}) owns the gap at the top, so every free pfn is in exactly one gap and every
 * gap is inside one leaf. All leaves are at the same depth. The two boundary gaps, below the
 * lowest range and the anchor's, have fixed shares of the maxima: none for the lowest, a constant
 * longer than any gap for the anchor's. Allocation under a limit cuts them all the time, and a
 * maximum they held changed at every level each time. Every search tries them on its own
 * (docs/tree.md, "Boundary gaps").
 *
 * <h2>Search: highest fit below a limit</h2>
 * One descent by {@code limitPfn + 1} reaches the leaf holding the gap that straddles the limit.
 * That gap, clipped to the limit, is tried first, then the leaf's gaps below it, highest first.
 * Then the path is climbed back: at each level the children left of the path, right to left,
 * are checked by their maximum, and the first that fits is entered; from there, a second descent
 * takes the rightmost child whose maximum fits, down to the leaf, whose highest fitting gap is
 * the answer. Two root-to-leaf paths and one pass over at most 16 children per level: O(log n),
 * whether the request fits or not, however the space is fragmented.
 *
 * <h2>Updates</h2>
 * Placing a range splits one gap in one leaf: the range is inserted before the gap's owner, and
 * the leaf's maxima are recomputed and stored in its parent's slot, then up the path until a
 * slot does not change. A full leaf first moves ranges to a sibling with room; otherwise it
 * splits (at the insertion point when it is at either end, so that ascending or descending fills
 * leave full leaves; else in the middle) and the split climbs as far as full inner nodes go. Removing a range merges its pages and its gap into the next
 * range's gap; when it was a leaf's last range, the next leaf's first gap grows, so that leaf's
 * {@code gapLoPfn}, the separators above it and its maxima are repaired along its own path. A leaf
 * or inner node left with fewer than a quarter of its capacity merges with a sibling or takes some
 * of its entries.
 *
 * <h2>Faults</h2>
 * Every update first makes room for every node it may need ({@link SlabStore#reserve}), then
 * journals each write (leaf images, old words of inner nodes; an update in place records only
 * which shift it makes); a {@link Throwable} thrown before
 * it commits, an {@link OutOfMemoryError} or {@link StackOverflowError} included, replays the
 * journal and leaves the tree as it was. No update recurses (an insert that made room at a
 * sibling re-enters the insertion once, into a leaf that now has room).
 *
 * <p>Not thread-safe: {@code IovaDomain} serialises every call.
 */
public final class IntervalTree
{
    /** The most ranges a tree can hold, the anchor included. */
    public static final int MAX_NODES = 1 << 30;

    /** Default ranges per off-heap chunk step: leaves grow 2,048 (512 KiB) at a time. */
    public static final int DEFAULT_CHUNK_NODES = 1 << 14;

    /** Returned by {@link #alloc} when nothing fits; pfn 0 is never handed out. */
    public static final long NO_ADDRESS = 0L;

    private static final int LEAF_CAPACITY = LeafDescriptor.CAPACITY;

    /*
     * A leaf image in the journal: the leaf's 256 bytes at their own offsets (its header words and
     * the slots the image holds), then what the rollback needs to put them back, written with
     * plain off-heap stores (no array, no bounds check on the path of every update in place):
     *
     *   0                      256            264            268    272    276       288
     *   +----------------------+--------------+--------------+------+------+---------+
     *   | the leaf's words     | leaf address | log position | from | to   | (pad)   |
     *   +----------------------+--------------+--------------+------+------+---------+
     *
     * log position: how many words were logged when the image was taken (undo interleaves the two
     * logs by it); from, to: the first slot it holds and the slot after its last (0 and the
     * capacity: the whole leaf); the header words are always in it.
     */
    private static final int IMAGE_LEAF_OFFSET = LeafDescriptor.LEAF_LENGTH;
    private static final int IMAGE_LOG_POSITION_OFFSET = IMAGE_LEAF_OFFSET + Long.BYTES;
    private static final int IMAGE_FROM_OFFSET = IMAGE_LOG_POSITION_OFFSET + Integer.BYTES;
    private static final int IMAGE_TO_OFFSET = IMAGE_FROM_OFFSET + Integer.BYTES;
    private static final int IMAGE_LENGTH = LeafDescriptor.LEAF_LENGTH + 32;
    /** Bytes per logged word: its address and its old value. */
    private static final int WORD_ENTRY_LENGTH = 2 * Long.BYTES;
    /** Logged words the first journal holds, whatever the first update needs. */
    private static final int MIN_LOGGED_WORDS = 4096;
    private static final int INNER_CAPACITY = InnerDescriptor.CAPACITY;
    /** A leaf or inner node below this after a removal merges with or takes from a sibling. */
    private static final int LEAF_MIN = 4;
    private static final int INNER_MIN = 4;
    /** Two siblings merge when together they hold at most this; otherwise they even out (no split-merge ping-pong). */
    private static final int LEAF_MERGE_MAX = 11;

    /**
     * The free slots a sibling needs before a full leaf evens out with it instead of splitting:
     * the move then shifts at least 3 ranges, and the next few inserts into either leaf find room.
     * With 2 (a move of one range) a leaf taking inserts at one place evened out on nearly every
     * insert: thread CPU time of the cached fragmenting trace 130-132 ns/op, 110 with 6; random
     * placement holds 26.9 bytes per range instead of 25.0 (splitting only: 32.0).
     */
    private static final int LEAF_SHARE_MIN_FREE = 6;
    private static final int INNER_MERGE_MAX = 12;
    /** Inner levels: non-root inner nodes keep at least 4 children, so 2^30 ranges need at most 15. */
    private static final int MAX_LEVELS = 24;

    private static final long GAP_LO = LeafDescriptor.GAP_LO_PFN_OFFSET;
    private static final long SECOND = LeafDescriptor.SECOND_OFFSET;
    private static final long LO = LeafDescriptor.LO_PFN_OFFSET;
    private static final long HI = LeafDescriptor.HI_KIND_OFFSET;
    private static final long PFN_MASK = LeafDescriptor.PFN_MASK;
    private static final long CHILD = InnerDescriptor.CHILD_OFFSET;
    private static final long SEP = InnerDescriptor.SEP_PFN_OFFSET;
    private static final long MAX_GAP = InnerDescriptor.MAX_GAP_PAGES_OFFSET;
    private static final long MAX_FIT = InnerDescriptor.MAX_FIT_PAGES_OFFSET;
    private static final long CLASSES = InnerDescriptor.GAP_CLASSES_OFFSET;
    private static final long SECOND_GAP = InnerDescriptor.SECOND_GAP_PAGES_OFFSET;
    private static final long SECOND_FIT = InnerDescriptor.SECOND_FIT_PAGES_OFFSET;
    private static final long ARGMAX = InnerDescriptor.ARGMAX_OFFSET;
    private static final long ARGMAX_GAP = InnerDescriptor.ARGMAX_OFFSET;
    private static final long ARGMAX_FIT = InnerDescriptor.ARGMAX_OFFSET + 1;
    private static final int NO_ARGMAX = InnerDescriptor.NO_ARGMAX;
    private static final int ALL_CLASSES = 0xffff;
    private static final int LEAF_SHIFT = Integer.numberOfTrailingZeros(LeafDescriptor.LEAF_LENGTH);
    private static final int INNER_SHIFT = Integer.numberOfTrailingZeros(InnerDescriptor.INNER_LENGTH);

    private final SlabStore leaves;
    private final SlabStore inners;
    // The stores' chunk tables, kept here so that a node's address is one load away from the tree
    // rather than two (JFR put a sixth of the pair in SlabStore.address); taken again after every reserve.
    private long[] leafChunks;
    private long[] innerChunks;
    private final int leafChunkShift;
    private final int innerChunkShift;
    private final int leafChunkMask;
    private final int innerChunkMask;
    private final long startPfn;
    private final long lastPfn;
    /** {@code lastPfn + 1}: where the anchor range starts. */
    private final long anchorPfn;
    /**
     * What the anchor's gap counts as in both maxima, whatever its length: one page more than the
     * whole space, so that it is the rightmost leaf's longest gap and largest fit at all times.
     */
    private final long anchorGapClaim;
    /**
     * The leftmost leaf, which holds the lowest gap: always the tree's first leaf, since a split
     * keeps the left half in place, a merge keeps the left leaf and a root gives way to its child.
     */
    private final int lowestLeaf;
    private final long maxEntries;
    /** Root-to-leaf path of the last descent: the inner node and the child index taken at each level. */
    private final int[] pathNode = new int[MAX_LEVELS];
    private final int[] pathIdx = new int[MAX_LEVELS];
    /** Best fit's walk: the first pfn after the last range of the node on the path at each level. */
    private final long[] pathEnd = new long[MAX_LEVELS];
    // The finger: the leaf that pathNode/pathIdx lead to while they still describe the tree (0 when
    // they may not), so that a descent to a pfn that leaf covers (a pair's free after its alloc,
    // the next alloc after that free) reuses the path instead of walking it. Whatever writes the
    // path clears the finger before its first write and sets it after its last; an update clears
    // it (prepare, commit, rollback), sets none while it runs, and sets it again only when it left its
    // leaf in place.
    private int fingerLeaf;
    /** A second path, to the leaf after the one a removal emptied the end of. */
    private final int[] nextNode = new int[MAX_LEVELS];
    private final int[] nextIdx = new int[MAX_LEVELS];
    /** Scratch for splits: one more entry than a node holds. */
    private final long[] scratchA = new long[INNER_CAPACITY + 1];
    private final long[] scratchB = new long[INNER_CAPACITY + 1];
    private final long[] scratchC = new long[INNER_CAPACITY + 1];
    private final long[] scratchD = new long[INNER_CAPACITY + 1];
    private final int[] scratchE = new int[INNER_CAPACITY + 1];
    /**
     * The undo journal of the update in progress: images of the leaves it wrote (off-heap) and
     * the old value of every 8-byte word it wrote in inner nodes and elsewhere, so that a
     * {@link Throwable} thrown anywhere inside an update puts everything back ({@link #rollback}).
     */
    private ByteBuffer leafImages;
    private long leafImagesAddress;
    private int savedLeaves;
    /** True from {@link #prepare} until the update commits or is rolled back. */
    private boolean updating;
    /**
     * The logged words, off-heap ({@code malloc}): entry {@code i} at {@code wordLogAddress + 16 i}
     * holds a word's address, then its old value (plain stores, no bounds check on the path of
     * every repair); room for {@code wordLogCapacity} entries (0: none allocated).
     */
    private long wordLogAddress;
    private long wordLogCapacity;
    private int loggedWords;
    private final long[] leafStoreState = new long[4];
    private final long[] innerStoreState = new long[4];
    /** Whether the update in progress snapshotted the stores: an update in place ({@link #prepareInPlace}) does not. */
    private boolean storesSaved;
    /**
     * The shift record of an update in place ({@link #recordShift}), instead of a leaf image: the
     * leaf (0 when there is no record), the slot of the insert or removal, the leaf's count and
     * header word (count and {@code second}) before it, the inserted or removed range (an insert
     * needs only its first pfn), and which of the two it is.
     */
    private long shiftLeaf;
    private int shiftSlot;
    private int shiftCount;
    private long shiftHeader;
    private long shiftLoPfn;
    private long shiftHiKind;
    private boolean shiftInsert;
    /** The most inner levels the journal has room for one update at, as {@link #ensureRoom} last left it (-1: none yet). */
    private int inPlaceRoomLevels = -1;
    private int rootBefore;
    private int innerLevelsBefore;
    private long entriesBefore;
    private long reservedRangesBefore;
    private int root;
    /** Inner levels above the leaves: 0 when the root is a leaf. */
    private int innerLevels;
    /** Out-parameters of the summarise methods. */
    private long summaryGap;
    private long summaryFit;
    private int summaryClasses;
    /**
     * Whether the gap-length classes are kept: from the first best-fit search on (which computes
     * them for the whole tree once). Until then every slot holds all classes, a superset that costs
     * highest-fit users nothing to keep.
     */
    private boolean trackClasses;
    private long entries;
    private long allocatedRanges;
    private long reservedRanges;
    /** The range {@link #find} found. */
    private long foundLoPfn;
    /**
     * The fill hint: the last range {@link #alloc(long, long, boolean, long)} placed, at
     * {@code hintPfn} (0: none), for {@code hintPages} pages below {@code hintLimitPfn}, aligned or
     * not. Valid while no gap at or above {@code hintPfn} has grown since (a free there, or an
     * unreserve, clears it): then no request at least as large, aligned alike, with a limit at or
     * below, can fit above {@code hintPfn} (docs/tree.md, "The fill hint").
     */
    private long hintPfn;
    private long hintPages;
    private long hintLimitPfn;
    private boolean hintAligned;
    private long foundHiKind;

    /**
     * @param startPfn   the lowest pfn handed out, at least 1.
     * @param lastPfn    the highest pfn handed out, at most {@link LeafDescriptor#MAX_PFN}.
     * @param maxRanges  the most ranges (allocated plus reserved) live at once.
     * @param chunkNodes ranges per growth step of the off-heap memory, a power of two.
     */
    public IntervalTree(final long startPfn, final long lastPfn, final int maxRanges, final int chunkNodes)
    {
        if (startPfn < 1 || lastPfn < startPfn || lastPfn > LeafDescriptor.MAX_PFN)
        {
            throw new IllegalArgumentException("need 1 <= startPfn <= lastPfn <= 0x" + Long.toHexString(LeafDescriptor.MAX_PFN) +
                ", got startPfn=0x" + Long.toHexString(startPfn) + " lastPfn=0x" + Long.toHexString(lastPfn));
        }
        if (maxRanges < 1 || maxRanges > MAX_NODES - 2)
        {
            throw new IllegalArgumentException("maxRanges=" + maxRanges + " must be in [1, " + (MAX_NODES - 2) + "]");
        }
        if (Integer.bitCount(chunkNodes) != 1)
        {
            throw new IllegalArgumentException("chunkNodes=" + chunkNodes + " must be a power of two");
        }
        this.startPfn = startPfn;
        this.lastPfn = lastPfn;
        this.anchorPfn = lastPfn + 1;
        this.anchorGapClaim = lastPfn - startPfn + 2;
        this.maxEntries = maxRanges + 1L;
        final int leafChunk = Math.max(1, chunkNodes >>> 3);
        this.leaves = new SlabStore(LeafDescriptor.LEAF_LENGTH, leafChunk);
        this.inners = new SlabStore(InnerDescriptor.INNER_LENGTH, Math.max(1, leafChunk >>> 3));
        this.leafChunkShift = leaves.chunkShift();
        this.innerChunkShift = inners.chunkShift();
        this.leafChunkMask = (1 << leafChunkShift) - 1;
        this.innerChunkMask = (1 << innerChunkShift) - 1;
        leaves.reserve(1);
        takeChunkTables();
        leafImages = ByteBuffer.allocateDirect(8 * IMAGE_LENGTH);
        leafImagesAddress = BufferUtil.address(leafImages);
        root = leaves.allocate();
        lowestLeaf = root;
        final long a = leafAddress(root);
        UnsafeApi.putInt(a + LeafDescriptor.COUNT_OFFSET, 1);
        UnsafeApi.putInt(a + SECOND, 0);
        UnsafeApi.putLong(a + GAP_LO, startPfn);
        UnsafeApi.putLong(a + LO, lastPfn + 1);
        UnsafeApi.putLong(a + HI, (lastPfn + 1) | LeafDescriptor.KIND_RESERVED);
        entries = 1;
    }

    // ---------------------------------------------------------------------------------------------
    // Leaf and inner node accessors, by address
    // ---------------------------------------------------------------------------------------------

    /** Takes the stores' chunk tables again: after every {@link SlabStore#reserve}, which may have grown them. */
    private void takeChunkTables()
    {
        leafChunks = leaves.chunkAddresses();
        innerChunks = inners.chunkAddresses();
    }

    /** @return the address of leaf {@code index}, as {@code leaves.address(index)}. */
    private long leafAddress(final int index)
    {
        return leafChunks[index >>> leafChunkShift] + ((long)(index & leafChunkMask) << LEAF_SHIFT);
    }

    /** @return the address of inner node {@code index}, as {@code inners.address(index)}. */
    private long innerAddress(final int index)
    {
        return innerChunks[index >>> innerChunkShift] + ((long)(index & innerChunkMask) << INNER_SHIFT);
    }

    private static int count(final long address)
    {
        return UnsafeApi.getInt(address);
    }

    private static void setCount(final long address, final int count)
    {
        UnsafeApi.putInt(address, count);
    }

    private static long lo(final long leaf, final int i)
    {
        return UnsafeApi.getLong(leaf + LO + ((long)i << 3));
    }

    private static long hiKind(final long leaf, final int i)
    {
        return UnsafeApi.getLong(leaf + HI + ((long)i << 3));
    }

    private static long hi(final long leaf, final int i)
    {
        return hiKind(leaf, i) & PFN_MASK;
    }

    private static void setEntry(final long leaf, final int i, final long loPfn, final long hiKind)
    {
        UnsafeApi.putLong(leaf + LO + ((long)i << 3), loPfn);
        UnsafeApi.putLong(leaf + HI + ((long)i << 3), hiKind);
    }

    /** @return the first pfn of the gap below range {@code i} of a leaf. */
    private static long gapLo(final long leaf, final int i)
    {
        return i == 0 ? UnsafeApi.getLong(leaf + GAP_LO) : hi(leaf, i - 1) + 1;
    }

    private static int child(final long inner, final int i)
    {
        return UnsafeApi.getInt(inner + CHILD + ((long)i << 2));
    }

    private static long sep(final long inner, final int i)
    {
        return UnsafeApi.getLong(inner + SEP + ((long)i << 3));
    }

    private static long maxGap(final long inner, final int i)
    {
        return UnsafeApi.getLong(inner + MAX_GAP + ((long)i << 3));
    }

    private static long maxFit(final long inner, final int i)
    {
        return UnsafeApi.getLong(inner + MAX_FIT + ((long)i << 3));
    }

    /** @return child {@code i}'s gap-length classes ({@link InnerDescriptor#gapLengthClass}), a superset of its gaps'. */
    private static int gapClasses(final long inner, final int i)
    {
        return UnsafeApi.getShort(inner + CLASSES + ((long)i << 1)) & 0xffff;
    }

    private void setSlot(
        final long inner, final int i, final int child, final long sepPfn, final long gap, final long fit, final int classes)
    {
        final long childAddress = inner + CHILD + ((long)i << 2);
        logWord(childAddress & ~7L);
        UnsafeApi.putInt(childAddress, child);
        setSep(inner, i, sepPfn);
        setMaxima(inner, i, gap, fit, classes);
    }

    private void setSep(final long inner, final int i, final long sepPfn)
    {
        final long address = inner + SEP + ((long)i << 3);
        logWord(address);
        UnsafeApi.putLong(address, sepPfn);
    }

    /** Writes child {@code i}'s maxima outside a repair: the node's argmax summary is then unknown until its next rescan. */
    private void setMaxima(final long inner, final int i, final long gap, final long fit, final int classes)
    {
        writeMaxima(inner, i, gap, fit, classes);
        forgetArgmax(inner);
    }

    /** Writes child {@code i}'s maxima, journaling only what changes; the caller keeps the node's argmax summary true. */
    private void writeMaxima(final long inner, final int i, final long gap, final long fit, final int classes)
    {
        final long gapAddress = inner + MAX_GAP + ((long)i << 3);
        final long fitAddress = inner + MAX_FIT + ((long)i << 3);
        final long classesAddress = inner + CLASSES + ((long)i << 1);
        // Journal and write only what changes: a repair mostly changes one of the three.
        if (UnsafeApi.getLong(gapAddress) != gap)
        {
            logWord(gapAddress);
            UnsafeApi.putLong(gapAddress, gap);
        }
        if (UnsafeApi.getLong(fitAddress) != fit)
        {
            logWord(fitAddress);
            UnsafeApi.putLong(fitAddress, fit);
        }
        if ((UnsafeApi.getShort(classesAddress) & 0xffff) != classes)
        {
            logWord(classesAddress & ~7L);
            UnsafeApi.putShort(classesAddress, (short)classes);
        }
    }

    private void copySlot(final long from, final int i, final long to, final int j)
    {
        setSlot(to, j, child(from, i), sep(from, i), maxGap(from, i), maxFit(from, i), gapClasses(from, i));
    }

    private void setInnerCount(final long inner, final int count)
    {
        logWord(inner);
        setCount(inner, count);
        forgetArgmax(inner);
    }

    /** @return the node's argmax word: the child holding its longest gap (low byte) and largest fit (high byte), or {@link InnerDescriptor#NO_ARGMAX}. */
    private static int argmax(final long inner)
    {
        return UnsafeApi.getShort(inner + ARGMAX) & 0xffff;
    }

    /** Marks the node's argmax summary unknown: the next repair through it rescans it. */
    private void forgetArgmax(final long inner)
    {
        if (argmax(inner) != NO_ARGMAX)
        {
            logWord(inner + ARGMAX);
            UnsafeApi.putShort(inner + ARGMAX, (short)NO_ARGMAX);
        }
    }

    /**
     * Rescans one maximum of an inner node ({@link #MAX_GAP} or {@link #MAX_FIT}) and stores its
     * argmax and exact second largest value.
     *
     * @return the node's maximum.
     */
    private long rescanMaximum(final long inner, final long maxOffset, final long argmaxOffset, final long secondOffset)
    {
        long best = -1;
        long second = 0;
        int arg = 0;
        for (int i = 0, count = count(inner); i < count; i++)
        {
            final long value = UnsafeApi.getLong(inner + maxOffset + ((long)i << 3));
            if (value > best)
            {
                second = Math.max(second, best);
                best = value;
                arg = i;
            }
            else
            {
                second = Math.max(second, value);
            }
        }
        if (UnsafeApi.getByte(inner + argmaxOffset) != (byte)arg)
        {
            logWord(inner + ARGMAX);
            UnsafeApi.putByte(inner + argmaxOffset, (byte)arg);
        }
        setSecond(inner, secondOffset, second);
        return best;
    }

    private void setSecond(final long inner, final long secondOffset, final long second)
    {
        if (UnsafeApi.getLong(inner + secondOffset) != second)
        {
            logWord(inner + secondOffset);
            UnsafeApi.putLong(inner + secondOffset, second);
        }
    }

    /**
     * Child {@code c} of a node with a known argmax summary now holds {@code value} for one
     * maximum; the node's maximum was {@code nodeMax}. Keeps the summary true (the argmax holds
     * the maximum; the second value bounds every other child's from above) and returns the
     * node's new maximum, rescanning only when the argmax child shrank below the bound.
     */
    private long nextMaximum(
        final long inner, final long maxOffset, final long argmaxOffset, final long secondOffset, final int c, final long value,
        final long nodeMax)
    {
        final int arg = UnsafeApi.getByte(inner + argmaxOffset) & 0xff;
        if (c != arg)
        {
            if (value > nodeMax)
            {
                logWord(inner + ARGMAX);
                UnsafeApi.putByte(inner + argmaxOffset, (byte)c);
                raiseSecond(inner, secondOffset, nodeMax);
                return value;
            }
            raiseSecond(inner, secondOffset, value);
            return nodeMax;
        }
        if (value >= nodeMax || value >= UnsafeApi.getLong(inner + secondOffset))
        {
            return value;
        }
        return rescanMaximum(inner, maxOffset, argmaxOffset, secondOffset);
    }

    private void raiseSecond(final long inner, final long secondOffset, final long value)
    {
        if (value > UnsafeApi.getLong(inner + secondOffset))
        {
            logWord(inner + secondOffset);
            UnsafeApi.putLong(inner + secondOffset, value);
        }
    }

    /**
     * Stores a bound on a leaf's second-longest gap ({@link LeafDescriptor#SECOND_OFFSET}): below
     * 2^31 pages exactly, above as the next power of two (a bound may only be rounded up). Not
     * journaled here: every leaf an update sets the bound of was saved by {@link #saveLeaf}, had
     * its header word recorded by {@link #recordShift}, or is new, except the next leaf of
     * {@link #growFirstGapOfNextLeaf}, which logs the word itself.
     */
    private static void setSecond(final long leaf, final long pages)
    {
        UnsafeApi.putInt(leaf + SECOND, pages <= Integer.MAX_VALUE ? (int)pages :
            Integer.MIN_VALUE | (64 - Long.numberOfLeadingZeros(pages - 1)));
    }

    /** @return a leaf's bound on its second-longest gap, in pages. */
    private static long second(final long leaf)
    {
        final int bound = UnsafeApi.getInt(leaf + SECOND);
        return bound >= 0 ? bound : 1L << (bound & 63);
    }

    /**
     * A gap of a leaf grew from {@code oldPages} (the larger of the gaps that merged into it) to
     * {@code gapPages}, while the leaf's longest gap was {@code oldMaxGap}. When the old gap was a
     * longest one, every other gap was already within the bound, and the grown gap is the new
     * longest: the bound stands. Otherwise the longest gap stays where it was or the grown gap
     * takes its place, so every other gap is at most the larger of the bound and the smaller of
     * the two. A fit being at most its gap, the same bounds the second-largest fit.
     */
    private static void raiseSecondOfLeaf(final long leaf, final long oldPages, final long gapPages, final long oldMaxGap)
    {
        final long old = second(leaf);
        if (oldPages < oldMaxGap && Math.min(gapPages, oldMaxGap) > old)
        {
            setSecond(leaf, Math.min(gapPages, oldMaxGap));
        }
    }

    /** Sets {@link #summaryGap} and {@link #summaryFit} to a leaf's maxima, and the leaf's bound on its second-longest gap. */
    private void summarizeLeaf(final long leaf)
    {
        // Pass 1: the longest gap. Its aligned fit is at least half the largest power of two in it,
        // which is a good first bound; pass 2 computes the fit of only the gaps longer than the best
        // fit so far (a gap's fit is at most its length).
        // The boundary gaps ("Boundary gaps" in docs/tree.md): the loops skip them; the lowest counts
        // in no maximum, the anchor's as its constant claim.
        final int count = count(leaf);
        final long firstGapLoPfn = UnsafeApi.getLong(leaf + GAP_LO);
        final int from = firstGapLoPfn == startPfn ? 1 : 0;
        final int to = lo(leaf, count - 1) == anchorPfn ? count - 1 : count;
        final long fromGapLoPfn = from == 0 ? firstGapLoPfn : hi(leaf, 0) + 1;
        long gapLoPfn = fromGapLoPfn;
        long bestGap = 0;
        long secondGap = 0;
        long bestGapLoPfn = 0;
        int classes = 0;
        for (int i = from; i < to; i++)
        {
            final long loPfn = lo(leaf, i);
            final long gapPages = loPfn - gapLoPfn;
            classes |= trackClasses ? InnerDescriptor.gapLengthClass(gapPages) : ALL_CLASSES;
            if (gapPages > bestGap)
            {
                secondGap = bestGap;
                bestGap = gapPages;
                bestGapLoPfn = gapLoPfn;
            }
            else if (gapPages > secondGap)
            {
                secondGap = gapPages;
            }
            gapLoPfn = hi(leaf, i) + 1;
        }
        final boolean anchored = to < count;
        if (anchored)
        {
            secondGap = Math.max(secondGap, bestGap);
            bestGap = anchorGapClaim;
            classes |= trackClasses ? InnerDescriptor.gapLengthClass(anchorGapClaim) : ALL_CLASSES;
        }
        setSecond(leaf, secondGap);
        long bestFit = anchored ? anchorGapClaim : bestGap == 0 ? 0 : Gaps.alignedFitPages(bestGapLoPfn, bestGapLoPfn + bestGap - 1);
        if (bestFit < bestGap)
        {
            gapLoPfn = fromGapLoPfn;
            for (int i = from; i < to; i++)
            {
                final long loPfn = lo(leaf, i);
                if (loPfn - gapLoPfn > bestFit)
                {
                    bestFit = Math.max(bestFit, Gaps.alignedFitPages(gapLoPfn, loPfn - 1));
                }
                gapLoPfn = hi(leaf, i) + 1;
            }
        }
        summaryGap = bestGap;
        summaryFit = bestFit;
        summaryClasses = classes;
    }

    /** Sets {@link #summaryGap}, {@link #summaryFit} and {@link #summaryClasses} to an inner node's, over its children. */
    private void summarizeInner(final long inner)
    {
        // Two accumulators per maximum halve the chain of dependent comparisons.
        final int count = count(inner);
        long gap0 = 0;
        long gap1 = 0;
        long fit0 = 0;
        long fit1 = 0;
        int classes = 0;
        int i = 0;
        for (; i + 1 < count; i += 2)
        {
            gap0 = Math.max(gap0, maxGap(inner, i));
            gap1 = Math.max(gap1, maxGap(inner, i + 1));
            fit0 = Math.max(fit0, maxFit(inner, i));
            fit1 = Math.max(fit1, maxFit(inner, i + 1));
            classes |= trackClasses ? gapClasses(inner, i) | gapClasses(inner, i + 1) : ALL_CLASSES;
        }
        if (i < count)
        {
            gap0 = Math.max(gap0, maxGap(inner, i));
            fit0 = Math.max(fit0, maxFit(inner, i));
            classes |= trackClasses ? gapClasses(inner, i) : ALL_CLASSES;
        }
        summaryGap = Math.max(gap0, gap1);
        summaryFit = Math.max(fit0, fit1);
        summaryClasses = classes;
    }

    /**
     * Descends by {@code pfn}, recording the path: at each level the last child whose separator
     * is at or below {@code pfn}.
     *
     * @return the leaf whose ranges and gaps cover {@code pfn}.
     */
    private int descend(final long pfn)
    {
        final int finger = fingerLeaf;
        if (finger != 0)
        {
            final long a = leafAddress(finger);
            if (pfn >= UnsafeApi.getLong(a + GAP_LO) && pfn <= hi(a, count(a) - 1))
            {
                return finger; // every pfn from the leaf's first gap to its last range descends to it, by this path
            }
        }
        fingerLeaf = 0; // before the first write: a walk cut short leaves no finger on a half-written path
        int node = root;
        for (int level = 0, levels = innerLevels; level < levels; level++)
        {
            final long inner = innerAddress(node);
            final int i = childHolding(inner, pfn);
            pathNode[level] = node;
            pathIdx[level] = i;
            node = child(inner, i);
        }
        fingerLeaf = updating ? 0 : node; // inside an update the next write may move what the path describes
        return node;
    }

    /**
     * @return the last child of {@code inner} whose separator is at or below {@code pfn} (child 0
     *         when none is). Both ends cost one or two comparisons: child 0 is tested first (a
     *         descending fill inserts at the low end), then the scan runs from the last child (a
     *         pair just below a limit). Counting every separator without branches was tried and
     *         measured slower on the pair.
     */
    private static int childHolding(final long inner, final long pfn)
    {
        int i = count(inner) - 1;
        if (i > 0 && sep(inner, 1) > pfn)
        {
            return 0;
        }
        while (i > 0 && sep(inner, i) > pfn)
        {
            i--;
        }
        return i;
    }

    /** @return how many ranges of leaf {@code a} start at or below {@code pfn}; both ends cost one or two comparisons, as in {@link #childHolding}. */
    private static int rangesStartingAtOrBelow(final long a, final long pfn)
    {
        int k = count(a);
        if (k > 0 && lo(a, 0) > pfn)
        {
            return 0;
        }
        if (k > 1 && lo(a, 1) > pfn)
        {
            return 1; // a descending fill: the leaf's first range is the last one placed
        }
        while (k > 0 && lo(a, k - 1) > pfn)
        {
            k--;
        }
        return k;
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
     * @return the first pfn, or {@link #NO_ADDRESS} when nothing fits or the tree is full.
     */
    public long alloc(final long pages, final long limitPfn, final boolean sizeAligned)
    {
        return alloc(pages, limitPfn, sizeAligned, LeafDescriptor.KIND_ALLOCATED);
    }

    /**
     * As {@link #alloc(long, long, boolean)}, creating a range of the given kind.
     *
     * @param pages       at least 1.
     * @param limitPfn    highest pfn the range may use (inclusive), in {@code [startPfn, lastPfn]}.
     * @param sizeAligned align the first pfn to {@code pages} rounded up to a power of two.
     * @param kind        {@link LeafDescriptor#KIND_ALLOCATED} or {@link LeafDescriptor#KIND_CACHED}.
     * @return the first pfn, or {@link #NO_ADDRESS} when nothing fits or the tree is full.
     * @throws OutOfMemoryError when direct memory for a new node runs out; the tree is then unchanged.
     */
    public long alloc(final long pages, final long limitPfn, final boolean sizeAligned, final long kind)
    {
        recover();
        if (pages > limitPfn - startPfn + 1 || entries >= maxEntries)
        {
            return NO_ADDRESS;
        }
        final long alignPages = sizeAligned ? Gaps.sizeAlignment(pages) : 1;
        final long searchLimitPfn = hintPfn != 0 && pages >= hintPages && sizeAligned == hintAligned && limitPfn <= hintLimitPfn ?
            Math.min(limitPfn, hintPfn - 1) : limitPfn;
        if (pages > searchLimitPfn - startPfn + 1)
        {
            return NO_ADDRESS;
        }
        final long pfn = highestFit(pages, searchLimitPfn, alignPages, sizeAligned, kind);
        if (pfn != NO_ADDRESS)
        {
            hintPfn = pfn;
            hintPages = pages;
            hintLimitPfn = limitPfn;
            hintAligned = sizeAligned;
        }
        return pfn;
    }

    /** The search of {@link #alloc(long, long, boolean, long)}, below {@code limitPfn}: inserts and returns the highest fit. */
    private long highestFit(final long pages, final long limitPfn, final long alignPages, final boolean sizeAligned, final long kind)
    {
        final long splitPfn = limitPfn + 1;
        final int leaf = descend(splitPfn);
        final long a = leafAddress(leaf);
        final int count = count(a);
        final int k = rangesStartingAtOrBelow(a, splitPfn);
        // Range k (if any) starts above the limit: its gap is the one that may straddle it.
        if (k < count)
        {
            final long pfn = Gaps.highestFit(gapLo(a, k), limitPfn, pages, alignPages);
            if (pfn != Gaps.NO_FIT)
            {
                return insertAllocated(leaf, k, pfn, pages, kind);
            }
        }
        for (int j = k - 1; j >= 0; j--)
        {
            final long pfn = Gaps.highestFit(gapLo(a, j), lo(a, j) - 1, pages, alignPages);
            if (pfn != Gaps.NO_FIT)
            {
                return insertAllocated(leaf, j, pfn, pages, kind);
            }
        }
        final long pfn = allocLeftOfPath(pages, alignPages, sizeAligned ? MAX_FIT : MAX_GAP, kind);
        if (pfn != NO_ADDRESS || innerLevels == 0 || UnsafeApi.getLong(a + GAP_LO) == startPfn)
        {
            return pfn; // found, or the lowest gap was in the leaf just scanned
        }
        // The lowest gap counts in no maximum: it is the last candidate, tried on its own.
        final long lowestPfn = Gaps.highestFit(startPfn, Math.min(lo(leafAddress(lowestLeaf), 0) - 1, limitPfn), pages, alignPages);
        if (lowestPfn == Gaps.NO_FIT)
        {
            return NO_ADDRESS;
        }
        descend(startPfn); // the path to the lowest leaf, for the insert
        return insertAllocated(lowestLeaf, 0, lowestPfn, pages, kind);
    }

    /**
     * The highest (or, {@code lowest}, the lowest) fit in the lowest gap of the space, clipped to
     * the limit, or {@link Gaps#NO_FIT}.
     */
    private long fitInLowestGap(final long pages, final long alignPages, final long limitPfn, final boolean lowest)
    {
        final long a = leafAddress(lowestLeaf);
        final long gapHiPfn = Math.min(lo(a, 0) - 1, limitPfn);
        return lowest ? Gaps.lowestFit(startPfn, gapHiPfn, pages, alignPages) : Gaps.highestFit(startPfn, gapHiPfn, pages, alignPages);
    }

    /** @return the first pfn of the anchor's gap, the highest gap of the space. Descends: the path changes. */
    private long anchorGapLoPfn()
    {
        final long a = leafAddress(descend(anchorPfn));
        return gapLo(a, count(a) - 1);
    }

    /** The highest (or, {@code lowest}, the lowest) fit in the anchor's gap, clipped to the limit, or {@link Gaps#NO_FIT}. */
    private long fitInAnchorGap(final long pages, final long alignPages, final long limitPfn, final boolean lowest)
    {
        final long gapLoPfn = anchorGapLoPfn();
        final long gapHiPfn = Math.min(lastPfn, limitPfn);
        return lowest ? Gaps.lowestFit(gapLoPfn, gapHiPfn, pages, alignPages) : Gaps.highestFit(gapLoPfn, gapHiPfn, pages, alignPages);
    }

    /** Climbs the path of the last descent, entering the first subtree left of it whose maximum fits. */
    private long allocLeftOfPath(final long pages, final long alignPages, final long maxOffset, final long kind)
    {
        for (int level = innerLevels - 1; level >= 0; level--)
        {
            final long inner = innerAddress(pathNode[level]);
            for (int c = pathIdx[level] - 1; c >= 0; c--)
            {
                if (UnsafeApi.getLong(inner + maxOffset + ((long)c << 3)) >= pages)
                {
                    fingerLeaf = 0; // the path is about to lead elsewhere
                    pathIdx[level] = c;
                    return allocInSubtree(level + 1, child(inner, c), pages, alignPages, maxOffset, kind);
                }
            }
        }
        return NO_ADDRESS;
    }

    /** Descends a subtree known to hold a fitting gap (all of it below the limit) to the highest one. */
    private long allocInSubtree(
        final int fromLevel, final int subtree, final long pages, final long alignPages, final long maxOffset, final long kind)
    {
        int node = subtree;
        for (int level = fromLevel; level < innerLevels; level++)
        {
            final long inner = innerAddress(node);
            int c = count(inner) - 1;
            while (c >= 0 && UnsafeApi.getLong(inner + maxOffset + ((long)c << 3)) < pages)
            {
                c--;
            }
            if (c < 0)
            {
                throw brokenAugmentation(pages);
            }
            pathNode[level] = node;
            pathIdx[level] = c;
            node = child(inner, c);
        }
        final long a = leafAddress(node);
        for (int j = count(a) - 1; j >= 0; j--)
        {
            final long pfn = Gaps.highestFit(gapLo(a, j), lo(a, j) - 1, pages, alignPages);
            if (pfn != Gaps.NO_FIT)
            {
                return insertAllocated(node, j, pfn, pages, kind);
            }
        }
        throw brokenAugmentation(pages);
    }

    private static IllegalStateException brokenAugmentation(final long pages)
    {
        return new IllegalStateException("gap augmentation is broken: a subtree claims a fit for " + pages +
            " pages that no gap holds");
    }

    private long insertAllocated(final int leaf, final int j, final long pfn, final long pages, final long kind)
    {
        // A leaf with room takes the range without a split: the path then still leads to it.
        final boolean inPlace = count(leafAddress(leaf)) < LEAF_CAPACITY;
        if (inPlace && innerLevels <= inPlaceRoomLevels)
        {
            prepareInPlace();
        }
        else
        {
            prepare(1, 0);
        }
        try
        {
            insertAt(leaf, j, pfn, (pfn + pages - 1) | kind);
            commit();
        }
        catch (final Throwable t)
        {
            rollback();
            throw t;
        }
        allocatedRanges++;
        if (inPlace)
        {
            fingerLeaf = leaf; // a field store, not a call: nothing after the commit may throw StackOverflowError
        }
        return pfn;
    }

    /**
     * Makes room for {@code inserts} insertions and {@code removals} removals (nodes and journal),
     * then opens the undo journal: every allocation an update needs comes before its first write.
     */
    private void prepare(final int inserts, final int removals)
    {
        fingerLeaf = 0;
        ensureRoom(inserts, removals);
        leaves.snapshot(leafStoreState);
        inners.snapshot(innerStoreState);
        openJournal(true);
    }

    /**
     * {@link #prepare} for one insert into a leaf with room, or one removal that leaves its leaf
     * at least {@link #LEAF_MIN} ranges and not its last: such an update allocates and releases no
     * node, so the stores are not snapshotted (the rollback leaves them alone), and the journal
     * already has room for it when the tree has at most {@link #inPlaceRoomLevels} inner levels,
     * which the caller checks. Measured in {@code results/2026-12-04-vm-tree-inplace-prepare}: the
     * fill of a million and the tree pair at a million 14 to 37% faster in every paired round.
     */
    private void prepareInPlace()
    {
        openJournal(false);
    }

    /**
     * Opens the undo journal of an update, its room made: an empty journal and the tree's fields as
     * they are. {@code updating} is set last: a {@link StackOverflowError} before it (in a snapshot
     * call of {@link #prepare}, or at this call) leaves no update open whose saved fields are a
     * previous update's, which the next call's rollback would restore.
     *
     * @param storesSaved whether the stores were snapshotted, so that a rollback restores them.
     */
    private void openJournal(final boolean storesSaved)
    {
        fingerLeaf = 0;
        savedLeaves = 0;
        loggedWords = 0;
        shiftLeaf = 0;
        this.storesSaved = storesSaved;
        rootBefore = root;
        innerLevelsBefore = innerLevels;
        entriesBefore = entries;
        reservedRangesBefore = reservedRanges;
        updating = true;
    }

    /**
     * Makes room for {@code inserts} insertions and {@code removals} removals in one update: nodes
     * in the stores, words and leaf images in the journal. The only step of an update that allocates.
     */
    private void ensureRoom(final int inserts, final int removals)
    {
        if (inserts > 0)
        {
            leaves.reserve(inserts);
            inners.reserve(inserts * (innerLevels + 1) + 1);
            takeChunkTables();
        }
        final int updates = inserts + removals;
        final int words = updates * (innerLevels + 2) * 4 * (2 * INNER_CAPACITY + 4);
        if (wordLogCapacity < words)
        {
            final long capacity = Math.max(words, MIN_LOGGED_WORDS);
            final long address = UnsafeApi.allocateMemory(capacity * WORD_ENTRY_LENGTH); // throws before anything changed
            final long old = wordLogCapacity != 0 ? wordLogAddress : 0;
            wordLogAddress = address; // the new log first: an error at the call below leaks the old one, nothing worse
            wordLogCapacity = capacity;
            if (old != 0)
            {
                UnsafeApi.freeMemory(old);
            }
        }
        final int images = 3 * updates + 2;
        if (leafImages == null || leafImages.capacity() < images * IMAGE_LENGTH)
        {
            final ByteBuffer buffer = ByteBuffer.allocateDirect(images * IMAGE_LENGTH);
            final long address = BufferUtil.address(buffer);
            final ByteBuffer old = leafImages;
            leafImages = buffer; // the new buffer first: an error at the call below leaks the old one, nothing worse
            leafImagesAddress = address;
            if (old != null)
            {
                BufferUtil.free(old);
            }
        }
        // What prepareInPlace may count on: room for one update's words and images, at this many inner levels.
        final int oneUpdateImages = 3 + 2;
        inPlaceRoomLevels = leafImages.capacity() >= oneUpdateImages * IMAGE_LENGTH ?
            (int)Math.min(Integer.MAX_VALUE, wordLogCapacity / (4 * (2 * INNER_CAPACITY + 4)) - 2) : -1;
    }

    /** Keeps an image of a leaf before the update in progress first writes it. */
    private void saveLeaf(final long leaf)
    {
        saveLeafSlots(leaf, 0, LEAF_CAPACITY);
    }

    /**
     * Keeps an image of a leaf's header and of its slots {@code [from, to)}, before the update in
     * progress first writes them: an insert or removal in place shifts only the slots from its
     * position to the leaf's last, and the pair's position is usually near the leaf's end. An image
     * that already holds those slots makes this a no-op; otherwise a new image is taken (a later,
     * wider image of a leaf whose slots were already written is still right: the rollback restores
     * the images newest first, so the narrower, older one puts back what the wider one could not).
     */
    private void saveLeafSlots(final long leaf, final int from, final int to)
    {
        for (int i = 0; i < savedLeaves; i++)
        {
            final long held = leafImagesAddress + (long)i * IMAGE_LENGTH;
            if (UnsafeApi.getLong(held + IMAGE_LEAF_OFFSET) == leaf && UnsafeApi.getInt(held + IMAGE_FROM_OFFSET) <= from &&
                UnsafeApi.getInt(held + IMAGE_TO_OFFSET) >= to)
            {
                return;
            }
        }
        final long image = leafImagesAddress + (long)savedLeaves * IMAGE_LENGTH;
        if (from == 0 && to == LEAF_CAPACITY)
        {
            UnsafeApi.copyMemory(leaf, image, LeafDescriptor.LEAF_LENGTH);
        }
        else
        {
            copyLeafPart(leaf, image, from, to);
        }
        UnsafeApi.putLong(image + IMAGE_LEAF_OFFSET, leaf);
        UnsafeApi.putInt(image + IMAGE_LOG_POSITION_OFFSET, loggedWords);
        UnsafeApi.putInt(image + IMAGE_FROM_OFFSET, from);
        UnsafeApi.putInt(image + IMAGE_TO_OFFSET, to);
        savedLeaves++;
    }

    /**
     * Copies a leaf's header (count, bound, {@code gapLoPfn}) and its slots {@code [from, to)}, at
     * the same offsets, from one 256-byte leaf image to another: word by word, which for the few
     * words of an insert near a leaf's end costs less than a call to the copy stub. Idempotent.
     */
    private static void copyLeafPart(final long source, final long target, final int from, final int to)
    {
        UnsafeApi.putLong(target, UnsafeApi.getLong(source));
        UnsafeApi.putLong(target + GAP_LO, UnsafeApi.getLong(source + GAP_LO));
        for (int i = from; i < to; i++)
        {
            final long offset = (long)i << 3;
            UnsafeApi.putLong(target + LO + offset, UnsafeApi.getLong(source + LO + offset));
            UnsafeApi.putLong(target + HI + offset, UnsafeApi.getLong(source + HI + offset));
        }
    }

    /**
     * Records the one shift an update in place makes in {@code leaf}, before its first write, in
     * place of a leaf image: an insert of {@code [loPfn, ...]} at slot {@code j} moves slots
     * {@code j..count-1} one up, from the top, and then writes slot {@code j}; a removal of
     * {@code [loPfn, hiKind]} at slot {@code j} moves slots {@code j+1..count-1} one down, from the
     * bottom. Each slot is written first pfn first ({@link #setEntry}). The update writes nothing
     * else in the leaf but its header word (count and {@code second}), which is recorded whole.
     * {@link #undoShift} finds from the slots themselves how far the shift got.
     */
    private void recordShift(final long leaf, final int j, final int count, final long loPfn, final long hiKind, final boolean insert)
    {
        final long header = UnsafeApi.getLong(leaf); // the one call: before the record is live
        shiftSlot = j;
        shiftCount = count;
        shiftHeader = header;
        shiftLoPfn = loPfn;
        shiftHiKind = hiKind;
        shiftInsert = insert;
        shiftLeaf = leaf; // last: the record is live, and no slot has been written yet
    }

    /**
     * Undoes the shift {@link #recordShift} recorded in leaf {@code a}, wherever it stopped, and
     * puts the leaf's header word back. Ranges are strictly ordered, so the only two slots in
     * {@code [j, count]} with the same first pfn are the ones a shift (or this undo) was copying
     * between when it stopped: the first such pair tells how far it got. This undo writes each
     * slot last pfn first, the reverse of the update's order, so that a copy it leaves half done
     * also shows as such a pair, and it runs again to the same end when a
     * {@link StackOverflowError} cuts it short ({@link #recover}).
     *
     * @param maxWrites how many 8-byte words to write at most ({@link Integer#MAX_VALUE} but in
     *                  tests, which stop the undo after every possible write).
     * @return whether the undo finished within {@code maxWrites}.
     */
    static boolean undoShift(final long a, final int j, final int count, final long header, final long loPfn, final long hiKind,
        final boolean insert, final int maxWrites)
    {
        int writes = maxWrites;
        if (insert)
        {
            // Slots below the first duplicate hold their ranges; the ones above it hold them one slot up.
            int k = j + 1;
            while (k <= count && lo(a, k) != lo(a, k - 1))
            {
                k++;
            }
            if (k > count)
            {
                // No duplicate: the shift had not begun (slot count may hold a stale copy, which is a duplicate),
                // or it was done and slot j holds the new range, or part of it.
                k = lo(a, j) == loPfn ? j : count;
            }
            for (int i = k; i < count; i++)
            {
                if (--writes < 0)
                {
                    return false;
                }
                UnsafeApi.putLong(a + HI + ((long)i << 3), hiKind(a, i + 1));
                if (--writes < 0)
                {
                    return false;
                }
                UnsafeApi.putLong(a + LO + ((long)i << 3), lo(a, i + 1));
            }
        }
        else
        {
            // Slots below the first duplicate hold the range above theirs; the ones from it up hold their own.
            int k = j;
            while (k < count - 1 && lo(a, k) != lo(a, k + 1))
            {
                k++;
            }
            if (k < count - 1)
            {
                for (int i = k; i >= j; i--)
                {
                    if (--writes < 0)
                    {
                        return false;
                    }
                    UnsafeApi.putLong(a + HI + ((long)i << 3), i > j ? hiKind(a, i - 1) : hiKind);
                    if (--writes < 0)
                    {
                        return false;
                    }
                    UnsafeApi.putLong(a + LO + ((long)i << 3), i > j ? lo(a, i - 1) : loPfn);
                }
            }
            // No duplicate: the removal had not begun, or this undo finished.
        }
        if (--writes < 0)
        {
            return false;
        }
        UnsafeApi.putLong(a, header);
        return true;
    }

    /** Keeps the old value of an 8-byte word the update in progress is about to write. */
    private void logWord(final long address)
    {
        final long entry = wordLogAddress + ((long)loggedWords << 4);
        UnsafeApi.putLong(entry, address);
        UnsafeApi.putLong(entry + Long.BYTES, UnsafeApi.getLong(address));
        loggedWords++;
    }

    /**
     * Undoes the update in progress after a {@link Throwable}, newest change first: logged words
     * and leaf images in the reverse of the order they were taken, then the stores' free lists
     * and the tree's fields. It runs where the update began, with the stack the update's deeper
     * calls gave back; should it still be cut short (a {@link StackOverflowError} in the replay
     * itself), every step it took is idempotent and the next call into the tree finishes it
     * ({@link #recover()}) before doing anything else.
     */
    private void rollback()
    {
        while (loggedWords > 0 || savedLeaves > 0)
        {
            final long image = leafImagesAddress + (long)(savedLeaves - 1) * IMAGE_LENGTH;
            if (savedLeaves > 0 && UnsafeApi.getInt(image + IMAGE_LOG_POSITION_OFFSET) >= loggedWords)
            {
                copyLeafPart(image, UnsafeApi.getLong(image + IMAGE_LEAF_OFFSET), UnsafeApi.getInt(image + IMAGE_FROM_OFFSET),
                    UnsafeApi.getInt(image + IMAGE_TO_OFFSET));
                savedLeaves--;
            }
            else
            {
                final int word = loggedWords - 1;
                final long entry = wordLogAddress + ((long)word << 4);
                UnsafeApi.putLong(UnsafeApi.getLong(entry), UnsafeApi.getLong(entry + Long.BYTES));
                loggedWords = word;
            }
        }
        if (shiftLeaf != 0)
        {
            undoShift(shiftLeaf, shiftSlot, shiftCount, shiftHeader, shiftLoPfn, shiftHiKind, shiftInsert, Integer.MAX_VALUE);
            shiftLeaf = 0;
        }
        if (storesSaved)
        {
            leaves.restore(leafStoreState);
            inners.restore(innerStoreState);
        }
        root = rootBefore;
        innerLevels = innerLevelsBefore;
        entries = entriesBefore;
        reservedRanges = reservedRangesBefore;
        fingerLeaf = 0;
        updating = false;
    }

    /** Ends the update in progress: from here its changes stay; the path may no longer describe them. */
    private void commit()
    {
        fingerLeaf = 0;
        updating = false;
    }

    /** Finishes undoing an update that a {@link Throwable} cut short, if there is one: every public method starts here. */
    private void recover()
    {
        if (updating)
        {
            rollback();
        }
    }

    /**
     * A range {@code [loPfn, hiPfn]} was put in a boundary gap {@code [gapLoPfn, gapHiPfn]} of the
     * path's leaf: the lowest gap of the space ({@code lowestGap}: the piece below the range stays
     * the lowest gap) or the anchor's ({@code anchorGap}: the piece above stays the anchor's), or
     * both in a tree without ranges. Neither boundary gap's share of the maxima changes (the lowest
     * has none, the anchor's is its constant claim); the piece that is no longer a boundary gap now
     * counts, so the leaf's maxima can only grow, to that piece's. Filling down from a limit splits
     * the anchor's gap or the lowest gap each time, and then no maximum changes: the repair stops
     * at the leaf's slot.
     */
    private void splitBoundaryGap(
        final long a, final boolean lowestGap, final boolean anchorGap, final long gapLoPfn, final long gapHiPfn, final long loPfn,
        final long hiPfn)
    {
        if (lowestGap && anchorGap)
        {
            return;
        }
        final long parent = innerAddress(pathNode[innerLevels - 1]);
        final int idx = pathIdx[innerLevels - 1];
        final long oldMaxGap = maxGap(parent, idx);
        final long pieceLoPfn = lowestGap ? hiPfn + 1 : gapLoPfn;
        final long pieceHiPfn = lowestGap ? gapHiPfn : loPfn - 1;
        final long piecePages = pieceHiPfn - pieceLoPfn + 1;
        if (piecePages <= 0)
        {
            return;
        }
        raiseSecondOfLeaf(a, 0, piecePages, oldMaxGap);
        final int classes = trackClasses ? gapClasses(parent, idx) | InnerDescriptor.gapLengthClass(piecePages) : ALL_CLASSES;
        repairUp(pathNode, pathIdx, innerLevels - 1, Math.max(oldMaxGap, piecePages),
            Math.max(maxFit(parent, idx), Gaps.alignedFitPages(pieceLoPfn, pieceHiPfn)), classes);
    }

    /**
     * A range {@code [loPfn, hiPfn]} was put in gap {@code [gapLoPfn, gapHiPfn]} of the path's leaf,
     * a gap that held the leaf's longest gap ({@code gapHeld}) or its largest fit ({@code fitHeld}). When the longer
     * of the two pieces left is at least the leaf's bound on every other gap ({@link #second}),
     * that piece is the leaf's new maximum and no other gap needs reading; the same for the fit.
     * Otherwise (another gap may now be the longest) the leaf is scanned. Then the path is repaired.
     */
    private void splitLongestGap(
        final long a, final long parent, final int idx, final boolean gapHeld, final boolean fitHeld, final long oldMaxGap,
        final long oldMaxFit, final long gapLoPfn, final long gapHiPfn, final long loPfn, final long hiPfn)
    {
        final long below = loPfn - gapLoPfn;
        final long above = gapHiPfn - hiPfn;
        final long bound = second(a);
        long gap = oldMaxGap;
        long fit = oldMaxFit;
        boolean known = true;
        if (gapHeld)
        {
            gap = Math.max(below, above);
            known = gap >= bound;
        }
        if (known && fitHeld)
        {
            fit = Math.max(below == 0 ? 0 : Gaps.alignedFitPages(gapLoPfn, loPfn - 1),
                above == 0 ? 0 : Gaps.alignedFitPages(hiPfn + 1, gapHiPfn));
            known = fit >= bound;
        }
        if (!known)
        {
            summarizeLeaf(a);
            repairUp(pathNode, pathIdx, innerLevels - 1, summaryGap, summaryFit, summaryClasses);
            return;
        }
        // Every other gap, and so every other fit, is at most max(bound, the shorter piece).
        final long shorter = Math.min(below, above);
        if (shorter > bound)
        {
            setSecond(a, shorter);
        }
        final int classes = trackClasses ?
            gapClasses(parent, idx) | InnerDescriptor.gapLengthClass(below) | InnerDescriptor.gapLengthClass(above) : ALL_CLASSES;
        repairUp(pathNode, pathIdx, innerLevels - 1, gap, fit, classes);
    }

    /**
     * Inserts a range before range {@code j} of {@code leaf}, in the gap that range owns; the
     * path of the last descent must lead to {@code leaf}. Room was made by {@link #prepare}.
     */
    private void insertAt(final int leaf, final int j, final long loPfn, final long hiKind)
    {
        final long a = leafAddress(leaf);
        final int count = count(a);
        if (!storesSaved)
        {
            recordShift(a, j, count, loPfn, hiKind, true); // an update in place (the leaf has room)
        }
        else if (count < LEAF_CAPACITY)
        {
            saveLeafSlots(a, j, count); // in place, the insert writes slots j to count, and slot count was beyond the leaf's ranges
        }
        else
        {
            saveLeaf(a);
        }
        entries++;
        if (count < LEAF_CAPACITY)
        {
            // The range splits gap j into two shorter ones: the leaf's maxima change only if gap j held one.
            final long splitGapLoPfn = gapLo(a, j);
            final long splitGapHiPfn = lo(a, j) - 1;
            final boolean lowestGap = j == 0 && splitGapLoPfn == startPfn;
            final boolean anchorGap = lo(a, j) == anchorPfn;
            for (int i = count; i > j; i--)
            {
                setEntry(a, i, lo(a, i - 1), hiKind(a, i - 1));
            }
            setEntry(a, j, loPfn, hiKind);
            setCount(a, count + 1);
            if (innerLevels > 0 && (lowestGap || anchorGap))
            {
                splitBoundaryGap(a, lowestGap, anchorGap, splitGapLoPfn, splitGapHiPfn, loPfn, hiKind & PFN_MASK);
            }
            else if (innerLevels > 0)
            {
                final long parent = innerAddress(pathNode[innerLevels - 1]);
                final int idx = pathIdx[innerLevels - 1];
                final long oldMaxGap = maxGap(parent, idx);
                final long oldMaxFit = maxFit(parent, idx);
                final boolean gapHeld = splitGapHiPfn - splitGapLoPfn + 1 >= oldMaxGap;
                final boolean fitHeld = Gaps.alignedFitPages(splitGapLoPfn, splitGapHiPfn) >= oldMaxFit;
                if (gapHeld || fitHeld)
                {
                    splitLongestGap(a, parent, idx, gapHeld, fitHeld, oldMaxGap, oldMaxFit, splitGapLoPfn, splitGapHiPfn, loPfn,
                        hiKind & PFN_MASK);
                }
                else if (trackClasses)
                {
                    // The maxima stand; the two shorter gaps may add length classes.
                    final int slotClasses = gapClasses(parent, idx);
                    final int classes = slotClasses | InnerDescriptor.gapLengthClass(loPfn - splitGapLoPfn) |
                        InnerDescriptor.gapLengthClass(splitGapHiPfn - (hiKind & PFN_MASK));
                    if (classes != slotClasses)
                    {
                        repairUp(pathNode, pathIdx, innerLevels - 1, maxGap(parent, idx), maxFit(parent, idx), classes);
                    }
                }
            }
            return;
        }
        if (shareWithSibling(a))
        {
            // Room was made by moving ranges to a sibling: find the range's place again and insert there.
            entries--;
            final int target = descend(loPfn);
            final long t = leafAddress(target);
            final int k = rangesStartingAtOrBelow(t, loPfn);
            insertAt(target, k, loPfn, hiKind);
            return;
        }
        splitLeaf(leaf, a, j, loPfn, hiKind);
    }

    /**
     * A full leaf about to take a range first tries to move some of its ranges to a sibling with
     * {@link #LEAF_SHARE_MIN_FREE} free slots (as a B*-tree does), which keeps leaves fuller than
     * splitting in the middle would: random placement then holds about 27 bytes per range instead of 32.
     *
     * @return whether ranges moved; the path no longer leads where the range goes then.
     */
    private boolean shareWithSibling(final long a)
    {
        if (innerLevels == 0)
        {
            return false;
        }
        final int level = innerLevels - 1;
        final long parent = innerAddress(pathNode[level]);
        final int idx = pathIdx[level];
        final int parentCount = count(parent);
        int leftIdx = -1;
        if (idx + 1 < parentCount && count(leafAddress(child(parent, idx + 1))) <= LEAF_CAPACITY - LEAF_SHARE_MIN_FREE)
        {
            leftIdx = idx;
        }
        else if (idx > 0 && count(leafAddress(child(parent, idx - 1))) <= LEAF_CAPACITY - LEAF_SHARE_MIN_FREE)
        {
            leftIdx = idx - 1;
        }
        if (leftIdx < 0)
        {
            return false;
        }
        evenOutLeaves(level, parent, leftIdx);
        return true;
    }

    /** Splits a full leaf while inserting a range into it, then hands the new right half to the parent. */
    private void splitLeaf(final int leaf, final long a, final int j, final long loPfn, final long hiKind)
    {
        final long[] los = scratchA;
        final long[] his = scratchB;
        for (int i = 0, s = 0; i <= LEAF_CAPACITY; i++)
        {
            if (i == j)
            {
                los[i] = loPfn;
                his[i] = hiKind;
            }
            else
            {
                los[i] = lo(a, s);
                his[i] = hiKind(a, s);
                s++;
            }
        }
        // At an end, split at the insertion point: ascending and descending fills then leave full leaves.
        final int leftCount = j == 0 ? 1 : j == LEAF_CAPACITY - 1 ? LEAF_CAPACITY : (LEAF_CAPACITY + 1) / 2;
        final int right = leaves.allocate();
        final long b = leafAddress(right);
        saveLeaf(b); // its first word links the free list until now
        for (int i = 0; i < leftCount; i++)
        {
            setEntry(a, i, los[i], his[i]);
        }
        for (int i = leftCount; i <= LEAF_CAPACITY; i++)
        {
            setEntry(b, i - leftCount, los[i], his[i]);
        }
        setCount(a, leftCount);
        setCount(b, LEAF_CAPACITY + 1 - leftCount);
        final long rightSep = (his[leftCount - 1] & PFN_MASK) + 1;
        UnsafeApi.putLong(b + GAP_LO, rightSep);
        summarizeLeaf(a);
        final long leftGap = summaryGap;
        final long leftFit = summaryFit;
        final int leftClasses = summaryClasses;
        summarizeLeaf(b);
        addSibling(innerLevels - 1, leftGap, leftFit, leftClasses, right, rightSep, summaryGap, summaryFit, summaryClasses);
    }

    /**
     * The child on the path at {@code level} was split: stores its new maxima and inserts its
     * new right sibling after it, splitting full inner nodes upward and growing a new root when
     * the old one splits.
     */
    private void addSibling(
        int level, long leftGap, long leftFit, int leftClasses, int sibling, long siblingSep, long siblingGap, long siblingFit,
        int siblingClasses)
    {
        while (level >= 0)
        {
            final int node = pathNode[level];
            final long inner = innerAddress(node);
            final int count = count(inner);
            final int idx = pathIdx[level];
            if (count < INNER_CAPACITY)
            {
                for (int i = count; i > idx + 1; i--)
                {
                    copySlot(inner, i - 1, inner, i);
                }
                setMaxima(inner, idx, leftGap, leftFit, leftClasses);
                setSlot(inner, idx + 1, sibling, siblingSep, siblingGap, siblingFit, siblingClasses);
                setInnerCount(inner, count + 1);
                summarizeInner(inner);
                repairUp(pathNode, pathIdx, level - 1, summaryGap, summaryFit, summaryClasses);
                return;
            }
            // Split this node too: 17 children, 9 stay, 8 move to a new right sibling.
            final long[] children = scratchA;
            final long[] seps = scratchB;
            final long[] gaps = scratchC;
            final long[] fits = scratchD;
            final int[] classes = scratchE;
            for (int i = 0, s = 0; i <= INNER_CAPACITY; i++)
            {
                if (i == idx + 1)
                {
                    children[i] = sibling;
                    seps[i] = siblingSep;
                    gaps[i] = siblingGap;
                    fits[i] = siblingFit;
                    classes[i] = siblingClasses;
                }
                else
                {
                    children[i] = child(inner, s);
                    seps[i] = sep(inner, s);
                    gaps[i] = i == idx ? leftGap : maxGap(inner, s);
                    fits[i] = i == idx ? leftFit : maxFit(inner, s);
                    classes[i] = i == idx ? leftClasses : gapClasses(inner, s);
                    s++;
                }
            }
            final int leftCount = (INNER_CAPACITY + 2) / 2;
            final int right = inners.allocate();
            final long b = innerAddress(right);
            logWord(b); // its first word links the free list until now
            for (int i = 0; i < leftCount; i++)
            {
                setSlot(inner, i, (int)children[i], seps[i], gaps[i], fits[i], classes[i]);
            }
            for (int i = leftCount; i <= INNER_CAPACITY; i++)
            {
                setSlot(b, i - leftCount, (int)children[i], seps[i], gaps[i], fits[i], classes[i]);
            }
            setInnerCount(inner, leftCount);
            setInnerCount(b, INNER_CAPACITY + 1 - leftCount);
            summarizeInner(inner);
            leftGap = summaryGap;
            leftFit = summaryFit;
            leftClasses = summaryClasses;
            summarizeInner(b);
            sibling = right;
            siblingSep = seps[leftCount];
            siblingGap = summaryGap;
            siblingFit = summaryFit;
            siblingClasses = summaryClasses;
            level--;
        }
        // The root split: a new root above the two halves.
        final int newRoot = inners.allocate();
        final long r = innerAddress(newRoot);
        logWord(r); // its first word links the free list until now
        setSlot(r, 0, root, startPfn, leftGap, leftFit, leftClasses);
        setSlot(r, 1, sibling, siblingSep, siblingGap, siblingFit, siblingClasses);
        setInnerCount(r, 2);
        root = newRoot;
        innerLevels++;
    }

    /**
     * Stores a child's new maxima in its slot at {@code level} of a path, then its node's maxima
     * one level up, and so on, until a slot already holds what it would get.
     */
    private void repairUp(final int[] nodes, final int[] idxs, final int fromLevel, long gap, long fit, int classes)
    {
        for (int level = fromLevel; level >= 0; level--)
        {
            final long inner = innerAddress(nodes[level]);
            final int c = idxs[level];
            final long oldGap = maxGap(inner, c);
            final long oldFit = maxFit(inner, c);
            final int oldClasses = gapClasses(inner, c);
            if (oldGap == gap && oldFit == fit && oldClasses == classes)
            {
                return;
            }
            if (level == 0)
            {
                // The root's own maxima are kept nowhere, nor its argmax summary.
                setMaxima(inner, c, gap, fit, classes);
                return;
            }
            writeMaxima(inner, c, gap, fit, classes);
            // This node's maxima, as its parent holds them, and its argmax summary give its new
            // maxima without a rescan unless the child holding one shrank below the node's second.
            final long parent = innerAddress(nodes[level - 1]);
            final int p = idxs[level - 1];
            // Classes only gained: the node's are its old ones plus those; some lost: rescan.
            classes = (oldClasses & ~classes) == 0 ? gapClasses(parent, p) | classes : classesOf(inner);
            if (argmax(inner) == NO_ARGMAX)
            {
                gap = rescanMaximum(inner, MAX_GAP, ARGMAX_GAP, SECOND_GAP);
                fit = rescanMaximum(inner, MAX_FIT, ARGMAX_FIT, SECOND_FIT);
            }
            else
            {
                gap = gap == oldGap ? maxGap(parent, p) : nextMaximum(inner, MAX_GAP, ARGMAX_GAP, SECOND_GAP, c, gap, maxGap(parent, p));
                fit = fit == oldFit ? maxFit(parent, p) : nextMaximum(inner, MAX_FIT, ARGMAX_FIT, SECOND_FIT, c, fit, maxFit(parent, p));
            }
        }
    }

    /** @return the union of an inner node's per-child gap-length classes. */
    private static int classesOf(final long inner)
    {
        int classes = 0;
        for (int i = 0, count = count(inner); i < count; i++)
        {
            classes |= gapClasses(inner, i);
        }
        return classes;
    }

    // ---------------------------------------------------------------------------------------------
    // Free, find, reserve
    // ---------------------------------------------------------------------------------------------

    /**
     * Frees an allocation.
     *
     * @param pfn   any pfn of the allocation when {@code pages == 0}; its first pfn otherwise.
     * @param pages 0 to free whatever holds {@code pfn}; otherwise the exact length expected.
     * @param kind  the kind the range must have: {@link LeafDescriptor#KIND_ALLOCATED} or
     *              {@link LeafDescriptor#KIND_CACHED}.
     * @throws IllegalArgumentException when no allocation of that kind matches; the tree is then unchanged.
     */
    public void free(final long pfn, final long pages, final long kind)
    {
        recover();
        final int leaf = descend(pfn);
        final long a = leafAddress(leaf);
        final int j = rangesStartingAtOrBelow(a, pfn) - 1;
        final long hiKind = j >= 0 ? hiKind(a, j) : 0;
        final long hiPfn = hiKind & PFN_MASK;
        if (j < 0 || pfn > hiPfn || pfn > lastPfn)
        {
            throw new IllegalArgumentException("no allocation holds pfn=0x" + Long.toHexString(pfn) +
                " (never allocated, already freed, or outside the domain)");
        }
        final long loPfn = lo(a, j);
        final long rangeKind = hiKind & LeafDescriptor.KIND_MASK;
        if (pages != 0 && (loPfn != pfn || hiPfn - loPfn + 1 != pages) || rangeKind != kind)
        {
            throw badFree(pfn, pages, kind, loPfn, hiPfn, rangeKind);
        }
        if (hiPfn >= hintPfn)
        {
            hintPfn = 0; // the gap that grows reaches the hint's range or above it
        }
        // Not the leaf's last range and no rebalance: the leaf stays, and the path to it.
        final int count = count(a);
        final boolean inPlace = j < count - 1 && count - 1 >= LEAF_MIN;
        if (inPlace && innerLevels <= inPlaceRoomLevels)
        {
            prepareInPlace();
        }
        else
        {
            prepare(0, 1);
        }
        try
        {
            removeAt(leaf, a, j);
            commit();
        }
        catch (final Throwable t)
        {
            rollback();
            throw t;
        }
        allocatedRanges--;
        if (inPlace)
        {
            fingerLeaf = leaf; // a field store, not a call: nothing after the commit may throw StackOverflowError
        }
    }

    private static IllegalArgumentException badFree(
        final long pfn, final long pages, final long kind, final long loPfn, final long hiPfn, final long rangeKind)
    {
        if (rangeKind == LeafDescriptor.KIND_RESERVED)
        {
            return new IllegalArgumentException("pfn=0x" + Long.toHexString(pfn) + " is in reserved range [0x" +
                Long.toHexString(loPfn) + ", 0x" + Long.toHexString(hiPfn) + "], which cannot be freed");
        }
        if (pages != 0 && (loPfn != pfn || hiPfn - loPfn + 1 != pages))
        {
            return new IllegalArgumentException("free(pfn=0x" + Long.toHexString(pfn) + ", pages=" + pages +
                ") does not match allocation [0x" + Long.toHexString(loPfn) + ", 0x" + Long.toHexString(hiPfn) + "] of " +
                (hiPfn - loPfn + 1) + " pages");
        }
        return new IllegalArgumentException("pfn=0x" + Long.toHexString(pfn) + " is in range [0x" + Long.toHexString(loPfn) +
            ", 0x" + Long.toHexString(hiPfn) + "], which " + (kind == LeafDescriptor.KIND_CACHED ?
            "the range caches do not own" :
            "belongs to the range caches: handed out by allocFast (free it with freeFast), or already freed into a cache"));
    }

    /** Removes range {@code j} of {@code leaf} (path of the last descent leads to it); its pages join the next gap. */
    private void removeAt(final int leaf, final long a, final int j)
    {
        final int count = count(a);
        final boolean wasLast = j == count - 1;
        final long freedGapLoPfn = gapLo(a, j);
        final long removedLoPfn = lo(a, j);
        final long removedHiPfn = hi(a, j);
        if (!storesSaved)
        {
            recordShift(a, j, count, removedLoPfn, hiKind(a, j), false); // an update in place: no rebalance, not the leaf's last range
        }
        else
        {
            saveLeafSlots(a, j, count - 1); // the removal writes slots j to count - 2 (slot count - 1 ends up beyond the ranges); a rebalance below saves the whole leaf
        }
        for (int i = j; i < count - 1; i++)
        {
            setEntry(a, i, lo(a, i + 1), hiKind(a, i + 1));
        }
        setCount(a, count - 1);
        entries--;
        if (innerLevels == 0)
        {
            return; // a root leaf has no slot to keep its maxima in
        }
        if (wasLast)
        {
            growFirstGapOfNextLeaf(freedGapLoPfn);
        }
        if (count - 1 < LEAF_MIN)
        {
            rebalanceLeaf();
        }
        else if (wasLast)
        {
            // Gap j moved to the next leaf: this leaf's maxima may shrink.
            summarizeLeaf(a);
            repairUp(pathNode, pathIdx, innerLevels - 1, summaryGap, summaryFit, summaryClasses);
        }
        else if (j == 0 && freedGapLoPfn == startPfn || lo(a, j) == anchorPfn)
        {
            // Gap j, the range and gap j + 1 became a boundary gap, whose share of the maxima does not
            // change: they stand unless a gap that merged into it held one (never beside the anchor, whose claim is the maximum).
            final long parent = innerAddress(pathNode[innerLevels - 1]);
            final int idx = pathIdx[innerLevels - 1];
            final long belowPages = j == 0 && freedGapLoPfn == startPfn ? 0 : removedLoPfn - freedGapLoPfn;
            final long abovePages = lo(a, j) == anchorPfn ? 0 : lo(a, j) - 1 - removedHiPfn;
            final long lostPages = Math.max(belowPages, abovePages);
            if (lostPages > 0 && (lostPages >= maxGap(parent, idx) ||
                belowPages > 0 && Gaps.alignedFitPages(freedGapLoPfn, removedLoPfn - 1) >= maxFit(parent, idx) ||
                abovePages > 0 && Gaps.alignedFitPages(removedHiPfn + 1, lo(a, j) - 1) >= maxFit(parent, idx)))
            {
                summarizeLeaf(a);
                repairUp(pathNode, pathIdx, innerLevels - 1, summaryGap, summaryFit, summaryClasses);
            }
        }
        else
        {
            // Gap j, the range and gap j + 1 became one gap: the maxima can only grow, to its values.
            final long parent = innerAddress(pathNode[innerLevels - 1]);
            final int idx = pathIdx[innerLevels - 1];
            final long mergedHiPfn = lo(a, j) - 1;
            raiseSecondOfLeaf(a, Math.max(removedLoPfn - freedGapLoPfn, mergedHiPfn - removedHiPfn), mergedHiPfn - freedGapLoPfn + 1,
                maxGap(parent, idx));
            final long gap = Math.max(maxGap(parent, idx), mergedHiPfn - freedGapLoPfn + 1);
            final long fit = Math.max(maxFit(parent, idx), Gaps.alignedFitPages(freedGapLoPfn, mergedHiPfn));
            final int classes = trackClasses ?
                gapClasses(parent, idx) | InnerDescriptor.gapLengthClass(mergedHiPfn - freedGapLoPfn + 1) : ALL_CLASSES;
            repairUp(pathNode, pathIdx, innerLevels - 1, gap, fit, classes);
        }
    }

    /**
     * The last range of the path's leaf was removed: the first gap of the next leaf now starts at
     * {@code gapLoPfn}. Sets it there, in the separators above that leaf, and repairs the maxima
     * along that leaf's path. The anchor is never removed, so a next leaf exists.
     */
    private void growFirstGapOfNextLeaf(final long gapLoPfn)
    {
        int level = innerLevels - 1;
        while (level >= 0 && pathIdx[level] == count(innerAddress(pathNode[level])) - 1)
        {
            level--;
        }
        if (level < 0)
        {
            throw new IllegalStateException("tree is broken: the last range of the tree was removed, not the anchor");
        }
        System.arraycopy(pathNode, 0, nextNode, 0, level + 1);
        System.arraycopy(pathIdx, 0, nextIdx, 0, level + 1);
        final long split = innerAddress(pathNode[level]);
        final int c = pathIdx[level] + 1;
        nextIdx[level] = c;
        setSep(split, c, gapLoPfn);
        int node = child(split, c);
        for (int l = level + 1; l < innerLevels; l++)
        {
            final long inner = innerAddress(node);
            setSep(inner, 0, gapLoPfn);
            nextNode[l] = node;
            nextIdx[l] = 0;
            node = child(inner, 0);
        }
        final long next = leafAddress(node);
        final long oldFirstGapPages = lo(next, 0) - UnsafeApi.getLong(next + GAP_LO);
        logWord(next); // its count and bound on the second-longest gap: the leaf is not saved
        logWord(next + GAP_LO);
        UnsafeApi.putLong(next + GAP_LO, gapLoPfn);
        if (lo(next, 0) == anchorPfn || gapLoPfn == startPfn)
        {
            return; // a boundary gap grew: its share of the maxima does not change
        }
        // Its first gap only grew: the leaf's maxima can only grow, to that gap's values.
        final long parent = innerAddress(nextNode[innerLevels - 1]);
        final int idx = nextIdx[innerLevels - 1];
        final long gapHiPfn = lo(next, 0) - 1;
        raiseSecondOfLeaf(next, oldFirstGapPages, gapHiPfn - gapLoPfn + 1, maxGap(parent, idx));
        repairUp(nextNode, nextIdx, innerLevels - 1, Math.max(maxGap(parent, idx), gapHiPfn - gapLoPfn + 1),
            Math.max(maxFit(parent, idx), Gaps.alignedFitPages(gapLoPfn, gapHiPfn)),
            trackClasses ? gapClasses(parent, idx) | InnerDescriptor.gapLengthClass(gapHiPfn - gapLoPfn + 1) : ALL_CLASSES);
    }

    /** The path's leaf fell below {@link #LEAF_MIN}: merge it with a sibling or even the two out. */
    private void rebalanceLeaf()
    {
        final int level = innerLevels - 1;
        final long parent = innerAddress(pathNode[level]);
        final int parentCount = count(parent);
        final int idx = pathIdx[level];
        if (parentCount == 1)
        {
            summarizeLeaf(leafAddress(child(parent, idx)));
            repairUp(pathNode, pathIdx, level, summaryGap, summaryFit, summaryClasses);
            return;
        }
        final int leftIdx = idx + 1 < parentCount ? idx : idx - 1;
        final long l = leafAddress(child(parent, leftIdx));
        final int rightLeaf = child(parent, leftIdx + 1);
        final long r = leafAddress(rightLeaf);
        final int leftCount = count(l);
        final int rightCount = count(r);
        if (leftCount + rightCount <= LEAF_MERGE_MAX)
        {
            saveLeaf(l);
            saveLeaf(r);
            for (int i = 0; i < rightCount; i++)
            {
                setEntry(l, leftCount + i, lo(r, i), hiKind(r, i));
            }
            setCount(l, leftCount + rightCount);
            summarizeLeaf(l);
            setMaxima(parent, leftIdx, summaryGap, summaryFit, summaryClasses);
            removeSlot(parent, leftIdx + 1);
            leaves.release(rightLeaf);
            rebalanceInner(level);
            return;
        }
        evenOutLeaves(level, parent, leftIdx);
    }

    /**
     * Evens out two sibling leaves, children {@code leftIdx} and {@code leftIdx + 1} of the inner
     * node at {@code level} of the path, then repairs the right one's separator and both slots, and
     * the path above.
     */
    private void evenOutLeaves(final int level, final long parent, final int leftIdx)
    {
        final long l = leafAddress(child(parent, leftIdx));
        final long r = leafAddress(child(parent, leftIdx + 1));
        saveLeaf(l);
        saveLeaf(r);
        final int leftCount = count(l);
        final int rightCount = count(r);
        final int newLeft = (leftCount + rightCount) / 2;
        if (leftCount < newLeft)
        {
            final int moved = newLeft - leftCount;
            for (int i = 0; i < moved; i++)
            {
                setEntry(l, leftCount + i, lo(r, i), hiKind(r, i));
            }
            for (int i = moved; i < rightCount; i++)
            {
                setEntry(r, i - moved, lo(r, i), hiKind(r, i));
            }
            setCount(r, rightCount - moved);
        }
        else
        {
            final int moved = leftCount - newLeft;
            for (int i = rightCount - 1; i >= 0; i--)
            {
                setEntry(r, i + moved, lo(r, i), hiKind(r, i));
            }
            for (int i = 0; i < moved; i++)
            {
                setEntry(r, i, lo(l, newLeft + i), hiKind(l, newLeft + i));
            }
            setCount(r, rightCount + moved);
        }
        setCount(l, newLeft);
        final long rightSep = hi(l, newLeft - 1) + 1;
        UnsafeApi.putLong(r + GAP_LO, rightSep);
        setSep(parent, leftIdx + 1, rightSep);
        summarizeLeaf(l);
        setMaxima(parent, leftIdx, summaryGap, summaryFit, summaryClasses);
        summarizeLeaf(r);
        setMaxima(parent, leftIdx + 1, summaryGap, summaryFit, summaryClasses);
        if (level > 0)
        {
            summarizeInner(parent);
            repairUp(pathNode, pathIdx, level - 1, summaryGap, summaryFit, summaryClasses);
        }
    }

    private void removeSlot(final long inner, final int i)
    {
        final int count = count(inner);
        for (int s = i; s < count - 1; s++)
        {
            copySlot(inner, s + 1, inner, s);
        }
        setInnerCount(inner, count - 1);
    }

    /** The inner node on the path at {@code level} lost a child: merge, even out or shrink the root as needed. */
    private void rebalanceInner(int level)
    {
        while (true)
        {
            final int node = pathNode[level];
            final long inner = innerAddress(node);
            final int count = count(inner);
            if (level == 0)
            {
                if (count == 1)
                {
                    root = child(inner, 0);
                    innerLevels--;
                    logWord(inner);
                    inners.release(node);
                }
                return;
            }
            if (count >= INNER_MIN)
            {
                summarizeInner(inner);
                repairUp(pathNode, pathIdx, level - 1, summaryGap, summaryFit, summaryClasses);
                return;
            }
            final long parent = innerAddress(pathNode[level - 1]);
            final int parentCount = count(parent);
            final int idx = pathIdx[level - 1];
            if (parentCount == 1)
            {
                summarizeInner(inner);
                repairUp(pathNode, pathIdx, level - 1, summaryGap, summaryFit, summaryClasses);
                return;
            }
            final int leftIdx = idx + 1 < parentCount ? idx : idx - 1;
            final long l = innerAddress(child(parent, leftIdx));
            final int rightNode = child(parent, leftIdx + 1);
            final long r = innerAddress(rightNode);
            final int leftCount = count(l);
            final int rightCount = count(r);
            if (leftCount + rightCount <= INNER_MERGE_MAX)
            {
                for (int i = 0; i < rightCount; i++)
                {
                    copySlot(r, i, l, leftCount + i);
                }
                setInnerCount(l, leftCount + rightCount);
                summarizeInner(l);
                setMaxima(parent, leftIdx, summaryGap, summaryFit, summaryClasses);
                removeSlot(parent, leftIdx + 1);
                logWord(r);
                inners.release(rightNode);
                level--;
                continue;
            }
            final int newLeft = (leftCount + rightCount) / 2;
            if (leftCount < newLeft)
            {
                final int moved = newLeft - leftCount;
                for (int i = 0; i < moved; i++)
                {
                    copySlot(r, i, l, leftCount + i);
                }
                for (int i = moved; i < rightCount; i++)
                {
                    copySlot(r, i, r, i - moved);
                }
                setInnerCount(r, rightCount - moved);
            }
            else
            {
                final int moved = leftCount - newLeft;
                for (int i = rightCount - 1; i >= 0; i--)
                {
                    copySlot(r, i, r, i + moved);
                }
                for (int i = 0; i < moved; i++)
                {
                    copySlot(l, newLeft + i, r, i);
                }
                setInnerCount(r, rightCount + moved);
            }
            setInnerCount(l, newLeft);
            setSep(parent, leftIdx + 1, sep(r, 0));
            summarizeInner(l);
            setMaxima(parent, leftIdx, summaryGap, summaryFit, summaryClasses);
            summarizeInner(r);
            setMaxima(parent, leftIdx + 1, summaryGap, summaryFit, summaryClasses);
            summarizeInner(parent);
            repairUp(pathNode, pathIdx, level - 2, summaryGap, summaryFit, summaryClasses);
            return;
        }
    }

    /**
     * Finds the range (allocated or reserved, never the anchor) that holds {@code pfn}; read it
     * with {@link #foundLoPfn()}, {@link #foundHiPfn()} and {@link #foundKind()}.
     *
     * @param pfn any pfn.
     * @return whether a range holds it.
     */
    public boolean find(final long pfn)
    {
        recover();
        return locate(pfn);
    }

    /** {@link #find} inside an update: no {@link #recover()}. */
    private boolean locate(final long pfn)
    {
        if (pfn > lastPfn)
        {
            return false;
        }
        final long a = leafAddress(descend(pfn));
        final int j = rangesStartingAtOrBelow(a, pfn) - 1;
        if (j < 0 || hi(a, j) < pfn)
        {
            return false;
        }
        foundLoPfn = lo(a, j);
        foundHiKind = hiKind(a, j);
        return true;
    }

    /** @return the first pfn of the range {@link #find} found. */
    public long foundLoPfn()
    {
        return foundLoPfn;
    }

    /** @return the last pfn (inclusive) of the range {@link #find} found. */
    public long foundHiPfn()
    {
        return foundHiKind & PFN_MASK;
    }

    /** @return the kind ({@link LeafDescriptor#KIND_ALLOCATED}, {@code KIND_RESERVED} or {@code KIND_CACHED}) of the range {@link #find} found. */
    public long foundKind()
    {
        return foundHiKind & LeafDescriptor.KIND_MASK;
    }

    /**
     * Finds the first range, in ascending order, that overlaps {@code [loPfn, hiPfn]} and is
     * reserved (the anchor excepted) when {@code reserved}, allocated otherwise; read it with
     * {@link #foundLoPfn()} and {@link #foundHiPfn()}. O(log n + ranges overlapping).
     *
     * @return whether there is one.
     */
    private boolean findOverlapping(final long loPfn, final long hiPfn, final boolean reserved)
    {
        int leaf = descend(loPfn);
        while (leaf != 0)
        {
            final long a = leafAddress(leaf);
            for (int i = 0, count = count(a); i < count; i++)
            {
                final long lo = lo(a, i);
                if (lo > hiPfn || lo > lastPfn)
                {
                    return false;
                }
                final long hiKind = hiKind(a, i);
                if ((hiKind & PFN_MASK) >= loPfn && ((hiKind & LeafDescriptor.KIND_MASK) == LeafDescriptor.KIND_RESERVED) == reserved)
                {
                    foundLoPfn = lo;
                    foundHiKind = hiKind;
                    return true;
                }
            }
            leaf = nextLeafOnPath();
        }
        return false;
    }

    /** Moves the path of the last descent to the next leaf. @return that leaf, or 0 after the last one. */
    private int nextLeafOnPath()
    {
        int level = innerLevels - 1;
        while (level >= 0 && pathIdx[level] == count(innerAddress(pathNode[level])) - 1)
        {
            level--;
        }
        if (level < 0)
        {
            return 0;
        }
        fingerLeaf = 0;
        pathIdx[level]++;
        int node = child(innerAddress(pathNode[level]), pathIdx[level]);
        for (int l = level + 1; l < innerLevels; l++)
        {
            pathNode[l] = node;
            pathIdx[l] = 0;
            node = child(innerAddress(node), 0);
        }
        fingerLeaf = updating ? 0 : node;
        return node;
    }

    /**
     * @param loPfn first pfn.
     * @param hiPfn last pfn (inclusive).
     * @throws IllegalArgumentException naming the first allocation inside {@code [loPfn, hiPfn]}.
     */
    public void checkNoAllocationOverlaps(final long loPfn, final long hiPfn)
    {
        recover();
        if (findOverlapping(loPfn, hiPfn, false))
        {
            throw new IllegalArgumentException("cannot reserve [0x" + Long.toHexString(loPfn) + ", 0x" + Long.toHexString(hiPfn) +
                "]: it overlaps live allocation [0x" + Long.toHexString(foundLoPfn) + ", 0x" + Long.toHexString(foundHiPfn()) + "]");
        }
    }

    /**
     * @return whether an allocation (the caches' included) overlaps {@code [loPfn, hiPfn]}; if so,
     *         {@link #foundRange()} names the first.
     */
    public boolean overlapsAllocation(final long loPfn, final long hiPfn)
    {
        recover();
        return findOverlapping(loPfn, hiPfn, false);
    }

    /** @return the range the last search found, as {@code [0xlo, 0xhi]}. */
    public String foundRange()
    {
        return "[0x" + Long.toHexString(foundLoPfn) + ", 0x" + Long.toHexString(foundHiPfn()) + "]";
    }

    /** Finds a reserved range (not the anchor) that overlaps or touches {@code [loPfn, hiPfn]}, as {@link #findOverlapping}. */
    private boolean findReservedTouching(final long loPfn, final long hiPfn)
    {
        return findOverlapping(loPfn - 1, hiPfn + 1, true);
    }

    /**
     * Reserves {@code [loPfn, hiPfn]}, merging it with every reserved range it overlaps or touches.
     *
     * @param loPfn first pfn, at least {@code startPfn}.
     * @param hiPfn last pfn (inclusive), at most {@code lastPfn}.
     * @throws IllegalArgumentException when the range overlaps an allocation or leaves the domain.
     * @throws IllegalStateException    when the tree is full; in both cases nothing changes.
     * @throws OutOfMemoryError         when direct memory for a node runs out; nothing changes.
     */
    public void reserve(final long loPfn, final long hiPfn)
    {
        recover();
        if (hiPfn < loPfn || loPfn < startPfn || hiPfn > lastPfn)
        {
            throw new IllegalArgumentException("cannot reserve [0x" + Long.toHexString(loPfn) + ", 0x" + Long.toHexString(hiPfn) +
                "] in a domain of [0x" + Long.toHexString(startPfn) + ", 0x" + Long.toHexString(lastPfn) + "]");
        }
        checkNoAllocationOverlaps(loPfn, hiPfn);
        final int merged = countReservedTouching(loPfn, hiPfn);
        if (merged == 0 && entries >= maxEntries)
        {
            throw new IllegalStateException("cannot reserve [0x" + Long.toHexString(loPfn) + ", 0x" + Long.toHexString(hiPfn) +
                "]: the domain already holds its maximum of " + (maxEntries - 1) + " ranges");
        }
        prepare(1, merged);
        try
        {
            reserveMerging(loPfn, hiPfn);
            commit();
        }
        catch (final Throwable t)
        {
            rollback();
            throw t;
        }
    }

    /**
     * @return how many reserved ranges a reserve of {@code [loPfn, hiPfn]} merges: those that
     *         overlap or touch it (reserved ranges never touch each other, so no others join).
     */
    private int countReservedTouching(final long loPfn, final long hiPfn)
    {
        int count = 0;
        long fromPfn = loPfn - 1;
        while (fromPfn <= hiPfn + 1 && findOverlapping(fromPfn, hiPfn + 1, true))
        {
            count++;
            fromPfn = foundHiPfn() + 1;
        }
        return count;
    }

    private void reserveMerging(final long loPfn, final long hiPfn)
    {
        long mergedLoPfn = loPfn;
        long mergedHiPfn = hiPfn;
        while (findReservedTouching(mergedLoPfn, mergedHiPfn))
        {
            final long touchingLoPfn = foundLoPfn;
            mergedLoPfn = Math.min(mergedLoPfn, touchingLoPfn);
            mergedHiPfn = Math.max(mergedHiPfn, foundHiKind & PFN_MASK);
            removeReserved(touchingLoPfn);
        }
        insertReservedInGap(mergedLoPfn, mergedHiPfn);
    }

    /**
     * How many new ranges reserving these would take, to check capacity before changing
     * anything (a range that touches an existing reserved range merges into it and takes none);
     * then makes room in memory for all of them (nodes, and the journal for the largest), so that
     * reserving them one by one cannot run out of memory.
     *
     * @param loPfns first pfns of ranges that neither overlap nor touch each other.
     * @param hiPfns last pfns (inclusive).
     * @param count  how many ranges.
     * @throws IllegalStateException when the domain has room for fewer ranges than that.
     * @throws OutOfMemoryError      when direct memory runs out; nothing changes.
     */
    public void checkCapacityToReserve(final long[] loPfns, final long[] hiPfns, final int count)
    {
        recover();
        long needed = 0;
        int mostMerged = 0;
        for (int i = 0; i < count; i++)
        {
            final int merged = countReservedTouching(loPfns[i], hiPfns[i]);
            needed += merged == 0 ? 1 : 0;
            mostMerged = Math.max(mostMerged, merged);
        }
        final long free = maxEntries - entries;
        if (needed > free)
        {
            throw new IllegalStateException("cannot reserve " + count + " ranges: they need " + needed +
                " new ranges and the domain has room for " + free + " more (maxRanges=" + (maxEntries - 1) + ")");
        }
        leaves.reserve(count);
        inners.reserve(count * (innerLevels + 1) + 1);
        takeChunkTables();
        ensureRoom(1, mostMerged);
    }

    // ---------------------------------------------------------------------------------------------
    // Placement beyond highest size-aligned fit: any alignment, lowest and best fit, fixed addresses
    // ---------------------------------------------------------------------------------------------

    /** Fit policy: the highest candidate. */
    public static final int FIT_HIGHEST = 0;
    /** Fit policy: the lowest candidate. */
    public static final int FIT_LOWEST = 1;
    /** Fit policy: the candidate in the shortest free run that holds one (ties: the highest run), highest in it. */
    public static final int FIT_BEST = 2;

    /** {@link #allocAt}: the range is placed. */
    public static final int AT_PLACED = 0;
    /** {@link #allocAt}: a reserved range overlaps the request. */
    public static final int AT_RESERVED = 1;
    /** {@link #allocAt}: a live allocation overlaps the request (and no reserved range does). */
    public static final int AT_LIVE = 2;
    /** {@link #allocAt}: only ranges held by the range caches overlap the request. */
    public static final int AT_CACHED = 3;
    /** {@link #allocAt}: the tree already holds its maximum number of ranges. */
    public static final int AT_FULL = 4;

    /** {@link #placeIfFree}: something is in the way. */
    private static final int NOT_FREE = -1;

    /**
     * Allocates {@code pages} pages whose first pfn is a multiple of {@code alignPages}, ending at
     * or below {@code limitPfn}, placed by {@code fit} (trace-format v2's definitions). Highest fit
     * with no alignment or the size alignment takes the exact path of {@link #alloc(long, long, boolean, long)};
     * the others search in pfn order, entering only subtrees whose maxima allow a fit (docs/tree.md,
     * "Placement", states the bound of each).
     *
     * @param pages      at least 1.
     * @param limitPfn   highest pfn the range may use (inclusive), in {@code [startPfn, lastPfn]}.
     * @param alignPages a power of two.
     * @param fit        {@link #FIT_HIGHEST}, {@link #FIT_LOWEST} or {@link #FIT_BEST}.
     * @param kind       {@link LeafDescriptor#KIND_ALLOCATED} or {@link LeafDescriptor#KIND_CACHED}.
     * @return the first pfn, or {@link #NO_ADDRESS} when nothing fits or the tree is full.
     */
    public long alloc(final long pages, final long limitPfn, final long alignPages, final int fit, final long kind)
    {
        recover();
        if (pages > limitPfn - startPfn + 1 || entries >= maxEntries)
        {
            return NO_ADDRESS;
        }
        if (fit == FIT_HIGHEST && (alignPages == 1 || alignPages == Gaps.sizeAlignment(pages)))
        {
            return alloc(pages, limitPfn, alignPages != 1, kind);
        }
        final long pfn = fit == FIT_BEST ? searchBest(pages, alignPages, limitPfn) : searchInOrder(pages, alignPages, limitPfn, fit == FIT_LOWEST);
        return pfn == Gaps.NO_FIT ? NO_ADDRESS : insertInGap(pfn, pages, kind);
    }

    /**
     * Whether a subtree with these maxima may hold a gap that fits {@code pages} aligned to
     * {@code alignPages}: necessary always, and sufficient when the alignment is 1 or the size
     * alignment (a fit at a multiple of {@code align} puts a size-aligned request of
     * {@code min(pages, align)} pages there too).
     */
    private static boolean mayFit(final long maxGapPages, final long maxFitPages, final long pages, final long alignPages)
    {
        return maxGapPages >= pages && maxFitPages >= Math.min(pages, alignPages);
    }

    /**
     * The highest (or, ascending, the lowest) candidate: a depth-first walk in pfn order over the
     * children that {@link #mayFit} and start low enough, backtracking when a leaf holds none.
     */
    private long searchInOrder(final long pages, final long alignPages, final long limitPfn, final boolean ascending)
    {
        if (innerLevels == 0)
        {
            return scanLeaf(leafAddress(root), pages, alignPages, limitPfn, ascending);
        }
        // The boundary gaps are tried on their own around the walk (the lowest counts in no maximum,
        // the anchor's only as its claim): the lowest is the first candidate going up, the anchor's
        // the first going down.
        long pfn = ascending ? fitInLowestGap(pages, alignPages, limitPfn, true) : fitInAnchorGap(pages, alignPages, limitPfn, false);
        if (pfn == Gaps.NO_FIT)
        {
            pfn = walkInOrder(pages, alignPages, limitPfn, ascending);
        }
        if (pfn == Gaps.NO_FIT)
        {
            pfn = ascending ? fitInAnchorGap(pages, alignPages, limitPfn, true) : fitInLowestGap(pages, alignPages, limitPfn, false);
        }
        return pfn;
    }

    /** The walk of {@link #searchInOrder} over a tree with inner nodes, by the maxima (the boundary gaps' shares are fixed). */
    private long walkInOrder(final long pages, final long alignPages, final long limitPfn, final boolean ascending)
    {
        final long lastStartPfn = limitPfn - pages + 1;
        int level = 0;
        fingerLeaf = 0;
        pathNode[0] = root;
        pathIdx[0] = ascending ? 0 : count(innerAddress(root)) - 1;
        while (true)
        {
            final long inner = innerAddress(pathNode[level]);
            final int count = count(inner);
            int c = pathIdx[level];
            while (c >= 0 && c < count)
            {
                if (sep(inner, c) > lastStartPfn)
                {
                    if (ascending)
                    {
                        return Gaps.NO_FIT; // this child and everything after it start too high
                    }
                }
                else if (mayFit(maxGap(inner, c), maxFit(inner, c), pages, alignPages))
                {
                    break;
                }
                c += ascending ? 1 : -1;
            }
            if (c < 0 || c >= count)
            {
                if (level == 0)
                {
                    return Gaps.NO_FIT;
                }
                level--;
                pathIdx[level] += ascending ? 1 : -1;
                continue;
            }
            pathIdx[level] = c;
            final int child = child(inner, c);
            if (level == innerLevels - 1)
            {
                final long pfn = scanLeaf(leafAddress(child), pages, alignPages, limitPfn, ascending);
                if (pfn != Gaps.NO_FIT)
                {
                    return pfn;
                }
                pathIdx[level] = c + (ascending ? 1 : -1);
            }
            else
            {
                level++;
                pathNode[level] = child;
                pathIdx[level] = ascending ? 0 : count(innerAddress(child)) - 1;
            }
        }
    }

    /** The highest (ascending: lowest) candidate among one leaf's gaps clipped to the limit, or {@link Gaps#NO_FIT}. */
    private static long scanLeaf(final long a, final long pages, final long alignPages, final long limitPfn, final boolean ascending)
    {
        final int count = count(a);
        if (ascending)
        {
            for (int j = 0; j < count; j++)
            {
                final long gapLoPfn = gapLo(a, j);
                if (gapLoPfn > limitPfn)
                {
                    return Gaps.NO_FIT;
                }
                final long pfn = Gaps.lowestFit(gapLoPfn, Math.min(lo(a, j) - 1, limitPfn), pages, alignPages);
                if (pfn != Gaps.NO_FIT)
                {
                    return pfn;
                }
            }
        }
        else
        {
            for (int j = count - 1; j >= 0; j--)
            {
                final long gapLoPfn = gapLo(a, j);
                if (gapLoPfn <= limitPfn)
                {
                    final long pfn = Gaps.highestFit(gapLoPfn, Math.min(lo(a, j) - 1, limitPfn), pages, alignPages);
                    if (pfn != Gaps.NO_FIT)
                    {
                        return pfn;
                    }
                }
            }
        }
        return Gaps.NO_FIT;
    }

    /**
     * Best fit: walks, from the limit down, the subtrees whose maxima allow a fit and that may
     * hold a run shorter than the best so far (their gap-length classes say so, or they reach
     * above the limit, where runs are clipped), keeping the shortest free run (clipped to the
     * limit) that holds a candidate; a run of exactly {@code pages} pfns ends the walk, since none
     * can be shorter and ties go to the highest run.
     */
    private long searchBest(final long pages, final long alignPages, final long limitPfn)
    {
        final long lastStartPfn = limitPfn - pages + 1;
        if (innerLevels == 0)
        {
            return bestInLeaf(leafAddress(root), pages, alignPages, limitPfn, Long.MAX_VALUE, Gaps.NO_FIT);
        }
        if (!trackClasses)
        {
            recomputeClasses(root, 0);
            trackClasses = true;
        }
        // The boundary gaps are tried on their own (the lowest counts in no maximum, the anchor's only
        // as its claim): the anchor's first (the highest run wins a tie, and it is the highest), the
        // lowest gap last.
        final long anchorGapLoPfn = anchorGapLoPfn();
        final long anchorRunPages = Math.min(lastPfn, limitPfn) - anchorGapLoPfn + 1;
        long bestPfn = anchorRunPages >= pages ? Gaps.highestFit(anchorGapLoPfn, Math.min(lastPfn, limitPfn), pages, alignPages) : Gaps.NO_FIT;
        long bestRunPages = bestPfn == Gaps.NO_FIT ? Long.MAX_VALUE : anchorRunPages;
        if (bestRunPages == pages)
        {
            return bestPfn;
        }
        bestPfn = walkBest(pages, alignPages, limitPfn, lastStartPfn, bestRunPages, bestPfn);
        bestRunPages = bestPfn == Gaps.NO_FIT ? Long.MAX_VALUE : walkBestRunPages;
        final long a = leafAddress(lowestLeaf);
        final long lowestRunPages = Math.min(lo(a, 0) - 1, limitPfn) - startPfn + 1;
        if (lowestRunPages >= pages && lowestRunPages < bestRunPages)
        {
            final long pfn = Gaps.highestFit(startPfn, Math.min(lo(a, 0) - 1, limitPfn), pages, alignPages);
            if (pfn != Gaps.NO_FIT)
            {
                return pfn;
            }
        }
        return bestPfn;
    }

    /** The clipped run of the candidate {@link #walkBest} returned. */
    private long walkBestRunPages;

    /** The walk of {@link #searchBest} by the maxima, from a best candidate so far (or none: {@link Gaps#NO_FIT}). */
    private long walkBest(
        final long pages, final long alignPages, final long limitPfn, final long lastStartPfn, long bestRunPages, long bestPfn)
    {
        walkBestRunPages = bestRunPages;
        int wanted = InnerDescriptor.gapLengthClasses(pages, bestRunPages == Long.MAX_VALUE ? Long.MAX_VALUE : bestRunPages - 1);
        int level = 0;
        fingerLeaf = 0;
        pathNode[0] = root;
        pathIdx[0] = count(innerAddress(root)) - 1;
        pathEnd[0] = Long.MAX_VALUE;
        while (true)
        {
            final long inner = innerAddress(pathNode[level]);
            final int count = count(inner);
            int c = pathIdx[level];
            long childEnd = 0;
            for (; c >= 0; c--)
            {
                if (sep(inner, c) <= lastStartPfn && mayFit(maxGap(inner, c), maxFit(inner, c), pages, alignPages))
                {
                    // The child's gaps end two pfns below childEnd at most: clipped only if that passes the limit.
                    childEnd = c + 1 < count ? sep(inner, c + 1) : pathEnd[level];
                    if (childEnd > limitPfn + 2 || (gapClasses(inner, c) & wanted) != 0)
                    {
                        break;
                    }
                }
            }
            if (c < 0)
            {
                if (level == 0)
                {
                    return bestPfn;
                }
                level--;
                pathIdx[level]--;
                continue;
            }
            pathIdx[level] = c;
            final int child = child(inner, c);
            if (level == innerLevels - 1)
            {
                final long pfn = bestInLeaf(leafAddress(child), pages, alignPages, limitPfn, bestRunPages, bestPfn);
                if (pfn != bestPfn)
                {
                    bestPfn = pfn;
                    bestRunPages = bestRunPages(leafAddress(child), pfn, limitPfn);
                    walkBestRunPages = bestRunPages;
                    if (bestRunPages == pages)
                    {
                        return bestPfn;
                    }
                    wanted = InnerDescriptor.gapLengthClasses(pages, bestRunPages - 1);
                }
                pathIdx[level] = c - 1;
            }
            else
            {
                level++;
                pathNode[level] = child;
                pathIdx[level] = count(innerAddress(child)) - 1;
                pathEnd[level] = childEnd;
            }
        }
    }

    /**
     * Computes the exact gap-length classes of a subtree and stores them in its slots, children
     * first: O(n), once, on the first best-fit search. Not journaled: every slot it writes goes from
     * all classes to exactly its subtree's, and a parent is written after its children, so a stop
     * anywhere leaves every slot a superset of its subtree's classes (the next search redoes it).
     * Recursion as deep as the tree (at most {@link #MAX_LEVELS}).
     */
    private int recomputeClasses(final int node, final int level)
    {
        if (level == innerLevels)
        {
            final long a = leafAddress(node);
            int classes = 0;
            long gapLoPfn = UnsafeApi.getLong(a + GAP_LO);
            for (int i = 0, count = count(a); i < count; i++)
            {
                classes |= InnerDescriptor.gapLengthClass(lo(a, i) == anchorPfn ? anchorGapClaim : lo(a, i) - gapLoPfn);
                gapLoPfn = hi(a, i) + 1;
            }
            return classes;
        }
        final long inner = innerAddress(node);
        int all = 0;
        for (int c = 0, count = count(inner); c < count; c++)
        {
            final int classes = recomputeClasses(child(inner, c), level + 1);
            UnsafeApi.putShort(inner + CLASSES + ((long)c << 1), (short)classes);
            all |= classes;
        }
        return all;
    }

    /** The best candidate of one leaf, from the top, if its run is shorter than {@code bestRunPages}; else {@code bestPfn}. */
    private static long bestInLeaf(
        final long a, final long pages, final long alignPages, final long limitPfn, long bestRunPages, long bestPfn)
    {
        for (int j = count(a) - 1; j >= 0; j--)
        {
            final long gapLoPfn = gapLo(a, j);
            final long gapHiPfn = Math.min(lo(a, j) - 1, limitPfn);
            final long runPages = gapHiPfn - gapLoPfn + 1;
            if (runPages >= pages && runPages < bestRunPages)
            {
                final long pfn = Gaps.highestFit(gapLoPfn, gapHiPfn, pages, alignPages);
                if (pfn != Gaps.NO_FIT)
                {
                    bestRunPages = runPages;
                    bestPfn = pfn;
                    if (runPages == pages)
                    {
                        return pfn;
                    }
                }
            }
        }
        return bestPfn;
    }

    /** The length, clipped to the limit, of the gap of leaf {@code a} that holds {@code pfn}. */
    private static long bestRunPages(final long a, final long pfn, final long limitPfn)
    {
        int j = count(a) - 1;
        while (j > 0 && gapLo(a, j) > pfn)
        {
            j--;
        }
        return Math.min(lo(a, j) - 1, limitPfn) - gapLo(a, j) + 1;
    }

    /** Inserts {@code [pfn, pfn + pages - 1]}, known to lie inside one gap, as a range of {@code kind}. */
    private long insertInGap(final long pfn, final long pages, final long kind)
    {
        final int leaf = descend(pfn);
        final long a = leafAddress(leaf);
        final int k = rangesStartingAtOrBelow(a, pfn);
        return insertAllocated(leaf, k, pfn, pages, kind);
    }

    /**
     * Allocates exactly {@code [loPfn, hiPfn]} if it is free: one descent, O(log n); a conflict is
     * reported by the kind of range in the way, O(log n + ranges overlapping).
     *
     * @param loPfn first pfn, at least {@code startPfn}.
     * @param hiPfn last pfn (inclusive), at most {@code lastPfn}.
     * @param kind  {@link LeafDescriptor#KIND_ALLOCATED} or {@link LeafDescriptor#KIND_CACHED}.
     * @return {@link #AT_PLACED}, {@link #AT_RESERVED}, {@link #AT_LIVE}, {@link #AT_CACHED} or {@link #AT_FULL}.
     */
    public int allocAt(final long loPfn, final long hiPfn, final long kind)
    {
        recover();
        final int placed = placeIfFree(loPfn, hiPfn, kind);
        if (placed != NOT_FREE)
        {
            return placed;
        }
        if (findOverlapping(loPfn, hiPfn, true))
        {
            return AT_RESERVED;
        }
        long fromPfn = loPfn;
        while (fromPfn <= hiPfn && findOverlapping(fromPfn, hiPfn, false))
        {
            if ((foundHiKind & LeafDescriptor.KIND_MASK) == LeafDescriptor.KIND_ALLOCATED)
            {
                return AT_LIVE;
            }
            fromPfn = foundHiPfn() + 1;
        }
        return AT_CACHED;
    }

    /**
     * Allocates exactly {@code [loPfn, hiPfn]} when it is free, else changes nothing: one descent,
     * O(log n), without {@link #allocAt}'s report of what is in the way. The range caches' run
     * walk takes the slots below a refill's top range this way (their highest fit below each
     * slot's end would be the slot itself exactly when it is free).
     *
     * @param loPfn first pfn, at least {@code startPfn}.
     * @param hiPfn last pfn (inclusive), at most {@code lastPfn}.
     * @param kind  {@link LeafDescriptor#KIND_ALLOCATED} or {@link LeafDescriptor#KIND_CACHED}.
     * @return whether the range was free and is now allocated (false also when the tree is at its maximum of ranges).
     */
    public boolean allocIfFree(final long loPfn, final long hiPfn, final long kind)
    {
        recover();
        return placeIfFree(loPfn, hiPfn, kind) == AT_PLACED;
    }

    /** {@link #allocAt}'s placement: {@link #AT_PLACED}, {@link #AT_FULL}, or {@link #NOT_FREE} with nothing changed. */
    private int placeIfFree(final long loPfn, final long hiPfn, final long kind)
    {
        final int leaf = descend(loPfn);
        final long a = leafAddress(leaf);
        final int k = rangesStartingAtOrBelow(a, loPfn);
        final boolean free = (k == 0 ? UnsafeApi.getLong(a + GAP_LO) <= loPfn : hi(a, k - 1) < loPfn) && k < count(a) && hiPfn < lo(a, k);
        if (!free)
        {
            return NOT_FREE;
        }
        if (entries >= maxEntries)
        {
            return AT_FULL;
        }
        insertAllocated(leaf, k, loPfn, hiPfn - loPfn + 1, kind);
        return AT_PLACED;
    }

    /**
     * Unreserves the {@code unreserve} ranges, then reserves the {@code reserve} ranges, as one
     * update: all of it or, on any {@link Throwable}, none of it. Each unreserved range must lie
     * inside one reserved range (reserved ranges never touch, so a run of reserved pfns is one
     * range); its pfns become free, and what remains of the reserved range around it stays.
     *
     * @param unreserveLoPfns first pfns of the ranges to unreserve, ascending, disjoint.
     * @param unreserveHiPfns their last pfns (inclusive).
     * @param unreserves      how many.
     * @param reserveLoPfns   first pfns of the ranges to reserve.
     * @param reserveHiPfns   their last pfns (inclusive).
     * @param reserves        how many.
     * @throws IllegalArgumentException when a range to unreserve is not wholly reserved, or one to
     *                                  reserve overlaps an allocation or leaves the domain.
     * @throws IllegalStateException    when the tree would exceed its maximum number of ranges.
     */
    public void editReserved(
        final long[] unreserveLoPfns, final long[] unreserveHiPfns, final int unreserves,
        final long[] reserveLoPfns, final long[] reserveHiPfns, final int reserves)
    {
        recover();
        for (int i = 0; i < unreserves; i++)
        {
            final long loPfn = unreserveLoPfns[i];
            final long hiPfn = unreserveHiPfns[i];
            if (hiPfn < loPfn || !find(loPfn) || foundKind() != LeafDescriptor.KIND_RESERVED || foundHiPfn() < hiPfn || loPfn > lastPfn)
            {
                throw new IllegalArgumentException("cannot unreserve [0x" + Long.toHexString(loPfn) + ", 0x" + Long.toHexString(hiPfn) +
                    "]: it is not inside one reserved range");
            }
        }
        long merges = 0;
        long newRanges = unreserves; // an unreserve inside a range splits it in two at worst
        for (int i = 0; i < reserves; i++)
        {
            final long loPfn = reserveLoPfns[i];
            final long hiPfn = reserveHiPfns[i];
            if (hiPfn < loPfn || loPfn < startPfn || hiPfn > lastPfn)
            {
                throw new IllegalArgumentException("cannot reserve [0x" + Long.toHexString(loPfn) + ", 0x" + Long.toHexString(hiPfn) +
                    "] in a domain of [0x" + Long.toHexString(startPfn) + ", 0x" + Long.toHexString(lastPfn) + "]");
            }
            checkNoAllocationOverlaps(loPfn, hiPfn);
            final int touching = countReservedTouching(loPfn, hiPfn);
            merges += touching;
            newRanges += touching == 0 ? 1 : 0; // one that merges takes no new range
        }
        if (entries + newRanges > maxEntries)
        {
            throw new IllegalStateException("cannot change " + (unreserves + reserves) + " reserved ranges: the domain holds " +
                (entries - 1) + " ranges and its maximum is " + (maxEntries - 1));
        }
        hintPfn = 0; // unreserved pfns join gaps anywhere
        prepare(2 * unreserves + reserves, (int)Math.min(3L * unreserves + merges, 1 << 20));
        try
        {
            for (int i = 0; i < unreserves; i++)
            {
                unreserveInside(unreserveLoPfns[i], unreserveHiPfns[i]);
            }
            for (int i = 0; i < reserves; i++)
            {
                reserveMerging(reserveLoPfns[i], reserveHiPfns[i]);
            }
            commit();
        }
        catch (final Throwable t)
        {
            rollback();
            throw t;
        }
    }

    /** Frees {@code [loPfn, hiPfn]} out of the reserved range around it, keeping the parts of that range on either side. */
    private void unreserveInside(final long loPfn, final long hiPfn)
    {
        locate(loPfn);
        final long rangeLoPfn = foundLoPfn;
        final long rangeHiPfn = foundHiPfn();
        removeReserved(rangeLoPfn);
        if (rangeLoPfn < loPfn)
        {
            insertReservedInGap(rangeLoPfn, loPfn - 1);
        }
        if (hiPfn < rangeHiPfn)
        {
            insertReservedInGap(hiPfn + 1, rangeHiPfn);
        }
    }

    /** Removes the reserved range that starts at {@code rangeLoPfn}, inside an update. */
    private void removeReserved(final long rangeLoPfn)
    {
        final int leaf = descend(rangeLoPfn);
        final long a = leafAddress(leaf);
        int j = count(a) - 1;
        while (lo(a, j) != rangeLoPfn)
        {
            j--;
        }
        removeAt(leaf, a, j);
        reservedRanges--;
    }

    /** Inserts {@code [loPfn, hiPfn]}, free and touching no reserved range, as a reserved range, inside an update. */
    private void insertReservedInGap(final long loPfn, final long hiPfn)
    {
        final int leaf = descend(loPfn);
        final long a = leafAddress(leaf);
        final int k = rangesStartingAtOrBelow(a, loPfn);
        insertAt(leaf, k, loPfn, hiPfn | LeafDescriptor.KIND_RESERVED);
        reservedRanges++;
    }

    // ---------------------------------------------------------------------------------------------
    // Introspection
    // ---------------------------------------------------------------------------------------------

    /** @return live allocations (cache-owned ones included). */
    public long allocatedRanges()
    {
        recover();
        return allocatedRanges;
    }

    /** @return reserved ranges, after merging. */
    public long reservedRanges()
    {
        recover();
        return reservedRanges;
    }

    /** @return off-heap bytes held: leaves, inner nodes and the undo journal (leaf images and logged words). */
    public long offHeapBytes()
    {
        final long images = leafImages != null ? leafImages.capacity() : 0;
        return leaves.offHeapBytes() + inners.offHeapBytes() + images + wordLogCapacity * WORD_ENTRY_LENGTH;
    }

    /** @return inner levels above the leaves (0 when the root is a leaf). */
    public int innerLevels()
    {
        return innerLevels;
    }

    /**
     * Free pfns in {@code [startPfn, limitPfn]}, by walking every leaf in order: O(n).
     *
     * @param limitPfn in {@code [startPfn, lastPfn]}.
     * @return free pfns at or below {@code limitPfn}.
     */
    public long freePages(final long limitPfn)
    {
        recover();
        long sum = 0;
        int leaf = descend(startPfn); // the first leaf
        while (leaf != 0)
        {
            final long a = leafAddress(leaf);
            final int count = count(a);
            for (int i = 0; i < count; i++)
            {
                final long gapLoPfn = gapLo(a, i);
                if (gapLoPfn > limitPfn)
                {
                    return sum;
                }
                sum += Math.min(lo(a, i) - 1, limitPfn) - gapLoPfn + 1;
            }
            leaf = nextLeafOnPath();
        }
        return sum;
    }

    /**
     * The longest free run at or below {@code limitPfn}, in O(log n), by the descent of {@link #alloc}.
     *
     * @param limitPfn in {@code [startPfn, lastPfn]}.
     * @return its length in pages.
     */
    public long largestFreeGapPages(final long limitPfn)
    {
        recover();
        final long splitPfn = limitPfn + 1;
        final long a = leafAddress(descend(splitPfn));
        long best = 0;
        for (int i = 0, count = count(a); i < count; i++)
        {
            final long gapLoPfn = gapLo(a, i);
            best = Math.max(best, Math.min(lo(a, i) - 1, limitPfn) - gapLoPfn + 1);
            if (lo(a, i) > splitPfn)
            {
                break;
            }
        }
        for (int level = 0; level < innerLevels; level++)
        {
            final long inner = innerAddress(pathNode[level]);
            for (int c = 0; c < pathIdx[level]; c++)
            {
                best = Math.max(best, maxGap(inner, c));
            }
        }
        if (innerLevels > 0)
        {
            // The lowest gap counts in no maximum (the anchor's is in the leaf scanned when it is below the limit).
            final long l = leafAddress(lowestLeaf);
            best = Math.max(best, Math.min(lo(l, 0) - 1, limitPfn) - startPfn + 1);
        }
        return best;
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
        recover();
        int leaf = descend(startPfn);
        while (leaf != 0)
        {
            final long a = leafAddress(leaf);
            final int count = count(a);
            for (int i = 0; i < count; i++)
            {
                final long loPfn = lo(a, i);
                if (loPfn <= lastPfn)
                {
                    final long hiKind = hiKind(a, i);
                    consumer.accept(loPfn, hiKind & PFN_MASK, (hiKind & LeafDescriptor.KIND_MASK) == LeafDescriptor.KIND_RESERVED);
                }
            }
            leaf = nextLeafOnPath();
        }
    }

    /**
     * Checks every invariant: ranges ordered, disjoint and inside the domain; every leaf's first
     * gap starting right after the previous leaf; leaves all at one depth and within capacity;
     * separators and both maxima of every child recomputed from scratch; the anchor last; the counts
     * and the nodes held.
     *
     * @throws IllegalStateException naming the first broken invariant.
     */
    public void verify()
    {
        recover();
        final Verifier verifier = new Verifier();
        if (innerLevels == 0)
        {
            verifier.checkLeaf(root);
        }
        else
        {
            verifier.checkInner(root, 0);
        }
        if (verifier.lastLoPfn != lastPfn + 1 || verifier.lastHiKind != ((lastPfn + 1) | LeafDescriptor.KIND_RESERVED))
        {
            throw new IllegalStateException("tree is broken: the anchor at pfn 0x" + Long.toHexString(lastPfn + 1) +
                " is not the last range (last is [0x" + Long.toHexString(verifier.lastLoPfn) + ", ...])");
        }
        if (verifier.allocated != allocatedRanges || verifier.reserved != reservedRanges + 1 || verifier.ranges != entries)
        {
            throw new IllegalStateException("counts disagree: tree holds " + verifier.allocated + " allocations and " +
                (verifier.reserved - 1) + " reserved ranges, counters say " + allocatedRanges + " and " + reservedRanges);
        }
        if (verifier.leafCount != leaves.liveSlots() || verifier.innerCount != inners.liveSlots())
        {
            throw new IllegalStateException("tree is broken: it holds " + verifier.leafCount + " leaves and " +
                verifier.innerCount + " inner nodes, the stores have " + leaves.liveSlots() + " and " + inners.liveSlots() + " live");
        }
    }

    /** Frees all off-heap memory; the tree is unusable afterwards. */
    public void release()
    {
        leaves.releaseAll();
        inners.releaseAll();
        if (leafImages != null)
        {
            BufferUtil.free(leafImages);
            leafImages = null;
        }
        if (wordLogCapacity != 0)
        {
            UnsafeApi.freeMemory(wordLogAddress);
            wordLogCapacity = 0;
            wordLogAddress = 0;
        }
        inPlaceRoomLevels = -1;
        root = 0;
        innerLevels = 0;
    }

    /** The recursive walk of {@link #verify()}: depth is the tree's height, at most {@link #MAX_LEVELS}. */
    private final class Verifier
    {
        private long previousHiPfn = startPfn - 1;
        private long lastLoPfn;
        private long lastHiKind;
        private long allocated;
        private long reserved;
        private long ranges;
        private long leafCount;
        private long innerCount;
        private long gap;
        private long fit;
        private int classes;

        /** Checks a subtree and sets {@link #gap}/{@link #fit} to its maxima, {@link #classes} to its gaps' length classes. */
        void checkInner(final int node, final int level)
        {
            innerCount++;
            final long inner = innerAddress(node);
            final int count = count(inner);
            if (count < (level == 0 ? 2 : 1) || count > INNER_CAPACITY)
            {
                throw new IllegalStateException("tree is broken: inner node " + node + " at level " + level + " has " + count + " children");
            }
            long bestGap = 0;
            long bestFit = 0;
            int allClasses = 0;
            for (int i = 0; i < count; i++)
            {
                if (sep(inner, i) != previousHiPfn + 1)
                {
                    throw new IllegalStateException("tree is broken: separator " + i + " of inner node " + node + " is 0x" +
                        Long.toHexString(sep(inner, i)) + ", the gap below its subtree starts at 0x" + Long.toHexString(previousHiPfn + 1));
                }
                if (level + 1 < innerLevels)
                {
                    checkInner(child(inner, i), level + 1);
                }
                else
                {
                    checkLeaf(child(inner, i));
                }
                if (maxGap(inner, i) != gap || maxFit(inner, i) != fit)
                {
                    throw new IllegalStateException("tree is broken: maxima of child " + i + " of inner node " + node + " are " +
                        maxGap(inner, i) + "/" + maxFit(inner, i) + ", its subtree has " + gap + "/" + fit);
                }
                if ((gapClasses(inner, i) & classes) != classes)
                {
                    throw new IllegalStateException("tree is broken: gap-length classes of child " + i + " of inner node " + node +
                        " are 0x" + Integer.toHexString(gapClasses(inner, i)) + ", its subtree has gaps of classes 0x" +
                        Integer.toHexString(classes));
                }
                bestGap = Math.max(bestGap, gap);
                bestFit = Math.max(bestFit, fit);
                allClasses |= gapClasses(inner, i); // what the parent's slot must cover: a superset is allowed
            }
            checkArgmax(node, inner, count, MAX_GAP, ARGMAX_GAP, SECOND_GAP, "longest gap");
            checkArgmax(node, inner, count, MAX_FIT, ARGMAX_FIT, SECOND_FIT, "largest fit");
            gap = bestGap;
            fit = bestFit;
            classes = allClasses;
        }

        /** A known argmax summary names a child that holds the node's maximum, and its second value bounds every other child's. */
        private void checkArgmax(
            final int node, final long inner, final int count, final long maxOffset, final long argmaxOffset, final long secondOffset,
            final String what)
        {
            if (argmax(inner) == NO_ARGMAX)
            {
                return;
            }
            final int arg = UnsafeApi.getByte(inner + argmaxOffset) & 0xff;
            final long second = UnsafeApi.getLong(inner + secondOffset);
            if (arg >= count)
            {
                throw new IllegalStateException("tree is broken: inner node " + node + " names child " + arg + " of " + count +
                    " as holding its " + what);
            }
            final long max = UnsafeApi.getLong(inner + maxOffset + ((long)arg << 3));
            for (int i = 0; i < count; i++)
            {
                final long value = UnsafeApi.getLong(inner + maxOffset + ((long)i << 3));
                if (i != arg && (value > max || value > second))
                {
                    throw new IllegalStateException("tree is broken: child " + i + " of inner node " + node + " has " + what + " " +
                        value + ", above the node's summary (child " + arg + " with " + max + ", others at most " + second + ")");
                }
            }
        }

        void checkLeaf(final int leaf)
        {
            leafCount++;
            if (leafCount == 1 && leaf != lowestLeaf)
            {
                throw new IllegalStateException("tree is broken: the leftmost leaf is " + leaf + ", not the tree's first leaf " + lowestLeaf);
            }
            final long a = leafAddress(leaf);
            final int count = count(a);
            if (count < 1 || count > LEAF_CAPACITY)
            {
                throw new IllegalStateException("tree is broken: leaf " + leaf + " holds " + count + " ranges");
            }
            if (UnsafeApi.getLong(a + GAP_LO) != previousHiPfn + 1)
            {
                throw new IllegalStateException("tree is broken: the first gap of leaf " + leaf + " starts at 0x" +
                    Long.toHexString(UnsafeApi.getLong(a + GAP_LO)) + ", the previous range ends at 0x" + Long.toHexString(previousHiPfn));
            }
            long bestGap = 0;
            long secondGap = 0;
            long bestFit = 0;
            int leafClasses = 0;
            for (int i = 0; i < count; i++)
            {
                final long loPfn = lo(a, i);
                final long hiKind = hiKind(a, i);
                final long hiPfn = hiKind & PFN_MASK;
                final long kind = hiKind & LeafDescriptor.KIND_MASK;
                if (hiPfn < loPfn || loPfn <= previousHiPfn)
                {
                    throw new IllegalStateException("tree is broken: range [0x" + Long.toHexString(loPfn) + ", 0x" +
                        Long.toHexString(hiPfn) + "] in leaf " + leaf + " is empty or overlaps the one before, which ends at 0x" +
                        Long.toHexString(previousHiPfn));
                }
                if (loPfn <= lastPfn && hiPfn > lastPfn || (hiKind & ~(PFN_MASK | LeafDescriptor.KIND_MASK)) != 0 ||
                    kind == LeafDescriptor.KIND_MASK)
                {
                    throw new IllegalStateException("tree is broken: range [0x" + Long.toHexString(loPfn) + ", 0x" +
                        Long.toHexString(hiPfn) + "] in leaf " + leaf + " leaves the domain or has a bad kind");
                }
                // The boundary gaps: the lowest counts in no maximum, the anchor's as its constant claim.
                if (previousHiPfn + 1 != startPfn)
                {
                    final boolean anchor = loPfn == lastPfn + 1;
                    final long gapPages = anchor ? anchorGapClaim : loPfn - previousHiPfn - 1;
                    secondGap = Math.max(secondGap, Math.min(bestGap, gapPages));
                    bestGap = Math.max(bestGap, gapPages);
                    bestFit = Math.max(bestFit, anchor ? anchorGapClaim : Gaps.alignedFitPages(previousHiPfn + 1, loPfn - 1));
                    leafClasses |= InnerDescriptor.gapLengthClass(gapPages);
                }
                if (kind == LeafDescriptor.KIND_RESERVED)
                {
                    reserved++;
                }
                else
                {
                    allocated++;
                }
                ranges++;
                previousHiPfn = hiPfn;
                lastLoPfn = loPfn;
                lastHiKind = hiKind;
            }
            if (innerLevels > 0 && second(a) < secondGap)
            {
                throw new IllegalStateException("tree is broken: leaf " + leaf + " bounds its second-longest gap by " + second(a) +
                    " pages, it has one of " + secondGap);
            }
            gap = bestGap;
            fit = bestFit;
            classes = leafClasses;
        }
    }
}
