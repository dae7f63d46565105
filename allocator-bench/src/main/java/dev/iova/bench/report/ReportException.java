package dev.iova.bench.report;

/**
 * The input is not a benchmark run: a missing folder, broken JSON, or JSON that is not JMH's.
 * The message is one sentence that names the file; the command line prints it and exits with 2.
 */
public final class ReportException extends Exception
{
    private static final long serialVersionUID = 1L;

    /** @param message one sentence, naming the file or folder at fault. */
    public ReportException(final String message)
    {
        super(message);
    }
}
