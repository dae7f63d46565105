package dev.iova.bench.gate;

/**
 * The gate cannot compare its inputs: a missing file, broken JSON, JSON that is not JMH's, no
 * per-iteration data, different parameters, a malformed accepted-trade-offs file, a baseline
 * revision that does not build. The message is one sentence that names the file, benchmark or
 * value at fault; the command line prints it and exits with 2.
 */
public class GateException extends Exception
{
    private static final long serialVersionUID = 1L;

    /** @param message one sentence, naming what is at fault. */
    public GateException(final String message)
    {
        super(message);
    }
}
