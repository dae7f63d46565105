package dev.iova.bench.trace.kernel;

import dev.iova.bench.trace.kernel.EventLineParser.BadField;
import dev.iova.bench.trace.kernel.KernelEvent.Kind;

/**
 * The fields of {@code iommu:map} and {@code iommu:unmap}, in both formats the kernel has had:
 * <pre>
 * map:   IOMMU: iova=0x0000000fffff0000 - 0x0000000fffff2000 paddr=0x0000000123456000 size=8192
 * map:   IOMMU: iova=0x0000000fffff0000 paddr=0x0000000123456000 size=8192                 (older kernels)
 * unmap: IOMMU: iova=0x0000000fffff0000 - 0x0000000fffff2000 size=8192 unmapped_size=8192
 * unmap: IOMMU: iova=0x0000000fffff0000 size=8192 unmapped_size=8192                      (older kernels)
 * </pre>
 * The range of a map is {@code [iova, iova + size)}; the range of an unmap is what it cleared,
 * {@code [iova, iova + unmapped_size)} (0 bytes when it cleared nothing). When the {@code - end}
 * field is printed it must be {@code iova + size}.
 */
final class IommuFields
{
    private IommuFields()
    {
    }

    static KernelEvent parse(final String name, final String text, final long line, final long timestamp) throws BadField
    {
        final Fields fields = Fields.of(text);
        if (!"IOMMU:".equals(fields.word(0)))
        {
            throw new BadField("the fields do not start with IOMMU:");
        }
        final long iova = fields.hex("iova");
        final long sizeBytes = fields.decimal("size");
        final String end = fields.after("-");
        if (end != null)
        {
            final long endAddr = Fields.parseHex("end", end);
            if (endAddr != iova + sizeBytes)
            {
                throw new BadField("the end " + end + " is not iova+size (0x" + Long.toHexString(iova + sizeBytes) + ")");
            }
        }
        final boolean map = name.equals("map");
        final long bytes = map ? sizeBytes : fields.decimal("unmapped_size");
        if (map)
        {
            fields.hex("paddr");
        }
        checkRange(iova, bytes);
        return new KernelEvent(map ? Kind.MAP : Kind.UNMAP, false, name, null, iova, bytes, null, false, line, timestamp);
    }

    /** A range must end at or below the top of the 64-bit address space. */
    static void checkRange(final long addr, final long bytes) throws BadField
    {
        if (bytes != 0 && Long.compareUnsigned(addr + bytes - 1, addr) < 0)
        {
            throw new BadField("0x" + Long.toHexString(addr) + " + " + Long.toUnsignedString(bytes) + " bytes runs past the 64-bit address space");
        }
    }
}
