package dev.iova;

import dev.iova.region.RegionPolicy;
import dev.iova.region.ReservedRegion;
import dev.iova.region.ReservedRegionList;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * Carves reserved regions out of a domain before its first allocation, so that no address in
 * them is ever handed out.
 *
 * <h2>Rules</h2>
 * <ul>
 *   <li><b>Outward rounding.</b> Every pfn that any byte of a region touches is reserved: a
 *       region's first pfn is {@code startByte >>> granuleShift}, its last pfn
 *       {@code endByte >>> granuleShift} (byte addresses are unsigned). A one-byte MSI doorbell
 *       costs a whole page.</li>
 *   <li><b>Clipping.</b> Parts below {@link IovaDomain#startPfn()} or above
 *       {@link IovaDomain#lastPfn()} are ignored; a region wholly outside is dropped.</li>
 *   <li><b>Types, by policy.</b> {@link #carve(IovaDomain, ReservedRegionList, RegionPolicy)}
 *       reserves the types the consumer's {@link RegionPolicy} excludes: the DMA layer's
 *       (every type but software MSI, whose window that layer manages) or VFIO's and iommufd's
 *       (every type but direct-relaxable). {@link #carve(IovaDomain, ReservedRegionList)}
 *       reserves every type, direct-relaxable and software MSI included: the union of both
 *       policies, for a domain that must never hand out any of them (our {@code DmaDomain} maps
 *       doorbell pages inside the software-MSI window, so it keeps the window reserved). What
 *       else happens per type (identity maps, doorbells) is the DMA layer's business.</li>
 *   <li><b>All or nothing, idempotent.</b> The pfn ranges, merged where they overlap or touch,
 *       go to {@link IovaDomain#reserveAll(long[], long[])}: when any of them overlaps a live
 *       allocation, nothing is reserved. Reserved ranges merge in the domain, so carving the
 *       same list twice changes nothing.</li>
 * </ul>
 */
public final class RegionCarving
{
    private RegionCarving()
    {
    }

    /**
     * Reserves, in {@code domain}, every pfn that any byte of any region touches, within the
     * domain's {@code [startPfn, lastPfn]}.
     *
     * @param domain  the domain to carve.
     * @param regions the regions to carve out.
     * @return how many pfn ranges were reserved, after clipping and merging (0 when every
     *         region lies outside the domain).
     * @throws IllegalArgumentException when a region overlaps a live allocation; the domain is
     *                                  then unchanged.
     * @throws IllegalStateException    when the domain is closed.
     */
    public static int carve(final IovaDomain domain, final ReservedRegionList regions)
    {
        return carve(domain, regions, null);
    }

    /**
     * Reserves, in {@code domain}, every pfn that any byte of any region the policy excludes
     * touches, within the domain's {@code [startPfn, lastPfn]}.
     *
     * @param domain  the domain to carve.
     * @param regions the regions.
     * @param policy  the consumer's policy: {@link RegionPolicy#DMA_LAYER} or {@link RegionPolicy#VFIO};
     *                null carves every type.
     * @return how many pfn ranges were reserved, after clipping and merging.
     * @throws IllegalArgumentException when a region overlaps a live allocation; the domain is
     *                                  then unchanged.
     * @throws IllegalStateException    when the domain is closed.
     */
    public static int carve(final IovaDomain domain, final ReservedRegionList regions, final RegionPolicy policy)
    {
        Objects.requireNonNull(domain, "domain");
        final List<IovaRange> pfnRanges = pfnRanges(domain, regions, policy);
        final long[] loPfns = new long[pfnRanges.size()];
        final long[] hiPfns = new long[pfnRanges.size()];
        for (int i = 0; i < loPfns.length; i++)
        {
            loPfns[i] = pfnRanges.get(i).loPfn();
            hiPfns[i] = pfnRanges.get(i).hiPfn();
        }
        try
        {
            domain.reserveAll(loPfns, hiPfns);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new IllegalArgumentException("cannot carve " + regions.size() + " reserved regions into " + domain +
                (policy == null ? "" : " under the " + policy.word() + " policy") + ", nothing was reserved: " + ex.getMessage(), ex);
        }
        return loPfns.length;
    }

    /**
     * The pfn ranges {@link #carve(IovaDomain, ReservedRegionList)} would reserve, without
     * touching the domain: rounded outward, clipped, sorted, and merged where they overlap or
     * touch whatever their types.
     *
     * @param domain  the domain whose granule and bounds apply.
     * @param regions the regions.
     * @return the pfn ranges, ascending, none overlapping or touching, each marked reserved.
     */
    public static List<IovaRange> pfnRanges(final IovaDomain domain, final ReservedRegionList regions)
    {
        return pfnRanges(domain, regions, null);
    }

    /**
     * The pfn ranges {@link #carve(IovaDomain, ReservedRegionList, RegionPolicy)} would reserve,
     * without touching the domain: the regions the policy excludes, rounded outward, clipped,
     * sorted, and merged where they overlap or touch whatever their types.
     *
     * @param domain  the domain whose granule and bounds apply.
     * @param regions the regions.
     * @param policy  the consumer's policy; null takes every type.
     * @return the pfn ranges, ascending, none overlapping or touching, each marked reserved.
     */
    public static List<IovaRange> pfnRanges(final IovaDomain domain, final ReservedRegionList regions, final RegionPolicy policy)
    {
        final int granuleShift = domain.granuleShift();
        final long startPfn = domain.startPfn();
        final long lastPfn = domain.lastPfn();

        // The list is sorted by first byte, so the first pfns come out ascending; clipped, every
        // pfn lies in [startPfn, lastPfn], positive longs, so plain comparisons are safe below.
        final long[] loPfns = new long[regions.size()];
        final long[] hiPfns = new long[regions.size()];
        int count = 0;
        for (final ReservedRegion region : regions.regions())
        {
            if (policy != null && !policy.excludes(region.type()))
            {
                continue;
            }
            final long loPfn = region.startByte() >>> granuleShift;
            final long hiPfn = region.endByte() >>> granuleShift;
            if (Long.compareUnsigned(hiPfn, startPfn) < 0 || Long.compareUnsigned(loPfn, lastPfn) > 0)
            {
                continue;
            }
            final long clippedLoPfn = Long.compareUnsigned(loPfn, startPfn) < 0 ? startPfn : loPfn;
            final long clippedHiPfn = Long.compareUnsigned(hiPfn, lastPfn) > 0 ? lastPfn : hiPfn;
            if (count > 0 && clippedLoPfn <= hiPfns[count - 1] + 1)
            {
                hiPfns[count - 1] = Math.max(hiPfns[count - 1], clippedHiPfn);
            }
            else
            {
                loPfns[count] = clippedLoPfn;
                hiPfns[count] = clippedHiPfn;
                count++;
            }
        }
        final List<IovaRange> pfnRanges = new ArrayList<>(count);
        for (int i = 0; i < count; i++)
        {
            pfnRanges.add(new IovaRange(loPfns[i], hiPfns[i], true));
        }
        return Collections.unmodifiableList(pfnRanges);
    }
}
