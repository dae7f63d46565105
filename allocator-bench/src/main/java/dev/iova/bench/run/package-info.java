/**
 * Runs the JMH suites through JMH's Java API ({@link org.openjdk.jmh.runner.Runner}) with a
 * profile, and writes a run folder: one JMH JSON file per suite, JMH's output, and
 * {@code metadata.json} (machine, JDK, commit, profile, command line, load average at start and
 * end).
 *
 * <p>Before anything runs, {@link dev.iova.bench.run.BenchmarkPlan} lists what will run from the
 * jar's {@code META-INF/BenchmarkList} (every method, mode and parameter set the include regex
 * selects) and estimates how long it takes; while it runs, {@link dev.iova.bench.run.Progress}
 * prints "n of N" and the time left at the start of each benchmark.
 *
 * <p>Uses: JMH, {@link dev.iova.bench.results.RunMetadata}, {@link dev.iova.bench.report} (the
 * report written at the end). Imports nothing of the allocator: the suites do, in their forks.
 */
package dev.iova.bench.run;
