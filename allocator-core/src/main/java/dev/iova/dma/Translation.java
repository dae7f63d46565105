package dev.iova.dma;

import dev.iova.region.Protection;

/**
 * The result of translating an I/O virtual address: the physical address and the protection,
 * or a fault.
 *
 * <p>The hot path ({@link IoPageTable#translate(long)}, {@link DmaDomain#translate(long)})
 * returns a packed {@code long} so that it allocates nothing; the static methods here read it.
 * {@link #of(long)} turns it into this record, for tests and tools.
 *
 * <pre>
 *   63     62         54   53     52     51                                              0
 *   +-------+-----------+------+------+-------------------------------------------------+
 *   | VALID |     0     |WRITE | READ |  physical byte address (the iova's page offset   |
 *   |       |           |      |      |  included), at most 52 bits                      |
 *   +-------+-----------+------+------+-------------------------------------------------+
 * </pre>
 *
 * {@link #FAULT} (0) means "not mapped": a valid translation always has the top bit set.
 *
 * @param phys       the physical byte address the iova translates to.
 * @param protection what the device may do there (never {@link Protection#NO_MAP}).
 */
public record Translation(long phys, Protection protection)
{
    /** A packed translation that says "not mapped". */
    public static final long FAULT = 0L;

    /** Set in every packed translation that is not a fault. */
    static final long VALID_BIT = 1L << 63;

    /** Packed bit: device reads allowed. */
    static final long READ_BIT = 1L << 52;

    /** Packed bit: device writes allowed. */
    static final long WRITE_BIT = 1L << 53;

    private static final long PHYS_MASK = (1L << 52) - 1;

    /**
     * @param packed a packed translation.
     * @return true when the iova is not mapped.
     */
    public static boolean isFault(final long packed)
    {
        return packed >= 0; // the valid bit is the sign bit
    }

    /**
     * @param packed a packed translation that is not a fault.
     * @return the physical byte address.
     */
    public static long phys(final long packed)
    {
        return packed & PHYS_MASK;
    }

    /**
     * @param packed a packed translation.
     * @return true when the device may read.
     */
    public static boolean canRead(final long packed)
    {
        return (packed & READ_BIT) != 0;
    }

    /**
     * @param packed a packed translation.
     * @return true when the device may write.
     */
    public static boolean canWrite(final long packed)
    {
        return (packed & WRITE_BIT) != 0;
    }

    /**
     * @param packed a packed translation.
     * @return its protection; {@link Protection#NO_MAP} for a fault.
     */
    public static Protection protection(final long packed)
    {
        return Protection.of(canRead(packed), canWrite(packed));
    }

    /**
     * @param packed a packed translation.
     * @return the translation as a record, or null for a fault.
     */
    public static Translation of(final long packed)
    {
        return isFault(packed) ? null : new Translation(phys(packed), protection(packed));
    }

    /**
     * @param leafEntry a valid leaf entry.
     * @param iova      the address translated (its in-page bits are kept).
     * @param granuleMask the granule size minus one.
     * @return the packed translation.
     */
    static long pack(final long leafEntry, final long iova, final long granuleMask)
    {
        return VALID_BIT | ((leafEntry & PageTableDescriptor.PROT_MASK) << 51) |
            PageTableDescriptor.leafPhys(leafEntry, granuleMask) | (iova & granuleMask);
    }

    @Override
    public String toString()
    {
        return "Translation{phys=0x" + Long.toHexString(phys) + ", " + protection + "}";
    }
}
