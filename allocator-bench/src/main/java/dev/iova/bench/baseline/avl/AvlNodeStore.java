package dev.iova.bench.baseline.avl;

import dev.iova.tree.Gaps;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

import org.agrona.BufferUtil;
import org.agrona.UnsafeApi;

import static dev.iova.bench.baseline.avl.AvlNodeDescriptor.*;

/**
 * Off-heap storage for tree nodes, addressed by int index, laid out by {@link AvlNodeDescriptor}.
 *
 * <p>Nodes live in chunks of {@code chunkNodes} nodes, each a direct buffer, allocated one at a
 * time as the tree grows and never moved, so growing costs one chunk allocation and no copy.
 * Freed nodes form a LIFO free list threaded through their {@code left} field. Once the chunk a
 * node needs exists, {@link #allocate()} and {@link #release(int)} touch no Java heap.
 * {@link #releaseAll()} frees every chunk at once (not waiting for the garbage collector).
 *
 * <p>Fields are read and written with plain {@code Unsafe} accesses at {@code chunk address +
 * node offset + field offset}, without bounds checks: indexes come only from this store, and
 * the owner must never touch a node after {@link #releaseAll()} (the domain checks that it is
 * open, under its lock, before every call). Agrona's {@code UnsafeBuffer} costs a third more
 * per tree operation for checks that can never fail here.
 *
 * <p>Not thread-safe: the owner serialises access.
 */
final class AvlNodeStore
{
    private final int chunkShift;
    private final int chunkMask;
    private final int maxNodes;
    private long[] chunkAddresses;
    private ByteBuffer[] chunkMemory;
    private int chunkCount;
    private int capacity;
    private int highWater;
    private int freeHead = NIL;
    private int liveNodes;

    /**
     * @param chunkNodes nodes per chunk, a power of two.
     * @param maxNodes   the most nodes ever live at once (slot 0, {@link AvlNodeDescriptor#NIL}, not counted).
     */
    AvlNodeStore(final int chunkNodes, final int maxNodes)
    {
        this.chunkShift = Integer.numberOfTrailingZeros(chunkNodes);
        this.chunkMask = chunkNodes - 1;
        this.maxNodes = maxNodes;
        final int maxChunks = (int)(((long)maxNodes + 1 + chunkMask) >>> chunkShift);
        this.chunkAddresses = new long[Math.min(maxChunks, 16)];
        this.chunkMemory = new ByteBuffer[chunkAddresses.length];
        addChunk();
        highWater = 1; // slot 0 is NIL and stays zero
    }

    /** @return a node index with no children, or {@link AvlNodeDescriptor#NIL} when {@code maxNodes} are live. */
    int allocate()
    {
        int node = freeHead;
        if (node != NIL)
        {
            freeHead = left(node);
        }
        else
        {
            if (liveNodes >= maxNodes || (highWater == capacity && !addChunk()))
            {
                return NIL;
            }
            node = highWater++;
        }
        setLeft(node, NIL);
        setRight(node, NIL);
        liveNodes++;
        return node;
    }

    /** Returns {@code node} to the free list. */
    void release(final int node)
    {
        setLeft(node, freeHead);
        freeHead = node;
        liveNodes--;
    }

    /** @return nodes in use. */
    int liveNodes()
    {
        return liveNodes;
    }

    /** @return {@code maxNodes}, the most nodes that may be live at once. */
    int maxNodes()
    {
        return maxNodes;
    }

    /** @return off-heap bytes held by the chunks. */
    long offHeapBytes()
    {
        return (long)chunkCount * ((long)chunkMask + 1) * NODE_LENGTH;
    }

    /** Frees every chunk now; the store must not be used afterwards. */
    void releaseAll()
    {
        for (int i = 0; i < chunkCount; i++)
        {
            chunkAddresses[i] = 0;
            BufferUtil.free(chunkMemory[i]);
            chunkMemory[i] = null;
        }
        chunkCount = 0;
        capacity = 0;
    }

    private boolean addChunk()
    {
        final long chunkNodes = (long)chunkMask + 1;
        if (capacity - 1 >= maxNodes)
        {
            return false;
        }
        if (chunkCount == chunkAddresses.length)
        {
            final int length = chunkAddresses.length * 2;
            chunkAddresses = Arrays.copyOf(chunkAddresses, length);
            chunkMemory = Arrays.copyOf(chunkMemory, length);
        }
        // Direct buffers come zeroed, and the JVM's "direct" buffer pool accounts for them.
        final ByteBuffer memory = ByteBuffer.allocateDirect((int)(chunkNodes * NODE_LENGTH)).order(ByteOrder.nativeOrder());
        chunkMemory[chunkCount] = memory;
        chunkAddresses[chunkCount] = BufferUtil.address(memory);
        chunkCount++;
        capacity = (int)Math.min(Integer.MAX_VALUE, capacity + chunkNodes);
        return true;
    }

