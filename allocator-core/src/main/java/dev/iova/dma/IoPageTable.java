package dev.iova.dma;

import dev.iova.region.Protection;

import org.agrona.UnsafeApi;

import static dev.iova.dma.PageTableDescriptor.FIRST;
import static dev.iova.dma.PageTableDescriptor.FIXED;
import static dev.iova.dma.PageTableDescriptor.LAST;
import static dev.iova.dma.PageTableDescriptor.RECLAIMING;
import static dev.iova.dma.PageTableDescriptor.OWNER_MASK;
import static dev.iova.dma.PageTableDescriptor.PHYS_BITS;
import static dev.iova.dma.PageTableDescriptor.PHYS_MASK;
import static dev.iova.dma.PageTableDescriptor.TABLE;
import static dev.iova.dma.PageTableDescriptor.VALID;
import static dev.iova.dma.PageTableDescriptor.entryOffset;
import static dev.iova.dma.PageTableDescriptor.leafPhys;
import static dev.iova.dma.PageTableDescriptor.protectionBits;
import static dev.iova.dma.PageTableDescriptor.tableAddress;
import static dev.iova.dma.PageTableDescriptor.tableEntry;

/**
 * An off-heap, multi-level I/O page table: what an IOMMU walks to turn an I/O virtual address
 * into a physical one (after Linux's {@code drivers/iommu/io-pgtable-arm.c}).
 *
 * <h2>Geometry</h2>
 * A granule of {@code 2^granuleShift} bytes, tables of {@code 2^bitsPerLevel} 8-byte entries, an
 * IOVA space of {@code 2^iovaBits} bytes; as many levels as it takes. The default — 4 KiB granule,
 * 512 entries, 48 bits — has four levels, each table is one 4 KiB page, and a leaf table maps
 * 2 MiB. The entry format is {@link PageTableDescriptor}; tables come from a {@link TablePool}.
 *
 * <h2>Block entries</h2>
 * A block is a leaf on one of the {@link #MAX_BLOCK_LEVELS} levels above the leaf level (never the
 * root) that maps the whole span a table there would: 2 MiB and 1 GiB with the defaults
 * ({@link #blockSizes()}). A map writes one for every piece of its range whose IOVA and physical
 * address are both aligned to the block size and that lies wholly inside the range, where the entry
 * is empty; where a table is installed, the piece goes into it as smaller blocks or leaves (a table
 * is never replaced, so a map never detaches anything). Edges get granule-sized leaves. A block is
 * published with one release store into a table the map announced, exactly as a leaf, and carries
 * the same software bits. {@code translate} stops at it and adds the offset inside it; an unmap must
 * hold it whole (one that would split it throws); clearing one frees nothing below it, and the
 * table that held it is offered for reclaim like any other. {@link #blockMappings(boolean)} turns
 * blocks off.
 *
 * <h2>Concurrency and memory ordering</h2>
 * Calls on disjoint ranges need no lock: the owner of a range (the IOVA allocator guarantees it is
 * exclusive) writes its leaves; tables shared by several ranges are only ever installed, never
 * changed, and installing one is a compare-and-set.
 * <ul>
 *   <li><b>Installing a table</b>: a zeroed table is published by a CAS of its parent entry from 0
 *       to the table's address (a release: the zeroes are visible before the pointer). A loser
 *       gives its table back, unseen, and uses the winner's.</li>
 *   <li><b>Writing a leaf</b>: one release store of the whole 64-bit entry, so a reader sees the
 *       old entry or the new one, never a mix.</li>
 *   <li><b>Walking</b> ({@link #translate(long)}, and map/unmap on their way down): every entry is
 *       read with an acquire load, so a walker that sees a table pointer sees that table's zeroes
 *       or later contents. A mapping is therefore visible to a {@code translate} on any thread
 *       that happens-after the {@code map} returned (for example, a thread that received the
 *       IOVA through a queue or a volatile field), and may be visible earlier, page by page.</li>
 *   <li><b>Unmapping</b> claims the mapping with a CAS of its first entry, so two racing unmaps of
 *       the same range cannot both succeed, then clears the other entries with release stores.</li>
 * </ul>
 *
 * <h2>Reclaiming tables</h2>
 * No count of live entries is kept: a count in the parent entry, raised by every map and lowered by
 * every unmap, made threads mapping neighbouring IOVAs contend on one word. A table one unmap covers
 * whole is detached at once, the largest such, with one compare-and-set of its parent entry. A table
 * emptied piece by piece stays installed (the next map in its span uses it again); an unmap that
 * reads the lines around what it cleared empty offers it to a reclaim pass ({@link EmptyTables}):
 * before every whole invalidation ({@link #invalidationStarted()}), and when the domain asks. The
 * pass marks the parent entry of each offered table that reads empty {@code RECLAIMING}, reads the
 * announcements of maps in progress ({@link TableHazards}), reads the table again, and detaches it
 * only when it is still empty, no map announced it and no map took the mark off. A map announces
 * the table it writes into, then checks that the entry still points to it without the mark (taking
 * the mark off if set): one of the two sees the other, so a map never writes into a table being
 * detached. A detached subtree is recycled only after an IOTLB invalidation that covers it has
 * completed — {@link #rangeInvalidated(long, long)} or {@link #invalidationCompleted(long)} — and
 * behind a recycle epoch that walkers check (see {@link TablePool}), so neither a walk cache nor a
 * walk in progress can see a table reused; a map that walked across a recycle walks again. Memory
 * returns to the system at {@link #close()}. {@link #reclaimEmptyTables(boolean)} turns the pass off.
 *
 * <h2>Walks that trust nothing they read</h2>
 * A walker (a {@code translate}, or a bad {@code unmap} reading someone else's range) may be inside
 * a table while an invalidation recycles it, and so read entries of another level or another
 * mapping. It follows an entry only when the entry says it is a table ({@code TABLE} set, which no
 * leaf has), and tables are zeroed word by word, so it only ever reads table memory; the recycle
 * epoch then makes {@code translate} walk again. Table memory is freed only by {@link #close()},
 * which waits for every public call in progress (an {@link OperationGate}).
 *
 * <h2>Errors</h2>
 * Unaligned addresses or sizes, ranges beyond the IOVA space or 52-bit physical addresses,
 * {@link Protection#NO_MAP}, mapping over an existing entry, unmapping a hole or part of a mapping:
 * each throws {@link IllegalArgumentException} naming the values, after checking every entry and
 * before writing any. A map that needs more tables than {@code maxTables} allows in all returns false
 * before writing anything; one that runs out of tables half way returns false after taking back what
 * it wrote: its leaves are cleared and the tables wholly inside its range are detached, waiting, as an
 * unmap's, for an invalidation of the range ({@link #rangeInvalidated}) before they count as free.
 * Every public method but {@link #close()}, {@link #isClosed()}, {@link #offHeapBytes()} and
 * {@link #toString()} throws {@link IllegalStateException} after {@link #close()}.
 *
 * <p>{@link #map}, {@link #unmap} and {@link #translate} allocate nothing on the Java heap once the
 * tables they need exist. A page table that a {@link DmaDomain} made is closed by the domain:
 * its own {@link #close()} refuses.
 */
public final class IoPageTable implements AutoCloseable
{
    /** Default granule: 4 KiB. */
    public static final int DEFAULT_GRANULE_SHIFT = 12;

    /** Default table size: 512 entries, one 4 KiB page. */
    public static final int DEFAULT_BITS_PER_LEVEL = 9;

    /** Default IOVA space: 48 bits, four levels with the defaults above. */
    public static final int DEFAULT_IOVA_BITS = 48;

    /** Default bound on tables: 1 Mi tables, 4 GiB of 4 KiB tables, taken only as used. */
    public static final int DEFAULT_MAX_TABLES = 1 << 20;

    /** Unmap mode: one or more whole mappings (the public {@link #unmap(long, long)}). */
    static final int UNMAP_WHOLE = 0;

    /** Unmap mode: exactly one mapping, not {@code FIXED} (the DMA domain's unmap). */
    static final int UNMAP_ONE_DMA = 1;

    /** Unmap mode: exactly one {@code FIXED} mapping (an MSI doorbell page). */
    static final int UNMAP_ONE_FIXED = 2;

    private final int granuleShift;
    private final long granuleBytes;
    private final long granuleMask;
    private final int bitsPerLevel;
    private final int entriesPerTable;
    private final long indexMask;
    private final int iovaBits;
    private final long maxIova;
    private final int levels;
    private final int leafLevel;
    /** The shallowest level that may hold a block entry ({@link #isBlockLevel}); {@code leafLevel} when none may. */
    private final int firstBlockLevel;
    private final TablePool pool;
    /** {@code -tableBytes}: the address bits of a table entry (flags sit below them). */
    private final long addressMask;
    private final InvalidationClock clock = new InvalidationClock();
    private final EmptyTables emptied = new EmptyTables(this);
    private final TableHazards hazards = new TableHazards();
    private final long rootAddress;
    private final OperationGate gate = new OperationGate(OperationGate.defaultStripes(), "page table is closed: ", null, null);
    private volatile boolean ownedByDomain;
    /** False for a domain whose IOTLB invalidates only ranges: nothing would cover a reclaimed table's span. */
    private volatile boolean reclaimEmptied = true;
    /** Whether maps write block entries where the IOVA, the physical address and the length allow (the default). */
    private volatile boolean blockMappings = true;
    private volatile boolean closed;

    /** A page table with the default geometry: 4 KiB granule, 512 entries per table, 48-bit IOVAs. */
    public IoPageTable()
    {
        this(DEFAULT_GRANULE_SHIFT, DEFAULT_BITS_PER_LEVEL, DEFAULT_IOVA_BITS, DEFAULT_MAX_TABLES);
    }

