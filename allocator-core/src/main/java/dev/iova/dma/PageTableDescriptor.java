package dev.iova.dma;

import dev.iova.region.Protection;

/**
 * Layout of one page-table entry (PTE): a 64-bit word, the same format at every level, read
 * and written with single 64-bit accesses.
 *
 * <pre>
 *  63  62     52 51                                  g g-1      7    6      5      4      3       2       1      0
 *  +--+---------+------------------------------------+----------+------+------+------+-------+-------+------+-------+
 *  |0 |  OWNER  |  output address [51:g]             |    0     |FIXED | LAST |FIRST | TABLE | WRITE | READ | VALID |
 *  +------------+------------------------------------+----------+------+------+------+-------+-------+------+-------+
 *     leaf entry (last level): g = granule shift, the physical frame; or block entry (one of the two
 *     levels above the last, never the root): the same, g = the block's shift, TABLE clear
 *
 *  63                                                        t t-1           4     3     2        1          0
 *  +---------------------------------------------------------+---------------+-------+-----+-----------+-------+
 *  |  native address of the next-level table [63:t]          |       0       |   1   |  0  | RECLAIMING|   1   |
 *  +---------------------------------------------------------+---------------+-------+-----+-----------+-------+
 *                        table entry (every level but the last): 2^t = table bytes, at least 128
 * </pre>
 *
 * A zero word is an empty entry. A block entry is a leaf above the last level: it maps the whole
 * span a table at its level would ({@code granule << (bitsPerLevel * k)} bytes), and its output
 * address is aligned to that size. {@code VALID} and {@code TABLE} are what a walker reads;
 * {@code READ}/{@code WRITE} are the protection (Linux's {@code IOMMU_READ}/{@code IOMMU_WRITE});
 * {@code FIRST}, {@code LAST} and {@code FIXED} are software bits that the walker ignores (Arm
 * keeps bits 55–58 for software, x86 bits 9–11), used to check unmaps without any other state:
 * {@code FIRST} marks the first page of a map call, {@code LAST} its last page, {@code FIXED} an
 * identity or MSI mapping that the DMA layer made itself and that {@code unmap} must refuse.
 * {@code OWNER} (bits 52 to 62, on a map call's first leaf only) is the software field naming the
 * {@link DmaDevice} that made the mapping (0: none), which lets a device's unmap refuse another
 * device's buffer and {@link DmaDevice#unmapAll()} find the device's mappings in the table itself.
 *
 * {@code RECLAIMING} (table entries only, ignored by the walker) marks a table that a reclaim pass
 * found empty and is about to detach: a map that wants to write into it clears the bit, which makes
 * the pass's detach fail ({@link IoPageTable}, "Reclaiming tables").
 *
 * <p>Table entries hold the child's native address, not an index: a walk costs one load per level
 * and no lookup in a chunk array that could grow under a reader. Tables are aligned to at least
 * {@link #TABLE_ALIGNMENT} bytes, so the low seven bits of an address are free for flags. Physical
 * addresses are at most {@link #PHYS_BITS} bits (Linux's largest {@code MAX_PHYSMEM_BITS}).
 */
final class PageTableDescriptor
{
    /** Bytes per entry. */
    static final int ENTRY_LENGTH = Long.BYTES;

    /** The entry is in use: a leaf or a table pointer. */
    static final long VALID = 1L;

    /** Device reads allowed (leaf). */
    static final long READ = 1L << 1;

    /** Device writes allowed (leaf). */
    static final long WRITE = 1L << 2;

    /** The entry points to a next-level table. */
    static final long TABLE = 1L << 3;

    /** Table entries: a reclaim pass found the table empty and will detach it unless a map clears this bit first. */
    static final long RECLAIMING = 1L << 1;

    /** Software bit: the first page of a map call. */
    static final long FIRST = 1L << 4;

    /** Software bit: the last page of a map call. */
    static final long LAST = 1L << 5;

    /** Software bit: an identity or MSI mapping made by the DMA domain, never unmapped by {@code unmap}. */
    static final long FIXED = 1L << 6;

    /** How many low bits the flags use: tables are aligned to {@code 1 << FLAG_BITS} bytes at least. */
    static final int FLAG_BITS = 7;

    /** Alignment of every table: the flag bits are zero in any table address. */
    static final int TABLE_ALIGNMENT = 1 << FLAG_BITS;

    /** Widest physical address a leaf holds. */
    static final int PHYS_BITS = 52;

    /** Mask of the output-address bits of a leaf, before clearing the in-page bits. */
    static final long PHYS_MASK = (1L << PHYS_BITS) - 1;

    /** The protection bits of a leaf. */
    static final long PROT_MASK = READ | WRITE;

    /** Software field of a map call's first leaf, bits 52 to 62: the device that owns the mapping (0: none). */
    static final int OWNER_SHIFT = PHYS_BITS;

    /** The most devices a domain tells apart in {@link #OWNER_MASK}. */
    static final int MAX_OWNER = 0x7ff;

    /** Mask of the owner field. */
    static final long OWNER_MASK = (long)MAX_OWNER << OWNER_SHIFT;

    /** The owner field of a page linked into a two-step reservation ({@link DmaIova}): no device's to unmap alone. */
    static final long LINKED_OWNER_BITS = OWNER_MASK;

    /** The most devices a domain attaches: every owner value but 0 (none) and the linked marker. */
    static final int MAX_DEVICES = MAX_OWNER - 1;

    private PageTableDescriptor()
    {
    }

    /**
     * @param tableAddress native address of a table, aligned to its size (at least {@link #TABLE_ALIGNMENT}).
     * @return the entry that points to it.
     */
    static long tableEntry(final long tableAddress)
    {
        return tableAddress | TABLE | VALID;
    }

    /**
     * @param entry       a table entry.
     * @param addressMask {@code -tableBytes}: the table-address bits.
     * @return the native address of the table it points to.
     */
    static long tableAddress(final long entry, final long addressMask)
    {
        return entry & addressMask;
    }

    /**
     * @param entry       a leaf entry.
     * @param granuleMask the granule size minus one.
     * @return the physical address of the page it maps.
     */
    static long leafPhys(final long entry, final long granuleMask)
    {
        return entry & PHYS_MASK & ~granuleMask;
    }

    /**
     * @param protection read and/or write.
     * @return its leaf bits, or 0 for {@link Protection#NO_MAP}.
     */
    static long protectionBits(final Protection protection)
    {
        return (protection.canRead() ? READ : 0) | (protection.canWrite() ? WRITE : 0);
    }

    /**
     * @param index an entry index within a table.
     * @return its byte offset in the table.
     */
    static long entryOffset(final long index)
    {
        return index * ENTRY_LENGTH;
    }
}
