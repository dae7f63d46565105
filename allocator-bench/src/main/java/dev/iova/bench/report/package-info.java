/**
 * Turns a benchmark run (a folder of JMH JSON files and a {@code metadata.json}) into a readable
 * {@code report.md} with charts (PNG, or SVG: {@link dev.iova.bench.report.ChartFormat}), and
 * compares two runs. The report shows single operations' latency percentiles too
 * ({@link dev.iova.bench.report.LatencySection}): {@code trace-replay-percentiles.json}'s, and
 * those of JMH's {@code sample} mode.
 *
 * <p>Everything is driven by the JSON, not by knowledge of the suites: a table per benchmark
 * class; a bar chart per class and mode with JMH's confidence intervals as error bars; a line
 * chart of the score against each numeric {@code @Param} that takes two or more values; a chart
 * of the score against threads when methods differ only by {@code @Threads} ({@code cached},
 * {@code cached2Threads}, {@code cached4Threads}, read from the JSON's {@code threads} field).
 *
 * <p>One part knows the suites: {@link dev.iova.bench.report.Targets}, the targets of the
 * benchmark issue (which results of which suite each reads, and its threshold), which the report
 * judges at its top: HOLDS, MISSED or NOT MEASURED, and whether the verdict stands at the ends of
 * JMH's confidence intervals. A suite renamed or reparametrised shows there as NOT MEASURED.
 *
 * <p>Input that is not a run (a missing folder, broken JSON, JSON that is not JMH's) is a
 * {@link dev.iova.bench.report.ReportException} with one sentence that names the file.
 *
 * <p>Uses: Jackson (reading), XChart (charts, drawn headless; VectorGraphics2D for SVG),
 * {@link dev.iova.bench.results.LatencyPercentiles}. Imports nothing of the allocator.
 */
package dev.iova.bench.report;
