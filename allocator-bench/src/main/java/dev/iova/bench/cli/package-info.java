/**
 * The {@code allocator-bench} command line (picocli): {@link dev.iova.bench.cli.Main} and its
 * subcommands {@code replay} and {@code gen}, thin shells over {@code dev.iova.bench.trace}.
 * See {@code docs/replay.md}.
 */
package dev.iova.bench.cli;
