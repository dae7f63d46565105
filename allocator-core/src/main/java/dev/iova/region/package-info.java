/**
 * Reserved regions: the one typed list of everything in an I/O virtual address space that must
 * not be remapped.
 *
 * <h2>What this package owns</h2>
 * <ul>
 *   <li>{@link dev.iova.region.ReservedRegion}: first and last byte address (both inclusive,
 *       unsigned 64-bit), a {@link dev.iova.region.RegionType} (Linux's
 *       {@code enum iommu_resv_type}) and a {@link dev.iova.region.Protection}. Direct kinds are
 *       identity-mapped with read and/or write access; the others are "no map".</li>
 *   <li>{@link dev.iova.region.ReservedRegionList}: an immutable list kept in Linux's merge rule
 *       ({@code iommu_insert_resv_region}): regions of the same type that overlap or touch
 *       merge, regions of different types stay apart even when they overlap, the list is sorted
 *       by first byte (then by type). The result does not depend on insertion order.</li>
 *   <li>Usable ranges as VFIO reports them ({@code vfio_iommu_resv_exclude}): the aperture minus
 *       every region except {@link dev.iova.region.RegionType#DIRECT_RELAXABLE} ones, as sorted
 *       {@link dev.iova.region.ByteRange}s; and the reverse, a user's usable ranges turned into
 *       reserved regions.</li>
 *   <li>{@link dev.iova.region.SysfsRegionReader}: reads Linux's
 *       {@code /sys/kernel/iommu_groups/N/reserved_regions} files, one file, one group or every
 *       group, and reports malformed input as a {@link dev.iova.region.RegionFormatException}
 *       naming the file and the line.</li>
 * </ul>
 * Carving a list into a domain (rounding regions outward to pfns and reserving them) is the
 * root package's {@code dev.iova.RegionCarving}: this package knows byte addresses, not pfns.
 *
 * <h2>Addresses</h2>
 * Every byte address is an unsigned 64-bit value: {@code 0xffffffffffffffff} is a legal last
 * byte, and comparisons use {@link java.lang.Long#compareUnsigned(long, long)}. No method
 * computes {@code endByte + 1} without first checking for the top of the address space, and
 * no method reports a length in bytes (a region may cover all 2^64 bytes).
 *
 * <h2>Threads and imports</h2>
 * Every type here is immutable and safe to share between threads. The package may import
 * {@code dev.iova.tree} and nothing else of ours; it imports nothing of ours today.
 */
package dev.iova.region;
