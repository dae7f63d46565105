package dev.iova.dma;

import java.util.Arrays;

/**
 * Page tables that unmaps left empty piece by piece, waiting for a reclaim pass
 * ({@link IoPageTable#reclaimEmptyTables()}).
 *
 * <h2>Why a table is not detached the moment it empties</h2>
 * A driver that maps and unmaps one buffer at a time empties the same leaf table on every unmap
 * and fills it again on the next map: detaching it each time would allocate, zero and retire a
 * table per call. So a table stays installed when it empties, and an unmap that sees the lines
 * around what it cleared empty offers it here; the pass, run once {@value #DUE} tables wait (before
 * a batch invalidation of the flush queues, or with an invalidation of its own in strict mode), at
 * a flush and at a flush-queue timeout, reads each offered table whole and detaches those still
 * empty that no map is writing
 * ({@link TableHazards}). A table that is reused meanwhile is skipped.
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
    /** The pass's working arrays, under the monitor: one round's offers, and what it marked. */
    private long[] roundIovas = new long[DUE * 2];
    private int[] roundLevels = new int[DUE * 2];
    private long[] markedAddress = new long[DUE * 2];
    private long[] markedEntry = new long[DUE * 2];
    private final long[] entry = new long[1];
    private final long[] announced = new long[TableHazards.MAX_SLOTS];

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

    /**
     * The pass: marks each offered table that is still there and empty {@code RECLAIMING}, reads
     * the announcements of maps in progress once ({@link TableHazards}), then detaches each marked
     * table that no map announced, that is still empty and whose mark survived. Parents that a
     * detach may have emptied are offered and handled in the next round.
     *
     * @param hazards the page table's announcements.
     * @return tables detached.
     */
    synchronized int reclaim(final TableHazards hazards)
    {
        Arrays.fill(filter, 0L);
        int detached = 0;
        while (count > 0)
        {
            final int n = count;
            if (markedAddress.length < n)
            {
                markedAddress = new long[iovas.length];
                markedEntry = new long[iovas.length];
                roundIovas = new long[iovas.length];
                roundLevels = new int[iovas.length];
            }
            System.arraycopy(iovas, 0, roundIovas, 0, n);
            System.arraycopy(levels, 0, roundLevels, 0, n);
            count = 0; // detaches below offer parents for the next round
            int marked = 0;
            for (int i = 0; i < n; i++)
            {
                final long entryAddress = pageTable.markIfEmpty(roundIovas[i], roundLevels[i], entry);
                if (entryAddress != 0)
                {
                    roundIovas[marked] = roundIovas[i];
                    roundLevels[marked] = roundLevels[i];
                    markedAddress[marked] = entryAddress;
                    markedEntry[marked] = entry[0];
                    marked++;
                }
            }
            if (marked == 0)
            {
                continue;
            }
            final int announcedCount = hazards.snapshot(announced); // after every mark (StoreLoad: the marks are CASes)
            int done = 0;
            try
            {
                for (; done < marked; done++)
                {
                    detached += pageTable.detachMarked(roundIovas[done], roundLevels[done], markedAddress[done], markedEntry[done],
                        announced, announcedCount);
                }
            }
            finally
            {
                for (int i = done + 1; i < marked; i++)
                {
                    pageTable.unmark(markedAddress[i], markedEntry[i]); // a detach threw (out of memory): leave no mark behind
                }
            }
        }
        return detached;
    }
}
