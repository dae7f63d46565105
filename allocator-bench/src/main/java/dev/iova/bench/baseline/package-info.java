/**
 * Baselines the JMH suites measure our allocator against, each the allocator someone would
 * plausibly write instead of using this library.
 *
 * <p>{@link dev.iova.bench.baseline.TreeMapAllocator} is "the allocator a Java developer writes
 * first": a {@code java.util.TreeMap} of ranges under one lock, searched downward from the limit
 * for the first gap that fits. It places every range exactly where {@code IovaDomain} does
 * (both are highest fit), so the two can replay the same trace and be compared op for op; it
 * allocates on the heap and walks the gaps one by one, which is what the suites measure.
 * Both baselines implement {@link dev.iova.bench.baseline.BaselineAllocator};
 * {@link dev.iova.bench.baseline.BaselineReplayTarget} lets the trace tools drive either.
 *
 * <p>May import {@code dev.iova.bench.trace} (for {@code ReplayTarget}) and the JDK; nothing
 * of the library.
 */
package dev.iova.bench.baseline;
