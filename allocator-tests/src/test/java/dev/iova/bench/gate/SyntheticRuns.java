package dev.iova.bench.gate;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Synthetic JMH results with known answers: each benchmark's iterations are
 * {@code score × forkFactor × iterationFactor}, both factors log-normal with a chosen spread, from a
 * seeded random generator. Written as JMH writes its JSON (the fields the gate reads), or kept as
 * {@link BenchmarkSamples} for the statistics' tests.
 */
final class SyntheticRuns
{
    static final ObjectMapper MAPPER = new ObjectMapper();
    static final String PAIR = "dev.iova.bench.jmh.AllocFreePairBenchmark";

    private SyntheticRuns()
    {
    }

    /**
     * One benchmark's synthetic measurements.
     *
     * @param benchmark       the fully qualified method.
     * @param mode            JMH's mode label.
     * @param params          its parameters.
     * @param score           the true score.
     * @param forks           forks (or rounds).
     * @param iterations      iterations per fork.
     * @param forkSpread      the standard deviation of ln(fork factor): 0.02 is about 2% fork-to-fork.
     * @param iterationSpread the standard deviation of ln(iteration factor).
     * @param allocBytesPerOp gc.alloc.rate.norm, NaN for none.
     */
    record Spec(String benchmark, String mode, Map<String, String> params, double score, int forks, int iterations, double forkSpread,
        double iterationSpread, double allocBytesPerOp)
    {
        static Spec of(final String method, final String mode, final double score)
        {
            return new Spec(PAIR + "." + method, mode, Map.of("liveRanges", "1000"), score, 3, 5, 0.02, 0.01, 0.0001);
        }

        Spec score(final double newScore)
        {
            return new Spec(benchmark, mode, params, newScore, forks, iterations, forkSpread, iterationSpread, allocBytesPerOp);
        }

        Spec forks(final int newForks, final int newIterations)
        {
            return new Spec(benchmark, mode, params, score, newForks, newIterations, forkSpread, iterationSpread, allocBytesPerOp);
        }

        Spec spread(final double newForkSpread, final double newIterationSpread)
        {
            return new Spec(benchmark, mode, params, score, forks, iterations, newForkSpread, newIterationSpread, allocBytesPerOp);
        }

        Spec alloc(final double bytesPerOp)
        {
            return new Spec(benchmark, mode, params, score, forks, iterations, forkSpread, iterationSpread, bytesPerOp);
        }

        Spec params(final Map<String, String> newParams)
        {
            return new Spec(benchmark, mode, newParams, score, forks, iterations, forkSpread, iterationSpread, allocBytesPerOp);
        }
    }

    /**
     * @param spec   what to generate.
     * @param random the noise.
     * @return iterations by fork.
     */
    static double[][] rawData(final Spec spec, final SplittableRandom random)
    {
        final double[][] forks = new double[spec.forks()][spec.iterations()];
        for (int f = 0; f < spec.forks(); f++)
        {
            final double forkFactor = Math.exp(spec.forkSpread() * gaussian(random));
            for (int i = 0; i < spec.iterations(); i++)
            {
                forks[f][i] = spec.score() * forkFactor * Math.exp(spec.iterationSpread() * gaussian(random));
            }
        }
        return forks;
    }

    /**
     * @param spec   what to generate.
     * @param random the noise.
     * @return the benchmark as the gate reads it.
     */
    static BenchmarkSamples samples(final Spec spec, final SplittableRandom random)
    {
        return new BenchmarkSamples(spec.benchmark(), spec.mode(), 1, new TreeMap<>(spec.params()), unit(spec.mode()),
            rawData(spec, random), spec.allocBytesPerOp(), Double.NaN, "synthetic");
    }

    /**
     * @param spec   what to generate.
     * @param random the noise.
     * @return a JMH JSON entry.
     */
    static ObjectNode entry(final Spec spec, final SplittableRandom random)
    {
        return entry(spec, rawData(spec, random));
    }

    /**
     * @param spec    the benchmark.
     * @param rawData its iterations by fork.
     * @return a JMH JSON entry.
     */
    static ObjectNode entry(final Spec spec, final double[][] rawData)
    {
        final ObjectNode entry = MAPPER.createObjectNode();
        entry.put("jmhVersion", "1.37");
        entry.put("benchmark", spec.benchmark());
        entry.put("mode", spec.mode());
        entry.put("threads", 1);
        entry.put("forks", rawData.length);
        final ObjectNode params = entry.putObject("params");
        spec.params().forEach(params::put);
        final ObjectNode primary = entry.putObject("primaryMetric");
        double sum = 0;
        int n = 0;
        final ArrayNode forks = primary.putArray("rawData");
        for (final double[] fork : rawData)
        {
            final ArrayNode iterations = forks.addArray();
            for (final double value : fork)
            {
                iterations.add(value);
                sum += value;
                n++;
            }
        }
        primary.put("score", sum / n);
        primary.put("scoreError", "NaN");
        primary.put("scoreUnit", unit(spec.mode()));
        if (Double.isFinite(spec.allocBytesPerOp()))
        {
            final ObjectNode alloc = entry.putObject("secondaryMetrics").putObject("gc.alloc.rate.norm");
            alloc.put("score", spec.allocBytesPerOp());
            alloc.put("scoreUnit", "B/op");
            final ArrayNode allocRaw = alloc.putArray("rawData");
            for (final double[] fork : rawData)
            {
                final ArrayNode iterations = allocRaw.addArray();
                for (int i = 0; i < fork.length; i++)
                {
                    iterations.add(spec.allocBytesPerOp());
                }
            }
        }
        return entry;
    }

    /**
     * @param dir   a run folder to create.
     * @param file  the JSON file's name in it.
     * @param seed  the noise's seed.
     * @param specs the benchmarks.
     * @return the folder.
     */
    static Path run(final Path dir, final String file, final long seed, final Spec... specs)
    {
        return runTimed(dir, file, seed, null, specs);
    }

    /** As {@link #run}, every entry with JMH's {@code measurementTime} (e.g. {@code "1 s"}) unless it is null. */
    static Path runTimed(final Path dir, final String file, final long seed, final String measurementTime, final Spec... specs)
    {
        final SplittableRandom random = new SplittableRandom(seed);
        final ArrayNode array = MAPPER.createArrayNode();
        for (final Spec spec : specs)
        {
            final ObjectNode entry = entry(spec, random);
            array.add(measurementTime == null ? entry : entry.put("measurementTime", measurementTime));
        }
        return write(dir, file, array.toPrettyString());
    }

    /**
     * @param dir     a folder, created when missing.
     * @param file    a file name in it.
     * @param content the file's content.
     * @return the folder.
     */
    static Path write(final Path dir, final String file, final String content)
    {
        try
        {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve(file), content);
            return dir;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /** @return the pair suite's usual benchmarks at the reference run's scores: cached (thrpt, avgt) and tree (avgt). */
    static List<Spec> pairSuite()
    {
        final List<Spec> specs = new ArrayList<>();
        specs.add(Spec.of("cached", "thrpt", 0.0374));
        specs.add(Spec.of("cached", "avgt", 30.2));
        specs.add(Spec.of("tree", "avgt", 310.0));
        return specs;
    }

    static String unit(final String mode)
    {
        return "thrpt".equals(mode) ? "ops/ns" : "ns/op";
    }

    private static double gaussian(final SplittableRandom random)
    {
        // Box-Muller, from the seeded generator (java.util.Random's nextGaussian would need another seed source)
        final double u = 1 - random.nextDouble();
        final double v = random.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }
}
