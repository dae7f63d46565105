package dev.iova.bench.gate;

/**
 * What the gate says about one benchmark's timing, and the rule that says it.
 *
 * <p>With {@code [low, high]} the confidence interval of the log time ratio, {@code estimate} its
 * point estimate and {@code m = ln(1 + minEffect)} the minimum effect (10% by default):
 * <ul>
 *   <li>{@link #REGRESSION}: {@code low > 0} (the slowdown is real: the interval excludes "no
 *       change") and {@code estimate ≥ m} (it is large enough to matter);</li>
 *   <li>{@link #IMPROVEMENT}: the mirror image, {@code high < 0} and {@code estimate ≤ -m};</li>
 *   <li>{@link #NO_CHANGE}: {@code -m < low} and {@code high < m}: whatever changed, if anything,
 *       is smaller than what matters (a real 3% shift is "no change" here);</li>
 *   <li>{@link #INCONCLUSIVE}: anything else: the interval reaches beyond the minimum effect but
 *       does not establish a change that large (too noisy, or too few forks or rounds).</li>
 * </ul>
 * {@link #ACCEPTED} is a regression within the bound of an accepted trade-off
 * ({@link AcceptedTradeoffs}); {@link #NOT_JUDGED} is every benchmark's verdict when only the exact
 * gates run. Only {@link #REGRESSION} fails the gate.
 */
public enum Verdict
{
    /** Slower, really and by at least the minimum effect: fails the gate. */
    REGRESSION("REGRESSION", true),

    /** A regression within an accepted trade-off's bound: reported with its reason, does not fail. */
    ACCEPTED("ACCEPTED", false),

    /** Faster, really and by at least the minimum effect. */
    IMPROVEMENT("IMPROVEMENT", false),

    /** Any change is smaller than the minimum effect. */
    NO_CHANGE("NO CHANGE", false),

    /** The data cannot tell whether a change as large as the minimum effect happened. */
    INCONCLUSIVE("INCONCLUSIVE", false),

    /** Timing was not judged ({@code gate --exact-only}, for runs made on different machines): exact gates only. */
    NOT_JUDGED("not judged", false);

    private final String label;
    private final boolean failing;

    Verdict(final String label, final boolean failing)
    {
        this.label = label;
        this.failing = failing;
    }

    /**
     * @param change          the change with its interval.
     * @param minEffectFraction the minimum effect, 0.10 for 10%; positive.
     * @return the verdict of the rule above (never {@link #ACCEPTED}: that is decided afterwards).
     */
    public static Verdict of(final Change change, final double minEffectFraction)
    {
        final double threshold = Math.log1p(minEffectFraction);
        if (change.logLow() > 0 && change.logTimeRatio() >= threshold)
        {
            return REGRESSION;
        }
        if (change.logHigh() < 0 && change.logTimeRatio() <= -threshold)
        {
            return IMPROVEMENT;
        }
        if (change.logLow() > -threshold && change.logHigh() < threshold)
        {
            return NO_CHANGE;
        }
        return INCONCLUSIVE;
    }

    /** @return how the summary prints it: {@code NO CHANGE}. */
    public String label()
    {
        return label;
    }

    /** @return true when this verdict fails the gate (exit code 1). */
    public boolean failing()
    {
        return failing;
    }
}
