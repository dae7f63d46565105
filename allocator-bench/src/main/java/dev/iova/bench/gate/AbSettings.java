package dev.iova.bench.gate;

import org.openjdk.jmh.runner.options.TimeValue;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * How the A/B gate measures: rounds, and the warm-up and measurement of each fork (one fork per
 * side per round, so JMH's fork count is always 1), plus JVM arguments for each side's forks.
 *
 * <p>The defaults (10 rounds, 2 × 500 ms warm-up, 4 × 500 ms measurement: about 3.6 s per fork
 * with its start-up) keep the CI's timing gate on two benchmarks under 3 minutes on 2 cores;
 * {@code docs/gate.md} says why they are enough.
 *
 * @param rounds               rounds, at least 2: each runs one fork of each benchmark per side.
 * @param warmupIterations     warm-up iterations per fork.
 * @param warmupTime           length of one warm-up iteration.
 * @param iterations           measurement iterations per fork, at least 1.
 * @param iterationTime        length of one measurement iteration.
 * @param baselineJvmArgs      extra JVM arguments for the baseline's forks (JMH's {@code -jvmArgsAppend}).
 * @param candidateJvmArgs     extra JVM arguments for the candidate's forks, such as the sensitivity
 *                             proof's {@code -Diova.bench.extraPairPercent=10}.
 */
public record AbSettings(
    int rounds,
    int warmupIterations,
    TimeValue warmupTime,
    int iterations,
    TimeValue iterationTime,
    List<String> baselineJvmArgs,
    List<String> candidateJvmArgs)
{
    /** The default number of rounds. */
    public static final int DEFAULT_ROUNDS = 10;

    /** The default warm-up iterations per fork. */
    public static final int DEFAULT_WARMUP_ITERATIONS = 2;

    /** The default length of a warm-up iteration. */
    public static final String DEFAULT_WARMUP_TIME = "500ms";

    /** The default measurement iterations per fork. */
    public static final int DEFAULT_ITERATIONS = 4;

    /** The default length of a measurement iteration. */
    public static final String DEFAULT_ITERATION_TIME = "500ms";

    /**
     * Seconds a fork takes beyond its iterations: the child JVM that runs JMH's main, the fork's
     * JVM, the trial set-up of {@code AllocFreePairBenchmark}, the JSON. On the 2-core VM,
     * {@code time java -cp allocator-bench.jar org.openjdk.jmh.Main 'AllocFreePairBenchmark.tree$' -f 1 -wi 1 -w 200ms -i 2
     * -r 200ms -prof gc ...} (0.6 s of iterations) took 1.2 s.
     */
    public static final double FORK_OVERHEAD_SECONDS = 0.6;

    /** @throws IllegalArgumentException naming the value out of range. */
    public AbSettings
    {
        if (rounds < 2)
        {
            throw new IllegalArgumentException("rounds=" + rounds + " must be at least 2: pairs are the units of the A/B gate");
        }
        if (warmupIterations < 0 || iterations < 1)
        {
            throw new IllegalArgumentException("warmupIterations=" + warmupIterations + " must be at least 0 and iterations=" +
                iterations + " at least 1");
        }
        baselineJvmArgs = List.copyOf(baselineJvmArgs);
        candidateJvmArgs = List.copyOf(candidateJvmArgs);
    }

    /**
     * @param mode the benchmark's mode label ({@code ss} iterations are single invocations).
     * @return the estimated seconds of one fork.
     */
    public double forkSeconds(final String mode)
    {
        if ("ss".equals(mode))
        {
            return FORK_OVERHEAD_SECONDS + 0.1 * (warmupIterations + iterations);
        }
        return FORK_OVERHEAD_SECONDS + seconds(warmupTime) * warmupIterations + seconds(iterationTime) * iterations;
    }

    /** @return "2 × 500 ms warm-up, 4 × 500 ms measurement". */
    public String describeFork()
    {
        return warmupIterations + " × " + warmupTime + " warm-up, " + iterations + " × " + iterationTime + " measurement";
    }

    private static double seconds(final TimeValue time)
    {
        return time.convertTo(TimeUnit.MICROSECONDS) / 1e6;
    }
}
