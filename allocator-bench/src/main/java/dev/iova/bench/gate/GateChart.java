package dev.iova.bench.gate;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.Color;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * The summary's chart: each benchmark's slowdown (a dot, coloured by verdict) with its interval
 * (a vertical line), numbered as in the summary's table, between dashed lines at the minimum
 * effect either way. Drawn with XChart, headless, in the report's size and style.
 */
final class GateChart
{
    /** Pixels, as the report's charts. */
    static final int WIDTH = 900;
    static final int HEIGHT = 500;

    /** The y axis never goes below this slowdown (-50%: twice as fast), so that one wild interval cannot flatten the rest. */
    static final double LOWEST_PERCENT = -50;

    /** Nor above this one (+100%: twice as slow); intervals and dots beyond are drawn at the edge. */
    static final double HIGHEST_PERCENT = 100;

    private static final Map<Verdict, Color> COLOURS = new EnumMap<>(Map.of(
        Verdict.REGRESSION, new Color(0xC0, 0x1C, 0x28),
        Verdict.ACCEPTED, new Color(0xE6, 0x8A, 0x00),
        Verdict.IMPROVEMENT, new Color(0x1A, 0x7F, 0x37),
        Verdict.NO_CHANGE, new Color(0x55, 0x55, 0x55),
        Verdict.INCONCLUSIVE, new Color(0x1F, 0x5F, 0xBF)));

    static
    {
        System.setProperty("java.awt.headless", "true");
    }

    private GateChart()
    {
    }

    /**
     * @param file   the PNG to write.
     * @param result the gate's result; at least one row.
     * @throws IOException when the file cannot be written.
     */
    static void write(final Path file, final GateResult result) throws IOException
    {
        final List<BenchmarkVerdict> rows = result.rows();
        final double thresholdPercent = result.settings().minEffectFraction() * 100;
        double lowPercent = -1.5 * thresholdPercent;
        double highPercent = 1.5 * thresholdPercent;
        for (final BenchmarkVerdict row : rows)
        {
            lowPercent = Math.min(lowPercent, row.change().slowdownLow() * 100);
            highPercent = Math.max(highPercent, row.change().slowdownHigh() * 100);
        }
        final boolean clipped = lowPercent < LOWEST_PERCENT || highPercent > HIGHEST_PERCENT;
        final double yMin = Math.max(LOWEST_PERCENT, lowPercent);
        final double yMax = Math.min(HIGHEST_PERCENT, highPercent);
        final XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT)
            .title("Slowdown of each benchmark, with its " + GateFormat.level(result.perBenchmarkConfidence()) + " interval" +
                (clipped ? " (clipped to " + Math.round(yMin) + "%.." + Math.round(yMax) + "%)" : ""))
            .xAxisTitle("benchmark (# in the table)").yAxisTitle("slowdown, % (negative: faster)").build();
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        chart.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
        chart.getStyler().setYAxisMin(yMin);
        chart.getStyler().setYAxisMax(yMax);
        // whole-number ticks: an axis from 0 to k + 1 with a tick about every benchmark's width, and
        // an integer pattern (XChart 3.8.8 applies setxAxisTickLabelsFormattingFunction to the y axis)
        chart.getStyler().setXAxisMin(0.0);
        chart.getStyler().setXAxisMax(rows.size() + 1.0);
        chart.getStyler().setXAxisTickMarkSpacingHint(Math.max(12, (WIDTH - 150) / (rows.size() + 2)));
        chart.getStyler().setXAxisDecimalPattern("#0");

        final double edgeLow = 0;
        final double edgeHigh = rows.size() + 1.0;
        final double slowdownThresholdPercent = result.settings().minEffectFraction() * 100;
        final double speedupThresholdPercent = (1 / (1 + result.settings().minEffectFraction()) - 1) * 100;
        line(chart, "minimum effect", new double[] {edgeLow, edgeHigh},
            new double[] {slowdownThresholdPercent, slowdownThresholdPercent}, Color.GRAY, true).setShowInLegend(true);
        line(chart, "minimum effect, faster", new double[] {edgeLow, edgeHigh},
            new double[] {speedupThresholdPercent, speedupThresholdPercent}, Color.GRAY, true);
        line(chart, "no change", new double[] {edgeLow, edgeHigh}, new double[] {0, 0}, Color.BLACK, false);
        for (int i = 0; i < rows.size(); i++)
        {
            final Change change = rows.get(i).change();
            line(chart, "interval " + (i + 1), new double[] {i + 1, i + 1},
                new double[] {clip(change.slowdownLow() * 100, yMin, yMax), clip(change.slowdownHigh() * 100, yMin, yMax)},
                COLOURS.get(rows.get(i).verdict()), false)
                .setLineWidth(3f);
        }
        for (final Verdict verdict : Verdict.values())
        {
            final List<Integer> indexes = IntStream.range(0, rows.size())
                .filter(i -> rows.get(i).verdict() == verdict).boxed().toList();
            if (indexes.isEmpty())
            {
                continue;
            }
            final double[] x = indexes.stream().mapToDouble(i -> i + 1).toArray();
            final double[] y = indexes.stream().mapToDouble(i -> clip(rows.get(i).change().slowdown() * 100, yMin, yMax)).toArray();
            final XYSeries dots = chart.addSeries(verdict.label(), x, y);
            dots.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
            dots.setMarker(SeriesMarkers.CIRCLE);
            dots.setMarkerColor(COLOURS.get(verdict));
        }
        chart.getStyler().setMarkerSize(10);
        Files.createDirectories(file.toAbsolutePath().getParent());
        try (OutputStream out = Files.newOutputStream(file))
        {
            BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
        }
    }

    private static double clip(final double value, final double min, final double max)
    {
        return Math.max(min, Math.min(max, value));
    }

    private static XYSeries line(final XYChart chart, final String name, final double[] x, final double[] y, final Color colour,
        final boolean dashed)
    {
        final XYSeries series = chart.addSeries(name, x, y);
        series.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        series.setMarker(SeriesMarkers.NONE);
        series.setLineColor(colour);
        series.setLineStyle(dashed ? SeriesLines.DASH_DASH : SeriesLines.SOLID);
        series.setShowInLegend(false);
        return series;
    }
}
