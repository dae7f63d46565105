package dev.iova.dma;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLongArray;

import org.agrona.UnsafeApi;

import static dev.iova.dma.PageTableDescriptor.TABLE;
import static dev.iova.dma.PageTableDescriptor.tableAddress;

/**
 * Off-heap memory for page tables: table-sized, table-aligned, zeroed blocks carved from chunks,
 * a free list, and the list of tables that unmaps detached and that wait for an IOTLB
 * invalidation before they may be used again.
 *
 * <h2>Why detached tables wait</h2>
 * A detached table may still be in an IOTLB's walk cache, and a concurrent
 * {@link IoPageTable#translate(long)} may hold its address. So a detached table keeps its
 * contents (every leaf under it was part of the unmapped range) until an invalidation covering it
 * has completed ({@link #releaseCovered}, {@link #releaseInside}); only then is it zeroed and put
 * on the free list, after the <em>recycle epoch</em> has moved on. A walker reads the epoch before
 * and after its walk and walks again if it changed, so it never returns what it read from a
 * recycled table (a seqlock whose writers are the recyclers). Memory goes back to the system only
 * at {@link #releaseAll()}, so a walker never reads unmapped memory.
 *
 * <p>Allocation and release take this object's monitor (rare: one table per 2 MiB of newly used
 * IOVA space with the default geometry); the epoch is read without it. Chunks are linked through
 * their first word, so adding one allocates nothing on the Java heap; the free and retired lists
 * are heap arrays that grow to their high-water mark, after which nothing here allocates there.
 */
final class TablePool
{
    /** Bytes carved from the system at a time, at most. */
    static final int CHUNK_BYTES = 256 * 1024;

    private static final int EPOCH = 16; // alone on its 128-byte line

    /** Bytes at the start of each chunk holding the raw address of the chunk before it. */
    private static final int CHUNK_LINK = Long.BYTES;

    private final int tableBytes;
    private final long addressMask;
    private final int alignment;
    private final int tablesPerChunk;
    private final int maxTables;
    private final int leafLevel;
    private final int entriesPerTable;
    private final AtomicLongArray epoch = new AtomicLongArray(32);

    /** The newest chunk's raw address (0: none); each chunk's first word holds the one before it. */
    private long lastChunkRaw;
    private long bumpAddress;
    private int bumpTables;
    private int createdTables;
    private int liveTables;
    private long chunkBytes;
    private long[] freeStack = new long[64];
    private int freeCount;

    private long[] retiredAddress = new long[16];
    private int[] retiredLevel = new int[16];
    private long[] retiredFirstIova = new long[16];
    private long[] retiredLastIova = new long[16];
    private long[] retiredTag = new long[16];
    private long[] retiredSequence = new long[16];
    private volatile int retiredCount;
    /** Retirements so far: a retired table's number, so a range invalidation frees only what was retired before it began. */
    private volatile long retireSequence;

    /** Allocations left before one fails as if {@code maxTables} were reached; negative: never (fault injection). */
    private long allocationsBeforeFault = -1;
    /** Whether the injected fault throws {@link OutOfMemoryError} rather than returning 0. */
    private boolean faultThrows;

    /**
     * @param tableBytes      bytes per table, a power of two (rounded up to {@link PageTableDescriptor#TABLE_ALIGNMENT}).
     * @param maxTables       the most tables that may exist at once.
     * @param leafLevel       the level of leaf tables (levels are numbered from 0, the root).
     * @param entriesPerTable entries per table.
     */
    TablePool(final int tableBytes, final int maxTables, final int leafLevel, final int entriesPerTable)
    {
        // Tiny tables (fewer than 16 entries) still take TABLE_ALIGNMENT bytes, so every address has free flag bits.
        this.tableBytes = Math.max(tableBytes, PageTableDescriptor.TABLE_ALIGNMENT);
        this.alignment = this.tableBytes;
        this.addressMask = -(long)this.tableBytes;
        this.tablesPerChunk = Math.max(1, Math.min(maxTables, CHUNK_BYTES / this.tableBytes));
        this.maxTables = maxTables;
        this.leafLevel = leafLevel;
        this.entriesPerTable = entriesPerTable;
    }

    /** @return the native address of a zeroed table, or 0 when {@code maxTables} tables exist. */
    synchronized long allocate()
    {
        if (allocationsBeforeFault >= 0 && allocationsBeforeFault-- == 0)
        {
            if (faultThrows)
            {
                throw new OutOfMemoryError("injected: table allocation");
            }
            return 0;
        }
        final long address;
        if (freeCount > 0)
        {
            address = freeStack[--freeCount];
        }
        else
        {
            if (bumpTables == 0 && !addChunk())
            {
                return 0;
            }
            address = bumpAddress;
            bumpAddress += tableBytes;
            bumpTables--;
        }
        liveTables++;
        return address;
    }

