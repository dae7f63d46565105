package dev.iova.bench.gate;

/**
 * The A/B gate's baseline revision cannot be used: it is not a commit of the repository, it does
 * not build, or it has none of the chosen benchmarks. A {@link GateException} (exit code 2), which
 * {@code gate --skip-unusable-baseline} turns into a one-sentence note and exit code 0, so that CI
 * can run the timing gate against a previous commit that predates the suites.
 */
public final class UnusableBaselineException extends GateException
{
    private static final long serialVersionUID = 1L;

    /** @param message one sentence: which revision, and why it cannot be used. */
    public UnusableBaselineException(final String message)
    {
        super(message);
    }
}
