package dev.iova.cache;

import java.util.concurrent.atomic.AtomicLong;

import org.agrona.UnsafeApi;

/**
 * Which ranges the caches have handed out and not yet taken back, and which stripe lock guards
 * each: one sparse byte map per size class, a byte per naturally aligned slot of that class,
 * holding 0 while the range is not handed out, else {@code 1 + guard}, where the guard is the
 * stripe lock ({@link #guardOf}) that a free of the range must hold.
 *
 * <h2>Why</h2>
 * Linux's {@code free_iova_fast} trusts its caller: a double free puts the same range in a
 * magazine twice and it is later handed to two owners. Here a free must clear a byte that an
 * allocation set, so a double free, a free of a pfn the caches never handed out, a misaligned
 * free and a free of the wrong size class all fail before anything changes.
 *
 * <h2>The protocol: a byte changes only under its guard's lock, or in its range's owner's hands</h2>
 * An allocation sets the byte ({@link #markLive}) of a range it has just taken out of a magazine
 * or the tree: nobody else may legitimately touch that range, so a release store does. It writes
 * the guard of the stripe it holds. A free reads the byte: 0 means not handed out (refused); a
 * guard {@code g} means it must hold stripe lock {@code g} and read the byte again, and only if it
 * still reads {@code 1 + g} may it clear it ({@link #clear}, a release store) and park the range in
 * stripe {@code g}'s magazines. Every clearing of a byte that reads {@code 1 + g} thus happens under
 * lock {@code g}: two threads freeing the same range serialise on that lock, and the second reads
 * 0. The byte is the claim, and the stripe lock the free needs anyway for its magazine is the
 * instruction that makes it exclusive: a free of a range handed out by the freeing thread's own
 * stripe costs one atomic read-modify-write (the lock), where a compare-and-set on the byte
 * plus the lock cost two.
 *
 * <h2>Why a byte, not a bit</h2>
 * Bytes can be written on their own; with bits, neighbouring slots share a word and every write
 * needed a compare-and-set. The price is eight times the memory per touched window (32 KiB
 * instead of 4 KiB). A byte holds {@value #GUARDS} guards: with more stripes than that, stripe
 * {@code s} is guarded by lock {@code s % 255} (a free of its ranges takes two stripe locks).
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
 * <p>Thread-safe; allocates nothing on the Java heap. A leaf is freed only by {@link #close()},
 * after every stripe lock is taken for good, so a thread holding any stripe lock may read it.
 */
final class LiveRangeMap
{
    /** log2 of the slots per leaf. */
    static final int LEAF_SHIFT = 15;

    /** Slots per leaf: 32 Ki, a byte each. */
    static final int LEAF_SLOTS = 1 << LEAF_SHIFT;

    /** Bytes per leaf: 32 KiB. */
    static final int LEAF_BYTES = LEAF_SLOTS;

    /** A slot's byte while its range is not handed out. */
    private static final byte NOT_LIVE = 0;

    /** How many guards a byte can name: 1 to 255 (0 is {@link #NOT_LIVE}). */
    static final int GUARDS = 255;

    /** What {@link #guardAt} returns for a range that is not handed out. */
    static final int NO_GUARD = -1;

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
     * @param stripe a stripe index.
     * @return the stripe lock that guards the ranges it hands out: itself, below {@value #GUARDS}.
     */
    static int guardOf(final int stripe)
    {
        return stripe < GUARDS ? stripe : stripe % GUARDS;
    }

    /**
     * Marks the class-{@code sizeClass} range at {@code pfn} as handed out, guarded by
     * {@code guard}. The caller holds the range alone (just taken from a magazine or the tree).
     *
     * @param pfn       first pfn, aligned to the class.
     * @param sizeClass the size class.
     * @param hint      address of a leaf hint ({@link #LEAF_HINT_LENGTH} bytes) only the caller uses.
     * @param guard     {@link #guardOf} the stripe the caller holds.
     * @return false when the class's directory is full and the range cannot be tracked.
     * @throws IllegalStateException when the range is already marked (the caches are corrupt).
     */
    boolean markLive(final long pfn, final int sizeClass, final long hint, final int guard)
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
        UnsafeApi.putByteRelease(null, address, (byte)(guard + 1)); // the caller owns the range: no other thread writes it now
        return true;
    }

    /**
     * @param pfn       first pfn, aligned to the class.
     * @param sizeClass the size class.
     * @param hint      address of a leaf hint ({@link #LEAF_HINT_LENGTH} bytes) only the caller uses.
     * @return the address of the range's byte, for {@link #guardAt} and {@link #clear}; 0 when
     *         no range of its window was ever handed out (so it is not handed out now).
     */
    long slotAddressOf(final long pfn, final int sizeClass, final long hint)
    {
        final long slot = pfn >>> sizeClass;
        final long leaf = leafOf(sizeClass, slot >>> LEAF_SHIFT, false, hint);
        return leaf == 0 ? 0 : slotAddress(leaf, slot);
    }

    /**
     * @param slotAddress from {@link #slotAddressOf}; the caller holds a stripe lock.
     * @return the guard of the range, or {@link #NO_GUARD} when it is not handed out.
     */
    static int guardAt(final long slotAddress)
    {
        return (UnsafeApi.getByteVolatile(null, slotAddress) & 0xff) - 1; // LoadLoad: pairs with markLive's release
    }

    /**
     * Takes the range back: the caller holds the lock of the guard {@link #guardAt} just read
     * (under that lock), so no other free can clear it too.
     *
     * @param slotAddress from {@link #slotAddressOf}.
     */
    static void clear(final long slotAddress)
    {
        UnsafeApi.putByteRelease(null, slotAddress, NOT_LIVE);
    }

    /**
     * Undoes {@link #clear} when parking the range failed (an {@link Error}): the caller, still
     * under the guard's lock, holds the range again.
     *
     * @param slotAddress from {@link #slotAddressOf}.
     * @param guard       what {@link #guardAt} read.
     */
    static void restore(final long slotAddress, final int guard)
    {
        UnsafeApi.putByteRelease(null, slotAddress, (byte)(guard + 1));
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
            UnsafeApi.putLong(hint, key);
            UnsafeApi.putLong(hint + Long.BYTES, leaf);
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
