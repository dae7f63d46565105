package dev.iova.bench.trace.kernel;

import dev.iova.bench.trace.TraceFormatException;
import dev.iova.bench.trace.kernel.PlacementComparison.Result;
import dev.iova.bench.trace.kernel.PlacementComparison.Sample;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code compare}: the kernel's recorded placements beside highest fit's, over the trace. */
class CompareImportedTraceTest
{
    @TempDir
    Path tempDir;

    /** The kernel put two 1-page maps low in a 64-pfn space; highest fit puts them at the top. */
    private static final String LOW_PLACEMENTS = String.join("\n",
        "iova-trace v1",
        "domain granule=4096 start=0x1",
        "alloc 1 1 0x3f  # kernel 0x10 line 1",
        "alloc 2 1 0x3f  # kernel 0x20 line 2",
        "free 1",
        "# kernel failed maps 2",
        "");

    @Test
    void shouldSetTheKernelsPlacementsBesideHighestFits()
    {
        final Result result = PlacementComparison.compareText("low.trace", LOW_PLACEMENTS, 10);

        assertEquals(0x3f, result.limitPfn());
        assertEquals(3, result.ops());
        assertEquals(2, result.kernel().placed());
        assertEquals(2, result.highestFit().placed());
        assertEquals(0x20, result.kernel().highestPfnEver());
        assertEquals(0x3f, result.highestFit().highestPfnEver());
        assertEquals(2, result.kernel().failures(), "from the importer's last comment");
        assertEquals(0, result.highestFit().failures());
        assertEquals(3, result.kernel().peakFreeGaps(), "0x1..0xf, 0x11..0x1f, 0x21..0x3f");
        assertEquals(2, result.highestFit().peakFreeGaps(), "0x1..0x3d and, once id 1 is freed, 0x3f");
        assertEquals(2, result.kernel().peakPagesBelow4Gib());

        final Sample end = result.samples().get(result.samples().size() - 1);
        assertEquals(3, end.op());
        assertArrayEquals(new long[] {0x20, 0x3e}, end.highestPfn(), "pfn 0x3f was freed; highest fit placed id 2 at 0x3e");
        assertArrayEquals(new long[] {2, 2}, end.freeGaps());
        assertArrayEquals(new long[] {0x1f, 0x3d}, end.largestGapPages());
        final Sample start = result.samples().get(0);
        assertArrayEquals(new long[] {1, 1}, start.freeGaps());
        assertArrayEquals(new long[] {0x3f, 0x3f}, start.largestGapPages());
    }

    @Test
    void failuresOfHighestFitAndKernelPlacementsAboveTheLimitAreCounted()
    {
        final Result result = PlacementComparison.compareText("tight.trace", String.join("\n",
            "iova-trace v1",
            "domain granule=4096 start=0x1",
            "alloc 1 2 0x3  # kernel 0x2 line 1",
            "alloc 2 2 0x3  # kernel 0x4 line 2",   // the kernel went above the limit: 0x4..0x5
            "free 2",                              // skipped for highest fit, which failed it
            ""), 5);
        assertEquals(1, result.highestFit().failures());
        assertEquals(1, result.highestFit().placed());
        assertEquals(1, result.aboveLimit());
        assertEquals(0, result.kernel().failures(), "no failed-maps comment");
        assertEquals("a8c7f832281a39c5".length(), result.pfnDigest().length());
    }

    @Test
    void anAllocWithoutTheKernelsCommentIsAnErrorWithItsLine()
    {
        final TraceFormatException ex = assertThrows(TraceFormatException.class, () -> PlacementComparison.compareText("gen.trace",
            "iova-trace v1\ndomain granule=4096 start=0x1\nalloc 1 1 0xfffff\n", 3));
        assertEquals("gen.trace:3: alloc without a '# kernel PFN' comment: compare needs a trace written by import", ex.getMessage());
    }

    @Test
    void theReportHasTheTableAndFourCharts() throws IOException
    {
        final Result result = PlacementComparison.compareText("low.trace", LOW_PLACEMENTS, 10);
        final Path md = ComparisonReport.write(tempDir.resolve("report"), result);

        final String text = Files.readString(md);
        assertTrue(text.contains("| highest pfn ever in use | 0x20 | 0x3f |"), text);
        assertTrue(text.contains("| failures | 2 (failed maps) | 0 |"), text);
        for (final String chart : new String[] {"highest-pfn.png", "pages-below-4gib.png", "free-gaps.png", "largest-gap.png"})
        {
            assertTrue(text.contains("(charts/" + chart + ")"), chart);
            final byte[] png = Files.readAllBytes(tempDir.resolve("report").resolve("charts").resolve(chart));
            assertEquals((byte)0x89, png[0]);
            assertEquals('P', png[1]);
        }
        final StringWriter table = new StringWriter();
        ComparisonReport.printTable(new PrintWriter(table), result);
        assertTrue(table.toString().contains("highest pfn ever in use              0x20               0x3f"), table.toString());
    }

    @Test
    void anImportedSampleComparesFromItsFile() throws IOException
    {
        final Path trace = tempDir.resolve("nvme.trace");
        Files.copy(Path.of(dev.iova.bench.cli.ImportCommandTestAccess.sample("nvme-tracefs.expected.trace").toString()), trace);
        final Result result = PlacementComparison.compare(trace, 50);
        assertEquals(9, result.kernel().placed());
        assertEquals(9, result.highestFit().placed());
        assertEquals(0xfffff, result.kernel().highestPfnEver());
    }
}
