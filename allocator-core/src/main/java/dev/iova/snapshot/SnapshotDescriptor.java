package dev.iova.snapshot;

/**
 * The layout of a domain snapshot, version {@value #VERSION}. All numbers are big-endian; pfns
 * and sizes are signed 64-bit (every pfn of a domain is below 2^63).
 *
 * <pre>
 *  0                   8        10       12                16
 *  | magic "IOVASNAP"  | version| flags  | bodyBytes (u32) | body ... | crc32c (u32) |
 *
 *  body:
 *  | granuleBytes i64 | startPfn i64 | lastPfn i64 | defaultFit u8 |
 *  | allowedCount i32 | allowedCount x (loPfn i64, hiPfn i64)                      ascending, disjoint, not touching
 *  | ownerCount i32   | ownerCount x (nameBytes u16, UTF-8 name)                   distinct, non-empty
 *  | reservationCount i32 | reservationCount x (loPfn i64, hiPfn i64, owner i32)   owner: index into the owners, -1 unowned
 *  | liveCount i32    | liveCount x (loPfn i64, hiPfn i64)                         ascending, disjoint
 * </pre>
 *
 * The checksum is CRC-32C over every byte before it, header included. {@code flags} is 0 in
 * version 1; a reader refuses any other value, so a later writer can mark what an older reader
 * must not ignore.
 */
public final class SnapshotDescriptor
{
    /** The first 8 bytes of every snapshot, ASCII. */
    public static final byte[] MAGIC = {'I', 'O', 'V', 'A', 'S', 'N', 'A', 'P'};

    /** The version this code writes and reads. */
    public static final int VERSION = 1;

    /** Offset of the 8-byte magic. */
    public static final int MAGIC_OFFSET = 0;

    /** Offset of the u16 version. */
    public static final int VERSION_OFFSET = MAGIC_OFFSET + MAGIC.length;

    /** Offset of the u16 flags, 0 in version 1. */
    public static final int FLAGS_OFFSET = VERSION_OFFSET + 2;

    /** Offset of the u32 length of the body, in bytes. */
    public static final int BODY_BYTES_OFFSET = FLAGS_OFFSET + 2;

    /** Length of the header; the body starts here. */
    public static final int HEADER_LENGTH = BODY_BYTES_OFFSET + 4;

    /** Length of the trailing CRC-32C. */
    public static final int CHECKSUM_LENGTH = 4;

    /** Bytes of the fixed part of the body: granule, start, last, default fit. */
    public static final int DOMAIN_LENGTH = 8 + 8 + 8 + 1;

    /** Bytes of one allowed or live range. */
    public static final int RANGE_LENGTH = 16;

    /** Bytes of one reservation: a range and an owner index. */
    public static final int RESERVATION_LENGTH = RANGE_LENGTH + 4;

    /** The longest owner name, in UTF-8 bytes. */
    public static final int MAX_OWNER_BYTES = 0xffff;

    /** The largest body a reader accepts (2 GiB - 1, what a byte array holds). */
    public static final long MAX_BODY_BYTES = Integer.MAX_VALUE - HEADER_LENGTH - CHECKSUM_LENGTH - 8;

    private SnapshotDescriptor()
    {
    }
}
