package dev.iova.region;

/**
 * What a device may do through the identity mapping of a reserved region, after Linux's
 * {@code IOMMU_READ} and {@code IOMMU_WRITE}. Direct regions
 * ({@link RegionType#isDirect()}) carry read and/or write access; every other region is
 * {@link #NO_MAP}: nothing may be mapped there at all.
 */
public enum Protection
{
    /** Nothing may be mapped: MSI doorbells, bridge windows, holes. */
    NO_MAP(false, false),

    /** Identity-mapped, device reads only. */
    READ(true, false),

    /** Identity-mapped, device writes only. */
    WRITE(false, true),

    /** Identity-mapped, device reads and writes: what Linux gives RMRR and firmware regions. */
    READ_WRITE(true, true);

    private final boolean read;
    private final boolean write;

    Protection(final boolean read, final boolean write)
    {
        this.read = read;
        this.write = write;
    }

    /** @return true when a device may read through the mapping. */
    public boolean canRead()
    {
        return read;
    }

    /** @return true when a device may write through the mapping. */
    public boolean canWrite()
    {
        return write;
    }

    /**
     * The protection that grants everything either side grants: what a region gets when two
     * regions of the same type merge, so that no part loses an access it asked for.
     *
     * @param other the other protection.
     * @return the union of both.
     */
    public Protection union(final Protection other)
    {
        return of(read || other.read, write || other.write);
    }

    /**
     * @param read  device reads allowed.
     * @param write device writes allowed.
     * @return the protection with exactly those accesses ({@link #NO_MAP} for neither).
     */
    public static Protection of(final boolean read, final boolean write)
    {
        if (read)
        {
            return write ? READ_WRITE : READ;
        }
        return write ? WRITE : NO_MAP;
    }
}
