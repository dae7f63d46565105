package dev.iova.bench.report;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.Color;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The report's charts, drawn with XChart without a display ({@code java.awt.headless}), as PNG or
 * SVG by the file's extension ({@link ChartFormat}).
 * Every chart shows JMH's 99.9% confidence interval (score ± error) as error bars.
 */
final class Charts
{
    /** Pixels: wide enough for a repository page's column, small enough to read without zooming. */
    static final int WIDTH = 900;
    static final int HEIGHT = 500;

    static
    {
        System.setProperty("java.awt.headless", "true");
    }

    private Charts()
    {
    }

    /**
     * One series of a chart: a value and its error for each x (category or number); a NaN value
     * is a point the series does not have.
     *
     * @param name   the legend's label.
     * @param x      category labels (bar charts) or numbers (line charts).
     * @param values the scores, in the chart's unit.
     * @param errors the errors, in the chart's unit (NaN: none known).
     */
    record Series(String name, List<?> x, double[] values, double[] errors)
    {
    }

    /**
     * Bars grouped by category, one colour per series.
     *
     * @param file       the PNG or SVG to write.
     * @param title      the chart's title.
     * @param yTitle     the value axis's title (the unit).
     * @param categories the categories, in order; every series has a value (or NaN) for each.
     * @param series     the series.
     * @throws IOException when the file cannot be written.
     */
    static void bars(final Path file, final String title, final String yTitle, final List<String> categories,
        final List<Series> series) throws IOException
    {
        final CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT).title(title)
            .xAxisTitle("").yAxisTitle(yTitle).build();
        style(chart.getStyler(), series.size() > 1);
        // about 7 pixels per character of the axis font, a few characters between labels: turn the
        // labels when they would not fit side by side (XChart drops labels that overlap)
        final int characters = categories.stream().mapToInt(label -> label.length() + 3).sum();
        chart.getStyler().setXAxisLabelRotation(characters * 7 > WIDTH * 0.9 ? 45 : 0);
        chart.getStyler().setErrorBarsColor(Color.DARK_GRAY);
        chart.getStyler().setYAxisMin(0.0);
        for (final Series one : series)
        {
            final List<Double> values = new ArrayList<>(categories.size());
            final List<Double> errors = new ArrayList<>(categories.size());
            for (int i = 0; i < categories.size(); i++)
            {
                // XChart draws no bar for a missing value only as 0; a bar of height 0 says "not measured" well enough
                values.add(Double.isFinite(one.values()[i]) ? one.values()[i] : 0.0);
                errors.add(Double.isFinite(one.errors()[i]) ? one.errors()[i] : 0.0);
            }
            chart.addSeries(one.name(), new ArrayList<>(categories), values, errors);
        }
        save(chart, file);
    }

    /**
     * Lines over a numeric x axis, one per series, with markers and error bars.
     *
     * @param file   the PNG or SVG to write.
     * @param title  the chart's title.
     * @param xTitle the x axis's title.
     * @param yTitle the value axis's title (the unit).
     * @param logX   whether the x axis is logarithmic (for parameters spanning decades).
     * @param series the series; their x are numbers, NaN values are left out.
     * @throws IOException when the file cannot be written.
     */
    static void lines(final Path file, final String title, final String xTitle, final String yTitle, final boolean logX,
        final List<Series> series) throws IOException
    {
        final XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title)
            .xAxisTitle(xTitle).yAxisTitle(yTitle).build();
        style(chart.getStyler(), series.size() > 1);
        chart.getStyler().setXAxisLogarithmic(logX);
        chart.getStyler().setErrorBarsColor(Color.DARK_GRAY);
        chart.getStyler().setMarkerSize(8);
        // Scores that span two decades or more (our tree against a linear walk) are drawn on a
        // logarithmic y axis, or the small ones sit flat on zero. A log axis cannot show an
        // interval that reaches zero, so error bars are left out there (the title says so).
        double minScore = Double.POSITIVE_INFINITY;
        double maxScore = 0;
        for (final Series one : series)
        {
            for (final double value : one.values())
            {
                if (Double.isFinite(value))
                {
                    minScore = Math.min(minScore, value);
                    maxScore = Math.max(maxScore, value);
                }
            }
        }
        final boolean logY = minScore > 0 && maxScore / minScore >= 100;
        chart.getStyler().setYAxisLogarithmic(logY);
        if (logY)
        {
            chart.setTitle(title + ", log scale, no error bars");
            chart.setYAxisTitle(yTitle + " (log scale)");
        }
        else
        {
            chart.getStyler().setYAxisMin(0.0);
        }
        final boolean integerX = series.stream().flatMap(one -> one.x().stream())
            .allMatch(x -> ((Number)x).doubleValue() == Math.rint(((Number)x).doubleValue()));
        if (integerX && !logX)
        {
            // threads and counts: label whole numbers only, so 1, 2, 4 threads do not read 1.2, 1.4, ...
            chart.getStyler().setxAxisTickLabelsFormattingFunction(x -> x == Math.rint(x) ?
                String.format(java.util.Locale.ROOT, "%,d", x.longValue()) : "");
        }
        for (final Series one : series)
        {
            final List<Double> x = new ArrayList<>();
            final List<Double> values = new ArrayList<>();
            final List<Double> errors = new ArrayList<>();
            for (int i = 0; i < one.values().length; i++)
            {
                if (Double.isFinite(one.values()[i]))
                {
                    x.add(((Number)one.x().get(i)).doubleValue());
                    values.add(one.values()[i]);
                    errors.add(Double.isFinite(one.errors()[i]) ? one.errors()[i] : 0.0);
                }
            }
            if (!x.isEmpty())
            {
                (logY ? chart.addSeries(one.name(), x, values) : chart.addSeries(one.name(), x, values, errors))
                    .setMarker(SeriesMarkers.CIRCLE);
            }
        }
        save(chart, file);
    }

    /**
     * Latency against percentile level, one line per series, on a logarithmic value axis (tails
     * are orders of magnitude above medians); no error bars (a percentile of one run has none).
     *
     * @param file   the PNG or SVG to write.
     * @param title  the chart's title.
     * @param yTitle the value axis's title (the unit).
     * @param levels the x labels, in order: "p50", "p90", ..., "max".
     * @param series the series; x is the index into {@code levels}, values must be positive.
     * @throws IOException when the file cannot be written.
     */
    static void byPercentile(final Path file, final String title, final String yTitle, final List<String> levels,
        final List<Series> series) throws IOException
    {
        final XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title)
            .xAxisTitle("percentile").yAxisTitle(yTitle + " (log scale)").build();
        style(chart.getStyler(), series.size() > 1);
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setMarkerSize(8);
        chart.getStyler().setyAxisTickLabelsFormattingFunction(y -> String.format(java.util.Locale.ROOT, "%,.0f", y));
        chart.getStyler().setxAxisTickLabelsFormattingFunction(x ->
        {
            final int i = (int)Math.rint(x);
            return x == i && i >= 0 && i < levels.size() ? levels.get(i) : "";
        });
        for (final Series one : series)
        {
            final List<Double> x = new ArrayList<>();
            final List<Double> values = new ArrayList<>();
            for (int i = 0; i < one.values().length; i++)
            {
                if (Double.isFinite(one.values()[i]) && one.values()[i] > 0)
                {
                    x.add((double)i);
                    values.add(one.values()[i]);
                }
            }
            if (!x.isEmpty())
            {
                chart.addSeries(one.name(), x, values).setMarker(SeriesMarkers.CIRCLE);
            }
        }
        save(chart, file);
    }

    private static void style(final Styler styler, final boolean legend)
    {
        styler.setChartBackgroundColor(Color.WHITE);
        styler.setLegendVisible(legend);
        styler.setLegendPosition(Styler.LegendPosition.OutsideS);
        styler.setLegendLayout(Styler.LegendLayout.Horizontal);
    }

    private static void save(final org.knowm.xchart.internal.chartpart.Chart<?, ?> chart, final Path file) throws IOException
    {
        Files.createDirectories(file.toAbsolutePath().getParent());
        try (OutputStream out = Files.newOutputStream(file))
        {
            if (ChartFormat.ofFile(file.getFileName().toString()) == ChartFormat.SVG)
            {
                VectorGraphicsEncoder.saveVectorGraphic(chart, out, VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
            }
            else
            {
                BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
            }
        }
    }
}
