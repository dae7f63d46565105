/**
 * The {@code allocator-bench} command line (picocli): {@link dev.iova.bench.cli.Main} and its
 * subcommands, thin shells over the packages that do the work: {@code run} and {@code report}
 * ({@code dev.iova.bench.run}, {@code dev.iova.bench.report}; {@code docs/running-benchmarks.md}),
 * {@code gate} ({@code dev.iova.bench.gate}; {@code docs/gate.md}), {@code replay}, {@code gen} and
 * {@code workloads} ({@code dev.iova.bench.trace}; {@code docs/replay.md}), {@code regions}.
 */
package dev.iova.bench.cli;