    /**
     * Fault injection for tests of the failure paths: the {@code n}th allocation from now fails as
     * if the table bound were reached, once.
     *
     * @param n 1 for the next allocation; 0 or less cancels.
     */
    synchronized void failAllocation(final long n)
    {
        allocationsBeforeFault = n - 1;
        faultThrows = false;
    }

    /**
     * Fault injection for tests: the {@code n}th allocation from now throws {@link OutOfMemoryError}, once.
     *
     * @param n 1 for the next allocation; 0 or less cancels.
     */
    synchronized void throwOnAllocation(final long n)
    {
        allocationsBeforeFault = n - 1;
        faultThrows = true;
    }

    /**
     * Takes back a table that was never published (it lost the race to be installed): still zero,
     * never seen by another thread, so it may be reused at once.
     *
     * @param address from {@link #allocate()}.
     */
    synchronized void freeUnpublished(final long address)
    {
        push(address);
        liveTables--;
    }

    /**
     * Keeps a detached table (and every table under it) until an invalidation covers it.
     *
     * @param address   the detached table.
     * @param level     its level.
     * @param firstIova first iova it covers.
     * @param lastIova  last iova it covers (inclusive).
     * @param tag       from {@link InvalidationClock#tagAfterUnmap()}, taken after detaching.
     */
    synchronized void retire(final long address, final int level, final long firstIova, final long lastIova, final long tag)
    {
        final int count = retiredCount;
        if (count == retiredAddress.length)
        {
            final int length = count * 2;
            retiredAddress = Arrays.copyOf(retiredAddress, length);
            retiredLevel = Arrays.copyOf(retiredLevel, length);
            retiredFirstIova = Arrays.copyOf(retiredFirstIova, length);
            retiredLastIova = Arrays.copyOf(retiredLastIova, length);
            retiredTag = Arrays.copyOf(retiredTag, length);
            retiredSequence = Arrays.copyOf(retiredSequence, length);
        }
        retiredAddress[count] = address;
        retiredLevel[count] = level;
        retiredFirstIova[count] = firstIova;
        retiredLastIova[count] = lastIova;
        retiredTag[count] = tag;
        retiredSequence[count] = retireSequence + 1;
        retireSequence = retireSequence + 1; // under the monitor: the only writer
        retiredCount = count + 1;
    }

    /** @return how many tables were retired so far: read it after unmapping and before a range invalidation begins. */
    long retireSequence()
    {
        return retireSequence;
    }

    /**
     * Recycles every detached table whose span meets {@code [firstIova, lastIova]} and that was
     * retired no later than {@code upToSequence}, after a completed invalidation of that range
     * which also dropped the walk-cache entries on its paths ({@code tablesFreed}): every table
     * whose span meets the range was on those paths while it was attached.
     *
     * @param firstIova    first iova invalidated.
     * @param lastIova     last iova invalidated (inclusive).
     * @param upToSequence {@link #retireSequence()}, read before the invalidation began.
     * @return how many detached subtrees were recycled.
     */
    int releaseMeeting(final long firstIova, final long lastIova, final long upToSequence)
    {
        if (retiredCount == 0)
        {
            return 0;
        }
        synchronized (this)
        {
            return release(null, firstIova, lastIova, upToSequence);
        }
    }

    /** @return true when detached tables wait for an invalidation (a racy hint, cheap to read). */
    boolean hasRetired()
    {
        return retiredCount != 0;
    }

    /**
     * Recycles every detached table whose tag a completed whole-domain invalidation covers.
     *
     * @param clock the clock the tags came from.
     * @return how many detached subtrees were recycled.
     */
    int releaseCovered(final InvalidationClock clock)
    {
        if (retiredCount == 0)
        {
            return 0;
        }
        synchronized (this)
        {
            return release(clock, 0, -1, -1);
        }
    }

    /**
     * Recycles every detached table whose span lies inside {@code [firstIova, lastIova]}, after a
     * completed invalidation of that range.
     *
     * @param firstIova first iova invalidated.
     * @param lastIova  last iova invalidated (inclusive).
     * @return how many detached subtrees were recycled.
     */
    int releaseInside(final long firstIova, final long lastIova)
    {
        if (retiredCount == 0)
        {
            return 0;
        }
        synchronized (this)
        {
            return release(null, firstIova, lastIova, -1);
        }
    }

