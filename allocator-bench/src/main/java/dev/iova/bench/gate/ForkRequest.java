package dev.iova.bench.gate;

import dev.iova.bench.run.PlannedBenchmark;

import java.nio.file.Path;
import java.util.List;

/**
 * One fork the A/B gate asks for: one benchmark (method, mode, parameters) run once by one side's jar.
 *
 * @param side      {@code baseline} or {@code candidate}.
 * @param round     the round, from 1.
 * @param benchmark the benchmark.
 * @param jar       the side's {@code allocator-bench.jar}.
 * @param jvmArgs   extra JVM arguments for the fork.
 * @param settings  warm-up and measurement.
 * @param jsonFile  where JMH writes its JSON.
 * @param logFile   where JMH's output is appended.
 */
public record ForkRequest(String side, int round, PlannedBenchmark benchmark, Path jar, List<String> jvmArgs, AbSettings settings,
    Path jsonFile, Path logFile)
{
}
