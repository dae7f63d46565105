package dev.iova.bench.trace.kernel;

import dev.iova.bench.trace.kernel.EventLineParser.Line;
import dev.iova.bench.trace.kernel.EventLineParser.Type;
import dev.iova.bench.trace.kernel.KernelEvent.Kind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every event format and every way the four tools print a line, one line at a time. */
class EventLineImportTest
{
    private static KernelEvent event(final String text)
    {
        final Line line = EventLineParser.parse(text, 7);
        assertEquals(Type.EVENT, line.type(), () -> "not read as an event: " + line.reason());
        assertEquals(7, line.event().line());
        return line.event();
    }

    private static String malformed(final String text)
    {
        final Line line = EventLineParser.parse(text, 7);
        assertEquals(Type.MALFORMED, line.type(), text);
        return line.reason();
    }

    @Test
    void shouldReadIommuMapWithTheEndField()
    {
        final KernelEvent e = event("  kworker/0:1-9  [000] ..... 100.000001: map: IOMMU: iova=0x00000000fffff000 - 0x0000000100000000 " +
            "paddr=0x000000010b8c2000 size=4096");
        assertEquals(Kind.MAP, e.kind());
        assertFalse(e.dma());
        assertNull(e.device());
        assertEquals(0xfffff000L, e.addr());
        assertEquals(4096, e.bytes());
    }

    @Test
    void shouldReadIommuMapOfOlderKernelsWithoutTheEndField()
    {
        final KernelEvent e = event("  kworker/0:1-9  [000] 100.000001: map: IOMMU: iova=0x00000000ffffc000 paddr=0x000000011a400000 size=8192");
        assertEquals(Kind.MAP, e.kind());
        assertEquals(0xffffc000L, e.addr());
        assertEquals(8192, e.bytes());
    }

    @Test
    void shouldReadIommuUnmapInBothFormatsAsWhatItCleared()
    {
        final KernelEvent newer = event("<idle>-0 [001] d.h1. 5.5: unmap: IOMMU: iova=0x0000000000010000 - 0x0000000000013000 size=12288 unmapped_size=8192");
        final KernelEvent older = event("<idle>-0 [001] d.h1 5.5: unmap: IOMMU: iova=0x0000000000010000 size=12288 unmapped_size=8192");
        for (final KernelEvent e : new KernelEvent[] {newer, older})
        {
            assertEquals(Kind.UNMAP, e.kind());
            assertEquals(0x10000, e.addr());
            assertEquals(8192, e.bytes(), "unmapped_size, what the page table lost");
        }
    }

    @Test
    void endThatIsNotIovaPlusSizeIsMalformed()
    {
        final String reason = malformed("x-1 [000] 1.0: map: IOMMU: iova=0x0000000000001000 - 0x0000000000003000 paddr=0x0 size=4096");
        assertEquals("map: the end 0x0000000000003000 is not iova+size (0x2000)", reason);
    }

    @Test
    void shouldReadEveryToolsLineShape()
    {
        final String fields = "0000:01:00.0 dir=TO_DEVICE dma_addr=ffffc000 size=4096 phys_addr=10a2c4000 attrs=";
        final String[] lines = {
            "             fio-2817    [001] ..... 10452.100301: dma_map_phys: " + fields,          // tracefs trace, irq-info
            "             fio-2817    [001] 10452.100301: dma_map_phys: " + fields,                // trace_pipe without irq-info
            "             fio-2817    [001] d..1 10452.100301: dma_map_phys: " + fields,           // older 4-column flags
            "             fio-2817    (   2817) [001] ..... 10452.100301: dma_map_phys: " + fields, // the tgid option
            "     fio-2817 [001] 10452.100301: dma_map_phys:         " + fields,                   // trace-cmd report, padded
            "             fio  2817 [001] 10452.100301:        dma:dma_map_phys: " + fields,       // perf script
            "    Web Content  2817 [001] 10452.100301000: dma:dma_map_phys: " + fields,            // perf script --ns, comm with a blank
        };
        for (final String text : lines)
        {
            final KernelEvent e = event(text);
            assertEquals(Kind.MAP, e.kind(), text);
            assertEquals("0000:01:00.0", e.device(), text);
            assertEquals(0xffffc000L, e.addr(), text);
            assertEquals(10452_100301000L, e.timestamp(), text);
        }
    }

    @Test
    void counterClockTimestampsStayAsPrinted()
    {
        assertEquals(987654321L, event("fio-1 [000] 987654321: dma_unmap_page: nvme0 dir=TO_DEVICE dma_addr=1000 size=1 attrs=").timestamp());
    }

