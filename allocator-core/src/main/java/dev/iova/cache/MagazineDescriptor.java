package dev.iova.cache;

/**
 * Layout of one magazine off-heap: a count and up to {@code capacity} first pfns of free ranges
 * of one size class.
 *
 * <pre>
 *   0       4       8        16       24                    8 + 8 * capacity
 *   +-------+-------+--------+--------+---- ... ----+--------+
 *   | count |  pad  | pfn[0] | pfn[1] |             | pfn[capacity - 1] |
 *   +-------+-------+--------+--------+---- ... ----+--------+
 * </pre>
 *
 * With Linux's 127 ranges a magazine is exactly 1 KiB.
 */
final class MagazineDescriptor
{
    /** Offset of the number of pfns held (int). */
    static final int COUNT_OFFSET = 0;

    /** Offset of the first pfn slot. */
    static final int PFNS_OFFSET = COUNT_OFFSET + Long.BYTES;

    private MagazineDescriptor()
    {
    }

    /**
     * @param capacity pfns per magazine.
     * @return bytes per magazine.
     */
    static int magazineLength(final int capacity)
    {
        return PFNS_OFFSET + capacity * Long.BYTES;
    }

    /**
     * @param slot index of the pfn, from 0.
     * @return its offset within the magazine.
     */
    static int pfnOffset(final int slot)
    {
        return PFNS_OFFSET + slot * Long.BYTES;
    }
}