    /** @param upToSequence -1: tables whose span lies inside the range; otherwise tables meeting it retired up to this number. */
    private int release(final InvalidationClock clock, final long firstIova, final long lastIova, final long upToSequence)
    {
        int kept = 0;
        int released = 0;
        final int count = retiredCount;
        for (int i = 0; i < count; i++)
        {
            final boolean covered = clock != null ? clock.covers(retiredTag[i]) : upToSequence < 0 ?
                retiredFirstIova[i] >= firstIova && retiredLastIova[i] <= lastIova :
                retiredSequence[i] <= upToSequence && retiredFirstIova[i] <= lastIova && retiredLastIova[i] >= firstIova;
            if (covered)
            {
                if (released == 0)
                {
                    // Walkers that started before this compare their epoch and walk again.
                    epoch.getAndIncrement(EPOCH);
                }
                recycle(retiredAddress[i], retiredLevel[i]);
                released++;
            }
            else
            {
                retiredAddress[kept] = retiredAddress[i];
                retiredLevel[kept] = retiredLevel[i];
                retiredFirstIova[kept] = retiredFirstIova[i];
                retiredLastIova[kept] = retiredLastIova[i];
                retiredTag[kept] = retiredTag[i];
                retiredSequence[kept] = retiredSequence[i];
                kept++;
            }
        }
        retiredCount = kept;
        return released;
    }

    /** Zeroes a detached table and the tables under it and puts them on the free list. */
    private void recycle(final long address, final int level)
    {
        if (level < leafLevel)
        {
            for (int index = 0; index < entriesPerTable; index++)
            {
                final long entry = UnsafeApi.getLong(address + PageTableDescriptor.entryOffset(index));
                if ((entry & TABLE) != 0)
                {
                    recycle(tableAddress(entry, addressMask), level + 1);
                }
            }
        }
        // Word by word, not setMemory: a walker still inside this table must read each entry whole
        // (an old entry or zero), never a pointer with some of its bytes cleared.
        for (long offset = 0; offset < tableBytes; offset += PageTableDescriptor.ENTRY_LENGTH)
        {
            UnsafeApi.putLongRelease(null, address + offset, 0L);
        }
        push(address);
        liveTables--;
    }

    /** @return the recycle epoch, with acquire semantics: read it before a walk. */
    long epochAcquire()
    {
        return epoch.getAcquire(EPOCH);
    }

    /** @return the recycle epoch: read it after a walk, behind a load fence. */
    long epochAfterWalk()
    {
        return epoch.get(EPOCH);
    }

    /** @return tables in use (installed, or detached and waiting), the root included. */
    synchronized int liveTables()
    {
        return liveTables;
    }

    /** @return detached tables waiting for an invalidation (subtree roots). */
    int retiredTables()
    {
        return retiredCount;
    }

    /** @return the most tables that may exist. */
    int maxTables()
    {
        return maxTables;
    }

    /** @return bytes taken from the system. */
    synchronized long offHeapBytes()
    {
        return chunkBytes;
    }

    /** Frees every chunk; the pool must not be used afterwards. */
    synchronized void releaseAll()
    {
        while (lastChunkRaw != 0)
        {
            final long raw = lastChunkRaw;
            lastChunkRaw = UnsafeApi.getLong(raw);
            UnsafeApi.freeMemory(raw);
        }
        chunkBytes = 0;
        bumpTables = 0;
        freeCount = 0;
        retiredCount = 0;
    }

    private void push(final long address)
    {
        if (freeCount == freeStack.length)
        {
            freeStack = Arrays.copyOf(freeStack, freeCount * 2);
        }
        freeStack[freeCount++] = address;
    }

    private boolean addChunk()
    {
        final int tables = Math.min(tablesPerChunk, maxTables - createdTables);
        if (tables <= 0)
        {
            return false;
        }
        final long bytes = (long)tables * tableBytes;
        // The link to the chunk before sits in the chunk's first word, before its aligned tables:
        // the list of chunks costs no Java heap, however many chunks a sweep adds.
        final long raw = UnsafeApi.allocateMemory(CHUNK_LINK + bytes + alignment);
        final long aligned = (raw + CHUNK_LINK + alignment - 1) & -(long)alignment;
        UnsafeApi.setMemory(aligned, bytes, (byte)0);
        UnsafeApi.putLong(raw, lastChunkRaw);
        lastChunkRaw = raw;
        chunkBytes += CHUNK_LINK + bytes + alignment;
        bumpAddress = aligned;
        bumpTables = tables;
        createdTables += tables;
        return true;
    }
}
