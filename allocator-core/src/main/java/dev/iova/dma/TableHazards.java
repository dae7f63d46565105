package dev.iova.dma;

import java.util.concurrent.atomic.AtomicLongArray;

import dev.iova.concurrent.ThreadProbe;

/**
 * Announcements of the page tables that maps are writing into, so that a reclaim pass never
 * detaches a table under a writer: hazard pointers (Michael, 2004), one per map in progress.
 *
 * <h2>Why not a count per table</h2>
 * A live count in the parent entry, raised by every map and lowered by every unmap, made two
 * threads mapping neighbouring IOVAs (the range caches hand out neighbours) fight over one word:
 * lazy map+unmap fell from 6.2 ops/µs on one thread to 3.7 on two. An announcement is a write to
 * a slot that only its thread writes, on a line of its own; the pass, which runs once 64 tables
 * wait or at a flush, pays for reading every slot instead.
 *
 * <h2>The handshake</h2>
 * A map announces the table it is about to write ({@link #announce}, a compare-and-set, or
 * {@link #reannounce}, a volatile store: both order the announcement before the loads that follow),
 * then checks that the table is still attached and not marked {@code RECLAIMING} (clearing the
 * mark if it is set). A pass marks a table {@code RECLAIMING} (a compare-and-set), then reads every
 * slot ({@link #snapshot}), then checks the table is still empty, and detaches it only when no slot
 * names it and the mark survived. Both sides write, then read what the other writes (Dekker): a map
 * that found no mark was seen by the pass's snapshot; a pass that saw no announcement is seen by
 * the map's check, which then clears the mark or finds the table detached and walks again, having
 * written nothing. The announcement ends with a release store of 0 after the map's last leaf, so a
 * pass that reads 0 then sees those leaves.
 *
 * <h2>Slots</h2>
 * At most {@value #MAX_SLOTS} slots, four per processor rounded up to a power of two, each on its
 * own 128-byte line. A thread starts at the slot its probe names and moves on when that one is taken
 * (rehashing its probe, so that it keeps the slot it found free); after as many failures as there
 * are slots it yields, since more maps are then writing than there are slots and some holder is not
 * running. A slot is held only while a map writes its leaves (no lock, no wait inside). The slot
 * index travels in the low bits of the announced table's address, which tables' alignment leaves
 * free.
 */
final class TableHazards
{
    /** The most slots: their index must fit below a table's 128-byte alignment. */
    static final int MAX_SLOTS = 64;

    /** Mask of the slot index in what {@link #announce} returns. */
    static final long SLOT_MASK = PageTableDescriptor.TABLE_ALIGNMENT - 1;

    private static final int SPACING = 16; // longs: 128 bytes

    private final int slotMask;
    private final AtomicLongArray slots;

    TableHazards()
    {
        final int wanted = 4 * Runtime.getRuntime().availableProcessors();
        final int slotCount = Math.min(MAX_SLOTS, Integer.highestOneBit(Math.max(2, wanted) - 1) << 1);
        this.slotMask = slotCount - 1;
        this.slots = new AtomicLongArray((slotCount + 1) * SPACING); // slot i at (i + 1) * SPACING: no line with the header
    }

    /**
     * Takes a free slot and announces {@code table} in it.
     *
     * @param table a table address (aligned to at least 128 bytes).
     * @return {@code table | slot}: pass it to {@link #reannounce} and {@link #end}.
     */
    long announce(final long table)
    {
        final Thread thread = Thread.currentThread();
        int probe = ThreadProbe.get(thread);
        int failures = 0;
        while (true)
        {
            final int slot = probe & slotMask;
            if (slots.compareAndSet(index(slot), 0L, table))
            {
                return table | slot;
            }
            probe = ThreadProbe.advance(thread, probe); // taken: another map in progress on this slot
            if ((++failures & slotMask) == 0)
            {
                Thread.yield(); // as many failures as slots: more maps in progress than slots, some holders descheduled
            }
            else
            {
                Thread.onSpinWait();
            }
        }
    }

    /**
     * Announces another table in the slot this thread holds.
     *
     * @param held  what {@link #announce} returned.
     * @param table the table now being written.
     */
    void reannounce(final long held, final long table)
    {
        slots.set(index((int)(held & SLOT_MASK)), table); // volatile: before the check that follows (StoreLoad)
    }

    /**
     * Ends the announcement: every leaf written before this is visible to a pass that reads the slot empty.
     *
     * @param held what {@link #announce} returned.
     */
    void end(final long held)
    {
        slots.setRelease(index((int)(held & SLOT_MASK)), 0L);
    }

    /**
     * Reads every slot, after the pass has marked its tables {@code RECLAIMING}.
     *
     * @param into at least {@link #MAX_SLOTS} longs.
     * @return how many announced tables were copied into {@code into}.
     */
    int snapshot(final long[] into)
    {
        int count = 0;
        for (int slot = 0; slot <= slotMask; slot++)
        {
            final long table = slots.get(index(slot));
            if (table != 0)
            {
                into[count++] = table;
            }
        }
        return count;
    }

    private static int index(final int slot)
    {
        return (slot + 1) * SPACING;
    }
}