    /**
     * @param granuleShift log2 of the page size, 12 (4 KiB) to 30.
     * @param bitsPerLevel log2 of the entries per table, 1 to 16 (9: 512 entries).
     * @param iovaBits     width of the IOVA space, {@code granuleShift + 1} to 63.
     * @param maxTables    the most tables that may exist at once, at least 1 (the root).
     * @throws IllegalArgumentException naming the bad value.
     * @throws IllegalStateException    when the JVM lacks the {@code --add-exports} Agrona needs.
     */
    public IoPageTable(final int granuleShift, final int bitsPerLevel, final int iovaBits, final int maxTables)
    {
        if (granuleShift < 12 || granuleShift > 30)
        {
            throw new IllegalArgumentException("granuleShift=" + granuleShift + " must be in [12, 30]");
        }
        if (bitsPerLevel < 1 || bitsPerLevel > 16)
        {
            throw new IllegalArgumentException("bitsPerLevel=" + bitsPerLevel + " must be in [1, 16]");
        }
        if (iovaBits <= granuleShift || iovaBits > 63)
        {
            throw new IllegalArgumentException("iovaBits=" + iovaBits + " must be in [" + (granuleShift + 1) + ", 63]");
        }
        if (maxTables < 1)
        {
            throw new IllegalArgumentException("maxTables=" + maxTables + " must be at least 1");
        }
        this.granuleShift = granuleShift;
        this.granuleBytes = 1L << granuleShift;
        this.granuleMask = granuleBytes - 1;
        this.bitsPerLevel = bitsPerLevel;
        this.entriesPerTable = 1 << bitsPerLevel;
        this.indexMask = entriesPerTable - 1;
        this.iovaBits = iovaBits;
        this.maxIova = (1L << iovaBits) - 1;
        this.levels = (iovaBits - granuleShift + bitsPerLevel - 1) / bitsPerLevel;
        this.leafLevel = levels - 1;
        this.firstBlockLevel = Math.max(1, leafLevel - MAX_BLOCK_LEVELS);
        this.pool = new TablePool(entriesPerTable * PageTableDescriptor.ENTRY_LENGTH, maxTables, leafLevel, entriesPerTable);
        this.addressMask = -(long)Math.max(entriesPerTable * PageTableDescriptor.ENTRY_LENGTH, PageTableDescriptor.TABLE_ALIGNMENT);
        this.rootAddress = pool.allocate();
    }

    /** @return log2 of the page size. */
    public int granuleShift()
    {
        checkOpen();
        return granuleShift;
    }

    /** @return log2 of the entries per table. */
    public int bitsPerLevel()
    {
        checkOpen();
        return bitsPerLevel;
    }

    /** @return the width of the IOVA space in bits. */
    public int iovaBits()
    {
        checkOpen();
        return iovaBits;
    }

    /** @return how many levels a walk reads. */
    public int levels()
    {
        checkOpen();
        return levels;
    }

    /**
     * Maps {@code [iova, iova + bytes)} to {@code [phys, phys + bytes)} as one mapping (what
     * {@link #unmap} takes back whole): a block entry for every piece that a block size fits (IOVA
     * and {@code phys} aligned to it, wholly inside the range, its entry empty), one leaf per page
     * elsewhere. A map that throws half way (an {@link OutOfMemoryError} from a table allocation)
     * takes back what it wrote first.
     *
     * @param iova       first I/O virtual address, granule-aligned.
     * @param phys       first physical address, granule-aligned, below 2^52.
     * @param bytes      a positive multiple of the granule.
     * @param protection {@link Protection#READ}, {@link Protection#WRITE} or {@link Protection#READ_WRITE}.
     * @return true when mapped; false when the table bound was reached (nothing is mapped then).
     * @throws IllegalArgumentException for a bad value or when any page of the range is already
     *                                  mapped, by a leaf or a block; nothing changes.
     * @throws IllegalStateException    after {@link #close()}.
     */
    public boolean map(final long iova, final long phys, final long bytes, final Protection protection)
    {
        final int stripe = gate.enter(this);
        try
        {
            return map(iova, phys, bytes, protection, FIRST | LAST);
        }
        finally
        {
            gate.exit(stripe);
        }
    }

    /**
     * As {@link #map(long, long, long, Protection)}, with the software bits to set.
     *
     * @param softwareBits {@code FIRST} to mark the first page, {@code LAST} the last, {@code FIXED} every page.
     */
    boolean map(final long iova, final long phys, final long bytes, final Protection protection, final long softwareBits)
    {
        checkOpen();
        checkIovaRange(iova, bytes);
        checkPhysRange(phys, bytes);
        final long leafBits = checkedProtectionBits(protection) | VALID;
        final long pages = bytes >>> granuleShift;
        checkUnmapped(iova, pages);
        final boolean blocks = blockMappings && firstBlockLevel < leafLevel;
        if (tablesSpanned(iova, phys, pages, blocks) > pool.maxTables() - 1L)
        {
            return false; // more tables than may ever exist: fail before building any
        }
        final long written = writeLeaves(iova, phys, pages, leafBits, softwareBits, blocks);
        if (written != pages)
        {
            undoFailedMap(iova, written);
            return false;
        }
        return true;
    }

    /**
     * Unmaps {@code [iova, iova + bytes)}, which must be exactly one or more whole mappings: every
     * page mapped, the first page the first of a {@link #map} call, the last page the last of one,
     * every block entry wholly inside. Tables whose whole span the range covers are detached and
     * wait for an invalidation; cleared blocks free nothing below them.
     *
     * @param iova  first address, granule-aligned.
     * @param bytes a positive multiple of the granule.
     * @return the bytes unmapped ({@code bytes}).
     * @throws IllegalArgumentException for a bad value, a hole, or a range that starts or ends
     *                                  inside a mapping or a block; nothing changes.
     * @throws IllegalStateException    after {@link #close()}.
     */
    public long unmap(final long iova, final long bytes)
    {
        final int stripe = gate.enter(this);
        try
        {
            unmap(iova, bytes, UNMAP_WHOLE);
            return bytes;
        }
        finally
        {
            gate.exit(stripe);
        }
    }

    /**
     * As {@link #unmap(long, long)}, with what the range must be.
     *
     * @param mode {@link #UNMAP_WHOLE}, {@link #UNMAP_ONE_DMA} or {@link #UNMAP_ONE_FIXED}.
     */
    int unmap(final long iova, final long bytes, final int mode)
    {
        checkOpen();
        checkIovaRange(iova, bytes);
        final long pages = bytes >>> granuleShift;
        return tablesFreed(claimAndClear(iova, pages, checkMapped(iova, pages, mode)));
    }

    /**
     * As {@link #unmap(long, long, int)}, refusing a mapping that another device owns.
     *
     * @param ownerBits the owner field the first leaf must hold ({@link PageTableDescriptor#OWNER_MASK}
     *                  bits), or -1 for any owner.
     * @param ownerName what the error message calls the expected owner.
     * @return the unmap's gather: {@link #tablesFreed(long)}, how many tables it detached (they wait for an
     *         invalidation of the range), and {@link #pageBytes(long)}, the page size to invalidate with.
     */
    long unmap(final long iova, final long bytes, final int mode, final long ownerBits, final Object ownerName)
    {
        checkOpen();
        checkIovaRange(iova, bytes);
        final long pages = bytes >>> granuleShift;
        final long firstEntry = checkMapped(iova, pages, mode);
        final long owner = firstEntry & OWNER_MASK;
        if (ownerBits < 0 && owner == PageTableDescriptor.LINKED_OWNER_BITS)
        {
            throw new IllegalArgumentException("dma=" + hex(iova) + " is linked into a two-step IOVA reservation: " +
                "unlink it through its DmaIova");
        }
        if (ownerBits >= 0 && owner != ownerBits)
        {
            throw new IllegalArgumentException("dma=" + hex(iova) + " is " + (owner == PageTableDescriptor.LINKED_OWNER_BITS ?
                "linked into a two-step IOVA reservation" : owner == 0 ? "mapped by the domain, not a device," :
                "mapped by device " + (owner >>> PageTableDescriptor.OWNER_SHIFT) + ",") + " not by " + ownerName);
        }
        return claimAndClear(iova, pages, firstEntry);
    }

    /** @return the gather ({@link #clearAndDetach}). */
    private long claimAndClear(final long iova, final long pages, final long firstEntry)
    {
        long table = rootAddress;
        int level = 0;
        while (level < leafLevel)
        {
            final long entry = UnsafeApi.getLongAcquire(null, table + entryOffset(index(level, iova)));
            if ((entry & TABLE) == 0)
            {
                break; // the first entry is a block (or gone meanwhile: the claim below fails)
            }
            table = tableAddress(entry, addressMask);
            level++;
        }
        if (!UnsafeApi.compareAndSetLong(null, table + entryOffset(index(level, iova)), firstEntry, 0L))
        {
            throw new IllegalArgumentException("iova=" + hex(iova) + " is not mapped: unmapped by another thread meanwhile");
        }
        return clearAndDetach(iova, pages, table, level);
    }

    /**
     * Translates one address, as the IOMMU would.
     *
     * @param iova any address; those outside the IOVA space fault.
     * @return a packed {@link Translation}: the physical address (with the iova's offset in its
     *         page, or in its block when a block entry maps it) and protection, or {@link Translation#FAULT}.
     * @throws IllegalStateException after {@link #close()}.
     */
    public long translate(final long iova)
    {
        final int stripe = gate.enter(this);
        try
        {
            return walk(iova);
        }
        finally
        {
            gate.exit(stripe);
        }
    }

