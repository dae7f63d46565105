package dev.iova.cache;

import java.util.concurrent.atomic.AtomicLong;

import org.agrona.UnsafeApi;

/**
 * Which ranges the caches have handed out and not yet taken back: one sparse byte map per size
 * class, a byte per naturally aligned slot of that class, set by {@code allocFast} and cleared by
 * {@code freeFast} with a compare-and-set.
 *
 * <h2>Why</h2>
 * Linux's {@code free_iova_fast} trusts its caller: a double free puts the same range in a
 * magazine twice and it is later handed to two owners. Here a free must clear a byte that an
 * allocation set, so a double free, a free of a pfn the caches never handed out, a misaligned
 * free and a free of the wrong size class all fail before anything changes, and no lock is taken.
 *
 * <h2>Why a byte, not a bit</h2>
 * The thread that marks a slot owns it: it has just taken the range out of a magazine under its
 * stripe's lock, and nobody else may legitimately free it before it is returned. A byte can be
 * written on its own, so marking is a plain release store; only the free, where two threads may
 * race to take back the same range, needs a compare-and-set. With bits, neighbouring slots share
 * a word and marking needed a compare-and-set too: one atomic instruction more per pair, about a
 * fifth of a cached pair's cost on the reference machine ({@code docs/benchmarks.md}). The price
 * is eight times the memory per touched window (32 KiB instead of 4 KiB).
 *
 * <h2>Shape</h2>
 * A class-{@code c} range starting at {@code pfn} is slot {@code pfn >>> c}. Slots are grouped in
 * leaves of {@value #LEAF_SLOTS} bytes (off-heap, zeroed), found through a per-class
 * open-addressed directory of {@value #DIRECTORY_SLOTS} slots keyed by {@code slot >>> 15}. A leaf
 * is created with a compare-and-set on its directory slot the first time a range of its window is
 * handed out and lives until {@link #close()}; memory therefore follows the part of the address
 * space the caches have touched (a class-0 leaf covers 128 MiB of IOVA space at a 4 KiB granule),
 * and is at most {@value #DIRECTORY_SLOTS} leaves per class. When a class's directory is full,
 * {@link #markLive} says so and the caller hands out an untracked tree range instead.
 *
 * <p>Thread-safe and lock-free; allocates nothing on the Java heap.
 */
final class LiveRangeMap implements RangeCache.LiveMarker
{
    /** log2 of the slots per leaf. */
    static final int LEAF_SHIFT = 15;

    /** Slots per leaf: 32 Ki, a byte each. */
    static final int LEAF_SLOTS = 1 << LEAF_SHIFT;

    /** Bytes per leaf: 32 KiB. */
    static final int LEAF_BYTES = LEAF_SLOTS;

    /** A slot's byte while its range is handed out. */
    private static final byte LIVE = 1;

    /** A slot's byte otherwise. */
    private static final byte NOT_LIVE = 0;

    /** Bytes per cache line, the unit that neighbouring slots must not share. */
    static final int CACHE_LINE_BYTES = 64;

    /** Cache lines per leaf. */
    static final int LINES_PER_LEAF = LEAF_BYTES / CACHE_LINE_BYTES;

    /** log2 of {@link #LINES_PER_LEAF}: how many low slot bits pick the line. */
    private static final int LINE_SHIFT = Integer.numberOfTrailingZeros(LINES_PER_LEAF);

    /** Directory slots per size class (a power of two). */
    static final int DIRECTORY_SLOTS = 1024;

    /**
     * Bytes of a leaf hint, a caller-owned pair of longs: the window key (window + 1, 0 for none)
     * and its leaf's address. The caches keep one per stripe and class, under the stripe's lock,
     * so that consecutive operations on the same window skip the directory.
     */
    static final int LEAF_HINT_LENGTH = 2 * Long.BYTES;

    /** Directory slot layout: the window key (window + 1, 0 for empty), then the leaf address. */
    private static final int SLOT_KEY_OFFSET = 0;
    private static final int SLOT_LEAF_OFFSET = Long.BYTES;
    private static final int SLOT_LENGTH = 2 * Long.BYTES;

    private final long directoryAddress;
    private final int sizeClasses;
    /** Leaves allocated so far; on the heap, so that reading it after close is harmless. */
    private final AtomicLong leafCount = new AtomicLong();