    @ParameterizedTest
    @ValueSource(strings = {"dma_map_page", "dma_map_phys", "dma_map_resource"})
    void shouldReadEveryMapEvent(final String name)
    {
        final KernelEvent e = event("a-1 [000] 1.0: " + name + ": 0000:03:00.0 dir=FROM_DEVICE dma_addr=ffff6200 size=4096 phys_addr=1b3f0e200 attrs=SKIP_CPU_SYNC|WEAK_ORDERING");
        assertEquals(Kind.MAP, e.kind());
        assertTrue(e.dma());
        assertEquals(name, e.name());
        assertEquals(0xffff6200L, e.addr(), "the DMA address keeps the offset within the page");
        assertEquals(4096, e.bytes());
    }

    @ParameterizedTest
    @ValueSource(strings = {"dma_unmap_page", "dma_unmap_phys", "dma_unmap_resource"})
    void shouldReadEveryUnmapEvent(final String name)
    {
        final KernelEvent e = event("a-1 [000] 1.0: " + name + ": 0000:03:00.0 dir=FROM_DEVICE dma_addr=ffff6200 size=4096 attrs=");
        assertEquals(Kind.UNMAP, e.kind());
        assertEquals(0xffff6200L, e.addr());
    }

    @Test
    void dmaAllocAndFreeAreAMapAndAnUnmap()
    {
        final KernelEvent alloc = event("k-9 [000] 1.0: dma_alloc: 0000:01:00.0 dir=BIDIRECTIONAL dma_addr=ffffe000 size=8192 " +
            "virt_addr=00000000c1a4d3f2 flags=GFP_KERNEL attrs=");
        final KernelEvent free = event("k-9 [000] 1.0: dma_free: 0000:01:00.0 dir=BIDIRECTIONAL dma_addr=ffffe000 size=8192 " +
            "virt_addr=00000000c1a4d3f2 attrs=");
        final KernelEvent failed = event("k-9 [000] 1.0: dma_alloc_pages: 0000:01:00.0 dir=BIDIRECTIONAL dma_addr=0 size=8192 " +
            "virt_addr=0000000000000000 flags=GFP_KERNEL|__GFP_NOWARN attrs=");
        assertEquals(Kind.MAP, alloc.kind());
        assertEquals(Kind.UNMAP, free.kind());
        assertEquals(8192, free.bytes());
        assertEquals(Kind.FAILED_MAP, failed.kind(), "dma_alloc prints dma_addr 0 when it found no memory");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "dma_alloc_pages: nvme0 dir=FROM_DEVICE dma_addr=ffe00000 size=65536 virt_addr=000000004f1d2c3b flags=GFP_KERNEL attrs=",
        "dma_alloc_sgt: nvme0 dir=FROM_DEVICE dma_addr=ffe00000 size=65536 phys_addrs={0x140000000,0x140200000} flags=GFP_KERNEL attrs=",
    })
    void pageAndSgtAllocationsAreMaps(final String event)
    {
        final KernelEvent e = event("k-9 [000] 1.0: " + event);
        assertEquals(Kind.MAP, e.kind());
        assertEquals(0xffe00000L, e.addr());
        assertEquals(65536, e.bytes());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "dma_free_pages: nvme0 dir=FROM_DEVICE dma_addr=ffe00000 size=65536 virt_addr=000000004f1d2c3b attrs=",
        "dma_free_sgt: nvme0 dir=FROM_DEVICE dma_addr=ffe00000 size=65536 phys_addrs={0x140000000,0x140200000}",
    })
    void pageAndSgtFreesAreUnmaps(final String event)
    {
        final KernelEvent e = event("k-9 [000] 1.0: " + event);
        assertEquals(Kind.UNMAP, e.kind());
        assertEquals(0xffe00000L, e.addr());
        assertEquals(65536, e.bytes());
    }

    @Test
    void aFailedSgtAllocationIsAFailedMap()
    {
        assertEquals(Kind.FAILED_MAP, event("k-9 [000] 1.0: dma_alloc_sgt_err: nvme0 dir=FROM_DEVICE dma_addr=0 size=65536 " +
            "virt_addr=0000000000000000 flags=GFP_KERNEL attrs=").kind());
    }

    @Test
    void dmaMapSgSpansAllItsSegmentsInBothFormats()
    {
        final String newer = "f-1 [001] ..... 1.0: dma_map_sg: 0000:01:00.0 dir=FROM_DEVICE nents=3/3 ents=2/2 " +
            "dma_addrs={0xffff0000,0xffff2800} sizes={0x2000,0x1000} phys_addrs={0x10b000000,0x10b7f2000,0x11c004000} attrs=";
        final String older = "f-1 [001] ..... 1.0: dma_map_sg: 0000:01:00.0 dir=FROM_DEVICE " +
            "dma_addrs={0xffff0000,0xffff2800} sizes={0x2000,0x1000} phys_addrs={0x10b000000,0x10b7f2000,0x11c004000} attrs=";
        for (final String text : new String[] {newer, older})
        {
            final KernelEvent e = event(text);
            assertEquals(Kind.SG_MAP, e.kind());
            assertEquals(0xffff0000L, e.addr());
            assertEquals(0x3800, e.bytes(), "from the lowest address to the end of the highest segment");
            assertArrayEquals(new long[] {0x10b000000L, 0x10b7f2000L, 0x11c004000L}, e.physAddrs());
            assertFalse(e.truncated());
        }
    }

    @Test
    void truncatedDmaMapSgIsMarked()
    {
        final KernelEvent e = event("f-1 [001] 1.0: dma_map_sg: nvme0 dir=TO_DEVICE nents=128/200 ents=128/200 [TRUNCATED] " +
            "dma_addrs={0x1000} sizes={0x1000} phys_addrs={0x5000} attrs=");
        assertTrue(e.truncated());
    }

    @Test
    void dmaMapSgWithNoSegmentAndTheErrorEventsAreFailedMaps()
    {
        assertEquals(Kind.FAILED_MAP, event("f-1 [001] 1.0: dma_map_sg: nvme0 dir=TO_DEVICE dma_addrs={} sizes={} phys_addrs={0x5000} attrs=").kind());
        assertEquals(Kind.FAILED_MAP, event("f-1 [001] 1.0: dma_map_sg_err: nvme0 dir=TO_DEVICE dma_addrs={0x5000} err=-12 attrs=").kind());
    }

    @Test
    void dmaUnmapSgKeepsThePhysicalAddresses()
    {
        final KernelEvent e = event("<idle>-0 [000] d.h1. 1.0: dma_unmap_sg: 0000:01:00.0 dir=FROM_DEVICE phys_addrs={0x10b000000,0x11c004000} attrs=");
        assertEquals(Kind.SG_UNMAP, e.kind());
        assertArrayEquals(new long[] {0x10b000000L, 0x11c004000L}, e.physAddrs());
    }

    @Test
    void syncsAreReadAndOtherEventsAreNot()
    {
        assertEquals(Kind.SYNC, event("a-1 [000] 1.0: dma_sync_single_for_cpu: nvme0 dir=FROM_DEVICE dma_addr=1000 size=64").kind());
        final Line sched = EventLineParser.parse("a-1 [000] d..2. 1.0: sched_switch: prev_comm=a prev_pid=1 ==> next_comm=b next_pid=2", 3);
        assertEquals(Type.OTHER_EVENT, sched.type());
        assertEquals("sched_switch", sched.eventName());
        assertEquals(Type.OTHER_EVENT, EventLineParser.parse("a-1 [000] 1.0: kvm:map: IOMMU: iova=0x1 size=1", 3).type(),
            "a map event of another system");
    }

    @Test
    void lostEventNoticesOfEveryToolAreCounted()
    {
        assertEquals(120, EventLineParser.parse("CPU:1 [LOST 120 EVENTS]", 1).lostEvents());
        assertEquals(204600, EventLineParser.parse("CPU:7 [204600 EVENTS DROPPED]", 1).lostEvents());
        final Line unknown = EventLineParser.parse("CPU:7 [EVENTS DROPPED]", 1);
        assertEquals(Type.LOST, unknown.type());
        assertEquals(-1, unknown.lostEvents());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   ", "# tracer: nop", "#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION",
        "##### CPU 2 buffer started ####", "version = 7", "cpus=4", "CPU 2 is empty"})
    void headersAreNotEvents(final String text)
    {
        assertEquals(Type.HEADER, EventLineParser.parse(text, 1).type());
    }

    @Test
    void malformedFieldsNameTheFieldAndTheValue()
    {
        assertEquals("dma_map_page: dma_addr=ffzz000 is not a 64-bit hex number",
            malformed("a-1 [000] 1.0: dma_map_page: nvme0 dir=TO_DEVICE dma_addr=ffzz000 size=4096 phys_addr=1 attrs="));
        assertEquals("dma_map_page: size=4k is not a decimal number",
            malformed("a-1 [000] 1.0: dma_map_page: nvme0 dir=TO_DEVICE dma_addr=1000 size=4k phys_addr=1 attrs="));
        assertEquals("dma_unmap_page: no dma_addr= field",
            malformed("a-1 [000] 1.0: dma_unmap_page: nvme0 dir=TO_DEVICE size=4096 attrs="));
        assertEquals("dma_map_sg: 2 dma_addrs but 1 sizes",
            malformed("a-1 [000] 1.0: dma_map_sg: nvme0 dir=TO_DEVICE dma_addrs={0x1000,0x3000} sizes={0x1000} phys_addrs={0x1} attrs="));
        assertEquals("dma_map_page: 0xfffffffffffff000 + 8192 bytes runs past the 64-bit address space",
            malformed("a-1 [000] 1.0: dma_map_page: nvme0 dir=TO_DEVICE dma_addr=fffffffffffff000 size=8192 phys_addr=1 attrs="));
        assertEquals("map: the fields do not start with IOMMU:", malformed("a-1 [000] 1.0: map: iova=0x1000 size=4096"));
        assertEquals("not an event line (expected TASK-PID [CPU] TIMESTAMP: EVENT: FIELDS)", malformed("hello world"));
    }
}
