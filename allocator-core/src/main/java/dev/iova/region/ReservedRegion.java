package dev.iova.region;

import java.util.Objects;

/**
 * One reserved region: a range of byte addresses that must not be remapped, its type and, for
 * direct kinds, the access its identity mapping grants.
 *
 * @param startByte  first byte (unsigned).
 * @param endByte    last byte (inclusive, unsigned), not below {@code startByte}.
 * @param type       what the region is.
 * @param protection {@link Protection#NO_MAP} for non-direct types; read and/or write for
 *                   direct types ({@link RegionType#isDirect()}).
 */
public record ReservedRegion(long startByte, long endByte, RegionType type, Protection protection)
{
    /**
     * @param startByte  first byte (unsigned).
     * @param endByte    last byte (inclusive, unsigned).
     * @param type       what the region is.
     * @param protection the access of its identity mapping.
     * @throws NullPointerException     when {@code type} or {@code protection} is null.
     * @throws IllegalArgumentException when {@code endByte} is below {@code startByte}, a direct
     *                                  region has {@link Protection#NO_MAP}, or another region
     *                                  has any other protection.
     */
    public ReservedRegion
    {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(protection, "protection");
        if (Long.compareUnsigned(endByte, startByte) < 0)
        {
            throw new IllegalArgumentException("endByte=" + ByteAddresses.hex(endByte) +
                " is below startByte=" + ByteAddresses.hex(startByte) + " (type " + type.sysfsWord() + ")");
        }
        if (type.isDirect() == (protection == Protection.NO_MAP))
        {
            throw new IllegalArgumentException("protection=" + protection + " does not suit type " + type.sysfsWord() +
                " [" + ByteAddresses.hex(startByte) + ", " + ByteAddresses.hex(endByte) + "]: " +
                (type.isDirect() ? "a direct region must allow reads or writes" : "only direct regions may be mapped"));
        }
    }

    /**
     * A region with its type's {@link RegionType#defaultProtection()}: read-write for direct
     * kinds (what Linux gives RMRRs and firmware regions), no map for the others.
     *
     * @param startByte first byte (unsigned).
     * @param endByte   last byte (inclusive, unsigned).
     * @param type      what the region is.
     * @return the region.
     * @throws IllegalArgumentException when {@code endByte} is below {@code startByte}.
     */
    public static ReservedRegion of(final long startByte, final long endByte, final RegionType type)
    {
        return new ReservedRegion(startByte, endByte, type, type.defaultProtection());
    }

    /** @return the bytes this region covers. */
    public ByteRange range()
    {
        return new ByteRange(startByte, endByte);
    }

    /**
     * @param other another region.
     * @return true when the two share at least one byte, whatever their types.
     */
    public boolean overlaps(final ReservedRegion other)
    {
        return Long.compareUnsigned(other.startByte, endByte) <= 0 && Long.compareUnsigned(other.endByte, startByte) >= 0;
    }

    /**
     * The region as Linux prints it in {@code reserved_regions}: first byte, last byte, type
     * word ({@code sw-msi} for software MSI, where Linux prints {@code msi}).
     *
     * @return for example {@code 0x00000000fee00000 0x00000000feefffff msi}.
     */
    public String toSysfsLine()
    {
        return ByteAddresses.hex16(startByte) + " " + ByteAddresses.hex16(endByte) + " " + type.sysfsWord();
    }

    /** @return the sysfs line, plus the protection of a direct region that is not read-write. */
    @Override
    public String toString()
    {
        return protection == type.defaultProtection() ? toSysfsLine() : toSysfsLine() + " " + protection;
    }
}
