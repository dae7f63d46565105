package dev.iova.bench.trace.kernel;

import dev.iova.bench.trace.kernel.EventLineParser.BadField;
import dev.iova.bench.trace.kernel.KernelEvent.Kind;

/**
 * The fields of the {@code dma:} events ({@code include/trace/events/dma.h}) that map or unmap.
 * Every one starts with the device name and {@code dir=}; the rest is read by name:
 * <ul>
 *   <li>{@code dma_map_page}, {@code dma_map_phys}, {@code dma_map_resource}, {@code dma_alloc},
 *       {@code dma_alloc_pages}, {@code dma_alloc_sgt}: a map of {@code [dma_addr, dma_addr + size)}
 *       ({@code dma_addr} keeps the offset within the first page). A {@code dma_alloc*} whose
 *       {@code dma_addr} is 0 failed.</li>
 *   <li>{@code dma_unmap_page}, {@code dma_unmap_phys}, {@code dma_unmap_resource},
 *       {@code dma_free}, {@code dma_free_pages}, {@code dma_free_sgt}: an unmap of that range.</li>
 *   <li>{@code dma_map_sg}: {@code dma_addrs={..}} and {@code sizes={..}} (one per mapped
 *       segment) make one range from the lowest address to the end of the highest segment;
 *       {@code phys_addrs={..}} is kept to match the unmap. {@code [TRUNCATED]} (more than 128
 *       segments) marks a span the line does not show whole; no segment means a failed map.</li>
 *   <li>{@code dma_unmap_sg}: {@code phys_addrs={..}} only.</li>
 *   <li>{@code dma_map_sg_err}, {@code dma_alloc_sgt_err}: failed maps. {@code dma_sync_*}: syncs.</li>
 * </ul>
 * Any other {@code dma_} event is not read (the parser returns null).
 */
final class DmaFields
{
    private DmaFields()
    {
    }

    static KernelEvent parse(final String name, final String text, final long line, final long timestamp) throws BadField
    {
        final Kind kind = kindOf(name);
        if (kind == null)
        {
            return null;
        }
        final Fields fields = Fields.of(text);
        final String device = fields.word(0);
        final String dir = fields.word(1);
        if (device == null || dir == null || !dir.startsWith("dir="))
        {
            throw new BadField("expected DEVICE dir=... at the start of the fields");
        }
        switch (kind)
        {
            case MAP:
            case UNMAP:
            {
                final long addr = fields.hex("dma_addr");
                final long bytes = fields.decimal("size");
                IommuFields.checkRange(addr, bytes);
                final boolean failedAlloc = kind == Kind.MAP && addr == 0 && name.startsWith("dma_alloc");
                return new KernelEvent(failedAlloc ? Kind.FAILED_MAP : kind, true, name, device, addr, bytes, null, false, line, timestamp);
            }
            case SG_MAP:
                return sgMap(name, fields, device, line, timestamp);
            case SG_UNMAP:
                return new KernelEvent(kind, true, name, device, 0, 0, fields.hexArray("phys_addrs"), false, line, timestamp);
            default:
                return new KernelEvent(kind, true, name, device, 0, 0, null, false, line, timestamp);
        }
    }

    private static KernelEvent sgMap(final String name, final Fields fields, final String device, final long line,
        final long timestamp) throws BadField
    {
        final long[] dmaAddrs = fields.hexArray("dma_addrs");
        final long[] sizes = fields.hexArray("sizes");
        final long[] physAddrs = fields.hexArray("phys_addrs");
        if (dmaAddrs.length != sizes.length)
        {
            throw new BadField(dmaAddrs.length + " dma_addrs but " + sizes.length + " sizes");
        }
        if (dmaAddrs.length == 0)
        {
            return new KernelEvent(Kind.FAILED_MAP, true, name, device, 0, 0, null, false, line, timestamp);
        }
        long lo = -1;
        long hiByte = 0;
        for (int i = 0; i < dmaAddrs.length; i++)
        {
            IommuFields.checkRange(dmaAddrs[i], sizes[i]);
            if (sizes[i] == 0)
            {
                throw new BadField("sizes[" + i + "]=0x0: a mapped segment has no bytes");
            }
            if (Long.compareUnsigned(dmaAddrs[i], lo) < 0)
            {
                lo = dmaAddrs[i];
            }
            final long lastByte = dmaAddrs[i] + sizes[i] - 1;
            if (Long.compareUnsigned(lastByte, hiByte) > 0)
            {
                hiByte = lastByte;
            }
        }
        if (hiByte - lo + 1 == 0)
        {
            throw new BadField("the segments span the whole 64-bit address space");
        }
        final boolean truncated = fields.has("[TRUNCATED]");
        return new KernelEvent(Kind.SG_MAP, true, name, device, lo, hiByte - lo + 1, physAddrs, truncated, line, timestamp);
    }

    private static Kind kindOf(final String name)
    {
        switch (name)
        {
            case "dma_map_page":
            case "dma_map_phys":
            case "dma_map_resource":
            case "dma_alloc":
            case "dma_alloc_pages":
            case "dma_alloc_sgt":
                return Kind.MAP;
            case "dma_unmap_page":
            case "dma_unmap_phys":
            case "dma_unmap_resource":
            case "dma_free":
            case "dma_free_pages":
            case "dma_free_sgt":
                return Kind.UNMAP;
            case "dma_map_sg":
                return Kind.SG_MAP;
            case "dma_unmap_sg":
                return Kind.SG_UNMAP;
            case "dma_map_sg_err":
            case "dma_alloc_sgt_err":
                return Kind.FAILED_MAP;
            default:
                return name.startsWith("dma_sync_") ? Kind.SYNC : null;
        }
    }
}
