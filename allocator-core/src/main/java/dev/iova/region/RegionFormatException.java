package dev.iova.region;

import java.nio.file.Path;

/**
 * Input that does not describe reserved regions: a malformed {@code reserved_regions} line, a
 * missing file or group. The message names the file and, when the fault is on a line, its
 * number, as {@code path:line: reason}; nothing was read into any list.
 */
public final class RegionFormatException extends IllegalArgumentException
{
    private static final long serialVersionUID = 1L;

    /** The {@link #lineNumber()} of a fault that is not on a line (a missing file or group). */
    public static final int NO_LINE = 0;

    private final transient Path file;
    private final int lineNumber;
    private final String reason;

    /**
     * @param file       the file (or directory) at fault.
     * @param lineNumber the 1-based line at fault, or {@link #NO_LINE}.
     * @param reason     what is wrong, naming the values involved.
     */
    public RegionFormatException(final Path file, final int lineNumber, final String reason)
    {
        super(location(file, lineNumber) + ": " + reason);
        this.file = file;
        this.lineNumber = lineNumber;
        this.reason = reason;
    }

    /** @return the file (or directory) at fault. */
    public Path file()
    {
        return file;
    }

    /** @return the 1-based line at fault, or {@link #NO_LINE} when the fault is not on a line. */
    public int lineNumber()
    {
        return lineNumber;
    }

    /** @return what is wrong, without the location. */
    public String reason()
    {
        return reason;
    }

    private static String location(final Path file, final int lineNumber)
    {
        return lineNumber == NO_LINE ? String.valueOf(file) : file + ":" + lineNumber;
    }
}
