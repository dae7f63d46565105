package dev.iova.bench.jmh;

import java.util.concurrent.TimeUnit;

import dev.iova.bench.trace.ReplayTarget;

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

/**
 * Filling an empty allocator with a million 1-page ranges, one highest-fit allocation after
 * another under the 32-bit limit: the ANCHORS row "filling the 300,000" (Linux's tree: 60 ns per
 * allocation) at a million.
 *
 * <h2>Workload</h2>
 * Each invocation opens an empty allocator ({@code startPfn} 1, last pfn {@code 2^27 - 1}),
 * allocates {@value #RANGES} ranges of 1 page with {@code alloc(1, 0xfffff)} (each lands just
 * below the previous one), and closes it in its teardown, which is not timed. The score is per
 * allocation ({@link OperationsPerInvocation}).
 * <ul>
 *   <li>{@code tree}: {@code IovaDomain.alloc(1, limit, true)}, caches off.</li>
 *   <li>{@code tree-linear-walk}: the linear-walk baseline, whose cached node makes each of
 *       these allocations O(1), as in Linux.</li>
 * </ul>
 * Target it serves: at most 60 ns per allocation for {@code tree}.
 *
 * <h2>Command</h2>
 * <pre>
 * mvn -B -q package -DskipTests
 * java -cp allocator-bench/target/allocator-bench.jar org.openjdk.jmh.Main TreeFillBenchmark \
 *     -prof gc -f 2 -wi 5 -i 10 -rf json -rff tree-fill.json
 * </pre>
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@OperationsPerInvocation(TreeFillBenchmark.RANGES)
@Warmup(iterations = 5)
@Measurement(iterations = 10)
@Fork(value = 2, jvmArgsAppend = ForkArgs.ADD_EXPORTS)
@State(Scope.Benchmark)
public class TreeFillBenchmark
{
    /** Ranges allocated per invocation. */
    static final int RANGES = 1_000_000;

    /** The limit of every request: the last 4 KiB page below 4 GiB. */
    static final long LIMIT_PFN = 0xfffffL;

    /** The allocator: {@code tree} or {@code tree-linear-walk}. */
    @Param({AllocatorUnderTest.TREE, AllocatorUnderTest.TREE_LINEAR_WALK})
    public String target;

    AllocatorUnderTest allocator;

    @Setup(Level.Invocation)
    public void open()
    {
        allocator = AllocatorUnderTest.open(target, (1L << 27) - 1);
    }

    @TearDown(Level.Invocation)
    public void checkAndClose()
    {
        try
        {
            allocator.checkLive(RANGES);
        }
        finally
        {
            allocator.close();
        }
    }

    /**
     * Allocates {@value #RANGES} 1-page ranges below 4 GiB.
     *
     * @return the last pfn allocated.
     */
    @Benchmark
    public long fill()
    {
        final ReplayTarget target = allocator.target;
        long pfn = 0;
        for (int i = 0; i < RANGES; i++)
        {
            pfn = target.alloc(1, LIMIT_PFN);
            if (pfn == ReplayTarget.NO_ADDRESS)
            {
                throw new IllegalStateException("the fill ran out of room at range " + i);
            }
        }
        return pfn;
    }
}