    /** {@link #translate(long)} without the gate: for the domain, whose own gate keeps the table open. */
    long walk(final long iova)
    {
        checkOpen();
        if (iova < 0 || iova > maxIova)
        {
            return Translation.FAULT;
        }
        while (true)
        {
            final long epoch = pool.epochAcquire();
            final long translation = readTranslation(iova);
            UnsafeApi.loadFence(); // LoadLoad: the walk's loads come before the second epoch read
            if (pool.epochAfterWalk() == epoch)
            {
                return translation;
            }
            // a detached table was recycled during the walk: what we read may belong to another mapping
        }
    }

    /**
     * @param iova any address.
     * @return the translation, or null when {@code iova} is not mapped (allocates: for tests and tools).
     */
    public Translation translation(final long iova)
    {
        return Translation.of(translate(iova));
    }

    /**
     * Starts a whole-space IOTLB invalidation: call before asking the IOTLB to invalidate
     * everything, then {@link #invalidationCompleted(long)} once it has.
     *
     * @return the invalidation's ticket.
     */
    public long invalidationStarted()
    {
        checkOpen();
        emptied.reclaim(hazards); // tables emptied piece by piece, detached now, are covered by this invalidation
        return clock.begin();
    }

    /**
     * Records that the whole-space invalidation with {@code ticket} has completed: every table
     * detached before it started may now be reused.
     *
     * @param ticket from {@link #invalidationStarted()}.
     */
    public void invalidationCompleted(final long ticket)
    {
        final int stripe = gate.enter(this);
        try
        {
            completeInvalidation(ticket);
        }
        finally
        {
            gate.exit(stripe);
        }
    }

    /** {@link #invalidationCompleted(long)} without the gate, for the domain. */
    void completeInvalidation(final long ticket)
    {
        clock.complete(ticket);
        pool.releaseCovered(clock);
    }

    /**
     * Records that an IOTLB invalidation of {@code [iova, iova + bytes)} has completed: tables
     * detached from inside that range may now be reused.
     *
     * @param iova  first address invalidated.
     * @param bytes bytes invalidated.
     */
    public void rangeInvalidated(final long iova, final long bytes)
    {
        final int stripe = gate.enter(this);
        try
        {
            releaseInside(iova, bytes);
        }
        finally
        {
            gate.exit(stripe);
        }
    }

    /** {@link #rangeInvalidated(long, long)} without the gate. */
    void releaseInside(final long iova, final long bytes)
    {
        pool.releaseInside(iova, iova + bytes - 1);
    }

    /**
     * Clears every page still mapped in {@code [iova, iova + pages)}, a range the caller owns
     * whole (a two-step reservation being destroyed), with no check of what is there: leaves, and
     * block entries wholly inside the range (links write blocks as maps do).
     */
    void clearOwnedRange(final long iova, final long pages)
    {
        checkOpen();
        long done = 0;
        pieces:
        while (done < pages)
        {
            final long address = iova + (done << granuleShift);
            for (int level = blockLevelFor(address, 0, pages - done); level < leafLevel; level++)
            {
                final long table = announceExisting(address, level);
                if (table == 0)
                {
                    done += pagesToSpanEnd(address, level, pages - done); // no table at this level: nothing mapped here
                    continue pieces;
                }
                final long held = table;
                final long entry;
                try
                {
                    final long entryAddress = (table & ~TableHazards.SLOT_MASK) + entryOffset(index(level, address));
                    entry = UnsafeApi.getLongAcquire(null, entryAddress);
                    if (entry != 0 && (entry & TABLE) == 0)
                    {
                        UnsafeApi.putLongRelease(null, entryAddress, 0L);
                        offerIfMaybeEmpty(address, table & ~TableHazards.SLOT_MASK, level, index(level, address), 1, false);
                    }
                }
                finally
                {
                    hazards.end(held);
                }
                if ((entry & TABLE) == 0)
                {
                    done += 1L << (shift(level) - granuleShift); // a block cleared, or an empty span
                    continue pieces;
                }
            }
            final long first = leafIndex(address);
            final long count = Math.min(pages - done, entriesPerTable - first);
            final long table = announceExisting(address, leafLevel);
            if (table != 0)
            {
                final long held = table;
                try
                {
                    long cleared = 0;
                    for (long i = 0; i < count; i++)
                    {
                        final long entryAddress = (table & ~TableHazards.SLOT_MASK) + entryOffset(first + i);
                        if (UnsafeApi.getLongAcquire(null, entryAddress) != 0)
                        {
                            UnsafeApi.putLongRelease(null, entryAddress, 0L);
                            cleared++;
                        }
                    }
                    if (cleared != 0)
                    {
                        offerIfMaybeEmpty(address, table & ~TableHazards.SLOT_MASK, leafLevel, first, count, false);
                    }
                }
                finally
                {
                    hazards.end(held);
                }
            }
            done += count;
        }
    }

    /**
     * Announces the table at {@code level} on {@code iova}'s path, when there is one, without
     * installing any: a caller that may find none of its own entries in it (so nothing keeps it
     * attached) reads and writes it only under the announcement. The root (a one-level table's leaf
     * table) is always there.
     *
     * @return {@code table | slot} (end it with {@link TableHazards#end}), or 0 when no table is there.
     */
    private long announceExisting(final long iova, final int level)
    {
        if (level == 0)
        {
            return hazards.announce(rootAddress);
        }
        while (true)
        {
            final long epoch = pool.epochAcquire();
            final long parent = tableAt(iova, level - 1);
            if (parent == 0)
            {
                return 0;
            }
            final long entryAddress = parent + entryOffset(index(level - 1, iova));
            final long entry = UnsafeApi.getLongAcquire(null, entryAddress);
            if ((entry & TABLE) == 0)
            {
                return 0;
            }
            final long table = tableAddress(entry, addressMask);
            final long held = hazards.announce(table);
            if (isAttached(entryAddress, table) && pool.epochAfterWalk() == epoch)
            {
                return held;
            }
            hazards.end(held); // detached or recycled meanwhile: look again
        }
    }

    /**
     * Reclaims the tables that unmaps left empty piece by piece and that are still empty: each is
     * detached and retired, to be reused after an invalidation that covers it (the domain runs this
     * when {@link #reclaimWanted()}, at a flush and at a flush-queue timeout).
     *
     * @return how many tables it detached.
     */
    int reclaimEmptyTables()
    {
        return emptied.reclaim(hazards);
    }

    /** @return true when enough tables wait empty that a reclaim pass is due (a racy read, cheap). */
    boolean reclaimWanted()
    {
        return emptied.isDue();
    }

    /** @return true when some table waits empty (a racy read). */
    boolean hasEmptyTables()
    {
        return emptied.isNotEmpty();
    }

    /** @return tables retired so far: read after an unmap and before the range invalidation that follows it begins. */
    long retireSequence()
    {
        return pool.retireSequence();
    }

    /**
     * The domain's release after a completed range invalidation that also dropped the walk caches
     * on the range's paths ({@link Iotlb#invalidateRange(long, long, long, boolean)}): every table
     * retired up to {@code upToSequence} whose span meets the range may be reused, including a
     * leaf table an unmap of one page emptied and detached.
     */
    void releaseMeeting(final long iova, final long bytes, final long upToSequence)
    {
        pool.releaseMeeting(iova, iova + bytes - 1, upToSequence);
    }

    /** @return tables in use: installed, or detached and waiting for an invalidation (the root included). */
    public int liveTables()
    {
        checkOpen();
        return pool.liveTables();
    }

    /** @return detached subtrees waiting for an invalidation before reuse. */
    public int retiredTables()
    {
        checkOpen();
        return pool.retiredTables();
    }

    /** @return the most tables that may exist at once, the root included. */
    public int maxTables()
    {
        checkOpen();
        return pool.maxTables();
    }

    /** @return bytes of table memory taken from the system. */
    public long offHeapBytes()
    {
        return closed ? 0 : pool.offHeapBytes();
    }

    /** @return true once {@link #close()} has been called. */
    public boolean isClosed()
    {
        return closed;
    }

    /**
     * Waits for the calls in progress, then frees all table memory. Later calls throw
     * {@link IllegalStateException}; closing twice is harmless.
     *
     * @throws IllegalStateException when a {@link DmaDomain} made this table: close the domain.
     */
    @Override
    public void close()
    {
        if (ownedByDomain)
        {
            throw new IllegalStateException(this + " belongs to a DmaDomain: close the domain instead");
        }
        closeOwned();
    }

    /**
     * Whether tables that unmaps empty piece by piece are reclaimed (the default) or stay installed
     * until {@link #close()} (memory then follows the largest footprint so far; a workload that
     * keeps refilling the same spans saves the reclaim's detach and re-install). Tables whose whole
     * span one unmap covers are detached either way. Set it before mapping.
     *
     * @param reclaim true to reclaim emptied tables at the next whole invalidation.
     * @return this table.
     */
    public IoPageTable reclaimEmptyTables(final boolean reclaim)
    {
        checkOpen();
        this.reclaimEmptied = reclaim;
        return this;
    }

