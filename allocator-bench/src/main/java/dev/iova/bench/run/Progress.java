package dev.iova.bench.run;

import dev.iova.bench.report.Format;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * How far a run is: at the start of each benchmark, which one it is (n of N), how long the run
 * has taken and how long it should still take.
 *
 * <p>The time left is the plan's estimate of the benchmarks not yet finished, scaled by how the
 * finished ones compared with their estimates (a slow trial set-up or a loaded machine makes
 * every later benchmark slower too). Not thread-safe: JMH calls its output format from one thread.
 */
public final class Progress
{
    private final LongSupplier nanoClock;
    private final long startNanos;
    private final Map<String, Double> estimates = new HashMap<>();
    private final int total;
    private double remainingSeconds;
    private double finishedEstimateSeconds;
    private double currentEstimateSeconds;
    private int started;

    /**
     * @param plan      what will run.
     * @param nanoClock the clock, {@code System::nanoTime} outside tests.
     */
    public Progress(final List<PlannedBenchmark> plan, final LongSupplier nanoClock)
    {
        this.nanoClock = nanoClock;
        this.startNanos = nanoClock.getAsLong();
        this.total = plan.size();
        for (final PlannedBenchmark benchmark : plan)
        {
            estimates.merge(benchmark.key(), benchmark.estimatedSeconds(), Double::sum);
            remainingSeconds += benchmark.estimatedSeconds();
        }
    }

    /**
     * Records that a benchmark starts.
     *
     * @param label     what to call it ({@link PlannedBenchmark#label()}).
     * @param key       its {@link PlannedBenchmark#key()}.
     * @return the progress line: "[3/8] AllocFreePairBenchmark.tree avgt liveRanges=1000: 1 min 05 s so far, about 2 min 10 s left".
     */
    public String start(final String label, final String key)
    {
        finishedEstimateSeconds += currentEstimateSeconds;
        remainingSeconds -= currentEstimateSeconds;
        final Double estimate = estimates.remove(key);
        currentEstimateSeconds = estimate != null ? estimate : 0;
        started++;
        return "[" + started + "/" + Math.max(total, started) + "] " + label + ": " + Format.duration(elapsedSeconds()) +
            " so far, about " + Format.duration(leftSeconds()) + " left";
    }

    /**
     * Records that the benchmark started last has finished.
     *
     * @param label  what to call it.
     * @param result its score, or why it has none.
     * @return the console's line: "[3/8] AllocFreePairBenchmark.tree avgt liveRanges=1000: 117.2 ± 8.1 ns/op, 0 B/op
     *         (1 min 05 s so far, about 2 min 10 s left)".
     */
    public String finish(final String label, final String result)
    {
        finishedEstimateSeconds += currentEstimateSeconds;
        remainingSeconds -= currentEstimateSeconds;
        currentEstimateSeconds = 0;
        return "[" + started + "/" + Math.max(total, started) + "] " + label + ": " + result + " (" +
            Format.duration(elapsedSeconds()) + " so far" + (started < total ? ", about " + Format.duration(leftSeconds()) + " left" : "") + ")";
    }

    /** @return seconds since the run started. */
    public double elapsedSeconds()
    {
        return (nanoClock.getAsLong() - startNanos) / 1e9;
    }

    /**
     * @return the estimated seconds left, the benchmark now starting included, scaled by the pace
     *         of the finished ones (at first, the plan's estimate as it is).
     */
    public double leftSeconds()
    {
        final double pace = finishedEstimateSeconds > 0 ? elapsedSeconds() / finishedEstimateSeconds : 1;
        return Math.max(0, remainingSeconds) * pace;
    }

    /** @return how many benchmarks have started. */
    public int started()
    {
        return started;
    }
}
