package dev.iova.tree;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

import org.agrona.BufferUtil;

/**
 * Fixed-size off-heap slots addressed by int index, in direct-buffer chunks that grow on demand
 * and are all freed by {@link #releaseAll()}; freed slots are recycled through a free list.
 *
 * <p>Index 0 is never handed out, so it can mean "no slot". Chunks are direct {@link ByteBuffer}s,
 * so the JVM's {@code direct} buffer pool accounts for them (and {@code -XX:MaxDirectMemorySize}
 * bounds them). {@link #reserve(int)} makes room for a number of slots <em>before</em> an update
 * starts writing: it is the only method that can throw {@link OutOfMemoryError}, and after it
 * succeeds, that many {@link #allocate()} calls cannot fail. Not thread-safe.
 */
final class SlabStore
{
    /**
     * Fault injection for tests only: when set, runs before every chunk allocation and may throw
     * {@link OutOfMemoryError} as {@link ByteBuffer#allocateDirect} would when direct memory runs out.
     */
    static volatile Runnable beforeChunkAllocation;

    /**
     * Every chunk's first slot is aligned to this many bytes (a cache line; slots are powers of
     * two), so that a slot of n lines, such as a 256-byte leaf, touches n lines and not n + 1.
     * A direct buffer is only as aligned as {@code malloc} makes it: 16 bytes, and for a chunk
     * large enough to be {@code mmap}ed, 16 bytes past a page.
     */
    static final int CHUNK_ALIGNMENT = 64;

    private final int slotShift;
    private final int chunkShift;
    private final int chunkMask;
    private long[] chunkAddresses = new long[4];
    private ByteBuffer[] chunkMemory = new ByteBuffer[4];
    private int chunkCount;
    private int capacity;
    private int highWater = 1; // slot 0 is "no slot"
    private int freeHead;
    private int freeCount;
    private int liveSlots;

    /**
     * @param slotBytes  bytes per slot, a power of two of at least 8.
     * @param chunkSlots slots per chunk, a power of two.
     */
    SlabStore(final int slotBytes, final int chunkSlots)
    {
        if (Integer.bitCount(slotBytes) != 1 || slotBytes < Long.BYTES || Integer.bitCount(chunkSlots) != 1 ||
            (long)slotBytes * chunkSlots > Integer.MAX_VALUE - CHUNK_ALIGNMENT)
        {
            throw new IllegalArgumentException("slotBytes=" + slotBytes + " and chunkSlots=" + chunkSlots +
                " must be powers of two, slotBytes at least 8, their product below 2^31 - " + CHUNK_ALIGNMENT);
        }
        this.slotShift = Integer.numberOfTrailingZeros(slotBytes);
        this.chunkShift = Integer.numberOfTrailingZeros(chunkSlots);
        this.chunkMask = chunkSlots - 1;
    }

    /**
     * @return the first address of every chunk, by chunk number: the array is replaced when the
     *         store grows, so a caller that keeps it takes it again after each {@link #reserve}.
     */
    long[] chunkAddresses()
    {
        return chunkAddresses;
    }

    /** @return log2 of the slots per chunk. */
    int chunkShift()
    {
        return chunkShift;
    }

    /** @return log2 of the bytes per slot. */
    int slotShift()
    {
        return slotShift;
    }

    /** @return the address of slot {@code index}'s first byte. */
    long address(final int index)
    {
        return chunkAddresses[index >>> chunkShift] + ((long)(index & chunkMask) << slotShift);
    }

    /**
     * Makes sure the next {@code slots} calls of {@link #allocate()} succeed, growing by whole
     * chunks. Changes nothing that a caller can see when it throws.
     *
     * @param slots how many slots must be available.
     * @throws OutOfMemoryError when direct memory runs out.
     * @throws IllegalStateException when the slots would pass 2^31 indexes.
     */
    void reserve(final int slots)
    {
        while (freeCount + (capacity - highWater) < slots)
        {
            addChunk();
        }
    }

    /** @return a slot from the room {@link #reserve(int)} made; its contents are whatever they were. */
    int allocate()
    {
        int index = freeHead;
        if (index != 0)
        {
            freeHead = org.agrona.UnsafeApi.getInt(address(index));
            freeCount--;
        }
        else
        {
            if (highWater == capacity)
            {
                throw new IllegalStateException("no slot reserved: reserve() must come before allocate()");
            }
            index = highWater++;
        }
        liveSlots++;
        return index;
    }

    /** Gives a slot back; its first four bytes then link the free list. */
    void release(final int index)
    {
        org.agrona.UnsafeApi.putInt(address(index), freeHead);
        freeHead = index;
        freeCount++;
        liveSlots--;
    }

    /** @return the free-list and high-water state, packed for {@link #restore}: taken before an update writes. */
    long[] snapshot(final long[] into)
    {
        into[0] = highWater;
        into[1] = freeHead;
        into[2] = freeCount;
        into[3] = liveSlots;
        return into;
    }

    /** Puts back the state of a {@link #snapshot}; slots allocated and released since are as before it. */
    void restore(final long[] state)
    {
        highWater = (int)state[0];
        freeHead = (int)state[1];
        freeCount = (int)state[2];
        liveSlots = (int)state[3];
    }

    /** @return slots handed out and not released. */
    int liveSlots()
    {
        return liveSlots;
    }

    /** @return bytes of direct memory held, whole chunks with their alignment slack. */
    long offHeapBytes()
    {
        return chunkCount * chunkBytes();
    }

    /** @return bytes of direct memory per chunk: its slots, and the slack that aligns the first. */
    private long chunkBytes()
    {
        return ((long)chunkMask + 1 << slotShift) + CHUNK_ALIGNMENT - 1;
    }

    /** Frees every chunk; the store must not be used afterwards. */
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
        highWater = 0;
        freeHead = 0;
        freeCount = 0;
    }

    private void addChunk()
    {
        final long chunkSlots = (long)chunkMask + 1;
        if (capacity + chunkSlots > Integer.MAX_VALUE)
        {
            throw new IllegalStateException("the store cannot address more than 2^31 slots of " + (1 << slotShift) + " bytes");
        }
        long[] addresses = chunkAddresses;
        ByteBuffer[] memory = chunkMemory;
        if (chunkCount == addresses.length)
        {
            addresses = Arrays.copyOf(addresses, addresses.length * 2);
            memory = Arrays.copyOf(memory, memory.length * 2);
        }
        final Runnable hook = beforeChunkAllocation;
        if (hook != null)
        {
            hook.run();
        }
        // Every allocation above may throw OutOfMemoryError; nothing is published before they succeed.
        final ByteBuffer chunk = ByteBuffer.allocateDirect((int)chunkBytes()).order(ByteOrder.nativeOrder());
        addresses[chunkCount] = (BufferUtil.address(chunk) + CHUNK_ALIGNMENT - 1) & -CHUNK_ALIGNMENT;
        memory[chunkCount] = chunk;
        chunkAddresses = addresses;
        chunkMemory = memory;
        chunkCount++;
        capacity += (int)chunkSlots;
    }
}