    /**
     * Whether maps write block (huge-page) entries (the default) or granule-sized leaves only. A
     * block is one entry at a level above the leaf level that maps the whole span of a table there
     * ({@code granule << (bitsPerLevel * k)} bytes: 2 MiB and 1 GiB with the defaults); a map writes
     * one for each piece of its range whose IOVA and physical address are both aligned to the block
     * size and that lies wholly inside the range, where the entry is empty. Which levels may hold
     * blocks: the {@link #MAX_BLOCK_LEVELS} levels above the leaf level, never the root (Arm's and
     * x86's rule; a two-level table has none). Off, every mapping is made of leaves, as before
     * blocks existed, for comparison. Mappings already made keep their entries either way; set it
     * before mapping.
     *
     * @param blocks true to write block entries where they fit.
     * @return this table.
     */
    public IoPageTable blockMappings(final boolean blocks)
    {
        checkOpen();
        this.blockMappings = blocks;
        return this;
    }

    /** @return the size in bytes of each block entry maps, smallest first (none when the geometry allows no blocks). */
    public long[] blockSizes()
    {
        checkOpen();
        final long[] sizes = new long[Math.max(0, leafLevel - firstBlockLevel)];
        for (int level = leafLevel - 1; level >= firstBlockLevel; level--)
        {
            sizes[leafLevel - 1 - level] = 1L << shift(level);
        }
        return sizes;
    }

    /** @return the largest block size in bytes not above {@code bytes} when block mappings are on, else 0. */
    long largestBlockBytesWithin(final long bytes)
    {
        if (!blockMappings)
        {
            return 0;
        }
        for (int level = firstBlockLevel; level < leafLevel; level++)
        {
            if ((bytes >>> shift(level)) != 0)
            {
                return 1L << shift(level);
            }
        }
        return 0;
    }

    /** Marks the table as a domain's: {@link #close()} then refuses. Holds no reference to the domain (its Cleaner). */
    void markOwnedByDomain()
    {
        this.ownedByDomain = true;
    }

    /** The domain's close: its own gate has drained, so only public callers (inspection) may be in progress. */
    void closeOwned()
    {
        if (gate.close() == OperationGate.IDLE)
        {
            closed = true;
            pool.releaseAll();
        }
    }

    @Override
    public String toString()
    {
        return "IoPageTable{granule=" + granuleBytes + ", entriesPerTable=" + entriesPerTable + ", iovaBits=" + iovaBits +
            ", levels=" + levels + (gate.isClosed() ? ", closed}" : "}");
    }

    // ---------------------------------------------------------------------------------------------
    // Package API for the DMA domain
    // ---------------------------------------------------------------------------------------------

    /**
     * Fault injection for tests: the {@code n}th table allocation from now fails as if
     * {@code maxTables} were reached (a map then returns false, or {@code NO_ADDRESS} from the domain).
     *
     * @param n 1 for the next allocation; 0 or less cancels.
     */
    void failTableAllocation(final long n)
    {
        pool.failAllocation(n);
    }

    /**
     * Fault injection for tests: the {@code n}th table allocation from now throws {@link OutOfMemoryError}.
     *
     * @param n 1 for the next allocation; 0 or less cancels.
     */
    void throwOnTableAllocation(final long n)
    {
        pool.throwOnAllocation(n);
    }

    /** @return the root table's native address (for tests that plant entries a racing recycle could leave). */
    long rootTableAddress()
    {
        return rootAddress;
    }

    InvalidationClock clock()
    {
        return clock;
    }

    boolean hasRetiredTables()
    {
        return pool.hasRetired();
    }

    void releaseCoveredTables()
    {
        pool.releaseCovered(clock);
    }

    /**
     * Takes back a partly written scatter-gather map: clears every leaf of {@code [iova, iova + pages)}
     * and detaches the tables wholly inside it (they wait for an invalidation of the range).
     */
    void undoPartialMap(final long iova, final long pages)
    {
        undoFailedMap(iova, pages);
    }

    long granuleMask()
    {
        return granuleMask;
    }

    /**
     * Finds the DMA mappings whose first leaf holds {@code ownerBits}, in IOVA order, by walking
     * every installed table (a device's teardown: rare, and it allocates the answer).
     *
     * @param ownerBits an owner field, {@link PageTableDescriptor#OWNER_MASK} bits, not 0.
     * @return pairs (iova, bytes), one per mapping.
     */
    long[] mappingsOf(final long ownerBits)
    {
        checkOpen();
        final MappingScan scan = new MappingScan(ownerBits, levels, entriesPerTable);
        scanTable(0, 0L, scan);
        return java.util.Arrays.copyOf(scan.found, scan.count);
    }

    /**
     * Reads the table at {@code level} on {@code baseIova}'s path whole between two reads of the
     * recycle epoch, and walks to it again until no table was recycled meanwhile: the entries it
     * goes on with are that table's, not those of a table that a reclaim pass detached and an
     * invalidation recycled for another span or level while the scan was inside it. Leaves and
     * block entries are read alike, each mapping its entry's span.
     */
    private void scanTable(final int level, final long baseIova, final MappingScan scan)
    {
        final long[] entries = scan.snapshots[level];
        while (true)
        {
            final long epoch = pool.epochAcquire();
            final long table = tableAt(baseIova, level);
            if (table == 0)
            {
                return; // detached meanwhile: it held nothing of a quiet device's
            }
            for (int i = 0; i < entriesPerTable; i++)
            {
                entries[i] = UnsafeApi.getLongAcquire(null, table + entryOffset(i));
            }
            UnsafeApi.loadFence(); // LoadLoad: the table's loads come before the second epoch read
            if (pool.epochAfterWalk() == epoch)
            {
                break;
            }
        }
        final int levelShift = shift(level);
        for (int i = 0; i < entriesPerTable; i++)
        {
            final long iova = baseIova + ((long)i << levelShift);
            if (Long.compareUnsigned(iova, maxIova) > 0)
            {
                return;
            }
            final long entry = entries[i];
            if (entry == 0)
            {
                continue;
            }
            if (level < leafLevel && (entry & TABLE) != 0)
            {
                scanTable(level + 1, iova, scan);
                continue;
            }
            if (level < leafLevel && !isBlockLevel(level))
            {
                continue; // neither a table nor a mapping: never a leaf of ours
            }
            if ((entry & FIRST) != 0)
            {
                scan.startIova = (entry & FIXED) == 0 && (entry & OWNER_MASK) == scan.ownerBits ? iova : -1L;
            }
            if ((entry & LAST) != 0 && scan.startIova >= 0)
            {
                scan.add(scan.startIova, iova + (1L << levelShift) - scan.startIova);
                scan.startIova = -1L;
            }
        }
    }

    /** The state of {@link #mappingsOf}: the mapping being read, what was found, a snapshot array per level. */
    private static final class MappingScan
    {
        final long ownerBits;
        final long[][] snapshots;
        long startIova = -1L;
        long[] found = new long[16];
        int count;

        MappingScan(final long ownerBits, final int levels, final int entriesPerTable)
        {
            this.ownerBits = ownerBits;
            this.snapshots = new long[levels][entriesPerTable];
        }

        void add(final long iova, final long bytes)
        {
            if (count + 2 > found.length)
            {
                found = java.util.Arrays.copyOf(found, found.length * 2);
            }
            found[count++] = iova;
            found[count++] = bytes;
        }
    }

    long maxIova()
    {
        return maxIova;
    }

    // ---------------------------------------------------------------------------------------------
    // Walks
    // ---------------------------------------------------------------------------------------------

    private int shift(final int level)
    {
        return granuleShift + bitsPerLevel * (leafLevel - level);
    }

    private long index(final int level, final long iova)
    {
        return (iova >>> shift(level)) & indexMask;
    }

    private long leafIndex(final long iova)
    {
        return (iova >>> granuleShift) & indexMask;
    }

    /** @return the table at {@code level} on {@code iova}'s path; 0 when absent. */
    private long tableAt(final long iova, final int level)
    {
        long table = rootAddress;
        for (int l = 0; l < level; l++)
        {
            final long entry = UnsafeApi.getLongAcquire(null, table + entryOffset(index(l, iova)));
            if ((entry & TABLE) == 0)
            {
                return 0; // empty, or not a table: a racing recycle (see the class comment); never follow it
            }
            table = tableAddress(entry, addressMask);
        }
        return table;
    }

    /**
     * Finds the table at {@code level} on {@code iova}'s path (the root for level 0), installing it (and the
     * tables above it) when absent, and announces it in this thread's hazard slot
     * ({@link TableHazards}): once this returns, a reclaim pass cannot detach it until the
     * announcement ends or moves to another table, so leaves written into it stay reachable.
     *
     * @param held what an earlier call returned (the slot this thread holds), or 0 for none yet.
     * @return {@code table | slot}; 0 when out of tables (the announcement has ended then). When it
     *         throws, a slot it took itself ({@code held} 0) is given back; a slot held before is
     *         the caller's to end.
     */
    private long enterTable(final long iova, final int level, final long held)
    {
        long holding = held;
        if (level == 0)
        {
            // A one-level table: the root is the leaf table, never detached; announced all the same, so the slot rules hold.
            if (holding == 0)
            {
                return hazards.announce(rootAddress);
            }
            hazards.reannounce(holding, rootAddress);
            return rootAddress | (holding & TableHazards.SLOT_MASK);
        }
        try
        {
            int strays = 0;
            while (true)
            {
                final long epoch = pool.epochAcquire();
                final long parent = tableAt(iova, level - 1);
                if (parent != 0)
                {
                    final long entryAddress = parent + entryOffset(index(level - 1, iova));
                    final long entry = UnsafeApi.getLongAcquire(null, entryAddress);
                    if ((entry & TABLE) != 0)
                    {
                        final long table = tableAddress(entry, addressMask);
                        if (holding == 0)
                        {
                            holding = hazards.announce(table); // a CAS: ordered before the checks below
                        }
                        else
                        {
                            hazards.reannounce(holding, table);
                            holding = table | (holding & TableHazards.SLOT_MASK);
                        }
                        // No table was recycled during the walk (so the entry was read where it belongs),
                        // and the table is still there with no pass about to detach it.
                        if (isAttached(entryAddress, table) && pool.epochAfterWalk() == epoch)
                        {
                            return holding;
                        }
                        continue;
                    }
                    if (entry != 0)
                    {
                        if (++strays > STRAY_RETRIES)
                        {
                            endAnnouncement(holding);
                            return 0; // not a table, for good: never write through it (reported as out of tables)
                        }
                        continue; // a racing recycle left a stray word: walk again
                    }
                }
                final long next = install(iova, level, holding);
                if (next == OUT_OF_TABLES)
                {
                    return 0;
                }
                holding = next;
            }
        }
        catch (final RuntimeException | Error ex)
        {
            if (held == 0)
            {
                endAnnouncement(holding); // this call took the slot; otherwise its caller, which holds it, ends it
            }
            throw ex;
        }
    }

