package dev.iova.bench.trace;

/**
 * A trace that breaks the iova-trace v1 format, or a rule of its replay (an {@code alloc} of
 * an id that is still bound, a {@code free} of an id that is not). The message is
 * {@code FILE:LINE: reason}, ready to print as it is.
 */
public final class TraceFormatException extends IllegalArgumentException
{
    private static final long serialVersionUID = 1L;

    private final String traceName;
    private final int line;
    private final String reason;

    /**
     * @param traceName the file name (or any label) the trace was read from.
     * @param line      the 1-based line number the problem is on.
     * @param reason    what is wrong, one sentence without the location.
     */
    public TraceFormatException(final String traceName, final int line, final String reason)
    {
        super(traceName + ":" + line + ": " + reason);
        this.traceName = traceName;
        this.line = line;
        this.reason = reason;
    }

    /** @return the file name (or label) of the trace. */
    public String traceName()
    {
        return traceName;
    }

    /** @return the 1-based line number of the problem. */
    public int line()
    {
        return line;
    }

    /** @return what is wrong, without the {@code FILE:LINE: } prefix. */
    public String reason()
    {
        return reason;
    }
}
