/**
 * The performance regression gate: compares a candidate with a baseline benchmark by benchmark
 * and says whether anything got slower in a way that matters. {@code docs/gate.md} is the manual.
 *
 * <h2>Two forms</h2>
 * <ul>
 *   <li><b>Two runs</b>: {@link dev.iova.bench.gate.JmhSamplesReader} reads two run folders (or JMH
 *       JSON files) with their per-iteration raw data, {@link dev.iova.bench.gate.GateJudge} judges
 *       every benchmark in both, unpaired.</li>
 *   <li><b>A/B</b>: {@link dev.iova.bench.gate.AbGate} builds a git revision
 *       ({@link dev.iova.bench.gate.GitRevisionBuilder}), runs its jar and the working tree's in the
 *       same job, one fork per side per round with the order alternating
 *       ({@link dev.iova.bench.gate.JmhForkRunner}), writes both sides as run folders
 *       ({@link dev.iova.bench.gate.MergedRunWriter}) and judges them paired, round by round.</li>
 * </ul>
 *
 * <h2>What is judged</h2>
 * Timing: a {@link dev.iova.bench.gate.HierarchicalBootstrap} (forks, then iterations) gives the
 * standard error of the log ratio, Student's t ({@link dev.iova.bench.gate.StudentT}) the width of
 * the interval at a Bonferroni-split family-wise level; {@link dev.iova.bench.gate.Verdict} calls a
 * REGRESSION only when the slowdown is real (the interval excludes 0) and at least the minimum
 * effect (10%). Exact gates, always on: allocation ~0 stays ~0, nothing missing or failing
 * ({@link dev.iova.bench.gate.Finding}). Intended slowdowns go through
 * {@link dev.iova.bench.gate.AcceptedTradeoffs}, never through looser thresholds.
 *
 * <h2>Exit codes and errors</h2>
 * 0 no regression, 1 regression, 2 inputs that cannot be compared: every such input is a
 * {@link dev.iova.bench.gate.GateException} of one sentence naming the file, benchmark or value.
 *
 * <p>Costs: the statistics of 67 benchmarks take well under a second; the A/B form's forks are
 * child JVMs (about 3.6 s each at the defaults). Uses: Jackson, XChart, JMH's benchmark list and
 * command line, git and Maven (A/B only), {@link dev.iova.bench.run} and {@link dev.iova.bench.report}
 * for plans and formats. Imports nothing of the allocator.
 */
package dev.iova.bench.gate;