    private void endAnnouncement(final long held)
    {
        if (held != 0)
        {
            hazards.end(held);
        }
    }

    /**
     * Reads the entry again after the announcement: true when it still points to {@code table}. A
     * {@code RECLAIMING} mark is cleared on the way, which makes the pass's detach fail.
     */
    private boolean isAttached(final long entryAddress, final long table)
    {
        while (true)
        {
            final long entry = UnsafeApi.getLongVolatile(null, entryAddress);
            if ((entry & TABLE) == 0 || tableAddress(entry, addressMask) != table)
            {
                return false; // detached (by a pass that did not see us, before we wrote anything): walk again
            }
            if ((entry & RECLAIMING) == 0)
            {
                return true;
            }
            UnsafeApi.compareAndSetLong(null, entryAddress, entry, entry & ~RECLAIMING);
        }
    }

    /** What {@link #install} returns when out of tables. */
    private static final long OUT_OF_TABLES = -1;

    /** How many levels above the leaf level may hold block entries (Arm and x86: the two above it), never the root. */
    static final int MAX_BLOCK_LEVELS = 2;

    /** How many times {@link #enterTable} walks again past a word that is neither empty nor a table before it gives up. */
    private static final int STRAY_RETRIES = 64;

    /**
     * Installs a fresh table at {@code level}, entering its parent first (the root needs none).
     *
     * @return what to hold next ({@code held}, or the parent announced; 0 for nothing): walk again to
     *         enter the table, ours or one another thread installed first; {@link #OUT_OF_TABLES}
     *         when out of tables (the announcement has ended).
     */
    private long install(final long iova, final int level, final long held)
    {
        long holding = held;
        final long parent;
        if (level == 1)
        {
            parent = rootAddress;
        }
        else
        {
            holding = enterTable(iova, level - 1, held);
            if (holding == 0)
            {
                return OUT_OF_TABLES;
            }
            parent = holding & ~TableHazards.SLOT_MASK;
        }
        final long table;
        try
        {
            table = pool.allocate();
            if (table != 0)
            {
                final long entryAddress = parent + entryOffset(index(level - 1, iova));
                if (!UnsafeApi.compareAndSetLong(null, entryAddress, 0L, tableEntry(table))) // release: the zeroed table before the pointer
                {
                    pool.freeUnpublished(table); // another owner in this span installed one first
                }
                return holding;
            }
        }
        catch (final RuntimeException | Error ex)
        {
            if (held == 0)
            {
                endAnnouncement(holding); // the slot was taken above, for the parent: no caller knows it
            }
            if (level > 1)
            {
                offerEmptied(iova, level - 1); // it may have been installed for this map alone
            }
            throw ex;
        }
        endAnnouncement(holding);
        if (level > 1)
        {
            offerEmptied(iova, level - 1); // it may have been installed for this map alone
        }
        return OUT_OF_TABLES;
    }

    /** Offers the table at {@code level} on {@code iova}'s path to the next reclaim pass, when reclaim is on. */
    private void offerEmptied(final long iova, final int level)
    {
        if (reclaimEmptied)
        {
            emptied.offer(iova & -(1L << shift(level - 1)), level);
        }
    }

    /**
     * The first step of a reclaim pass for the table at {@code level} on {@code iova}'s path: when it
     * is there and empty, marks its parent entry {@code RECLAIMING}.
     *
     * @return the entry's address, the entry read before marking it in {@code marked[0]}; 0 when not marked.
     */
    long markIfEmpty(final long iova, final int level, final long[] marked)
    {
        final long epoch = pool.epochAcquire();
        final long parent = tableAt(iova, level - 1);
        if (parent == 0)
        {
            return 0;
        }
        final long entryAddress = parent + entryOffset(index(level - 1, iova));
        final long entry = UnsafeApi.getLongAcquire(null, entryAddress);
        if ((entry & TABLE) == 0 || (entry & RECLAIMING) != 0 || !isEmpty(tableAddress(entry, addressMask)) ||
            !UnsafeApi.compareAndSetLong(null, entryAddress, entry, entry | RECLAIMING))
        {
            return 0; // gone, in use, or changed meanwhile: a later unmap offers it again
        }
        if (pool.epochAfterWalk() != epoch)
        {
            UnsafeApi.compareAndSetLong(null, entryAddress, entry | RECLAIMING, entry); // the walk may have read a recycled table
            return 0;
        }
        marked[0] = entry;
        return entryAddress;
    }

    /**
     * The last step of a reclaim pass, after {@link TableHazards#snapshot}: detaches the marked table
     * when no map announced it, it is still empty and the mark survived; else takes the mark off.
     * A detached table is retired, and its parent offered in turn.
     *
     * @return 1 when it detached the table, else 0.
     */
    int detachMarked(final long iova, final int level, final long entryAddress, final long entry, final long[] announced,
        final int announcedCount)
    {
        final long table = tableAddress(entry, addressMask);
        boolean inUse = !isEmpty(table);
        for (int i = 0; i < announcedCount && !inUse; i++)
        {
            inUse = (announced[i] & ~TableHazards.SLOT_MASK) == table;
        }
        if (inUse || !UnsafeApi.compareAndSetLong(null, entryAddress, entry | RECLAIMING, 0L))
        {
            UnsafeApi.compareAndSetLong(null, entryAddress, entry | RECLAIMING, entry); // fails when a map took the mark off first
            return 0;
        }
        final long spanBytes = 1L << shift(level - 1);
        final long first = iova & -spanBytes;
        pool.retire(table, level, first, first + spanBytes - 1, clock.tagAfterUnmap());
        if (level > 1)
        {
            offerEmptied(iova, level - 1);
        }
        return 1;
    }

    /** Takes a pass's {@code RECLAIMING} mark off, unless the entry changed meanwhile. */
    void unmark(final long entryAddress, final long entry)
    {
        UnsafeApi.compareAndSetLong(null, entryAddress, entry | RECLAIMING, entry);
    }

    /** @return true when every entry of the table reads 0 (acquire loads, so leaves published before are seen). */
    private boolean isEmpty(final long table)
    {
        for (long i = 0; i < entriesPerTable; i++)
        {
            if (UnsafeApi.getLongAcquire(null, table + entryOffset(i)) != 0)
            {
                return false;
            }
        }
        return true;
    }

    /** @return true when the entries on {@code index}'s line of the table (up to 8) read 0: the table may be empty. */
    private boolean lineIsEmpty(final long table, final long index)
    {
        final long lineEntries = Math.min(8, entriesPerTable);
        final long first = index & -lineEntries;
        for (long i = first; i < first + lineEntries; i++)
        {
            if (UnsafeApi.getLongAcquire(null, table + entryOffset(i)) != 0)
            {
                return false;
            }
        }
        return true;
    }

    /**
     * @return the packed translation of {@code iova} as read (a walk stops at a leaf, or at a block
     *         entry on a level that may hold blocks, and adds the offset inside it), or
     *         {@link Translation#FAULT}.
     */
    private long readTranslation(final long iova)
    {
        long table = rootAddress;
        for (int level = 0; level < leafLevel; level++)
        {
            final long entry = UnsafeApi.getLongAcquire(null, table + entryOffset(index(level, iova)));
            if ((entry & TABLE) == 0)
            {
                // empty, a block, or a word read from a table recycled under us (the epoch check walks again)
                return entry != 0 && isBlockLevel(level) ? Translation.pack(entry, iova, (1L << shift(level)) - 1) : Translation.FAULT;
            }
            table = tableAddress(entry, addressMask);
        }
        final long leaf = UnsafeApi.getLongAcquire(null, table + entryOffset(leafIndex(iova)));
        return leaf == 0 ? Translation.FAULT : Translation.pack(leaf, iova, granuleMask);
    }

    // ---------------------------------------------------------------------------------------------
    // Map
    // ---------------------------------------------------------------------------------------------

