package dev.iova.bench.trace;

import java.util.Locale;

/** The workloads {@link TraceGenerator} can write, each named as on the command line. */
public enum TraceShape
{
    /** One NIC: 1-page maps below 4 GiB, freed nearly in the order they were made. */
    NETWORK("1-page maps below 4 GiB, freed nearly in order (a FIFO of in-flight buffers, small reordering)"),

    /** One block device: 1 to 256 pages below 4 GiB, freed at random. */
    STORAGE("1..256-page maps below 4 GiB (half of them powers of two), freed at random"),

    /** Small long-lived pins scattered over the 32-bit space between larger, short-lived maps. */
    FRAGMENTING("1..2-page pins scattered across the 32-bit space, never freed, between 8..1024-page maps"),

    /** Four devices with 30-, 32-, 39- and 48-bit limits and reserved PCI windows. */
    MIXED("devices with 30/32/39/48-bit limits, reserved PCI windows below 1 GiB, 4 GiB and 512 GiB"),

    /** One device squeezed into a 2,047-page window (pfns 1 to 0x7ff) with a reserved hole in it: most requests fail. */
    TIGHT("1..64-page maps in a 2,047-page window with a reserved hole (a third below pfn 0x400), freed at random; most fail"),

    /**
     * iova-trace v2: placement control in a 256 MiB domain, every option of the format in use
     * (see {@link TraceGenerator}).
     */
    PLACEMENT(2, "iova-trace v2 in 256 MiB: mixed alignments, all three fits, fixed maps, allowed ranges, owners attached and detached");

    private final int version;
    private final String description;

    TraceShape(final String description)
    {
        this(1, description);
    }

    TraceShape(final int version, final String description)
    {
        this.version = version;
        this.description = description;
    }

    /** @return the trace format version the shape writes: 1, or 2 for {@link #PLACEMENT}. */
    public int version()
    {
        return version;
    }

    /** @return the name on the command line: the constant in lower case. */
    public String shapeName()
    {
        return name().toLowerCase(Locale.ROOT);
    }

    /** @return one line saying what the workload does. */
    public String description()
    {
        return description;
    }

    /**
     * @param shapeName a shape name, in any case.
     * @return the shape.
     * @throws IllegalArgumentException naming the shapes there are, when there is none of that name.
     */
    public static TraceShape byName(final String shapeName)
    {
        for (final TraceShape shape : values())
        {
            if (shape.shapeName().equalsIgnoreCase(shapeName))
            {
                return shape;
            }
        }
        throw new IllegalArgumentException("unknown shape '" + shapeName + "': expected one of " + names());
    }

    /** @return the shape names, comma separated. */
    public static String names()
    {
        final StringBuilder names = new StringBuilder();
        for (final TraceShape shape : values())
        {
            names.append(names.length() == 0 ? "" : ", ").append(shape.shapeName());
        }
        return names.toString();
    }
}
