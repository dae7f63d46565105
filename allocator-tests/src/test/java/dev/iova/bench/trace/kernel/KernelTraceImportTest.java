package dev.iova.bench.trace.kernel;

import dev.iova.bench.trace.Trace;
import dev.iova.bench.trace.TraceParser;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The conversion rules of issue 18, each on a recording of a few lines. */
class KernelTraceImportTest
{
    static final String NVME = "0000:01:00.0";
    static final String NIC = "0000:03:00.0";

    /** A recording and what importing it gave. */
    record Imported(ImportSummary summary, String trace)
    {
        /** @return the alloc and free lines, without their comments. */
        List<String> ops()
        {
            return trace.lines().filter(l -> l.startsWith("alloc") || l.startsWith("free"))
                .map(l -> l.contains("#") ? l.substring(0, l.indexOf('#')).strip() : l).collect(Collectors.toList());
        }
    }

    static Imported importLines(final ImportOptions options, final String... lines)
    {
        final byte[] bytes = (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8);
        final StringWriter out = new StringWriter();
        try
        {
            final ImportSummary summary = KernelTraceImporter.importStream("rec.txt", () -> new ByteArrayInputStream(bytes), options, out);
            return new Imported(summary, out.toString());
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    static Imported importLines(final String... lines)
    {
        return importLines(ImportOptions.defaults(), lines);
    }

    static String map(final String device, final double time, final long dmaAddr, final long bytes)
    {
        return String.format("fio-1 [000] ..... %.6f: dma_map_page: %s dir=TO_DEVICE dma_addr=%x size=%d phys_addr=1a000000 attrs=",
            time, device, dmaAddr, bytes);
    }

    static String unmap(final String device, final double time, final long dmaAddr, final long bytes)
    {
        return String.format("<idle>-0 [001] d.h1. %.6f: dma_unmap_page: %s dir=TO_DEVICE dma_addr=%x size=%d attrs=",
            time, device, dmaAddr, bytes);
    }

    static String iommuMap(final double time, final long iova, final long bytes)
    {
        return String.format("fio-1 [000] ..... %.6f: map: IOMMU: iova=0x%016x - 0x%016x paddr=0x0000000123400000 size=%d",
            time, iova, iova + bytes, bytes);
    }

    static String iommuUnmap(final double time, final long iova, final long bytes)
    {
        return String.format("fio-1 [000] ..... %.6f: unmap: IOMMU: iova=0x%016x - 0x%016x size=%d unmapped_size=%d",
            time, iova, iova + bytes, bytes, bytes);
    }

    @Test
    void shouldWriteAV1TraceWithStartOneAndNoReserve()
    {
        final Imported imported = importLines(map(NVME, 1.0, 0xfffff000L, 4096));

        final List<String> lines = imported.trace().lines().filter(l -> !l.startsWith("#")).collect(Collectors.toList());
        assertEquals(List.of("iova-trace v1", "domain granule=4096 start=0x1", "alloc 1 1 0xfffff  # kernel 0xfffff line 1"), lines);
        final Trace trace = TraceParser.parseText("imported", imported.trace());
        assertEquals(1, trace.ops());
    }

    @Test
    void pagesCountTheOffsetWithinTheFirstPage()
    {
        final Imported imported = importLines(
            map(NVME, 1.0, 0xffff6200L, 4096),   // 0x200 + 4096 bytes: 2 pages
            map(NVME, 1.1, 0xffff0800L, 2048),   // ends exactly at the page end: 1 page
            map(NVME, 1.2, 0xfffe0000L, 1),      // 1 byte: 1 page
            map(NVME, 1.3, 0xfffc0fffL, 8194));  // 1 + 8192 + 1 bytes: 4 pages
        assertEquals(List.of("alloc 1 2 0xfffff", "alloc 2 1 0xfffff", "alloc 3 1 0xfffff", "alloc 4 4 0xfffff"), imported.ops());
        assertTrue(imported.trace().contains("alloc 1 2 0xfffff  # kernel 0xffff6 line 1"), imported.trace());
    }

    @Test
    void granuleDecidesThePages()
    {
        final Imported imported = importLines(new ImportOptions(null, ImportOptions.DEFAULT_LIMIT, 0, 65536, false),
            map(NVME, 1.0, 0xffff6200L, 4096), map(NVME, 1.1, 0xfffc0000L, 65537));
        assertEquals(List.of("alloc 1 1 0xffff", "alloc 2 2 0xffff"), imported.ops());
        assertTrue(imported.trace().contains("domain granule=65536 start=0x1"));
    }

    @Test
    void anUnmapFreesEveryLiveMappingItOverlaps()
    {
        final Imported imported = importLines(
            iommuMap(1.0, 0x10000, 0x2000),     // one scatter-gather list, mapped as two contiguous runs
            iommuMap(1.1, 0x12000, 0x1000),
            iommuMap(1.2, 0x20000, 0x1000),     // untouched
            iommuUnmap(2.0, 0x10000, 0x3000));  // unmapped in one call
        assertEquals(List.of("alloc 1 2 0x3f", "alloc 2 1 0x3f", "alloc 3 1 0x3f", "free 1", "free 2"), imported.ops());
        assertEquals(1, imported.summary().liveAtEnd());
    }

    @Test
    void anUnmapOfAPartOfAMappingFreesThatMapping()
    {
        final Imported imported = importLines(iommuMap(1.0, 0x10000, 0x4000), iommuUnmap(2.0, 0x11000, 0x1000));
        assertEquals(List.of("alloc 1 4 0x1f", "free 1"), imported.ops());
    }

    @Test
    void anUnmapThatOverlapsNothingIsCountedAsUnmatchedWithItsLine()
    {
        final Imported imported = importLines(map(NVME, 1.0, 0x10000, 4096), unmap(NVME, 2.0, 0x20000, 4096),
            unmap(NVME, 3.0, 0x10000, 4096), unmap(NVME, 4.0, 0x10000, 4096));
        assertEquals(List.of("alloc 1 1 0x1f", "free 1"), imported.ops());
        assertEquals(2, imported.summary().unmatchedUnmaps().count());
        assertEquals(List.of("2", "4"), imported.summary().unmatchedUnmaps().firstLines());
    }

    @Test
    void anIommuUnmapThatClearedNothingIsUnmatched()
    {
        final Imported imported = importLines(iommuMap(1.0, 0x10000, 0x1000),
            "x-1 [000] 2.0: unmap: IOMMU: iova=0x0000000000010000 size=4096 unmapped_size=0");
        assertEquals(List.of("alloc 1 1 0x1f"), imported.ops());
        assertEquals(List.of("2"), imported.summary().unmatchedUnmaps().firstLines());
    }

    @Test
    void aMapOverlappingALiveMappingIsSkippedAndCounted()
    {
        final Imported imported = importLines(map(NVME, 1.0, 0x10000, 8192), map(NVME, 1.5, 0x11800, 16),
            unmap(NVME, 2.0, 0x10000, 8192), map(NVME, 3.0, 0x11800, 16));
        assertEquals(List.of("alloc 1 2 0x1f", "free 1", "alloc 2 1 0x1f"), imported.ops());
        assertEquals(List.of("2"), imported.summary().overlappingMaps().firstLines());
    }

    @Test
    void dmaMapSgIsOneAllocationAndDmaUnmapSgIsMatchedByPhysicalAddresses()
    {
        final Imported imported = importLines(
            "f-1 [001] 1.0: dma_map_sg: nvme0 dir=FROM_DEVICE nents=3/3 ents=2/2 dma_addrs={0xffff0000,0xffff2000} " +
                "sizes={0x2000,0x2000} phys_addrs={0x10b000000,0x10b7f2000,0x11c004000} attrs=",
            "f-1 [001] 1.1: dma_map_sg: nvme0 dir=FROM_DEVICE nents=1/1 ents=1/1 dma_addrs={0xfffe0000} " +
                "sizes={0x1000} phys_addrs={0x20000000} attrs=",
            "<idle>-0 [000] 2.0: dma_unmap_sg: nvme0 dir=FROM_DEVICE phys_addrs={0x10b000000,0x10b7f2000,0x11c004000} attrs=",
            "<idle>-0 [000] 2.1: dma_unmap_sg: nvme0 dir=FROM_DEVICE phys_addrs={0x10b000000} attrs=",
            "<idle>-0 [000] 2.2: dma_unmap_sg: nvme0 dir=FROM_DEVICE phys_addrs={0x20000000} attrs=");
        assertEquals(List.of("alloc 1 4 0xfffff", "alloc 2 1 0xfffff", "free 1", "free 2"), imported.ops());
        assertTrue(imported.trace().contains("alloc 1 4 0xfffff  # kernel 0xffff0 line 1"));
        assertEquals(List.of("4"), imported.summary().unmatchedUnmaps().firstLines(), "a list that was never mapped");
    }

    @Test
    void aPlainUnmapOverASgMappingAlsoForgetsItsPhysicalAddresses()
    {
        final Imported imported = importLines(
            "f-1 [001] 1.0: dma_map_sg: nvme0 dir=TO_DEVICE dma_addrs={0x10000} sizes={0x1000} phys_addrs={0x5000} attrs=",
            unmap("nvme0", 2.0, 0x10000, 4096),
            "<idle>-0 [000] 3.0: dma_unmap_sg: nvme0 dir=TO_DEVICE phys_addrs={0x5000} attrs=");
        assertEquals(List.of("alloc 1 1 0x1f", "free 1"), imported.ops());
        assertEquals(List.of("3"), imported.summary().unmatchedUnmaps().firstLines());
    }

    @Test
    void truncatedSgMapsAreSkippedAndCounted()
    {
        final Imported imported = importLines(
            "f-1 [001] 1.0: dma_map_sg: nvme0 dir=TO_DEVICE nents=128/300 ents=128/300 [TRUNCATED] dma_addrs={0x10000} " +
                "sizes={0x1000} phys_addrs={0x5000} attrs=",
            map("nvme0", 2.0, 0x20000, 4096));
        assertEquals(List.of("alloc 1 1 0x3f"), imported.ops());
        assertEquals(List.of("1"), imported.summary().truncatedSgMaps().firstLines());
    }

    @Test
    void dmaAllocAndDmaFreeAreAMapAndAnUnmap()
    {
        final Imported imported = importLines(
            "k-9 [000] 1.0: dma_alloc: nvme0 dir=BIDIRECTIONAL dma_addr=ffffe000 size=8192 virt_addr=00000000c1a4d3f2 flags=GFP_KERNEL attrs=",
            "k-9 [000] 1.1: dma_alloc: nvme0 dir=BIDIRECTIONAL dma_addr=0 size=8192 virt_addr=0000000000000000 flags=GFP_KERNEL attrs=",
            "k-9 [000] 2.0: dma_free: nvme0 dir=BIDIRECTIONAL dma_addr=ffffe000 size=8192 virt_addr=00000000c1a4d3f2 attrs=");
        assertEquals(List.of("alloc 1 2 0xfffff", "free 1"), imported.ops());
        assertEquals(1, imported.summary().failedMaps());
    }

    @Test
    void dmaEventsAreUsedAndIommuEventsIgnored()
    {
        final Imported imported = importLines(iommuMap(0.9, 0x7fff0000L, 4096), map(NVME, 1.0, 0xfffff000L, 4096),
            iommuUnmap(1.9, 0x7fff0000L, 4096));
        assertEquals(List.of("alloc 1 1 0xfffff"), imported.ops());
        assertEquals(2, imported.summary().ignoredIommuEvents());
        assertEquals(NVME, imported.summary().device());
    }

    @Test
    void severalDevicesWithoutDeviceIsAnErrorListingThem()
    {
        final ImportException ex = assertThrows(ImportException.class,
            () -> importLines(map(NVME, 1.0, 0x1000, 4096), map(NIC, 1.1, 0x1000, 4096), map("nvme1", 1.2, 0x1000, 4096)));
        assertEquals("rec.txt: the recording has dma: events of 3 devices (0000:01:00.0, 0000:03:00.0, nvme1): choose one with --device",
            ex.getMessage());
    }

    @Test
    void deviceSelectsItsEventsAndCountsTheOthers()
    {
        final Imported imported = importLines(new ImportOptions(NIC, ImportOptions.DEFAULT_LIMIT, 0, 4096, false),
            map(NVME, 1.0, 0x7ffff000L, 4096), map(NIC, 1.1, 0xfffff000L, 4096), unmap(NVME, 1.2, 0x7ffff000L, 4096),
            unmap(NIC, 1.3, 0xfffff000L, 4096));
        assertEquals(List.of("alloc 1 1 0xfffff", "free 1"), imported.ops());
        assertEquals(2, imported.summary().otherDeviceEvents());
    }

    @Test
    void anUnknownDeviceIsAnErrorListingTheDevices()
    {
        final ImportException ex = assertThrows(ImportException.class,
            () -> importLines(new ImportOptions("nvme9", ImportOptions.DEFAULT_LIMIT, 0, 4096, false), map(NVME, 1.0, 0x1000, 4096),
                map(NIC, 1.1, 0x1000, 4096)));
        assertEquals("rec.txt: --device=nvme9 has no dma: mapping events; the recording has 0000:01:00.0, 0000:03:00.0", ex.getMessage());
    }

    @Test
    void aDeviceForARecordingOfIommuEventsIsAnError()
    {
        final ImportException ex = assertThrows(ImportException.class,
            () -> importLines(new ImportOptions(NVME, ImportOptions.DEFAULT_LIMIT, 0, 4096, false), iommuMap(1.0, 0x1000, 4096)));
        assertEquals("rec.txt: --device=0000:01:00.0, but the recording has only iommu: events, which name no device", ex.getMessage());
    }

    @Test
    void aRecordingWithoutMappingEventsIsAnError()
    {
        final ImportException ex = assertThrows(ImportException.class,
            () -> importLines("# tracer: nop", "a-1 [000] 1.0: sched_switch: prev_comm=a ==> next_comm=b"));
        assertEquals("rec.txt: no iommu:map/unmap or dma: mapping events in 2 lines: is this a recording of those events?", ex.getMessage());
    }

    @Test
    void theDefaultLimitIsTheSmallestPowerOfTwoMaskCoveringTheLastByteOfEveryRange()
    {
        assertEquals(0xfffffL, importLines(map(NVME, 1.0, 0xfffff000L, 4096)).summary().limitPfn(), "ends at 4 GiB - 1");
        assertEquals(0x1fffffL, importLines(map(NVME, 1.0, 0xfffff800L, 4096)).summary().limitPfn(), "its last byte is above 4 GiB");
        assertEquals(0x7fL, importLines(map(NVME, 1.0, 0x40000L, 1), unmap(NVME, 2.0, 0x40000L, 1), map(NVME, 3.0, 0x3000L, 1))
            .summary().limitPfn(), "a range freed long before still counts");
        assertEquals(0x1L, importLines(map(NVME, 1.0, 0x0L, 4096)).summary().limitPfn(), "pfn 0 still needs a limit of at least the start pfn");
        assertEquals(0xfffffL, importLines(new ImportOptions(NVME, ImportOptions.DEFAULT_LIMIT, 0, 4096, false),
            map(NVME, 1.0, 0xfffff000L, 4096), map(NIC, 1.0, 0x7ffffff000L, 4096)).summary().limitPfn(), "only the chosen device's ranges");
    }

    @Test
    void limitAndMaskOptionsGiveTheLimit()
    {
        assertEquals(0x1234L, importLines(new ImportOptions(null, 0x1234, 0, 4096, false), map(NVME, 1.0, 0x1000, 1)).summary().limitPfn());
        assertEquals(0xfffffL, importLines(new ImportOptions(null, ImportOptions.DEFAULT_LIMIT, 32, 4096, false), map(NVME, 1.0, 0x1000, 1))
            .summary().limitPfn());
        assertEquals(0xfffffffffffffL, importLines(new ImportOptions(null, ImportOptions.DEFAULT_LIMIT, 64, 4096, false),
            map(NVME, 1.0, 0x1000, 1)).summary().limitPfn());
        assertEquals(0xffffL, importLines(new ImportOptions(null, ImportOptions.DEFAULT_LIMIT, 32, 65536, false), map(NVME, 1.0, 0x1000, 1))
            .summary().limitPfn());
    }

    @Test
    void badOptionsAreRefusedWithTheirValues()
    {
        assertEquals("--granule=3000 must be a power of two from 1 to 2^62", assertThrows(IllegalArgumentException.class,
            () -> new ImportOptions(null, ImportOptions.DEFAULT_LIMIT, 0, 3000, false)).getMessage());
        assertEquals("--mask=12 must be more than the granule's 12 bits and at most 64", assertThrows(IllegalArgumentException.class,
            () -> new ImportOptions(null, ImportOptions.DEFAULT_LIMIT, 12, 4096, false)).getMessage());
        assertEquals("--limit and --mask both give the limit: choose one", assertThrows(IllegalArgumentException.class,
            () -> new ImportOptions(null, 5, 32, 4096, false)).getMessage());
    }

    @Test
    void linesOfSeveralCpusAreConvertedInTimestampOrder()
    {
        // trace_pipe printed CPU 3's map of a reused address before CPU 2's earlier unmap of it.
        final Imported imported = importLines(
            map(NVME, 1.000, 0x10000, 4096),
            "fio-3 [003] ..... 1.000200: dma_map_page: 0000:01:00.0 dir=TO_DEVICE dma_addr=10000 size=4096 phys_addr=2 attrs=",
            "<idle>-0 [002] d.h1. 1.000100: dma_unmap_page: 0000:01:00.0 dir=TO_DEVICE dma_addr=10000 size=4096 attrs=");
        assertEquals(List.of("alloc 1 1 0x1f", "free 1", "alloc 2 1 0x1f"), imported.ops());
        assertEquals(0, imported.summary().overlappingMaps().count());
        assertEquals(0, imported.summary().lateEvents().count());
    }

    @Test
    void equalTimestampsKeepFileOrder()
    {
        final Imported imported = importLines(map(NVME, 1.0, 0x10000, 4096), unmap(NVME, 1.0, 0x10000, 4096),
            map(NVME, 1.0, 0x10000, 4096));
        assertEquals(List.of("alloc 1 1 0x1f", "free 1", "alloc 2 1 0x1f"), imported.ops());
    }

    @Test
    void eventsFurtherOutOfOrderThanTheWindowAreCountedAsLate()
    {
        final List<String> lines = new ArrayList<>();
        for (int i = 0; i <= KernelTraceImporter.REORDER_WINDOW; i++)
        {
            lines.add(map(NVME, 2.0 + i * 1e-6, 0x100000L + i * 4096L, 4096));
        }
        lines.add(map(NVME, 1.0, 0x10000, 4096));
        final Imported imported = importLines(lines.toArray(new String[0]));
        assertEquals(List.of(Integer.toString(lines.size())), imported.summary().lateEvents().firstLines());
        assertEquals(lines.size(), imported.summary().allocs());
    }

    @Test
    void lostEventNoticesAreCountedNeverErrorsEvenWhenStrict()
    {
        final Imported imported = importLines(new ImportOptions(null, ImportOptions.DEFAULT_LIMIT, 0, 4096, true),
            map(NVME, 1.0, 0x10000, 4096), "CPU:1 [LOST 3 EVENTS]", "CPU:0 [12 EVENTS DROPPED]", unmap(NVME, 2.0, 0x10000, 4096));
        assertEquals(List.of("2", "3"), imported.summary().lostNotices().firstLines());
        assertEquals(2, imported.summary().frees() + imported.summary().allocs());
    }

    @Test
    void malformedLinesAreCountedWithTheirLinesAndReasons()
    {
        final Imported imported = importLines(map(NVME, 1.0, 0x10000, 4096), "garbage here",
            "a-1 [000] 1.5: dma_unmap_page: 0000:01:00.0 dir=TO_DEVICE dma_addr=1z000 size=4096 attrs=");
        assertEquals(List.of("2 (not an event line (expected TASK-PID [CPU] TIMESTAMP: EVENT: FIELDS))",
            "3 (dma_unmap_page: dma_addr=1z000 is not a 64-bit hex number)"), imported.summary().malformed().firstLines());
        assertEquals(List.of("alloc 1 1 0x1f"), imported.ops());
    }

    @Test
    void strictMakesTheFirstProblemAnErrorWithItsLine()
    {
        final ImportOptions strict = new ImportOptions(null, ImportOptions.DEFAULT_LIMIT, 0, 4096, true);
        assertEquals("rec.txt:2: dma_unmap_page: dma_addr=1z000 is not a 64-bit hex number (--strict)",
            assertThrows(ImportException.class, () -> importLines(strict, map(NVME, 1.0, 0x10000, 4096),
                "a-1 [000] 1.5: dma_unmap_page: 0000:01:00.0 dir=TO_DEVICE dma_addr=1z000 size=4096 attrs=")).getMessage());
        assertEquals("rec.txt:2: dma_unmap_page: unmap of pfns 0x20..0x20 overlaps no live mapping (--strict)",
            assertThrows(ImportException.class, () -> importLines(strict, map(NVME, 1.0, 0x10000, 4096),
                unmap(NVME, 2.0, 0x20000, 4096))).getMessage());
        assertEquals("rec.txt:2: dma_map_page: map of pfns 0x10..0x11 overlaps a live mapping (--strict)",
            assertThrows(ImportException.class, () -> importLines(strict, map(NVME, 1.0, 0x10000, 4096),
                map(NVME, 2.0, 0x10800, 4096))).getMessage());
    }

    @Test
    void theSameRecordingAlwaysGivesTheSameTrace()
    {
        final String[] lines = {map(NVME, 1.0, 0x10000, 4096), map(NVME, 1.0, 0x20000, 9000), "CPU:1 [LOST 3 EVENTS]",
            unmap(NVME, 0.5, 0x20000, 4096), unmap(NVME, 2.0, 0x10000, 4096), map(NVME, 3.0, 0x10000, 4096)};
        assertEquals(importLines(lines).trace(), importLines(lines).trace());
    }
}
