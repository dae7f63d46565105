package dev.iova.tree;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

import static dev.iova.tree.NodeDescriptor.*;

/**
 * Off-heap storage for tree nodes, addressed by int index, laid out by {@link NodeDescriptor}.
 *
 * <p>Nodes live in chunks of {@code chunkNodes} nodes, each a direct buffer, allocated one at a
 * time as the tree grows and never moved, so growing costs one chunk allocation and no copy.
 * Freed nodes form a LIFO free list threaded through their {@code left} field. Once the chunk a
 * node needs exists, {@link #allocate()} and {@link #release(int)} touch no Java heap.
 * {@link #releaseAll()} frees every chunk at once (not waiting for the garbage collector).
 *
 * <p>Not thread-safe: the owner serialises access.
 */
final class NodeStore
{
    private final int chunkShift;
    private final int chunkMask;
    private final int maxNodes;
    private UnsafeBuffer[] chunks;
    private ByteBuffer[] chunkMemory;
    private int chunkCount;
    private int capacity;
    private int highWater;
    private int freeHead = NIL;
    private int liveNodes;

    /**
     * @param chunkNodes nodes per chunk, a power of two.
     * @param maxNodes   the most nodes ever live at once (slot 0, {@link NodeDescriptor#NIL}, not counted).
     */
    NodeStore(final int chunkNodes, final int maxNodes)
    {
        this.chunkShift = Integer.numberOfTrailingZeros(chunkNodes);
        this.chunkMask = chunkNodes - 1;
        this.maxNodes = maxNodes;
        final int maxChunks = (int)(((long)maxNodes + 1 + chunkMask) >>> chunkShift);
        this.chunks = new UnsafeBuffer[Math.min(maxChunks, 16)];
        this.chunkMemory = new ByteBuffer[chunks.length];
        addChunk();
        highWater = 1; // slot 0 is NIL
    }

    /** @return a fresh node index with every field zero, or {@link NodeDescriptor#NIL} when {@code maxNodes} are live. */
    int allocate()
    {
        int node = freeHead;
        if (node != NIL)
        {
            freeHead = left(node);
            setLeft(node, NIL);
        }
        else
        {
            if (liveNodes >= maxNodes || (highWater == capacity && !addChunk()))
            {
                return NIL;
            }
            node = highWater++;
        }
        liveNodes++;
        return node;
    }

    /** Returns {@code node} to the free list, zeroing it. */
    void release(final int node)
    {
        final UnsafeBuffer chunk = chunk(node);
        chunk.setMemory(offset(node), NODE_LENGTH, (byte)0);
        chunk.putInt(offset(node) + LEFT_OFFSET, freeHead);
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

    /** Frees every chunk now; the store is unusable afterwards. */
    void releaseAll()
    {
        for (int i = 0; i < chunkCount; i++)
        {
            chunks[i].wrap(0, 0);
            BufferUtil.free(chunkMemory[i]);
            chunks[i] = null;
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
        if (chunkCount == chunks.length)
        {
            final int length = chunks.length * 2;
            chunks = Arrays.copyOf(chunks, length);
            chunkMemory = Arrays.copyOf(chunkMemory, length);
        }
        final ByteBuffer memory = ByteBuffer.allocateDirect((int)(chunkNodes * NODE_LENGTH)).order(ByteOrder.nativeOrder());
        chunkMemory[chunkCount] = memory;
        chunks[chunkCount] = new UnsafeBuffer(memory);
        chunkCount++;
        capacity = (int)Math.min(Integer.MAX_VALUE, capacity + chunkNodes);
        return true;
    }

    private UnsafeBuffer chunk(final int node)
    {
        return chunks[node >>> chunkShift];
    }

    private int offset(final int node)
    {
        return (node & chunkMask) * NODE_LENGTH;
    }

    long loPfn(final int node)
    {
        return chunk(node).getLong(offset(node) + LO_PFN_OFFSET);
    }

    void setLoPfn(final int node, final long pfn)
    {
        chunk(node).putLong(offset(node) + LO_PFN_OFFSET, pfn);
    }

    long hiPfn(final int node)
    {
        return chunk(node).getLong(offset(node) + HI_PFN_OFFSET);
    }

    void setHiPfn(final int node, final long pfn)
    {
        chunk(node).putLong(offset(node) + HI_PFN_OFFSET, pfn);
    }

    long gapWord(final int node)
    {
        return chunk(node).getLong(offset(node) + GAP_LO_META_OFFSET);
    }

    void setGapWord(final int node, final long word)
    {
        chunk(node).putLong(offset(node) + GAP_LO_META_OFFSET, word);
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

    boolean isReserved(final int node)
    {
        return (gapWord(node) & RESERVED_BIT) != 0;
    }

    long maxGapPages(final int node)
    {
        return chunk(node).getLong(offset(node) + MAX_GAP_PAGES_OFFSET);
    }

    long maxFitPages(final int node)
    {
        return chunk(node).getLong(offset(node) + MAX_FIT_PAGES_OFFSET);
    }

    /** Writes the derived fields of {@code node} in one go: height and the two subtree maxima. */
    void setDerived(final int node, final int height, final long maxGapPages, final long maxFitPages)
    {
        final UnsafeBuffer chunk = chunk(node);
        final int offset = offset(node);
        final long word = chunk.getLong(offset + GAP_LO_META_OFFSET);
        chunk.putLong(offset + GAP_LO_META_OFFSET, (word & ~(HEIGHT_MASK << HEIGHT_SHIFT)) | ((long)height << HEIGHT_SHIFT));
        chunk.putLong(offset + MAX_GAP_PAGES_OFFSET, maxGapPages);
        chunk.putLong(offset + MAX_FIT_PAGES_OFFSET, maxFitPages);
    }

    int left(final int node)
    {
        return chunk(node).getInt(offset(node) + LEFT_OFFSET);
    }

    void setLeft(final int node, final int child)
    {
        chunk(node).putInt(offset(node) + LEFT_OFFSET, child);
    }

    int right(final int node)
    {
        return chunk(node).getInt(offset(node) + RIGHT_OFFSET);
    }

    void setRight(final int node, final int child)
    {
        chunk(node).putInt(offset(node) + RIGHT_OFFSET, child);
    }
}
