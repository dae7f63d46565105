package dev.iova.region;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * An immutable list of reserved regions kept in Linux's merge rule.
 *
 * <h2>The merge rule ({@code iommu_insert_resv_region})</h2>
 * <ul>
 *   <li>Regions of the <b>same type</b> that overlap or touch (one starts the byte after the
 *       other ends) merge into one region covering both. A merged direct region gets the
 *       {@link Protection#union(Protection) union} of the protections (Linux keeps the first
 *       region's, which depends on insertion order).</li>
 *   <li>Regions of <b>different types</b> stay separate, even when they overlap: an MSI window
 *       inside a reserved PCI window is still reported as both.</li>
 *   <li>The list is sorted by first byte (unsigned), then by type in
 *       {@link RegionType} order, as Linux sorts it.</li>
 * </ul>
 * The result is a canonical form: for each type, the maximal runs of bytes its regions cover,
 * none touching another. Adding the same regions in any order therefore gives an equal list.
 *
 * <h2>Usable ranges ({@code vfio_iommu_resv_exclude})</h2>
 * {@link #usableRanges(RegionPolicy, long, long)} is the aperture minus every region the
 * consumer's {@link RegionPolicy} excludes: under {@link RegionPolicy#VFIO} (and
 * {@link #usableRanges(long, long)}) every region except {@link RegionType#DIRECT_RELAXABLE}
 * ones, as VFIO reports it to user space; under {@link RegionPolicy#DMA_LAYER} every region
 * except {@link RegionType#SW_MSI} ones;
 * {@link #fromUsableRanges(Collection, long, long)} goes the other way.
 *
 * <p>Building a list costs O(n log n) in its length; lists are expected to hold tens of regions,
 * not millions, and are built once, before the first allocation.
 */
public final class ReservedRegionList
{
    private static final ReservedRegion[] NO_REGIONS = new ReservedRegion[0];
    private static final ReservedRegionList EMPTY = new ReservedRegionList(NO_REGIONS);
    private static final int TYPE_COUNT = RegionType.values().length;

    /** Linux's order: first byte (unsigned), then type. */
    private static final Comparator<ReservedRegion> BY_START_THEN_TYPE = (a, b) ->
    {
        final int byStart = Long.compareUnsigned(a.startByte(), b.startByte());
        return byStart != 0 ? byStart : a.type().compareTo(b.type());
    };

    private final List<ReservedRegion> regions;

    private ReservedRegionList(final ReservedRegion[] canonicalRegions)
    {
        this.regions = Collections.unmodifiableList(Arrays.asList(canonicalRegions));
    }

    /** @return the list with no regions. */
    public static ReservedRegionList empty()
    {
        return EMPTY;
    }

    /**
     * @param regions regions in any order, overlapping or not.
     * @return the regions merged by the rule above.
     * @throws NullPointerException when a region is null.
     */
    public static ReservedRegionList of(final ReservedRegion... regions)
    {
        return fromArray(regions.clone());
    }

    /**
     * @param regions regions in any order, overlapping or not.
     * @return the regions merged by the rule above.
     * @throws NullPointerException when a region is null.
     */
    public static ReservedRegionList of(final Collection<ReservedRegion> regions)
    {
        return fromArray(regions.toArray(NO_REGIONS));
    }

    /**
     * Adds one region, as Linux's {@code iommu_insert_resv_region} does.
     *
     * @param region the region to add.
     * @return a new list holding this list's regions and {@code region}, merged; this list is unchanged.
     */
    public ReservedRegionList with(final ReservedRegion region)
    {
        Objects.requireNonNull(region, "region");
        final ReservedRegion[] all = regions.toArray(new ReservedRegion[regions.size() + 1]);
        all[regions.size()] = region;
        return fromArray(all);
    }

    /**
     * Adds every region of another list, as when the lists of several devices or groups are
     * gathered into one.
     *
     * @param other another list.
     * @return a new list holding the regions of both, merged; neither list is changed.
     */
    public ReservedRegionList withAll(final ReservedRegionList other)
    {
        if (other.isEmpty())
        {
            return this;
        }
        if (isEmpty())
        {
            return other;
        }
        final ReservedRegion[] all = new ReservedRegion[regions.size() + other.regions.size()];
        for (int i = 0; i < regions.size(); i++)
        {
            all[i] = regions.get(i);
        }
        for (int i = 0; i < other.regions.size(); i++)
        {
            all[regions.size() + i] = other.regions.get(i);
        }
        return fromArray(all);
    }

    /** @return the regions, sorted by first byte then type; the list cannot be modified. */
    public List<ReservedRegion> regions()
    {
        return regions;
    }

    /**
     * @param type a region type.
     * @return the regions of that type, sorted by first byte; none of them overlap or touch.
     */
    public List<ReservedRegion> regionsOfType(final RegionType type)
    {
        final List<ReservedRegion> ofType = new ArrayList<>();
        for (final ReservedRegion region : regions)
        {
            if (region.type() == type)
            {
                ofType.add(region);
            }
        }
        return Collections.unmodifiableList(ofType);
    }

    /** @return how many regions there are, after merging. */
    public int size()
    {
        return regions.size();
    }

    /** @return true when there are no regions. */
    public boolean isEmpty()
    {
        return regions.isEmpty();
    }

    /**
     * The usable ranges of an aperture under {@link RegionPolicy#VFIO}, as VFIO reports them: the
     * aperture minus every region except {@link RegionType#DIRECT_RELAXABLE} ones. Same as
     * {@code usableRanges(RegionPolicy.VFIO, apertureStartByte, apertureEndByte)}.
     *
     * @param apertureStartByte first byte of the aperture (unsigned).
     * @param apertureEndByte   last byte of the aperture (inclusive, unsigned).
     * @return the usable ranges, sorted, none overlapping or touching; empty when regions cover
     *         the whole aperture.
     * @throws IllegalArgumentException when {@code apertureEndByte} is below {@code apertureStartByte}.
     */
    public List<ByteRange> usableRanges(final long apertureStartByte, final long apertureEndByte)
    {
        return usableRanges(RegionPolicy.VFIO, apertureStartByte, apertureEndByte);
    }

    /**
     * The usable ranges of an aperture for one consumer: the aperture minus every region the
     * policy excludes ({@link RegionPolicy#excludes}). Regions partly or wholly outside the
     * aperture only remove what lies inside it.
     *
     * @param policy            whose rule: the DMA layer's or VFIO's.
     * @param apertureStartByte first byte of the aperture (unsigned).
     * @param apertureEndByte   last byte of the aperture (inclusive, unsigned).
     * @return the usable ranges, sorted, none overlapping or touching; empty when regions cover
     *         the whole aperture.
     * @throws IllegalArgumentException when {@code apertureEndByte} is below {@code apertureStartByte}.
     */
    public List<ByteRange> usableRanges(final RegionPolicy policy, final long apertureStartByte, final long apertureEndByte)
    {
        Objects.requireNonNull(policy, "policy");
        checkAperture(apertureStartByte, apertureEndByte);
        final List<ByteRange> usable = new ArrayList<>();
        long cursorByte = apertureStartByte;
        for (final ReservedRegion region : regions)
        {
            if (!policy.excludes(region.type()) || Long.compareUnsigned(region.endByte(), cursorByte) < 0)
            {
                continue;
            }
            if (Long.compareUnsigned(region.startByte(), apertureEndByte) > 0)
            {
                break;
            }
            if (Long.compareUnsigned(region.startByte(), cursorByte) > 0)
            {
                usable.add(new ByteRange(cursorByte, region.startByte() - 1));
            }
            if (Long.compareUnsigned(region.endByte(), apertureEndByte) >= 0)
            {
                return Collections.unmodifiableList(usable);
            }
            cursorByte = region.endByte() + 1;
        }
        usable.add(new ByteRange(cursorByte, apertureEndByte));
        return Collections.unmodifiableList(usable);
    }

    /**
     * The reverse of {@link #usableRanges(long, long)}: turns the usable ranges a user gives into
     * {@link RegionType#RESERVED} regions covering the rest of the aperture. The ranges may come
     * in any order and may overlap or touch; parts outside the aperture are ignored.
     *
     * @param usableRanges      the ranges a device may use.
     * @param apertureStartByte first byte of the aperture (unsigned).
     * @param apertureEndByte   last byte of the aperture (inclusive, unsigned).
     * @return reserved regions covering exactly the bytes of the aperture outside every usable range.
     * @throws IllegalArgumentException when {@code apertureEndByte} is below {@code apertureStartByte}.
     */
    public static ReservedRegionList fromUsableRanges(
        final Collection<ByteRange> usableRanges, final long apertureStartByte, final long apertureEndByte)
    {
        checkAperture(apertureStartByte, apertureEndByte);
        final List<ByteRange> sorted = new ArrayList<>(usableRanges);
        sorted.sort((a, b) -> Long.compareUnsigned(a.startByte(), b.startByte()));

        final List<ReservedRegion> reserved = new ArrayList<>();
        long cursorByte = apertureStartByte;
        for (final ByteRange range : sorted)
        {
            if (Long.compareUnsigned(range.endByte(), cursorByte) < 0)
            {
                continue;
            }
            if (Long.compareUnsigned(range.startByte(), apertureEndByte) > 0)
            {
                break;
            }
            if (Long.compareUnsigned(range.startByte(), cursorByte) > 0)
            {
                reserved.add(ReservedRegion.of(cursorByte, range.startByte() - 1, RegionType.RESERVED));
            }
            if (Long.compareUnsigned(range.endByte(), apertureEndByte) >= 0)
            {
                return of(reserved);
            }
            cursorByte = range.endByte() + 1;
        }
        reserved.add(ReservedRegion.of(cursorByte, apertureEndByte, RegionType.RESERVED));
        return of(reserved);
    }

    /**
     * The list in Linux's {@code reserved_regions} format, one region a line, each line ending
     * in a newline ({@code sw-msi} for software MSI).
     *
     * @return the text; empty for an empty list.
     */
    public String toSysfsText()
    {
        final StringBuilder text = new StringBuilder(regions.size() * 48);
        for (final ReservedRegion region : regions)
        {
            text.append(region.toSysfsLine()).append('\n');
        }
        return text.toString();
    }

    @Override
    public boolean equals(final Object other)
    {
        return other instanceof ReservedRegionList && regions.equals(((ReservedRegionList)other).regions);
    }

    @Override
    public int hashCode()
    {
        return regions.hashCode();
    }

    @Override
    public String toString()
    {
        return "ReservedRegionList" + regions;
    }

    private static void checkAperture(final long apertureStartByte, final long apertureEndByte)
    {
        if (Long.compareUnsigned(apertureEndByte, apertureStartByte) < 0)
        {
            throw new IllegalArgumentException("apertureEndByte=" + ByteAddresses.hex(apertureEndByte) +
                " is below apertureStartByte=" + ByteAddresses.hex(apertureStartByte));
        }
    }

    /**
     * Sorts by first byte then type, and merges each region into the last region of its type
     * when it overlaps or touches it. Sorting first means a region can only merge with the
     * latest one of its type, and a merged region keeps the first byte it was placed by, so
     * the output stays sorted.
     */
    private static ReservedRegionList fromArray(final ReservedRegion[] regions)
    {
        if (regions.length == 0)
        {
            return EMPTY;
        }
        for (final ReservedRegion region : regions)
        {
            Objects.requireNonNull(region, "region");
        }
        Arrays.sort(regions, BY_START_THEN_TYPE);

        final int[] lastIndexOfType = new int[TYPE_COUNT];
        Arrays.fill(lastIndexOfType, -1);
        int count = 0;
        for (final ReservedRegion region : regions)
        {
            final int typeIndex = region.type().ordinal();
            final int lastIndex = lastIndexOfType[typeIndex];
            if (lastIndex >= 0 && ByteAddresses.reaches(regions[lastIndex].endByte(), region.startByte()))
            {
                regions[lastIndex] = merge(regions[lastIndex], region);
            }
            else
            {
                regions[count] = region;
                lastIndexOfType[typeIndex] = count;
                count++;
            }
        }
        return new ReservedRegionList(count == regions.length ? regions : Arrays.copyOf(regions, count));
    }

    private static ReservedRegion merge(final ReservedRegion first, final ReservedRegion second)
    {
        final long endByte = ByteAddresses.maxUnsigned(first.endByte(), second.endByte());
        final Protection protection = first.protection().union(second.protection());
        if (endByte == first.endByte() && protection == first.protection())
        {
            return first;
        }
        return new ReservedRegion(first.startByte(), endByte, first.type(), protection);
    }
}
