package dev.iova.bench.jmh;

import dev.iova.dma.IoPageTable;
import dev.iova.region.Protection;
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

import java.util.concurrent.TimeUnit;

/**
 * The I/O page table alone ({@link IoPageTable}, default geometry: 4 KiB granule, 512-entry
 * tables, 48 bits, four levels), one thread: what the kernel's generic page table series measures.
 *
 * <h2>Workload</h2>
 * <ul>
 *   <li>{@link #mapUnmap}: maps {@code pages} x 4 KiB at one IOVA (1 page; 256 pages = 1 MiB,
 *       half a leaf table) and unmaps them, one pair per operation. A neighbouring page stays
 *       mapped in the same leaf table, so the pair measures entries, not table churn. Targets
 *       (anchors from Linux on an i7-12700): map 1 page 55 ns + unmap 70 ns; map 256 pages
 *       390 ns + unmap 360 ns. The pair is compared with the sum. 256 pages (1 MiB) is less than
 *       the smallest block (2 MiB): leaves only, as before block entries.</li>
 *   <li>{@link #mapUnmap2M}: maps 256 x 2 MiB (512 MiB, IOVA and phys 2 MiB aligned, not 1 GiB
 *       aligned: 256 block entries in one table) and unmaps it, one pair per operation. Target:
 *       the anchor for a 256 x 2 MiB map, 360 ns, plus the 256-entry unmap anchor above, 360 ns,
 *       as the pair measures both: 720 ns.</li>
 *   <li>{@link #sparseSweep} ({@code ss}, one shot per iteration, scored per step): maps and
 *       unmaps one page every 2 MiB across {@value #SWEEP_GIB} GiB ({@value #SWEEP_STEPS} steps,
 *       each page in a leaf table of its own), with a whole invalidation every 256 unmaps as a lazy
 *       flush queue would, then a last one; {@code reclaim} true frees emptied tables at those
 *       invalidations, false keeps them installed. One page table serves the whole trial, built
 *       before the first iteration, so the score and {@code gc.alloc.rate.norm} are the sweep's
 *       own, not the table's construction: with reclaim every iteration sweeps the same span and
 *       must end with the tables it started with (checked after each iteration); without, every
 *       iteration sweeps a span of its own, so each one maps into fresh tables as the first did,
 *       taken from the system (128 MiB of tables per iteration, page faults included, kept until
 *       the trial ends). Target: with reclaim at most 10% slower.</li>
 * </ul>
 *
 * <h2>Command</h2>
 * <pre>
 * java -Djmh.ignoreLock=true -cp allocator-bench/target/allocator-bench.jar org.openjdk.jmh.Main PageTableBenchmark \
 *     -f 1 -wi 3 -w 1s -i 5 -r 1s -prof gc -jvmArgsPrepend --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED
 * </pre>
 * 5 combinations.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = ForkArgs.ADD_EXPORTS)
public class PageTableBenchmark
{
    /** Bytes per page. */
    static final long PAGE = 4096;

    /** The sweep's extent, in GiB: 32,768 leaf tables (128 MiB of them without reclaim). */
    static final long SWEEP_GIB = 64;

    /** Distance between the sweep's pages: one leaf table's span. */
    static final long STRIDE = 2L << 20;

    /** Pages one sweep maps and unmaps: its operations, for the score and {@code gc.alloc.rate.norm}. */
    static final int SWEEP_STEPS = (int)((SWEEP_GIB << 30) / STRIDE);

    /** Physical address every mapping points to. */
    static final long PHYS = 0x1_0000_0000L;

    /** A 2 MiB block. */
    static final long BLOCK = 2L << 20;

    /** Bytes of {@link #mapUnmap2M}'s mapping: 256 blocks of 2 MiB. */
    static final long BLOCKS_BYTES = 256 * BLOCK;

    /** A page table with a neighbour page mapped; {@code pages} per map. */
    @State(Scope.Thread)
    public static class Mapped
    {
        /** Pages per map. */
        @Param({"1", "256"})
        public int pages;

        IoPageTable table;
        long iova;
        long bytes;

        @Setup(Level.Trial)
        public void open()
        {
            table = new IoPageTable();
            iova = 0x40_0000_0000L;
            bytes = pages * PAGE;
            table.map(iova + (1L << 20) + PAGE, PHYS, PAGE, Protection.READ); // keeps the leaf table in use
        }

        @TearDown(Level.Trial)
        public void close()
        {
            table.close();
        }
    }

    /** A page table with a neighbour block mapped in the same level-2 table; 256 x 2 MiB per map. */
    @State(Scope.Thread)
    public static class Blocks
    {
        IoPageTable table;
        long iova;

        @Setup(Level.Trial)
        public void open()
        {
            table = new IoPageTable();
            iova = 0x40_0000_0000L + 256 * BLOCK; // 2 MiB aligned, the second half of a 1 GiB span: no 1 GiB block
            table.map(0x40_0000_0000L, PHYS, BLOCK, Protection.READ); // keeps the table of blocks in use
            if (!table.map(iova, PHYS + BLOCK, BLOCKS_BYTES, Protection.READ_WRITE) || table.liveTables() != 3)
            {
                throw new IllegalStateException("256 x 2 MiB should be block entries: " + table.liveTables() + " tables");
            }
            table.unmap(iova, BLOCKS_BYTES);
        }

        @TearDown(Level.Trial)
        public void close()
        {
            table.close();
        }
    }

    /** One page table per trial, reclaiming emptied tables or not, and the span the next sweep covers. */
    @State(Scope.Thread)
    public static class Sweep
    {
        /** True: emptied tables are reclaimed at the invalidations; false: they stay installed. */
        @Param({"true", "false"})
        public boolean reclaim;

        IoPageTable table;
        int startTables;
        long base;

        @Setup(Level.Trial)
        public void open(final BenchmarkParams params)
        {
            // Without reclaim each iteration takes a span of its own and keeps its tables: room for them all.
            final int iterations = params.getWarmup().getCount() + params.getMeasurement().getCount();
            final long tablesPerSweep = 1 + SWEEP_GIB + SWEEP_STEPS;
            final long maxTables = 2 + (reclaim ? 1 : iterations) * tablesPerSweep;
            if (iterations * (SWEEP_GIB << 30) > 1L << (IoPageTable.DEFAULT_IOVA_BITS - 1) || maxTables > Integer.MAX_VALUE)
            {
                throw new IllegalArgumentException(iterations + " iterations: too many sweeps of " + SWEEP_GIB + " GiB for one page table");
            }
            table = new IoPageTable(IoPageTable.DEFAULT_GRANULE_SHIFT, IoPageTable.DEFAULT_BITS_PER_LEVEL,
                IoPageTable.DEFAULT_IOVA_BITS, (int)maxTables).reclaimEmptyTables(reclaim);
            startTables = table.liveTables();
            base = 0;
        }

        @TearDown(Level.Iteration)
        public void next()
        {
            if (reclaim)
            {
                if (table.liveTables() != startTables)
                {
                    throw new IllegalStateException(table.liveTables() + " tables after the sweep, " + startTables + " before");
                }
            }
            else
            {
                base += SWEEP_GIB << 30;
            }
        }

        @TearDown(Level.Trial)
        public void close()
        {
            table.close();
        }
    }

    @Benchmark
    public long mapUnmap(final Mapped state)
    {
        final IoPageTable table = state.table;
        table.map(state.iova, PHYS, state.bytes, Protection.READ_WRITE);
        return table.unmap(state.iova, state.bytes);
    }

    @Benchmark
    public long mapUnmap2M(final Blocks state)
    {
        final IoPageTable table = state.table;
        table.map(state.iova, PHYS + BLOCK, BLOCKS_BYTES, Protection.READ_WRITE);
        return table.unmap(state.iova, BLOCKS_BYTES);
    }

    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    @OperationsPerInvocation(SWEEP_STEPS)
    @Warmup(iterations = 3)
    @Measurement(iterations = 5)
    public int sparseSweep(final Sweep state)
    {
        final IoPageTable table = state.table;
        final long end = state.base + (SWEEP_GIB << 30);
        int unmaps = 0;
        for (long iova = state.base; iova < end; iova += STRIDE)
        {
            table.map(iova, PHYS, PAGE, Protection.READ);
            table.unmap(iova, PAGE);
            if (++unmaps == 256)
            {
                unmaps = 0;
                table.invalidationCompleted(table.invalidationStarted());
            }
        }
        table.invalidationCompleted(table.invalidationStarted());
        return table.liveTables();
    }
}