    /**
     * Checks that no page of {@code [iova, iova + pages)} is mapped, by leaves or by blocks. A walk
     * stops at the first entry that is not a table: an empty entry clears its whole span at once, a
     * block entry (at a level that may hold blocks) is a mapped page.
     */
    private void checkUnmapped(final long iova, final long pages)
    {
        long done = 0;
        positions:
        while (done < pages)
        {
            final long epoch = pool.epochAcquire();
            final long address = iova + (done << granuleShift);
            long table = rootAddress;
            int level = 0;
            long entry = UnsafeApi.getLongAcquire(null, table + entryOffset(index(0, address)));
            while (level < leafLevel && (entry & TABLE) != 0)
            {
                table = tableAddress(entry, addressMask);
                level++;
                entry = UnsafeApi.getLongAcquire(null, table + entryOffset(index(level, address)));
            }
            if (level < leafLevel)
            {
                // this table's entries from here on, without walking again: each empty one clears its span
                final int spanPagesShift = shift(level) - granuleShift;
                final long spanPages = 1L << spanPagesShift;
                final boolean blockLevel = isBlockLevel(level);
                final long tableEnd = table + entryOffset(entriesPerTable);
                long next = entry;
                long entryAddress = table + entryOffset(index(level, address));
                long step = pagesToSpanEnd(address, level, pages - done); // the first entry's span may start before the range
                while ((next & TABLE) == 0)
                {
                    if (next != 0 && blockLevel)
                    {
                        if (recycledSince(epoch))
                        {
                            continue positions; // read from a table recycled under us: look again
                        }
                        throw alreadyMapped(iova + (done << granuleShift), next, level, iova, pages);
                    }
                    done += step; // nothing mapped in the rest of this entry's span
                    entryAddress += PageTableDescriptor.ENTRY_LENGTH;
                    if (done >= pages || entryAddress == tableEnd)
                    {
                        break;
                    }
                    // the empty entries after it that the range reaches: one load and one test each
                    final long reached = Math.min((tableEnd - entryAddress) / PageTableDescriptor.ENTRY_LENGTH,
                        ((pages - done - 1) >>> spanPagesShift) + 1);
                    long empty = 0;
                    while (empty < reached && UnsafeApi.getLongAcquire(null, entryAddress + entryOffset(empty)) == 0)
                    {
                        empty++;
                    }
                    done += empty << spanPagesShift;
                    entryAddress += entryOffset(empty);
                    if (done >= pages || entryAddress == tableEnd)
                    {
                        break;
                    }
                    step = spanPages;
                    next = UnsafeApi.getLongAcquire(null, entryAddress);
                }
                done = Math.min(done, pages);
                continue; // a table: walk down to it
            }
            final long first = leafIndex(address);
            final long count = Math.min(pages - done, entriesPerTable - first);
            for (long i = 0; i < count; i++)
            {
                final long leaf = UnsafeApi.getLongAcquire(null, table + entryOffset(first + i));
                if (leaf != 0)
                {
                    if (recycledSince(epoch))
                    {
                        continue positions; // read from a table recycled under us (maybe another level's): look again
                    }
                    throw alreadyMapped(address + (i << granuleShift), leaf, leafLevel, iova, pages);
                }
            }
            done += count;
        }
    }

    /** @return true when a table was recycled since {@code epoch} was read (a load fence first: the walk's loads come before). */
    private boolean recycledSince(final long epoch)
    {
        UnsafeApi.loadFence();
        return pool.epochAfterWalk() != epoch;
    }

    private IllegalArgumentException alreadyMapped(final long address, final long entry, final int level, final long iova,
        final long pages)
    {
        final long entryMask = (1L << shift(level)) - 1;
        return new IllegalArgumentException("iova=" + hex(address) + " is already mapped to phys=" +
            hex(leafPhys(entry, entryMask) + (address & entryMask)) + (level < leafLevel ? " (a " + (entryMask + 1) +
            "-byte block)" : "") + ": cannot map [" + hex(iova) + ", " + hex(iova + (pages << granuleShift) - 1) + "] over it");
    }

    /** @return the pages from {@code address} to the end of the span of its entry at {@code level}, at most {@code pagesLeft}. */
    private long pagesToSpanEnd(final long address, final int level, final long pagesLeft)
    {
        final long spanPages = 1L << (shift(level) - granuleShift);
        return Math.min(pagesLeft, spanPages - ((address >>> granuleShift) & (spanPages - 1)));
    }

    /** @return true when {@code level} may hold block entries: not the root, not the leaf level, and at most {@link #MAX_BLOCK_LEVELS} above it. */
    private boolean isBlockLevel(final int level)
    {
        return level >= firstBlockLevel && level < leafLevel;
    }

    /**
     * @return the shallowest block level whose block starts at {@code iova}, at {@code phys} (both
     *         aligned to its size) and fits in the pages left; {@code leafLevel} when none does.
     */
    private int blockLevelFor(final long iova, final long phys, final long pagesLeft)
    {
        for (int level = firstBlockLevel; level < leafLevel; level++)
        {
            final int spanShift = shift(level);
            if (((iova | phys) & ((1L << spanShift) - 1)) == 0 && (pagesLeft >>> (spanShift - granuleShift)) != 0)
            {
                return level;
            }
        }
        return leafLevel;
    }

    /**
     * Writes the mapping: a block entry for each piece that a block level's block fits (IOVA and
     * physical address aligned to its size, wholly inside the range) where the entry is empty, and
     * leaves elsewhere. Where a table sits in a block's place (installed for earlier mappings in its
     * span), the piece goes into that table as smaller blocks or leaves: a table is never replaced.
     *
     * @return the pages written: {@code pages}, or fewer when out of tables (the caller takes them back).
     */
    private long writeLeaves(final long iova, final long phys, final long pages, final long leafBits, final long softwareBits,
        final boolean blocks)
    {
        final long fixedBits = softwareBits & FIXED;
        long done = 0;
        long held = 0;
        try
        {
            pieces:
            while (done < pages)
            {
                final long address = iova + (done << granuleShift);
                if (blocks && pages - done >= entriesPerTable)
                {
                    for (int level = blockLevelFor(address, phys + (done << granuleShift), pages - done); level < leafLevel; level++)
                    {
                        held = enterTable(address, level, held);
                        if (held == 0)
                        {
                            return done; // out of tables (the announcement has ended): the caller takes back what this call wrote
                        }
                        final long entryAddress = (held & ~TableHazards.SLOT_MASK) + entryOffset(index(level, address));
                        if (UnsafeApi.getLongAcquire(null, entryAddress) == 0)
                        {
                            // blocks in this table, entry after entry, while they fit and their entries are empty:
                            // count the empty entries first, then write them in a loop without loads
                            final int blockShift = shift(level);
                            final long blockPages = 1L << (blockShift - granuleShift);
                            final long firstIndex = index(level, address);
                            final long fit = Math.min((pages - done) >>> (blockShift - granuleShift), entriesPerTable - firstIndex);
                            long count = 1;
                            while (count < fit && UnsafeApi.getLongAcquire(null, entryAddress + entryOffset(count)) == 0)
                            {
                                count++;
                            }
                            UnsafeApi.putLongRelease(null, entryAddress, pieceEntry(phys, done, blockPages, pages, leafBits | fixedBits,
                                softwareBits));
                            final long bits = leafBits | fixedBits;
                            long out = phys + ((done + blockPages) << granuleShift);
                            for (long i = 1; i < count - 1; i++)
                            {
                                UnsafeApi.putLongRelease(null, entryAddress + entryOffset(i), out | bits);
                                out += 1L << blockShift;
                            }
                            if (count > 1)
                            {
                                UnsafeApi.putLongRelease(null, entryAddress + entryOffset(count - 1),
                                    pieceEntry(phys, done + (count - 1) * blockPages, blockPages, pages, bits, softwareBits));
                            }
                            done += count * blockPages;
                            continue pieces;
                        }
                        // a table is there: the piece goes inside it, as smaller blocks or leaves
                    }
                }
                final long first = leafIndex(address);
                final long count = Math.min(pages - done, entriesPerTable - first);
                held = enterTable(address, leafLevel, held);
                if (held == 0)
                {
                    return done; // out of tables (the announcement has ended): the caller takes back what this call wrote
                }
                writeLeafRun(held & ~TableHazards.SLOT_MASK, first, count, done, pages, phys, leafBits | fixedBits, softwareBits);
                done += count;
            }
        }
        catch (final RuntimeException | Error ex)
        {
            endAnnouncement(held);
            try
            {
                undoFailedMap(iova, done); // no half-written mapping: what this call wrote is taken back, as when out of tables
            }
            catch (final RuntimeException | Error undo)
            {
                ex.addSuppressed(undo);
            }
            throw ex;
        }
        hazards.end(held); // release: a pass that reads the slot empty sees every leaf written above
        return done;
    }

    /** @return the entry of the piece of {@code piecePages} pages at page {@code done} of a mapping of {@code pages}. */
    private long pieceEntry(final long phys, final long done, final long piecePages, final long pages, final long leafBits,
        final long softwareBits)
    {
        long entry = (phys + (done << granuleShift)) | leafBits;
        if (done == 0)
        {
            entry |= softwareBits & (FIRST | OWNER_MASK);
        }
        if (done + piecePages == pages)
        {
            entry |= softwareBits & LAST;
        }
        return entry;
    }

