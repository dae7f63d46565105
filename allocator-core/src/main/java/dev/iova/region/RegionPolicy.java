package dev.iova.region;

import java.util.Locale;

/**
 * Which reserved regions a consumer of a {@code reserved_regions} list keeps out of its IOVA
 * space: the same file carves differently for the kernel's DMA layer and for VFIO/iommufd.
 *
 * <ul>
 *   <li>{@link #DMA_LAYER}: every type but {@link RegionType#SW_MSI}, whose window the DMA layer
 *       manages itself (Linux's {@code iova_reserve_iommu_regions} skips it and maps MSI
 *       doorbells there on demand); the direct types are identity-mapped.</li>
 *   <li>{@link #VFIO}: every type but {@link RegionType#DIRECT_RELAXABLE}, which VFIO and
 *       iommufd may drop when a device is assigned (Linux's {@code vfio_iommu_resv_exclude} and
 *       iommufd's {@code iopt_table_enforce_dev_resv_regions} skip it); nothing is identity-mapped
 *       for user space.</li>
 * </ul>
 */
public enum RegionPolicy
{
    /** The kernel's DMA layer: every type but software MSI; direct regions identity-mapped. */
    DMA_LAYER("dma", "every type but sw-msi reserved, direct ones identity-mapped"),

    /** VFIO and iommufd: every type but direct-relaxable. */
    VFIO("vfio", "every type but direct-relaxable reserved");

    private final String word;
    private final String summary;

    RegionPolicy(final String word, final String summary)
    {
        this.word = word;
        this.summary = summary;
    }

    /** @return the policy's name on the command line: {@code dma} or {@code vfio}. */
    public String word()
    {
        return word;
    }

    /** @return one phrase saying what the policy keeps out ("every type but direct-relaxable reserved"). */
    public String summary()
    {
        return summary;
    }

    /**
     * @param type a region type.
     * @return true when regions of {@code type} are kept out of the IOVA space under this policy.
     */
    public boolean excludes(final RegionType type)
    {
        return this == DMA_LAYER ? type != RegionType.SW_MSI : type != RegionType.DIRECT_RELAXABLE;
    }

    /**
     * @param type a region type.
     * @return true when regions of {@code type} are identity-mapped under this policy (the DMA
     *         layer's direct regions).
     */
    public boolean identityMaps(final RegionType type)
    {
        return this == DMA_LAYER && type.isDirect();
    }

    /**
     * @param word {@code dma} or {@code vfio}, in any case.
     * @return the policy.
     * @throws IllegalArgumentException naming the word and the policies, when it is neither.
     */
    public static RegionPolicy byWord(final String word)
    {
        for (final RegionPolicy policy : values())
        {
            if (policy.word.equals(word.toLowerCase(Locale.ROOT)))
            {
                return policy;
            }
        }
        throw new IllegalArgumentException("policy '" + word + "' is neither dma (the DMA layer's) nor vfio (VFIO's and iommufd's)");
    }
}
