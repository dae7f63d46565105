package dev.iova.bench.report;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The file format of a report's charts: PNG (the default) or SVG. */
public enum ChartFormat
{
    /** 900 x 500 pixels, through the JDK's ImageIO. */
    PNG,
    /** Vector graphics, through XChart's VectorGraphicsEncoder (VectorGraphics2D); scales without blur. */
    SVG;

    /** @return the file extension, without the dot: {@code png}, {@code svg}. */
    public String extension()
    {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * @param text {@code png} or {@code svg}, in any case.
     * @return the format.
     * @throws IllegalArgumentException naming the formats there are, for anything else.
     */
    public static ChartFormat parse(final String text)
    {
        for (final ChartFormat format : values())
        {
            if (format.extension().equalsIgnoreCase(text))
            {
                return format;
            }
        }
        throw new IllegalArgumentException("chart format '" + text + "' is none of " +
            Arrays.stream(values()).map(ChartFormat::extension).collect(Collectors.joining(", ")));
    }

    /**
     * @param fileName a chart's file name.
     * @return the format its extension names; PNG unless it ends in {@code .svg}.
     */
    static ChartFormat ofFile(final String fileName)
    {
        return fileName.toLowerCase(Locale.ROOT).endsWith("." + SVG.extension()) ? SVG : PNG;
    }
}