    private void writeLeafRun(final long table, final long first, final long count, final long done, final long pages,
        final long phys, final long leafBits, final long softwareBits)
    {
        for (long i = 0; i < count; i++)
        {
            final long page = done + i;
            long entry = (phys + (page << granuleShift)) | leafBits;
            if (page == 0)
            {
                entry |= softwareBits & (FIRST | OWNER_MASK);
            }
            if (page == pages - 1)
            {
                entry |= softwareBits & LAST;
            }
            UnsafeApi.putLongRelease(null, table + entryOffset(first + i), entry);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Unmap
    // ---------------------------------------------------------------------------------------------

    /**
     * Checks the range is what {@code mode} allows; returns the first page's entry. A hole is
     * reported before a boundary problem (a range too long says "not mapped", not "two mappings").
     * A block entry counts as all the pages it maps: the range must hold it whole.
     */
    private long checkMapped(final long iova, final long pages, final int mode)
    {
        // An entry neither at the range's first page nor at its last passes isBadEntry exactly when
        // these bits match (and it is mapped): the loops test middle entries with one mask.
        final long middleMask = mode == UNMAP_WHOLE ? VALID | TABLE : VALID | TABLE | FIRST | LAST | FIXED;
        final long middleBits = mode == UNMAP_ONE_FIXED ? VALID | FIXED : VALID;
        long firstEntry = 0;
        long badFirstPage = 0;
        long badLastPage = -1;
        long badEntry = 0;
        long done = 0;
        while (done < pages)
        {
            final long address = iova + (done << granuleShift);
            long table = rootAddress;
            int level = 0;
            long entry = UnsafeApi.getLongAcquire(null, table + entryOffset(index(0, address)));
            while (level < leafLevel && (entry & TABLE) != 0)
            {
                table = tableAddress(entry, addressMask);
                level++;
                entry = UnsafeApi.getLongAcquire(null, table + entryOffset(index(level, address)));
            }
            if (level < leafLevel)
            {
                if (entry == 0 || !isBlockLevel(level))
                {
                    throw notMapped(address, iova, pages);
                }
                final int blockPagesShift = shift(level) - granuleShift;
                final long blockPages = 1L << blockPagesShift;
                long index = index(level, address);
                long block = entry;
                long firstPage = done - ((address >>> granuleShift) & (blockPages - 1)); // may be below 0: a split
                while (true)
                {
                    final long lastPage = firstPage + blockPages - 1;
                    if (badLastPage < 0 && isBadEntry(block, firstPage, lastPage, pages, mode))
                    {
                        badFirstPage = firstPage;
                        badLastPage = lastPage;
                        badEntry = block;
                    }
                    if (done == 0)
                    {
                        firstEntry = block;
                    }
                    done = lastPage + 1;
                    // the middle blocks after it (wholly inside, not holding the range's last page): one load and one test each
                    final long middle = done < pages ? Math.min(entriesPerTable - 1 - index, (pages - done - 1) >>> blockPagesShift) : 0;
                    long n = 0;
                    while (n < middle && (UnsafeApi.getLongAcquire(null, table + entryOffset(index + 1 + n)) & middleMask) == middleBits)
                    {
                        n++;
                    }
                    done += n << blockPagesShift;
                    index += n;
                    if (done >= pages || ++index == entriesPerTable)
                    {
                        break;
                    }
                    block = UnsafeApi.getLongAcquire(null, table + entryOffset(index));
                    if (block == 0 || (block & TABLE) != 0)
                    {
                        break; // a hole or a table: the walk from the root says which
                    }
                    firstPage = done;
                }
                continue;
            }
            final long first = leafIndex(address);
            final long count = Math.min(pages - done, entriesPerTable - first);
            for (long i = 0; i < count; i++)
            {
                final long page = done + i;
                final long leaf = UnsafeApi.getLongAcquire(null, table + entryOffset(first + i));
                if ((leaf & middleMask) == middleBits && page != 0 && page != pages - 1)
                {
                    continue; // a middle page as it should be: nothing to record
                }
                if (leaf == 0)
                {
                    throw notMapped(address + (i << granuleShift), iova, pages);
                }
                if (badLastPage < 0 && isBadEntry(leaf, page, page, pages, mode))
                {
                    badFirstPage = page;
                    badLastPage = page;
                    badEntry = leaf;
                }
                if (page == 0)
                {
                    firstEntry = leaf;
                }
            }
            done += count;
        }
        if (badLastPage >= 0)
        {
            throw badEntry(badEntry, badFirstPage, badLastPage, pages, iova, mode);
        }
        return firstEntry;
    }

    /**
     * @param firstPage the entry's first page, counted from the range's first (below 0 when the entry starts before the range).
     * @param lastPage  its last page (beyond {@code pages - 1} when it ends after the range).
     */
    private static boolean isBadEntry(final long entry, final long firstPage, final long lastPage, final long pages, final int mode)
    {
        if (firstPage < 0 || lastPage > pages - 1)
        {
            return true; // a block the range would split
        }
        final boolean boundaries = (firstPage == 0) == ((entry & FIRST) != 0) && (lastPage == pages - 1) == ((entry & LAST) != 0);
        if (mode == UNMAP_WHOLE)
        {
            return (firstPage == 0 && (entry & FIRST) == 0) || (lastPage == pages - 1 && (entry & LAST) == 0);
        }
        return !boundaries || (mode == UNMAP_ONE_DMA) == ((entry & FIXED) != 0);
    }

    private IllegalArgumentException badEntry(final long entry, final long firstPage, final long lastPage, final long pages,
        final long iova, final int mode)
    {
        final long firstAddress = iova + (firstPage << granuleShift);
        final long lastAddress = iova + (lastPage << granuleShift);
        if (firstPage < 0 || lastPage > pages - 1)
        {
            return new IllegalArgumentException(range(iova, pages) + " would split a block: the " +
                ((lastPage - firstPage + 1) << granuleShift) + "-byte block mapping [" + hex(firstAddress) + ", " +
                hex(lastAddress + granuleMask) + "] is not wholly inside it (an unmap covers whole mappings)");
        }
        if (firstPage == 0 && (entry & FIRST) == 0)
        {
            return new IllegalArgumentException(range(iova, pages) + " starts inside a mapping: iova=" + hex(firstAddress) +
                " is not the first page of a map call");
        }
        if (lastPage == pages - 1 && (entry & LAST) == 0)
        {
            return new IllegalArgumentException(range(iova, pages) + " ends inside a mapping: iova=" + hex(lastAddress) +
                " is not the last page of a map call");
        }
        if ((firstPage != 0 && (entry & FIRST) != 0) || (lastPage != pages - 1 && (entry & LAST) != 0))
        {
            final boolean starts = firstPage != 0 && (entry & FIRST) != 0;
            return new IllegalArgumentException(range(iova, pages) + " covers more than one mapping: one " +
                (starts ? "starts" : "ends") + " at iova=" + hex(starts ? firstAddress : lastAddress));
        }
        return new IllegalArgumentException(mode == UNMAP_ONE_DMA ?
            "iova=" + hex(firstAddress) + " is an identity or MSI mapping the domain made itself, not a DMA mapping" :
            "iova=" + hex(firstAddress) + " is a DMA mapping, not an MSI doorbell");
    }

    /**
     * Clears {@code [iova, iova + pages)}, whose entries are all this call's: a table whose whole
     * span the range covers is detached with one compare-and-set of its parent entry, a block entry
     * in its place is cleared; elsewhere the leaves are cleared; a table that may be empty now is
     * offered to the next reclaim pass.
     *
     * @param claimedTable the table whose entry at {@code iova} the caller's claim cleared, or 0 (no claim).
     * @param claimedLevel that table's level (below the leaf level when the claimed entry was a block).
     * @return the gather: how many tables it detached (each waits for an invalidation that covers it)
     *         and the smallest page size it cleared ({@link #tablesFreed(long)}, {@link #pageBytes(long)}).
     */
    private long clearAndDetach(final long iova, final long pages, final long claimedTable, final int claimedLevel)
    {
        int detached = 0;
        int pageShift = 63; // lowered to each piece's page size; a detached table may hold any size: the granule
        long done = 0;
        while (done < pages)
        {
            final long address = iova + (done << granuleShift);
            final long left = pages - done;
            final int level = detachableLevel(address, left);
            final boolean claimed = done == 0 && claimedTable != 0;
            if (level > 0 && (!claimed || level <= claimedLevel))
            {
                // Blocks in a table's place, or a whole table; one the claim touched still holds other entries of this call.
                final long blockPages = claimed ? 0 : clearBlocks(address, level - 1, left);
                if (blockPages != 0)
                {
                    pageShift = Math.min(pageShift, shift(level - 1));
                    done += blockPages;
                    continue;
                }
                final int tables = detachWhole(address, level);
                detached += tables;
                pageShift = Math.min(pageShift, tables != 0 ? granuleShift : shift(level - 1));
                done += 1L << (shift(level - 1) - granuleShift);
                continue;
            }
            if (claimed && claimedLevel < leafLevel)
            {
                // The claim cleared a block. Walk no more: the table may be empty now, and detached by a pass at once.
                offerIfMaybeEmpty(address, claimedTable, claimedLevel, index(claimedLevel, address), 1, true);
                pageShift = Math.min(pageShift, shift(claimedLevel));
                done += 1L << (shift(claimedLevel) - granuleShift);
                continue;
            }
            final long first = leafIndex(address);
            final long count = Math.min(left, entriesPerTable - first);
            if (claimed)
            {
                // The claim cleared the first entry. Walk no more: when it was the chunk's only entry, a
                // reclaim pass may already have detached the table, which this call must then never write.
                for (long i = 1; i < count; i++)
                {
                    UnsafeApi.putLongRelease(null, claimedTable + entryOffset(first + i), 0L);
                }
                offerIfMaybeEmpty(address, claimedTable, leafLevel, first, count, count == 1);
            }
            else
            {
                final long table = tableAt(address, leafLevel); // holds entries of this call: attached
                if (table == 0)
                {
                    throw new IllegalStateException("no leaf table for iova=" + hex(address) + " under the owner of its entries");
                }
                for (long i = 0; i < count; i++)
                {
                    UnsafeApi.putLongRelease(null, table + entryOffset(first + i), 0L);
                }
                offerIfMaybeEmpty(address, table, leafLevel, first, count, false);
            }
            pageShift = granuleShift;
            done += count;
        }
        return ((long)pageShift << GATHER_SHIFT) | detached;
    }

    /** Where an unmap's gather keeps the page size's shift, above the count of detached tables. */
    private static final int GATHER_SHIFT = 32;

    /**
     * @param gather what an unmap returned.
     * @return how many page tables it detached (they wait for an invalidation that covers the range).
     */
    static int tablesFreed(final long gather)
    {
        return (int)gather;
    }

    /**
     * @param gather what an unmap returned.
     * @return the page size to invalidate its range with: the smallest size among the entries it
     *         cleared (the size of every one of them when they were all one size: a run of 2 MiB
     *         blocks gives 2 MiB), the granule when it cleared leaves or detached a table.
     */
    static long pageBytes(final long gather)
    {
        return 1L << (gather >>> GATHER_SHIFT);
    }

    /**
     * Clears the block entries of this call at {@code level} from {@code iova} on, in one table, while
     * they are blocks and the pages left cover them, then offers the table when it may be empty.
     *
     * @return the pages cleared; 0 when the entry at {@code iova} is not a block (a table: detach it whole).
     */
    private long clearBlocks(final long iova, final int level, final long pagesLeft)
    {
        if (!isBlockLevel(level))
        {
            return 0;
        }
        final long table = tableAt(iova, level);
        if (table == 0)
        {
            return 0;
        }
        final long first = index(level, iova);
        final int blockPagesShift = shift(level) - granuleShift;
        final long fit = Math.min(pagesLeft >>> blockPagesShift, entriesPerTable - first);
        final long firstAddress = table + entryOffset(first);
        long count = 0; // the blocks in a row from here, counted first, then cleared in a loop without loads
        while (count < fit)
        {
            final long entry = UnsafeApi.getLongAcquire(null, firstAddress + entryOffset(count));
            if (entry == 0 || (entry & TABLE) != 0)
            {
                break;
            }
            count++;
        }
        for (long i = 0; i < count; i++)
        {
            UnsafeApi.putLongRelease(null, firstAddress + entryOffset(i), 0L); // a block of this call: its owner alone writes it
        }
        final long cleared = count << blockPagesShift;
        if (cleared != 0)
        {
            offerIfMaybeEmpty(iova, table, level, first, count, false);
        }
        return cleared;
    }

    /**
     * After clearing entries {@code [first, first + count)} of a table at {@code level}: offers the
     * table to the next reclaim pass when the lines at both ends of the cleared run read empty (the
     * run's own lines in between are empty). Two unmaps clearing the last entries of one line both
     * clear, fence, then read, so at least one of them sees the line empty and offers the table.
     * The root is never offered.
     *
     * @param fenced true when the only store was the claiming compare-and-set (a full fence already).
     */
    private void offerIfMaybeEmpty(final long iova, final long table, final int level, final long first, final long count,
        final boolean fenced)
    {
        if (!reclaimEmptied || level == 0)
        {
            return;
        }
        if (!fenced)
        {
            UnsafeApi.fullFence(); // StoreLoad: our clears before the reads of the neighbours
        }
        final long last = first + count - 1;
        if (lineIsEmpty(table, first) && (last >>> 3 == first >>> 3 || lineIsEmpty(table, last)))
        {
            emptied.offer(iova & -(1L << shift(level - 1)), level);
        }
    }

    /** @return the level of the largest table whose whole span starts at {@code iova} and fits in the pages left; 0 for none. */
    private int detachableLevel(final long iova, final long pagesLeft)
    {
        for (int level = 1; level <= leafLevel; level++)
        {
            final int spanShift = shift(level - 1);
            if ((iova & ((1L << spanShift) - 1)) == 0 && (pagesLeft >>> (spanShift - granuleShift)) != 0)
            {
                return level;
            }
        }
        return 0;
    }

    /**
     * Detaches the table at {@code level} whose whole span this call owns (a reclaim pass's
     * {@code RECLAIMING} mark does not stop it: the pass's own detach then fails), then offers the
     * parent, which may be empty now. When a block entry of this call sits in the table's place, it
     * is cleared instead (nothing below it to free), and its table offered.
     *
     * @return 1 when a table was detached; 0 for a block.
     */
    private int detachWhole(final long iova, final int level)
    {
        final long parent = tableAt(iova, level - 1);
        if (parent == 0)
        {
            throw new IllegalStateException("page table at level " + (level - 1) + " for iova=" + hex(iova) +
                " vanished under the owner of its whole span");
        }
        final long entryAddress = parent + entryOffset(index(level - 1, iova));
        long entry;
        do
        {
            entry = UnsafeApi.getLongAcquire(null, entryAddress);
            if ((entry & TABLE) == 0)
            {
                if (entry != 0 && isBlockLevel(level - 1))
                {
                    UnsafeApi.putLongRelease(null, entryAddress, 0L); // a block of this call: its owner alone writes it
                    offerIfMaybeEmpty(iova, parent, level - 1, index(level - 1, iova), 1, false);
                    return 0;
                }
                throw new IllegalStateException("page table at level " + level + " for iova=" + hex(iova) +
                    " changed under the owner of its whole span (entry " + hex(entry) + ")");
            }
        }
        while (!UnsafeApi.compareAndSetLong(null, entryAddress, entry, 0L)); // fails only when a pass marks or unmarks it
        final long spanBytes = 1L << shift(level - 1);
        pool.retire(tableAddress(entry, addressMask), level, iova, iova + spanBytes - 1, clock.tagAfterUnmap());
        if (level > 1)
        {
            offerEmptied(iova, level - 1);
        }
        return 1;
    }

    /**
     * Takes back what a map that ran out of tables wrote, its first {@code pages} pages (whole
     * leaf-table chunks, each entered and written): cleared and detached as an unmap does, the
     * tables waiting for an invalidation of the range. Nobody else has an entry in the range.
     */
    private void undoFailedMap(final long iova, final long pages)
    {
        if (pages > 0)
        {
            clearAndDetach(iova, pages, 0, leafLevel);
        }
    }

    /**
     * @return how many tables below the root the paths of {@code [iova, iova + pages)} go through,
     *         installed or not (at most {@code Long.MAX_VALUE}), leaving out the tables under the
     *         spans that block entries can map ({@code blocks}, the IOVA and {@code phys} congruent
     *         modulo the block size, the span wholly inside the range): what the mapping needs in all
     *         when no table sits where it puts a block (then it may run out half way, and takes back
     *         what it wrote).
     */
    private long tablesSpanned(final long iova, final long phys, final long pages, final boolean blocks)
    {
        final long lastIova = iova + ((pages - 1) << granuleShift);
        long tables = 0;
        for (int level = 1; level <= leafLevel; level++)
        {
            final int spanShift = shift(level - 1);
            long spans = (lastIova >>> spanShift) - (iova >>> spanShift) + 1;
            final long spanMask = (1L << spanShift) - 1;
            if (blocks && isBlockLevel(level - 1) && ((iova ^ phys) & spanMask) == 0)
            {
                final long firstWhole = (iova >>> spanShift) + ((iova & spanMask) != 0 ? 1 : 0);
                final long lastByte = lastIova | granuleMask;
                final long lastWhole = (lastByte >>> spanShift) - ((lastByte & spanMask) != spanMask ? 1 : 0);
                spans -= Math.max(0, lastWhole - firstWhole + 1); // mapped by blocks at this level or above: no table below
            }
            tables += spans;
            if (tables < 0)
            {
                return Long.MAX_VALUE;
            }
        }
        return tables;
    }

    // ---------------------------------------------------------------------------------------------
    // Checks
    // ---------------------------------------------------------------------------------------------

    private void checkOpen()
    {
        if (closed)
        {
            throw new IllegalStateException("page table is closed: " + this);
        }
    }

    private void checkIovaRange(final long iova, final long bytes)
    {
        if (bytes <= 0 || (bytes & granuleMask) != 0)
        {
            throw new IllegalArgumentException("bytes=" + hex(bytes) + " must be a positive multiple of the " + granuleBytes +
                "-byte granule (iova=" + hex(iova) + ")");
        }
        if ((iova & granuleMask) != 0)
        {
            throw new IllegalArgumentException("iova=" + hex(iova) + " is not aligned to the " + granuleBytes + "-byte granule");
        }
        if (iova < 0 || iova > maxIova || bytes - 1 > maxIova - iova)
        {
            throw new IllegalArgumentException("iova=" + hex(iova) + " bytes=" + hex(bytes) + " goes beyond the " + iovaBits +
                "-bit IOVA space (last iova " + hex(maxIova) + ")");
        }
    }

    private void checkPhysRange(final long phys, final long bytes)
    {
        if ((phys & granuleMask) != 0)
        {
            throw new IllegalArgumentException("phys=" + hex(phys) + " is not aligned to the " + granuleBytes + "-byte granule");
        }
        if (phys < 0 || phys > PHYS_MASK || bytes - 1 > PHYS_MASK - phys)
        {
            throw new IllegalArgumentException("phys=" + hex(phys) + " bytes=" + hex(bytes) + " goes beyond " + PHYS_BITS +
                "-bit physical addresses");
        }
    }

    static long checkedProtectionBits(final Protection protection)
    {
        if (protection == null)
        {
            throw new IllegalArgumentException("protection is null: map with READ, WRITE or READ_WRITE");
        }
        if (protection == Protection.NO_MAP)
        {
            throw new IllegalArgumentException("protection=" + protection + " grants no access: map with READ, WRITE or READ_WRITE");
        }
        return protectionBits(protection);
    }

    private IllegalArgumentException notMapped(final long address, final long iova, final long pages)
    {
        return new IllegalArgumentException("iova=" + hex(address) + " is not mapped (unmap of " + range(iova, pages) + ")");
    }

    private String range(final long iova, final long pages)
    {
        return "[" + hex(iova) + ", " + hex(iova + (pages << granuleShift) - 1) + "]";
    }

    static String hex(final long value)
    {
        return "0x" + Long.toHexString(value);
    }
}