    /**
     * @param sizeClasses how many size classes.
     */
    LiveRangeMap(final int sizeClasses)
    {
        this.sizeClasses = sizeClasses;
        final long directoryBytes = (long)sizeClasses * DIRECTORY_SLOTS * SLOT_LENGTH;
        directoryAddress = UnsafeApi.allocateMemory(directoryBytes);
        UnsafeApi.setMemory(directoryAddress, directoryBytes, (byte)0);
    }

    /**
     * Marks the class-{@code sizeClass} range at {@code pfn} as handed out.
     *
     * @param pfn       first pfn, aligned to the class.
     * @param sizeClass the size class.
     * @param hint      address of a leaf hint ({@link #LEAF_HINT_LENGTH} bytes) only the caller uses.
     * @return false when the class's directory is full and the range cannot be tracked.
     * @throws IllegalStateException when the range is already marked (the caches are corrupt).
     */
    @Override
    public boolean markLive(final long pfn, final int sizeClass, final long hint)
    {
        final long slot = pfn >>> sizeClass;
        if (UnsafeApi.getLong(hint) == (slot >>> LEAF_SHIFT) + 1)
        {
            // The hint's window: the common case, kept to two branches (see StripedSpinLocks on why small).
            final long address = slotAddress(UnsafeApi.getLong(hint + Long.BYTES), slot);
            if (UnsafeApi.getByte(address) == NOT_LIVE)
            {
                UnsafeApi.putByteRelease(null, address, LIVE); // the caller owns the slot: no other thread writes it now
                return true;
            }
        }
        return markLiveSlow(pfn, sizeClass, hint);
    }

    /** {@link #markLive} outside the hint's window, or for a slot found marked. */
    private boolean markLiveSlow(final long pfn, final int sizeClass, final long hint)
    {
        final long slot = pfn >>> sizeClass;
        final long leaf = leafOf(sizeClass, slot >>> LEAF_SHIFT, true, hint);
        if (leaf == 0)
        {
            return false;
        }
        final long address = slotAddress(leaf, slot);
        if (UnsafeApi.getByte(address) != NOT_LIVE)
        {
            throw new IllegalStateException("range cache corrupted: pfn=0x" + Long.toHexString(pfn) + " of size class " +
                sizeClass + " is handed out twice");
        }
        UnsafeApi.putByteRelease(null, address, LIVE); // the caller owns the slot: no other thread writes it now
        return true;
    }

    /**
     * Takes back the class-{@code sizeClass} range at {@code pfn}, if it is marked.
     *
     * @param pfn       first pfn, aligned to the class.
     * @param sizeClass the size class.
     * @param hint      address of a leaf hint ({@link #LEAF_HINT_LENGTH} bytes) only the caller uses.
     * @return true when it was marked (and is now clear); false when it was not, which changes nothing.
     */
    boolean clearLive(final long pfn, final int sizeClass, final long hint)
    {
        final long slot = pfn >>> sizeClass;
        if (UnsafeApi.getLong(hint) == (slot >>> LEAF_SHIFT) + 1)
        {
            // Two threads freeing the same range race here: exactly one of them takes it back.
            return UnsafeApi.compareAndSetByte(null, slotAddress(UnsafeApi.getLong(hint + Long.BYTES), slot), LIVE, NOT_LIVE);
        }
        return clearLiveSlow(pfn, sizeClass, hint);
    }

    /** {@link #clearLive} outside the hint's window. */
    private boolean clearLiveSlow(final long pfn, final int sizeClass, final long hint)
    {
        final long slot = pfn >>> sizeClass;
        final long leaf = leafOf(sizeClass, slot >>> LEAF_SHIFT, false, hint);
        if (leaf == 0)
        {
            return false;
        }
        // Two threads freeing the same range race here: exactly one of them takes it back.
        return UnsafeApi.compareAndSetByte(null, slotAddress(leaf, slot), LIVE, NOT_LIVE);
    }

    /** @return off-heap bytes held: the directory and every leaf. */
    long offHeapBytes()
    {
        return (long)sizeClasses * DIRECTORY_SLOTS * SLOT_LENGTH + leafCount.get() * LEAF_BYTES;
    }

    /** Frees every leaf and the directory. The caller guarantees no thread uses the map any more. */
    void close()
    {
        for (int slot = 0; slot < sizeClasses * DIRECTORY_SLOTS; slot++)
        {
            final long leaf = UnsafeApi.getLongVolatile(null, directoryAddress + (long)slot * SLOT_LENGTH + SLOT_LEAF_OFFSET);
            if (leaf != 0)
            {
                UnsafeApi.freeMemory(leaf);
            }
        }
        UnsafeApi.freeMemory(directoryAddress);
    }

