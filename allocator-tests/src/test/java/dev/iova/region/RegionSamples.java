package dev.iova.region;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;

/** Where the sample {@code reserved_regions} trees under {@code src/test/resources/regions} are. */
final class RegionSamples
{
    private RegionSamples()
    {
    }

    /**
     * @param relativePath a path under {@code regions/}, such as {@code x86-host/iommu_groups}.
     * @return its location on disk.
     */
    static Path sample(final String relativePath)
    {
        final URL root = RegionSamples.class.getResource("/regions");
        if (root == null)
        {
            throw new IllegalStateException("test resources regions/ are not on the class path");
        }
        try
        {
            return Path.of(root.toURI()).resolve(relativePath);
        }
        catch (final URISyntaxException ex)
        {
            throw new IllegalStateException(ex);
        }
    }
}