    /**
     * @param node a node index ({@link AvlNodeDescriptor#NIL} reads as all zeros).
     * @return where its fields start: for code that reads several fields of one node, with the
     *         {@code *At} accessors, computing the address once.
     */
    long address(final int node)
    {
        return chunkAddresses[node >>> chunkShift] + (long)(node & chunkMask) * NODE_LENGTH;
    }

    static long loPfnAt(final long address)
    {
        return UnsafeApi.getLong(address + LO_PFN_OFFSET);
    }

    static long gapWordAt(final long address)
    {
        return UnsafeApi.getLong(address + GAP_LO_META_OFFSET);
    }

    static long maxGapPagesAt(final long address)
    {
        return UnsafeApi.getLong(address + MAX_GAP_PAGES_OFFSET);
    }

    static long maxFitPagesAt(final long address)
    {
        return UnsafeApi.getLong(address + MAX_FIT_PAGES_OFFSET);
    }

    static int leftAt(final long address)
    {
        return UnsafeApi.getInt(address + LEFT_OFFSET);
    }

    static int rightAt(final long address)
    {
        return UnsafeApi.getInt(address + RIGHT_OFFSET);
    }

    static int heightOf(final long gapWord)
    {
        return (int)((gapWord >>> HEIGHT_SHIFT) & HEIGHT_MASK);
    }

    /** Writes height and maxima at {@code address}, whose gap word is {@code gapWord} now. */
    static void putDerivedAt(final long address, final long gapWord, final int height, final long maxGapPages, final long maxFitPages)
    {
        UnsafeApi.putLong(address + GAP_LO_META_OFFSET, (gapWord & ~(HEIGHT_MASK << HEIGHT_SHIFT)) | ((long)height << HEIGHT_SHIFT));
        UnsafeApi.putLong(address + MAX_GAP_PAGES_OFFSET, maxGapPages);
        UnsafeApi.putLong(address + MAX_FIT_PAGES_OFFSET, maxFitPages);
    }

    long loPfn(final int node)
    {
        return UnsafeApi.getLong(address(node) + LO_PFN_OFFSET);
    }

    void setLoPfn(final int node, final long pfn)
    {
        UnsafeApi.putLong(address(node) + LO_PFN_OFFSET, pfn);
    }

    long hiPfn(final int node)
    {
        return UnsafeApi.getLong(address(node) + HI_PFN_OFFSET);
    }

    void setHiPfn(final int node, final long pfn)
    {
        UnsafeApi.putLong(address(node) + HI_PFN_OFFSET, pfn);
    }

    long gapWord(final int node)
    {
        return UnsafeApi.getLong(address(node) + GAP_LO_META_OFFSET);
    }

    void setGapWord(final int node, final long word)
    {
        UnsafeApi.putLong(address(node) + GAP_LO_META_OFFSET, word);
    }

    long gapLoPfn(final int node)
    {
        return gapWord(node) & PFN_MASK;
    }

    void setGapLoPfn(final int node, final long gapLoPfn)
    {
        setGapWord(node, (gapWord(node) & ~PFN_MASK) | gapLoPfn);
    }

    int height(final int node)
    {
        return (int)((gapWord(node) >>> HEIGHT_SHIFT) & HEIGHT_MASK);
    }

    long kind(final int node)
    {
        return gapWord(node) & KIND_MASK;
    }

    boolean isReserved(final int node)
    {
        return (gapWord(node) & KIND_RESERVED) != 0;
    }

    long maxGapPages(final int node)
    {
        return UnsafeApi.getLong(address(node) + MAX_GAP_PAGES_OFFSET);
    }

    long maxFitPages(final int node)
    {
        return UnsafeApi.getLong(address(node) + MAX_FIT_PAGES_OFFSET);
    }

    /** Writes the derived fields of {@code node} in one go: height and the two subtree maxima. */
    void setDerived(final int node, final int height, final long maxGapPages, final long maxFitPages)
    {
        final long address = address(node);
        final long word = UnsafeApi.getLong(address + GAP_LO_META_OFFSET);
        UnsafeApi.putLong(address + GAP_LO_META_OFFSET, (word & ~(HEIGHT_MASK << HEIGHT_SHIFT)) | ((long)height << HEIGHT_SHIFT));
        UnsafeApi.putLong(address + MAX_GAP_PAGES_OFFSET, maxGapPages);
        UnsafeApi.putLong(address + MAX_FIT_PAGES_OFFSET, maxFitPages);
    }

    int left(final int node)
    {
        return UnsafeApi.getInt(address(node) + LEFT_OFFSET);
    }

    void setLeft(final int node, final int child)
    {
        UnsafeApi.putInt(address(node) + LEFT_OFFSET, child);
    }

    int right(final int node)
    {
        return UnsafeApi.getInt(address(node) + RIGHT_OFFSET);
    }

    void setRight(final int node, final int child)
    {
        UnsafeApi.putInt(address(node) + RIGHT_OFFSET, child);
    }
}
