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
 *
 * <p>Linear value axes start at 0 and show JMH's 99.9% confidence interval (score ± error) as
 * error bars. Scores that span {@value #LOG_SPREAD}x or more (our tree against a linear walk or a
 * {@code TreeMap}) are drawn on a logarithmic value axis instead, or the small ones sit flat on
 * zero: the chart plots {@code log10(score)} on a linear axis whose tick labels are the scores
 * themselves ({@link #logTickLabel}), because XChart's own logarithmic axis labels only whole
 * decades, and with a custom label function places its ticks linearly (a p50 of 321 ns read as
 * 49,000). The plotted values are shifted so that the axis starts at 0 at the decade below the
 * smallest score, since XChart grows bars from 0. A logarithmic axis cannot show a symmetric interval, so those charts have no error
 * bars, and their title and axis say "log scale".
 */
final class Charts
{
    /** Pixels: wide enough for a repository page's column, small enough to read without zooming. */
    static final int WIDTH = 900;
    static final int HEIGHT = 500;

    /** The ratio of the largest to the smallest score from which the value axis is logarithmic. */
    static final int LOG_SPREAD = 30;

    /** Pixels per character of the axis labels' bold font, a little over what XChart's default measures. */
    private static final int PIXELS_PER_CHARACTER = 9;

    /** Pixels of chart height per character of the longest upright label: XChart sets them in more than it measures. */
    private static final int UPRIGHT_PIXELS_PER_CHARACTER = 12;

    /**
     * How far above the largest score the value axis may reach for error bars: a one-fork run's
     * interval can be a hundred times its score, and an axis scaled to it flattens every bar.
     */
    static final double ERROR_BAR_HEADROOM = 2.0;

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
        final boolean logY = logScale(series);
        final int longest = categories.stream().mapToInt(String::length).max().orElse(0);
        // Labels side by side when they fit; else turned upright, with the chart made taller by
        // their length, so that the bars keep their height and XChart drops no label for overlap.
        final int characters = categories.stream().mapToInt(label -> label.length() + 3).sum();
        final boolean upright = characters * PIXELS_PER_CHARACTER > WIDTH * 0.9;
        final int height = HEIGHT + (upright ? longest * UPRIGHT_PIXELS_PER_CHARACTER : 0);
        final boolean clipped = !logY && clipErrorBars(series);
        final CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(height)
            .title(logY ? title + ", log scale, no error bars" : clipped ? title + ", error bars clipped" : title)
            .xAxisTitle("").yAxisTitle(logY ? yTitle + " (log scale)" : yTitle).build();
        style(chart.getStyler(), series);
        chart.getStyler().setXAxisLabelRotation(upright ? 90 : 0);
        chart.getStyler().setErrorBarsColor(Color.DARK_GRAY);
        if (logY)
        {
            logAxis(chart.getStyler(), series);
        }
        else
        {
            chart.getStyler().setYAxisMin(0.0);
            if (clipped)
            {
                chart.getStyler().setYAxisMax(ERROR_BAR_HEADROOM * positiveScores(series).max().orElse(1));
            }
        }
        for (final Series one : series)
        {
            final List<Double> values = new ArrayList<>(categories.size());
            final List<Double> errors = new ArrayList<>(categories.size());
            for (int i = 0; i < categories.size(); i++)
            {
                // XChart draws no bar for a missing value only as the axis minimum: a bar of no height says "not measured"
                final double value = one.values()[i];
                values.add(!Double.isFinite(value) || (logY && value <= 0) ? 0.0 : logY ? logPosition(value, series) : value);
                errors.add(Double.isFinite(one.errors()[i]) && !logY ? one.errors()[i] : 0.0);
            }
            if (logY)
            {
                chart.addSeries(one.name(), new ArrayList<>(categories), values);
            }
            else
            {
                chart.addSeries(one.name(), new ArrayList<>(categories), values, errors);
            }
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
        style(chart.getStyler(), series);
        chart.getStyler().setXAxisLogarithmic(logX);
        chart.getStyler().setErrorBarsColor(Color.DARK_GRAY);
        chart.getStyler().setMarkerSize(8);
        final boolean logY = logScale(series);
        if (logY)
        {
            chart.setTitle(title + ", log scale, no error bars");
            chart.setYAxisTitle(yTitle + " (log scale)");
            logAxis(chart.getStyler(), series);
        }
        else
        {
            chart.getStyler().setYAxisMin(0.0);
            if (clipErrorBars(series))
            {
                chart.setTitle(title + ", error bars clipped");
                chart.getStyler().setYAxisMax(ERROR_BAR_HEADROOM * positiveScores(series).max().orElse(1));
            }
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
                if (Double.isFinite(one.values()[i]) && (!logY || one.values()[i] > 0))
                {
                    x.add(((Number)one.x().get(i)).doubleValue());
                    values.add(logY ? logPosition(one.values()[i], series) : one.values()[i]);
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
        style(chart.getStyler(), series);
        chart.getStyler().setMarkerSize(8);
        logAxis(chart.getStyler(), series);
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
                    values.add(logPosition(one.values()[i], series));
                }
            }
            if (!x.isEmpty())
            {
                chart.addSeries(one.name(), x, values).setMarker(SeriesMarkers.CIRCLE);
            }
        }
        save(chart, file);
    }

    /**
     * A legend when there are two series or more: below the chart in a row when the names fit its
     * width, else beside it in a column (a row that does not fit is cut off at the chart's edge).
     */
    private static void style(final Styler styler, final List<Series> series)
    {
        styler.setChartBackgroundColor(Color.WHITE);
        styler.setLegendVisible(series.size() > 1);
        final int characters = series.stream().mapToInt(one -> one.name().length() + 6).sum();
        final boolean row = characters * PIXELS_PER_CHARACTER < WIDTH * 0.9;
        styler.setLegendPosition(row ? Styler.LegendPosition.OutsideS : Styler.LegendPosition.OutsideE);
        styler.setLegendLayout(row ? Styler.LegendLayout.Horizontal : Styler.LegendLayout.Vertical);
    }

    /** @return whether an error bar reaches beyond {@value #ERROR_BAR_HEADROOM} times the largest score. */
    static boolean clipErrorBars(final List<Series> series)
    {
        final double top = positiveScores(series).max().orElse(Double.NaN);
        for (final Series one : series)
        {
            for (int i = 0; i < one.values().length; i++)
            {
                if (Double.isFinite(one.values()[i]) && Double.isFinite(one.errors()[i]) &&
                    one.values()[i] + one.errors()[i] > ERROR_BAR_HEADROOM * top)
                {
                    return true;
                }
            }
        }
        return false;
    }

    /** @return whether the positive scores of the series span {@value #LOG_SPREAD}x or more. */
    static boolean logScale(final List<Series> series)
    {
        final double min = positiveScores(series).min().orElse(Double.NaN);
        final double max = positiveScores(series).max().orElse(Double.NaN);
        return max / min >= LOG_SPREAD;
    }

    private static java.util.stream.DoubleStream positiveScores(final List<Series> series)
    {
        return series.stream().flatMapToDouble(one -> java.util.Arrays.stream(one.values()))
            .filter(value -> Double.isFinite(value) && value > 0);
    }

    /** @return the logarithmic axis's lower end: the decade at or below the smallest score, in log10 units. */
    private static double logFloor(final List<Series> series)
    {
        return Math.floor(Math.log10(positiveScores(series).min().orElse(1)));
    }

    /** @return where a positive score sits on a logarithmic axis: decades above {@link #logFloor}. */
    private static double logPosition(final double score, final List<Series> series)
    {
        return Math.log10(score) - logFloor(series);
    }

    /** A value axis in decades above {@link #logFloor}, labelled with the scores themselves. */
    private static void logAxis(final org.knowm.xchart.style.AxesChartStyler styler, final List<Series> series)
    {
        final double floor = logFloor(series);
        styler.setYAxisMin(0.0);
        styler.setYAxisMax(Math.max(1, Math.ceil(Math.log10(positiveScores(series).max().orElse(10))) - floor));
        styler.setyAxisTickLabelsFormattingFunction(position -> logTickLabel(position + floor));
    }

    /**
     * @param log10Value a position on a logarithmic axis, in log10 units.
     * @return the value there, to two significant digits with thousands separators: 2.5 → "320",
     *         5.0 → "100,000", -1.5 → "0.032".
     */
    static String logTickLabel(final double log10Value)
    {
        final double value = Math.pow(10, log10Value);
        final java.math.BigDecimal rounded = new java.math.BigDecimal(value).round(new java.math.MathContext(2));
        return rounded.compareTo(java.math.BigDecimal.ONE) >= 0 ?
            String.format(java.util.Locale.ROOT, "%,d", rounded.toBigInteger()) : rounded.stripTrailingZeros().toPlainString();
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
