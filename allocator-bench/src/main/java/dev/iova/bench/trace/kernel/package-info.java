/**
 * Kernel recordings of DMA mappings, turned into replayable traces and compared with highest fit.
 *
 * <ul>
 *   <li>{@link dev.iova.bench.trace.kernel.KernelTraceImporter} reads what a Linux host recorded
 *       ({@code iommu:map}/{@code iommu:unmap} and {@code dma:} events, as tracefs,
 *       {@code trace-cmd report} and {@code perf script} print them), streaming, in two passes,
 *       and writes an iova-trace v1 file whose {@code alloc} lines keep the kernel's placement in
 *       a comment; an {@link dev.iova.bench.trace.kernel.ImportSummary} says what was read,
 *       written and skipped, with line numbers.</li>
 *   <li>{@link dev.iova.bench.trace.kernel.PlacementComparison} replays such a trace with highest
 *       fit beside the kernel's placements; {@link dev.iova.bench.trace.kernel.ComparisonReport}
 *       prints it and writes it as markdown with charts.</li>
 * </ul>
 *
 * It uses the trace library ({@code dev.iova.bench.trace}: the parser, the domain target, the
 * digest) and the public API of {@code allocator-core}; nothing else in {@code allocator-bench}
 * depends on it but the {@code import} and {@code compare} commands. Errors are
 * {@link dev.iova.bench.trace.kernel.ImportException}s ({@code FILE:LINE: reason}). See
 * {@code docs/kernel-traces.md}.
 */
package dev.iova.bench.trace.kernel;
