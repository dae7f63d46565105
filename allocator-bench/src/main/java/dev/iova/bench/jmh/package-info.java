/**
 * The JMH suites, one class per thing measured. Each class's javadoc gives its workload and the
 * command that runs it; {@code docs/benchmarks.md} records what they measured and where.
 *
 * <p>The annotation processor writes {@code META-INF/BenchmarkList} into the build, and the
 * shaded {@code allocator-bench.jar} carries it, so the suites run from the jar with JMH's own
 * main class (the jar's main class is the {@code allocator-bench} command line):
 *
 * <pre>
 * mvn -B -q package -DskipTests
 * java -cp allocator-bench/target/allocator-bench.jar org.openjdk.jmh.Main REGEX -prof gc
 * </pre>
 *
 * Every fork gets {@link dev.iova.bench.jmh.ForkArgs#ADD_EXPORTS}; {@code -f 0} (no fork) would
 * need that flag on the outer JVM instead.
 *
 * <p>Suites that compare our allocator with a baseline pick it with a {@code target} param through
 * {@link dev.iova.bench.jmh.AllocatorUnderTest} (tree, cached, or the TreeMap baseline of
 * {@code dev.iova.bench.baseline}), so that ours and the baseline run in the same run.
 */
package dev.iova.bench.jmh;
