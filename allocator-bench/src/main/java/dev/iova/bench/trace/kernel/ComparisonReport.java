package dev.iova.bench.trace.kernel;

import dev.iova.bench.trace.kernel.PlacementComparison.Result;
import dev.iova.bench.trace.kernel.PlacementComparison.Sample;
import dev.iova.bench.trace.kernel.PlacementComparison.Side;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.Color;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * Prints a {@link PlacementComparison} as a table, and writes it as a report: {@code compare.md}
 * with the table and four charts over the trace ({@code charts/*.png}: highest pfn in use, pages
 * below 4 GiB, free gaps below the limit, largest free gap), the kernel's line beside highest fit's.
 */
public final class ComparisonReport
{
    /** The charts, by file name, with the title and the measure they draw. */
    private static final String[][] CHARTS = {
        {"highest-pfn.png", "Highest pfn in use", "pfn"},
        {"pages-below-4gib.png", "Pages in use below 4 GiB", "pages"},
        {"free-gaps.png", "Free gaps below the limit", "gaps"},
        {"largest-gap.png", "Largest free gap below the limit", "pages"},
    };

    static
    {
        System.setProperty("java.awt.headless", "true");
    }

    private ComparisonReport()
    {
    }

    /**
     * Prints the table, one row per measure, kernel then highest fit.
     *
     * @param out    where to.
     * @param result the comparison.
     */
    public static void printTable(final PrintWriter out, final Result result)
    {
        out.printf(Locale.ROOT, "trace           %s%n", result.traceName());
        out.printf(Locale.ROOT, "ops             %d (granule %d, limit 0x%x)%n", result.ops(), result.granuleBytes(), result.limitPfn());
        for (final String[] row : rows(result))
        {
            out.printf(Locale.ROOT, "%-36s %-18s %s%n", row[0], row[1], row[2]);
        }
        out.printf(Locale.ROOT, "pfnDigest       %s (highest fit, as replay prints it)%n", result.pfnDigest());
        out.flush();
    }

    private static String[][] rows(final Result result)
    {
        final Side k = result.kernel();
        final Side f = result.highestFit();
        return new String[][] {
            {"", "kernel", "highest fit"},
            {"allocations placed", Long.toString(k.placed()), Long.toString(f.placed())},
            {"failures", k.failures() + " (failed maps)", Long.toString(f.failures())},
            {"placements above the limit", Long.toString(result.aboveLimit()), "0"},
            {"highest pfn ever in use", hex(k.highestPfnEver()), hex(f.highestPfnEver())},
            {"peak pages below 4 GiB", Long.toString(k.peakPagesBelow4Gib()), Long.toString(f.peakPagesBelow4Gib())},
            {"most free gaps below the limit", Long.toString(k.peakFreeGaps()), Long.toString(f.peakFreeGaps())},
            {"smallest largest gap (pages)", Long.toString(k.smallestLargestGap()), Long.toString(f.smallestLargestGap())},
        };
    }

    private static String hex(final long pfn)
    {
        return "0x" + Long.toHexString(pfn);
    }

    /**
     * Writes {@code compare.md} and its charts into a folder.
     *
     * @param dir    the folder (created if missing).
     * @param result the comparison.
     * @return the markdown file.
     * @throws IOException when a file cannot be written.
     */
    public static Path write(final Path dir, final Result result) throws IOException
    {
        Files.createDirectories(dir.resolve("charts"));
        final StringBuilder md = new StringBuilder();
        md.append("# What highest fit would have done: ").append(result.traceName()).append("\n\n");
        md.append(String.format(Locale.ROOT, "%d operations, granule %d bytes, gaps counted in pfns 0x1..0x%x (the limit). ",
            result.ops(), result.granuleBytes(), result.limitPfn()));
        md.append("The kernel's column is where the recorded kernel put each mapping (the `# kernel` comments `import` wrote); ")
            .append("highest fit is this library's tree replaying the same trace (`replay` digest `").append(result.pfnDigest()).append("`).\n\n");
        final String[][] rows = rows(result);
        md.append("| | kernel | highest fit |\n|---|---|---|\n");
        for (int i = 1; i < rows.length; i++)
        {
            md.append("| ").append(rows[i][0]).append(" | ").append(rows[i][1]).append(" | ").append(rows[i][2]).append(" |\n");
        }
        md.append('\n');
        final List<Function<Sample, long[]>> measures = List.of(Sample::highestPfn, Sample::pagesBelow4Gib, Sample::freeGaps, Sample::largestGapPages);
        for (int c = 0; c < CHARTS.length; c++)
        {
            chart(dir.resolve("charts").resolve(CHARTS[c][0]), CHARTS[c][1], CHARTS[c][2], result.samples(), measures.get(c));
            md.append("![").append(CHARTS[c][1]).append("](charts/").append(CHARTS[c][0]).append(")\n");
        }
        final Path file = dir.resolve("compare.md");
        Files.writeString(file, md.toString(), StandardCharsets.UTF_8);
        return file;
    }

    private static void chart(final Path file, final String title, final String yTitle, final List<Sample> samples,
        final Function<Sample, long[]> measure) throws IOException
    {
        final XYChart chart = new XYChartBuilder().width(900).height(500).title(title).xAxisTitle("operation").yAxisTitle(yTitle).build();
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        chart.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
        chart.getStyler().setYAxisDecimalPattern("#,###");
        final double[] x = new double[samples.size()];
        final double[] kernel = new double[samples.size()];
        final double[] fit = new double[samples.size()];
        for (int i = 0; i < samples.size(); i++)
        {
            x[i] = samples.get(i).op();
            kernel[i] = measure.apply(samples.get(i))[0];
            fit[i] = measure.apply(samples.get(i))[1];
        }
        chart.addSeries("kernel (recorded)", x, kernel).setMarker(SeriesMarkers.NONE);
        chart.addSeries("highest fit", x, fit).setMarker(SeriesMarkers.NONE);
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }
}
