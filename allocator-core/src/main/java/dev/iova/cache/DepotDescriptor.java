package dev.iova.cache;

import dev.iova.concurrent.CacheLines;

/**
 * Layout of the depot of one size class off-heap: magazine indexes, full ones first.
 *
 * <pre>
 *   0           4           8                                     8 + 4 * bound
 *   +-----------+-----------+---------+---------+-- ... --+---------+
 *   | fullCount |   pad     | slot[0] | slot[1] |         | slot[bound - 1] |
 *   +-----------+-----------+---------+---------+-- ... --+---------+
 *      slots [0, fullCount) hold full magazines, [fullCount, bound) empty ones
 * </pre>
 *
 * A stripe trades a full magazine for an empty one (or the reverse) by swapping its index with
 * the slot at the boundary and moving the boundary: O(1), under the depot's lock.
 *
 * <p>After the slots, one tag per slot: the stripe (+ 1) that parked the full magazine there, 0
 * for none. A stripe taking a full magazine takes the last one it parked itself, if any, so that
 * ranges stay with the stripe (and thread) that uses them instead of moving between threads at
 * every trade: a DMA layer writes the page-table entries of its ranges, eight to a cache line.
 */
final class DepotDescriptor
{
    /** Offset of the number of full magazines (int). */
    static final int FULL_COUNT_OFFSET = 0;

    /** Offset of the first magazine index slot (int). */
    static final int SLOTS_OFFSET = FULL_COUNT_OFFSET + Long.BYTES;

    /** Alignment of every depot. */
    static final int DEPOT_ALIGNMENT = CacheLines.PADDING_BYTES;

    private DepotDescriptor()
    {
    }

    /**
     * @param slot from 0.
     * @return offset of that slot.
     */
    static int slotOffset(final int slot)
    {
        return SLOTS_OFFSET + slot * Integer.BYTES;
    }

    /**
     * @param bound magazines per depot.
     * @param slot  from 0.
     * @return offset of that slot's tag: the parking stripe + 1 (int).
     */
    static int tagOffset(final int bound, final int slot)
    {
        return SLOTS_OFFSET + (bound + slot) * Integer.BYTES;
    }

    /**
     * @param bound magazines per depot.
     * @return bytes per depot, a multiple of {@link #DEPOT_ALIGNMENT}.
     */
    static int depotLength(final int bound)
    {
        final int length = SLOTS_OFFSET + 2 * bound * Integer.BYTES;
        return (length + DEPOT_ALIGNMENT - 1) & -DEPOT_ALIGNMENT;
    }
}
