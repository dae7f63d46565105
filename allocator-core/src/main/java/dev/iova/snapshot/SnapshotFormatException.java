package dev.iova.snapshot;

/**
 * A snapshot that cannot be restored: bad magic, unknown version, wrong checksum, truncated,
 * or a state no domain can hold (ranges out of order, overlapping or outside the domain). The
 * message gives the reason with the values; nothing was created.
 */
public final class SnapshotFormatException extends IllegalArgumentException
{
    private static final long serialVersionUID = 1L;

    /**
     * @param reason what is wrong, with the values.
     */
    public SnapshotFormatException(final String reason)
    {
        super(reason);
    }

    /**
     * @param reason what is wrong, with the values.
     * @param cause  the exception that found it.
     */
    public SnapshotFormatException(final String reason, final Throwable cause)
    {
        super(reason, cause);
    }
}