    /*
     * Where a slot's byte lives in its leaf. Neighbouring slots are the ranges that threads
     * allocating at the same time get (the tree hands out the highest fit, one below the other),
     * so they must not share a cache line, or every allocFast/freeFast of two threads writes the
     * same line. The slot's low 9 bits pick one of the leaf's 512 lines, its next 6 bits the byte
     * within that line. Slots 512 apart share a line.
     */
    private static long slotAddress(final long leaf, final long slot)
    {
        final int slotInLeaf = (int)(slot & (LEAF_SLOTS - 1));
        return leaf + (long)(slotInLeaf & (LINES_PER_LEAF - 1)) * CACHE_LINE_BYTES + (slotInLeaf >>> LINE_SHIFT);
    }

    /** @return the leaf of {@code window}, from the hint or else the directory (which then refreshes the hint); 0 when absent. */
    private long leafOf(final int sizeClass, final long window, final boolean create, final long hint)
    {
        final long key = window + 1;
        if (UnsafeApi.getLong(hint) == key)
        {
            return UnsafeApi.getLong(hint + Long.BYTES);
        }
        final long leaf = directoryLeafOf(sizeClass, window, create);
        if (leaf != 0)
        {
            // Key-less first, keyed last: an error between two of these calls (a StackOverflowError
            // at one of them, after a deoptimisation made them calls) leaves the hint as it was,
            // empty, or right, never a key with another window's leaf, which would mark and check
            // the wrong bytes.
            UnsafeApi.putLong(hint, 0);
            UnsafeApi.putLong(hint + Long.BYTES, leaf);
            UnsafeApi.putLong(hint, key);
        }
        return leaf;
    }

    /** @return the leaf of {@code window} in the class's directory, created if asked; 0 when absent (or the directory is full). */
    private long directoryLeafOf(final int sizeClass, final long window, final boolean create)
    {
        final long classDirectory = directoryAddress + (long)sizeClass * DIRECTORY_SLOTS * SLOT_LENGTH;
        final long key = window + 1;
        int index = (int)((key * 0x9E3779B97F4A7C15L) >>> 54) & (DIRECTORY_SLOTS - 1);
        for (int probe = 0; probe < DIRECTORY_SLOTS; probe++)
        {
            final long slot = classDirectory + (long)index * SLOT_LENGTH;
            final long slotKey = UnsafeApi.getLongVolatile(null, slot + SLOT_KEY_OFFSET);
            if (slotKey == key)
            {
                return awaitLeaf(slot);
            }
            if (slotKey == 0)
            {
                if (!create)
                {
                    return 0;
                }
                // The leaf exists before its key is installed: if allocating it throws
                // (OutOfMemoryError), nothing has changed, and no reader waits for a leaf that
                // will never come.
                final long newLeaf = allocateLeaf();
                if (UnsafeApi.compareAndSetLong(null, slot + SLOT_KEY_OFFSET, 0, key))
                {
                    leafCount.incrementAndGet();
                    UnsafeApi.putLongRelease(null, slot + SLOT_LEAF_OFFSET, newLeaf); // publishes the zeroed leaf
                    return newLeaf;
                }
                UnsafeApi.freeMemory(newLeaf); // another thread took the slot a moment ago
                if (UnsafeApi.getLongVolatile(null, slot + SLOT_KEY_OFFSET) == key)
                {
                    return awaitLeaf(slot); // another thread installed this window a moment ago
                }
            }
            index = (index + 1) & (DIRECTORY_SLOTS - 1);
        }
        return 0;
    }

    /**
     * Test hook: when set, called before every leaf allocation, so that a test can make the
     * Nth one fail with an {@link OutOfMemoryError} as {@code malloc} would. Null in production.
     */
    static volatile Runnable beforeLeafAllocation;

    /** @return a zeroed leaf. */
    private static long allocateLeaf()
    {
        final Runnable hook = beforeLeafAllocation;
        if (hook != null)
        {
            hook.run();
        }
        final long leaf = UnsafeApi.allocateMemory(LEAF_BYTES);
        UnsafeApi.setMemory(leaf, LEAF_BYTES, (byte)0);
        return leaf;
    }

    private static long awaitLeaf(final long slot)
    {
        long leaf;
        while ((leaf = UnsafeApi.getLongAcquire(null, slot + SLOT_LEAF_OFFSET)) == 0)
        {
            Thread.onSpinWait(); // the installer is between its two writes
        }
        return leaf;
    }
}
