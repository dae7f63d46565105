package dev.iova.bench.run;

import org.openjdk.jmh.runner.options.TimeValue;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * How long and how often each benchmark is measured. A profile overrides the suites' own
 * {@code @Fork}, {@code @Warmup} and {@code @Measurement} counts and times, so that one run
 * measures every suite alike; modes, threads and parameters stay the suites'.
 */
public enum Profile
{
    /**
     * For a first look and for development on a shared 2-core machine: one fork, 2 × 1 s
     * warm-up, 3 × 1 s measurement, about 7 s per benchmark with the fork's start-up.
     */
    QUICK(1, 2, TimeValue.seconds(1), 3, TimeValue.seconds(1)),

    /**
     * For figures to publish: three forks (so fork-to-fork variation shows in the error), 3 × 2 s
     * warm-up, 5 × 2 s measurement, about 1 minute per benchmark.
     */
    FULL(3, 3, TimeValue.seconds(2), 5, TimeValue.seconds(2));

    /**
     * Warm-up shots, at least, for a suite whose benchmarks are all single-shot
     * ({@code TreeFillBenchmark}): a shot there is one call of 50 to 250 ms, so the profiles' two
     * or three warm-up iterations would give C2 a tenth of the warm-up time the other suites
     * get. A million-range fill on the quick profile measured 194, 165, 60.5, 65.6, 50.2, 49.8,
     * 48.4 ns per allocation shot after shot (host {@code vm}, JDK 17): from the fifth shot on,
     * the figure is the code's, not the compiler's.
     */
    public static final int SINGLE_SHOT_SUITE_WARMUP_SHOTS = 5;

    private final int forks;
    private final int warmupIterations;
    private final TimeValue warmupTime;
    private final int measurementIterations;
    private final TimeValue measurementTime;

    Profile(final int forks, final int warmupIterations, final TimeValue warmupTime, final int measurementIterations,
        final TimeValue measurementTime)
    {
        this.forks = forks;
        this.warmupIterations = warmupIterations;
        this.warmupTime = warmupTime;
        this.measurementIterations = measurementIterations;
        this.measurementTime = measurementTime;
    }

    /**
     * @param name {@code quick} or {@code full}, in any case.
     * @return the profile.
     * @throws IllegalArgumentException naming the profiles there are.
     */
    public static Profile parse(final String name)
    {
        for (final Profile profile : values())
        {
            if (profile.label().equalsIgnoreCase(name.trim()))
            {
                return profile;
            }
        }
        throw new IllegalArgumentException("unknown profile '" + name + "': the profiles are " +
            Arrays.stream(values()).map(Profile::label).collect(Collectors.joining(" and ")));
    }

    /** @return the name on the command line, {@code quick} or {@code full}. */
    public String label()
    {
        return name().toLowerCase(Locale.ROOT);
    }

    /** @return measured forks per benchmark. */
    public int forks()
    {
        return forks;
    }

    /** @return warm-up iterations per fork. */
    public int warmupIterations()
    {
        return warmupIterations;
    }

    /**
     * @param singleShotSuite whether every benchmark of the suite is single-shot.
     * @return warm-up iterations per fork for that suite: {@link #warmupIterations()}, and at
     *         least {@link #SINGLE_SHOT_SUITE_WARMUP_SHOTS} for a single-shot suite.
     */
    public int warmupIterations(final boolean singleShotSuite)
    {
        return singleShotSuite ? Math.max(warmupIterations, SINGLE_SHOT_SUITE_WARMUP_SHOTS) : warmupIterations;
    }

    /** @return the length of one warm-up iteration. */
    public TimeValue warmupTime()
    {
        return warmupTime;
    }

    /** @return measurement iterations per fork. */
    public int measurementIterations()
    {
        return measurementIterations;
    }

    /** @return the length of one measurement iteration. */
    public TimeValue measurementTime()
    {
        return measurementTime;
    }

    /** @return "1 fork, 2 × 1 s warm-up, 3 × 1 s measurement; single-shot suites 5 warm-up shots". */
    public String describe()
    {
        return forks + (forks == 1 ? " fork, " : " forks, ") + warmupIterations + " × " + warmupTime + " warm-up, " +
            measurementIterations + " × " + measurementTime + " measurement; single-shot suites " +
            warmupIterations(true) + " warm-up shots";
    }
}
