package dev.iova.cache;

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
 */
final class DepotDescriptor
{
    /** Offset of the number of full magazines (int). */
    static final int FULL_COUNT_OFFSET = 0;

    /** Offset of the first magazine index slot (int). */
    static final int SLOTS_OFFSET = FULL_COUNT_OFFSET + Long.BYTES;

    /** Alignment of every depot. */
    static final int DEPOT_ALIGNMENT = 128;

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
     * @return bytes per depot, a multiple of {@link #DEPOT_ALIGNMENT}.
     */
    static int depotLength(final int bound)
    {
        final int length = SLOTS_OFFSET + bound * Integer.BYTES;
        return (length + DEPOT_ALIGNMENT - 1) & -DEPOT_ALIGNMENT;
    }
}
