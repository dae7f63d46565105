package dev.iova.region;

/**
 * What kind of MSI window a platform has. Linux prints both {@link RegionType#MSI} and
 * {@link RegionType#SW_MSI} as {@code msi} in sysfs, so a reader cannot tell them apart: the
 * user says which one the platform has. x86 hosts (the interrupt-remapping window at
 * {@code 0xfee00000}) have hardware MSI; Arm hosts with an SMMU have a software-managed MSI
 * window (Linux's {@code MSI_IOVA_BASE}, {@code 0x8000000}).
 */
public enum MsiKind
{
    /** A hardware doorbell window: {@code msi} reads as {@link RegionType#MSI}. */
    HARDWARE(RegionType.MSI),

    /** A window that software manages: {@code msi} reads as {@link RegionType#SW_MSI}. */
    SOFTWARE(RegionType.SW_MSI);

    private final RegionType type;

    MsiKind(final RegionType type)
    {
        this.type = type;
    }

    /** @return the region type that a sysfs {@code msi} line stands for on this platform. */
    public RegionType regionType()
    {
        return type;
    }
}
