package dev.iova.region;

/**
 * Unsigned 64-bit byte-address helpers: formatting as Linux prints addresses, and the one
 * comparison every merge needs without overflowing at the top of the address space.
 */
final class ByteAddresses
{
    /** The highest byte address: {@code 0xffffffffffffffff}, -1 as a signed long. */
    static final long MAX_BYTE = -1L;

    private ByteAddresses()
    {
    }

    /**
     * @param byteAddress an unsigned byte address.
     * @return {@code 0x} and 16 lower-case hex digits, as Linux's {@code 0x%016llx}.
     */
    static String hex16(final long byteAddress)
    {
        final String digits = Long.toHexString(byteAddress);
        return "0x" + "0000000000000000".substring(digits.length()) + digits;
    }

    /**
     * @param byteAddress an unsigned byte address.
     * @return {@code 0x} and the shortest lower-case hex digits, for error messages.
     */
    static String hex(final long byteAddress)
    {
        return "0x" + Long.toHexString(byteAddress);
    }

    /**
     * Whether a range starting at {@code nextStartByte} overlaps or touches a range ending at
     * {@code endByte}, given that it does not start before that range: true when
     * {@code nextStartByte <= endByte + 1}, computed without the overflow at {@link #MAX_BYTE}.
     *
     * @param endByte       last byte of the earlier range (inclusive).
     * @param nextStartByte first byte of the later range.
     * @return true when the two can merge into one contiguous range.
     */
    static boolean reaches(final long endByte, final long nextStartByte)
    {
        return endByte == MAX_BYTE || Long.compareUnsigned(nextStartByte, endByte + 1) <= 0;
    }

    /**
     * @param a an unsigned value.
     * @param b an unsigned value.
     * @return the larger of the two, compared unsigned.
     */
    static long maxUnsigned(final long a, final long b)
    {
        return Long.compareUnsigned(a, b) >= 0 ? a : b;
    }
}
