package dev.iova.dma;

import java.util.Arrays;

/**
 * Page tables that unmaps left empty piece by piece, waiting for a reclaim pass
 * ({@link IoPageTable#reclaimEmptyTables()}).
 *
 * <h2>Why a table is not detached the moment it empties</h2>
 * A driver that maps and unmaps one buffer at a time empties the same leaf table on every unmap
 * and fills it again on the next map: detaching it each time would allocate, zero and retire a
 * table per call. So an emptied table stays installed, with a live count of 0 that the next map
 * in its span simply raises again, and is offered here; the pass, run before each batch
 * invalidation of the flush queues (and in strict mode when {@value #DUE} tables wait, or at a
 * flush), detaches those still empty. A table that is reused meanwhile is skipped.
 *
 * <p>A small direct-mapped filter of table spans keeps a hot table from being offered more
 * than once between passes, so the common case costs one plain load. The list grows when it
 * must (rarely: the pass empties it), so no empty table is ever forgotten. Offers and the pass
 * take this object's monitor; the pass may offer parents it empties, which it then handles too.
 */
final class EmptyTables
{
    /** How many waiting tables make a pass due. */
    static final int DUE = 64;

    private static final int FILTER_SLOTS = 256;

    private final IoPageTable pageTable;
    /** Spans (first iova | level) offered since the last pass, by a hash (racy, a hint only). */
    private final long[] filter = new long[FILTER_SLOTS];
    private long[] iovas = new long[DUE * 2];
    private int[] levels = new int[DUE * 2];
    private volatile int count;

    EmptyTables(final IoPageTable pageTable)
    {
        this.pageTable = pageTable;
    }

    /**
     * @param spanFirstIova the first address of the table's span (aligned to at least the granule).
     * @param level         the table's level, 1 or more.
     */
    void offer(final long spanFirstIova, final int level)
    {
        final long key = spanFirstIova | level;
        final int slot = (int)((key >>> 12) ^ (key >>> 21) ^ (key >>> 30) ^ level) & (FILTER_SLOTS - 1);
        if (filter[slot] == key)
        {
            return; // this span was offered since the last pass: the pass looks at whatever table is there then
        }
        synchronized (this)
        {
            filter[slot] = key;
            final int n = count;
            if (n == iovas.length)
            {
                iovas = Arrays.copyOf(iovas, n * 2);
                levels = Arrays.copyOf(levels, n * 2);
            }
            iovas[n] = spanFirstIova;
            levels[n] = level;
            count = n + 1;
        }
    }

    boolean isDue()
    {
        return count >= DUE;
    }

    boolean isNotEmpty()
    {
        return count != 0;
    }

    /** @return tables detached. */
    synchronized int reclaim()
    {
        Arrays.fill(filter, 0L);
        int detached = 0;
        // Deepest levels first would be tidier; any order works, since detaching a leaf table offers its parent here again.
        while (count > 0)
        {
            final int n = --count;
            detached += pageTable.detachIfEmpty(iovas[n], levels[n]);
        }
        return detached;
    }
}
