package dev.iova.region;

import java.util.StringJoiner;

/**
 * The type of a reserved region: Linux's {@code enum iommu_resv_type}, in the same order (the
 * order breaks ties between regions that start at the same byte).
 *
 * <p>Each type has the word Linux writes in {@code reserved_regions} ({@link #sysfsWord()}),
 * except that Linux writes {@code msi} for software MSI too; we write {@code sw-msi} so that
 * the word names the type, and read both (see {@link MsiKind}).
 */
public enum RegionType
{
    /** Identity-mapped because something (firmware, an RMRR) already uses it; must stay mapped. */
    DIRECT("direct", true),

    /**
     * Identity-mapped like {@link #DIRECT}, but a device assigned to a user may drop the
     * mapping (USB and graphics RMRRs): VFIO does not exclude it from the usable ranges.
     */
    DIRECT_RELAXABLE("direct-relaxable", true),

    /** Never mapped: PCI host-bridge windows, holes between a device's DMA ranges. */
    RESERVED("reserved", false),

    /** A hardware MSI doorbell window, translated by the platform, never mapped. */
    MSI("msi", false),

    /** An MSI window that software manages, mapping doorbell pages in it on demand. */
    SW_MSI("sw-msi", false);

    private static final RegionType[] VALUES = values();

    private final String sysfsWord;
    private final boolean direct;

    RegionType(final String sysfsWord, final boolean direct)
    {
        this.sysfsWord = sysfsWord;
        this.direct = direct;
    }

    /** @return the word for this type in a {@code reserved_regions} line ({@code sw-msi} for software MSI). */
    public String sysfsWord()
    {
        return sysfsWord;
    }

    /** @return true for the identity-mapped kinds, which carry a read/write {@link Protection}. */
    public boolean isDirect()
    {
        return direct;
    }

    /** @return the protection a region of this type has when none is given: read-write for direct kinds, else no map. */
    public Protection defaultProtection()
    {
        return direct ? Protection.READ_WRITE : Protection.NO_MAP;
    }

    /**
     * The type a {@code reserved_regions} word stands for.
     *
     * @param word    {@code direct}, {@code direct-relaxable}, {@code reserved}, {@code msi} or
     *                {@code sw-msi}, exactly (Linux writes lower case).
     * @param msiKind what {@code msi} means on this platform.
     * @return the type.
     * @throws IllegalArgumentException naming the word and the words known, when it is none of them.
     */
    public static RegionType fromSysfsWord(final String word, final MsiKind msiKind)
    {
        if (MSI.sysfsWord.equals(word))
        {
            return msiKind.regionType();
        }
        for (final RegionType type : VALUES)
        {
            if (type.sysfsWord.equals(word))
            {
                return type;
            }
        }
        throw new IllegalArgumentException("unknown region type '" + word + "' (known: " + knownWords() + ")");
    }

    /** @return the words {@link #fromSysfsWord(String, MsiKind)} accepts, comma-separated. */
    public static String knownWords()
    {
        final StringJoiner joiner = new StringJoiner(", ");
        for (final RegionType type : VALUES)
        {
            joiner.add(type.sysfsWord);
        }
        return joiner.toString();
    }
}
