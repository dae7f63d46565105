package dev.iova.bench.jmh;

import dev.iova.IovaDomain;
import dev.iova.bench.results.LatencyPercentiles;
import dev.iova.bench.trace.ReplayResult;
import dev.iova.bench.trace.ReplayTarget;
import dev.iova.bench.trace.Trace;
import dev.iova.bench.trace.TraceGenerator;
import dev.iova.bench.trace.TraceParser;
import dev.iova.bench.trace.TraceReplayer;
import dev.iova.bench.trace.TraceShape;
import dev.iova.bench.trace.kernel.FileTraceWorkload;
import dev.iova.cache.RangeCacheStats;
import org.HdrHistogram.Histogram;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.runner.IterationType;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The generated iova-trace v1 workloads ({@code trace-format.md}) replayed through the tree,
 * through the range caches and through the TreeMap baseline: ns per trace operation, and the
 * distribution of single operations' latencies.
 *
 * <h2>Workload</h2>
 * {@link #shape} names a {@link TraceShape} ({@code network}: 1-page maps freed nearly in order;
 * {@code storage}: 1..256 pages freed at random; {@code fragmenting}: small pins never freed
 * between large short-lived maps; {@code mixed}: four devices with different limits beside PCI
 * windows; {@code tight}: a 2,047-page window where most requests fail), generated with {@value #OPS} operations and seed
 * {@value #SEED} and parsed once per trial; its entries are copied into flat arrays, so the
 * replay loop reads a few array slots per operation and allocates nothing. One invocation
 * replays the whole trace into {@link #target} ({@code tree}, {@code cached},
 * {@code treemap-baseline}: see {@link AllocatorUnderTest}), whose aperture is the default of
 * the {@code replay} command (the domain's {@code MAX_PFN}), so placements are the same; the score is divided by
 * {@value #OPS} ({@code @OperationsPerInvocation}), so it is ns per trace operation, as in the
 * ANCHORS table. Between invocations (untimed) every range still live is freed and the caches
 * flushed, so each replay starts from the same empty allocator (the trace's reserves stay).
 * Trial setup checks, with the trace tools' own {@link TraceReplayer}, that the trace replays
 * cleanly into the target and that this loop's allocation failures match its count.
 *
 * <h2>Latency distribution</h2>
 * The timed replay reads no clock. After each iteration (untimed, in the iteration teardown) the
 * trace is replayed {@value #LATENCY_REPLAYS} more times reading {@code System.nanoTime()}
 * after every operation, each operation's time recorded into an HdrHistogram (3 significant
 * digits, no allocation while recording). The samples of measurement iterations are printed at
 * the end of the trial, in the run's output, as one line:
 * {@code latency TraceReplayBenchmark shape=... target=...: p50=... p99=... p99.9=... max=... ns},
 * and, for a {@code cached} target, the caches' allocation hits and misses over those replays
 * (each starts from flushed caches, as the timed ones do). Each sample includes one clock read
 * (about 20 to 30 ns on a VM). When the system property
 * {@value dev.iova.bench.results.LatencyPercentiles#DIR_PROPERTY} names a folder (the {@code run}
 * command sets it on every fork), the trial's histogram and percentiles are also written there,
 * one file per trial with the hits and misses, and {@code run} collects them into
 * {@code trace-replay-percentiles.json} beside the JMH JSON ({@link LatencyPercentiles}), whose
 * report shows each cached replay's hit rate. With JMH's own command line, add
 * {@code -jvmArgsAppend -Diova.bench.percentilesDir=DIR} to get the trial files.
 *
 * <p>Targets it serves: against the ANCHORS trace rows (Linux tree path 354/110/173 ns,
 * cached 9/34/100 ns for network/storage/fragmenting); {@code gc.alloc.rate.norm} below 1 B/op
 * for {@code tree} and {@code cached}.
 *
 * <h2>Command</h2>
 * <pre>
 * mvn -B -q package -DskipTests
 * java -cp allocator-bench/target/allocator-bench.jar org.openjdk.jmh.Main TraceReplayBenchmark \
 *     -prof gc -f 2 -wi 3 -w 2s -i 5 -r 2s -rf json -rff trace-replay.json
 * </pre>
 * 15 combinations (5 shapes x 3 targets).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 2, jvmArgsAppend = ForkArgs.ADD_EXPORTS)
@State(Scope.Benchmark)
public class TraceReplayBenchmark
{
    /** Operations of every generated trace (alloc and free lines). */
    static final int OPS = 50_000;

    /** Seed of every generated trace. */
    static final long SEED = 1;

    /** Replays with a clock read per operation, after each iteration. */
    static final int LATENCY_REPLAYS = 3;

    /** The largest latency the histogram tracks, 10 s; longer ones are recorded as 10 s. */
    static final long HIGHEST_TRACKABLE_NANOS = TimeUnit.SECONDS.toNanos(10);

    /** The trace shape: {@code network}, {@code storage}, {@code fragmenting}, {@code mixed}, {@code tight}. */
    @Param({"network", "storage", "fragmenting", "mixed", "tight"})
    public String shape;

    /** The allocator: {@code tree}, {@code cached}, {@code treemap-baseline}. */
    @Param({AllocatorUnderTest.TREE, AllocatorUnderTest.CACHED, AllocatorUnderTest.TREEMAP_BASELINE})
    public String target;

    AllocatorUnderTest allocator;
    ReplayTarget replayTarget;
    byte[] kinds;
    long[] pagesOrLoPfns;
    long[] limitOrHiPfns;
    int[] links;
    long[] pfnByEntry;
    Histogram iterationLatencies;
    Histogram trialLatencies;
    /** The trial file's encoding of {@link #trialLatencies}, made at setup: the teardown's allocations count in {@code -prof gc}. */
    ByteBuffer encodingBuffer;
    long replays;
    /** The caches' allocation hits and misses over the recorded replays ({@code cached} targets only). */
    long cacheHits;
    long cacheMisses;

    @Setup(Level.Trial)
    public void generate() throws IOException
    {
        // shape=file:PATH (run --trace FILE): a trace file, e.g. an imported kernel recording, repeated or cut to OPS operations
        final Trace trace = TraceParser.parseText(shape, shape.startsWith(FileTraceWorkload.SHAPE_PREFIX) ?
            FileTraceWorkload.repeatToOps(Path.of(shape.substring(FileTraceWorkload.SHAPE_PREFIX.length())), OPS) :
            TraceGenerator.generateText(TraceShape.byName(shape), OPS, SEED));
        if (trace.ops() != OPS)
        {
            throw new IllegalStateException("the generated " + shape + " trace has " + trace.ops() + " ops, expected " + OPS);
        }
        final int entries = trace.entries();
        kinds = new byte[entries];
        pagesOrLoPfns = new long[entries];
        limitOrHiPfns = new long[entries];
        links = new int[entries];
        pfnByEntry = new long[entries];
        for (int e = 0; e < entries; e++)
        {
            kinds[e] = trace.kind(e);
            switch (kinds[e])
            {
                case Trace.ALLOC:
                    pagesOrLoPfns[e] = trace.pages(e);
                    limitOrHiPfns[e] = trace.limitPfn(e);
                    links[e] = trace.link(e);
                    break;
                case Trace.FREE:
                    links[e] = trace.link(e);
                    break;
                default:
                    pagesOrLoPfns[e] = trace.loPfn(e);
                    limitOrHiPfns[e] = trace.hiPfn(e);
                    break;
            }
        }

        final ReplayResult checked;
        try (AllocatorUnderTest fresh = AllocatorUnderTest.open(target, IovaDomain.MAX_PFN))
        {
            checked = new TraceReplayer(trace).replay(fresh.target);
        }
        allocator = AllocatorUnderTest.open(target, IovaDomain.MAX_PFN);
        replayTarget = allocator.target;
        replay();
        long failed = 0;
        for (int e = 0; e < entries; e++)
        {
            failed += kinds[e] == Trace.ALLOC && pfnByEntry[e] == ReplayTarget.NO_ADDRESS ? 1 : 0;
        }
        if (failed != checked.allocFailed())
        {
            throw new IllegalStateException(shape + " through " + target + ": " + failed + " allocations failed in the benchmark's loop, " +
                checked.allocFailed() + " in TraceReplayer's");
        }
        freeStillLive();

        iterationLatencies = new Histogram(HIGHEST_TRACKABLE_NANOS, 3);
        trialLatencies = new Histogram(HIGHEST_TRACKABLE_NANOS, 3);
        encodingBuffer = LatencyPercentiles.encodingBuffer(trialLatencies);
    }

    /** Frees what the last replay left live, untimed, so that the next one starts from empty. */
    @TearDown(Level.Invocation)
    public void freeStillLive()
    {
        final long[] pfnByEntry = this.pfnByEntry;
        for (int e = 0; e < kinds.length; e++)
        {
            if (kinds[e] == Trace.FREE)
            {
                pfnByEntry[links[e]] = ReplayTarget.NO_ADDRESS; // freed during the replay
            }
        }
        for (int e = 0; e < kinds.length; e++)
        {
            if (kinds[e] == Trace.ALLOC && pfnByEntry[e] != ReplayTarget.NO_ADDRESS)
            {
                replayTarget.free(pfnByEntry[e], pagesOrLoPfns[e]);
            }
        }
        allocator.flushCaches();
    }

    /**
     * Replays the trace {@value #LATENCY_REPLAYS} times with a clock read after every operation.
     *
     * @param iteration which iteration ended: only measurement iterations count.
     */
    @TearDown(Level.Iteration)
    public void recordLatencies(final IterationParams iteration)
    {
        iterationLatencies.reset();
        final RangeCacheStats before = allocator.cacheStats();
        for (int i = 0; i < LATENCY_REPLAYS; i++)
        {
            replayRecordingLatency(iterationLatencies);
            freeStillLive();
        }
        if (iteration.getType() == IterationType.MEASUREMENT)
        {
            trialLatencies.add(iterationLatencies);
            replays += LATENCY_REPLAYS;
            final RangeCacheStats after = allocator.cacheStats();
            cacheHits += after.allocHits() - before.allocHits();
            cacheMisses += after.allocMisses() - before.allocMisses();
        }
    }

    /**
     * Checks the allocator, prints the trial's percentiles, and writes them for {@code run} when
     * {@value LatencyPercentiles#DIR_PROPERTY} names a folder.
     *
     * @param params the benchmark and its parameter values, for the trial file.
     * @throws IOException when the trial file cannot be written (the trial fails: its figures would be missing).
     */
    @TearDown(Level.Trial)
    public void recordLatenciesAndClose(final BenchmarkParams params) throws IOException
    {
        try
        {
            allocator.checkLive(0);
            final Histogram h = trialLatencies;
            // a StringBuilder, not printf: what this teardown allocates counts in the last iteration's -prof gc figures
            final StringBuilder line = new StringBuilder(256).append("latency TraceReplayBenchmark shape=").append(shape)
                .append(" target=").append(target).append(": p50=").append(h.getValueAtPercentile(50))
                .append(" p90=").append(h.getValueAtPercentile(90)).append(" p99=").append(h.getValueAtPercentile(99))
                .append(" p99.9=").append(h.getValueAtPercentile(99.9)).append(" max=").append(h.getMaxValue())
                .append(" ns (").append(h.getTotalCount()).append(" ops from ").append(replays)
                .append(" replays, each with one clock read)");
            if (allocator.hasCaches())
            {
                line.append("; cache allocation hits=").append(cacheHits).append(" misses=").append(cacheMisses);
            }
            System.out.println(line);
            final String dir = System.getProperty(LatencyPercentiles.DIR_PROPERTY);
            if (dir != null)
            {
                final Map<String, String> values = new LinkedHashMap<>();
                for (final Object name : params.getParamsKeys())
                {
                    values.put((String)name, params.getParam((String)name));
                }
                final boolean counted = allocator.hasCaches();
                LatencyPercentiles.writeTrial(Path.of(dir), params.getBenchmark(), values, h, replays,
                    counted ? cacheHits : LatencyPercentiles.NO_CACHE_COUNTS, counted ? cacheMisses : LatencyPercentiles.NO_CACHE_COUNTS,
                    encodingBuffer);
            }
        }
        finally
        {
            allocator.close();
        }
    }

    /**
     * Replays the whole trace.
     *
     * @return the sum of the pfns allocated, so that nothing is dead code.
     */
    @Benchmark
    @OperationsPerInvocation(OPS)
    public long replay()
    {
        final ReplayTarget replayTarget = this.replayTarget;
        final byte[] kinds = this.kinds;
        final long[] pagesOrLoPfns = this.pagesOrLoPfns;
        final long[] limitOrHiPfns = this.limitOrHiPfns;
        final int[] links = this.links;
        final long[] pfnByEntry = this.pfnByEntry;
        long pfnSum = 0;
        for (int e = 0; e < kinds.length; e++)
        {
            final byte kind = kinds[e];
            if (kind == Trace.ALLOC)
            {
                final long pfn = replayTarget.alloc(pagesOrLoPfns[e], limitOrHiPfns[e]);
                pfnByEntry[e] = pfn;
                pfnSum += pfn;
            }
            else if (kind == Trace.FREE)
            {
                final int alloc = links[e];
                final long pfn = pfnByEntry[alloc];
                if (pfn != ReplayTarget.NO_ADDRESS)
                {
                    replayTarget.free(pfn, pagesOrLoPfns[alloc]);
                }
            }
            else
            {
                replayTarget.reserve(pagesOrLoPfns[e], limitOrHiPfns[e]);
            }
        }
        return pfnSum;
    }

    private void replayRecordingLatency(final Histogram latencies)
    {
        final ReplayTarget replayTarget = this.replayTarget;
        final byte[] kinds = this.kinds;
        final long[] pagesOrLoPfns = this.pagesOrLoPfns;
        final long[] limitOrHiPfns = this.limitOrHiPfns;
        final int[] links = this.links;
        final long[] pfnByEntry = this.pfnByEntry;
        long before = System.nanoTime();
        for (int e = 0; e < kinds.length; e++)
        {
            final byte kind = kinds[e];
            if (kind == Trace.ALLOC)
            {
                pfnByEntry[e] = replayTarget.alloc(pagesOrLoPfns[e], limitOrHiPfns[e]);
            }
            else if (kind == Trace.FREE)
            {
                final int alloc = links[e];
                final long pfn = pfnByEntry[alloc];
                if (pfn != ReplayTarget.NO_ADDRESS)
                {
                    replayTarget.free(pfn, pagesOrLoPfns[alloc]);
                }
            }
            else
            {
                replayTarget.reserve(pagesOrLoPfns[e], limitOrHiPfns[e]);
                before = System.nanoTime();
                continue; // a reserve is not an operation
            }
            final long after = System.nanoTime();
            latencies.recordValue(Math.min(after - before, HIGHEST_TRACKABLE_NANOS));
            before = after;
        }
    }
}
