package dev.iova.bench.trace.kernel;

/**
 * A recording that cannot be imported, or an option that does not fit it. The message is one
 * sentence, {@code FILE:LINE: reason} when a line is at fault ({@code FILE: reason} otherwise),
 * ready to print as it is.
 */
public final class ImportException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    /** {@link #line()} of a problem that is not on one line. */
    public static final long NO_LINE = 0;

    private final long line;

    /**
     * @param fileName the recording's name as the user gave it.
     * @param line     the 1-based line at fault, or {@link #NO_LINE}.
     * @param reason   what is wrong, one sentence without the location.
     */
    public ImportException(final String fileName, final long line, final String reason)
    {
        super(line == NO_LINE ? fileName + ": " + reason : fileName + ":" + line + ": " + reason, null, false, false);
        this.line = line;
    }

    /** @return the 1-based line at fault, or {@link #NO_LINE}. */
    public long line()
    {
        return line;
    }
}
