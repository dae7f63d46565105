/**
 * What a run stores beside JMH's figures: the machine, JDK and command that made them
 * ({@link dev.iova.bench.results.RunMetadata}), and the latency percentiles benchmarks record
 * themselves ({@link dev.iova.bench.results.LatencyPercentiles}).
 */
package dev.iova.bench.results;
