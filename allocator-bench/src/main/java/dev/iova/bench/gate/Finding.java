package dev.iova.bench.gate;

/**
 * A result of the exact gates, which need no statistics: a benchmark that allocates where it did
 * not, one that is missing from the candidate or failed there, and the notes that fail nothing
 * (a new benchmark, an accepted removal, a benchmark whose baseline failed, an allocation too
 * small for the gate to tell from JMH's own).
 *
 * @param kind   what was found.
 * @param label  the benchmark, as {@link BenchmarkSamples#label()} prints it.
 * @param detail one sentence: the values, the round, the reason.
 */
public record Finding(Kind kind, String label, String detail)
{
    /** What an exact gate can find, and whether it fails the gate. */
    public enum Kind
    {
        /** {@code gc.alloc.rate.norm} was ~0 in the baseline and is not in the candidate. */
        ALLOCATES("allocates", true),

        /** In the baseline, not in the candidate: removed, or failed (JMH leaves failed benchmarks out of its JSON). */
        MISSING("missing", true),

        /** A candidate fork of the A/B gate exited with an error or gave no result. */
        FAILED("failed", true),

        /** Missing from the candidate, and its removal is an accepted trade-off. */
        REMOVAL_ACCEPTED("removal accepted", false),

        /** Only in the candidate: a new benchmark, nothing to compare it with. */
        NEW("new", false),

        /**
         * {@code gc.alloc.rate.norm} was ~0 in the baseline and is above the threshold in the
         * candidate, but within what JMH's own bookkeeping can show on an operation that slow
         * ({@link GateJudge#JMH_BOOKKEEPING_BYTES_PER_ITERATION}): the gate cannot tell.
         */
        ALLOCATION_NOT_JUDGED("allocation not judged", false),

        /** The baseline's fork failed in the A/B gate: the benchmark was not compared. */
        NOT_COMPARED("not compared", false);

        private final String label;
        private final boolean failing;

        Kind(final String label, final boolean failing)
        {
            this.label = label;
            this.failing = failing;
        }

        /** @return how the summary prints it. */
        public String label()
        {
            return label;
        }

        /** @return true when it fails the gate (exit code 1). */
        public boolean failing()
        {
            return failing;
        }
    }
}
