package dev.iova.region;

/**
 * An inclusive range of unsigned 64-bit byte addresses, such as a usable IOVA range that VFIO
 * reports or an aperture.
 *
 * @param startByte first byte (unsigned).
 * @param endByte   last byte (inclusive, unsigned), not below {@code startByte}.
 */
public record ByteRange(long startByte, long endByte)
{
    /**
     * @param startByte first byte (unsigned).
     * @param endByte   last byte (inclusive, unsigned).
     * @throws IllegalArgumentException when {@code endByte} is below {@code startByte}.
     */
    public ByteRange
    {
        if (Long.compareUnsigned(endByte, startByte) < 0)
        {
            throw new IllegalArgumentException("endByte=" + ByteAddresses.hex(endByte) +
                " is below startByte=" + ByteAddresses.hex(startByte));
        }
    }

    /**
     * @param byteAddress an unsigned byte address.
     * @return true when the address lies in this range.
     */
    public boolean contains(final long byteAddress)
    {
        return Long.compareUnsigned(byteAddress, startByte) >= 0 && Long.compareUnsigned(byteAddress, endByte) <= 0;
    }

    /**
     * @param startByte first byte of another range (unsigned).
     * @param endByte   last byte of that range (inclusive, unsigned).
     * @return true when the two ranges share at least one byte.
     */
    public boolean overlaps(final long startByte, final long endByte)
    {
        return Long.compareUnsigned(startByte, this.endByte) <= 0 && Long.compareUnsigned(endByte, this.startByte) >= 0;
    }

    /** @return {@code [0x...,  0x...]} with 16 hex digits each. */
    @Override
    public String toString()
    {
        return "[" + ByteAddresses.hex16(startByte) + ", " + ByteAddresses.hex16(endByte) + "]";
    }
}
