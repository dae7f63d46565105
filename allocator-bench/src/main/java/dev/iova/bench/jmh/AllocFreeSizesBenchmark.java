package dev.iova.bench.jmh;

import dev.iova.bench.trace.ReplayTarget;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * One alloc+free pair of {@link #pages} pages below 4 GiB, single thread, through the range
 * caches, straight through the tree, and through the TreeMap baseline: how the pair's cost
 * depends on the size, inside the caches (1, 8, 32 pages) and above them (256 pages).
 *
 * <h2>Workload</h2>
 * An allocator ({@code startPfn} 1, 4 KiB granule) holds 1000 other 1-page ranges evenly spaced
 * below {@code 0xfffff}, as in {@link AllocFreePairBenchmark}. One operation allocates
 * {@code pages} pages, size-aligned, under {@code 0xfffff} and frees them; it returns the pfn.
 * {@link #target} picks the allocator (see {@link AllocatorUnderTest}):
 * <ul>
 *   <li>{@code cached}: {@code allocFast}/{@code freeFast}, default caches (up to 32 pages): a
 *       magazine hit after the first pair. At 256 pages the request is above the caches and
 *       goes to the tree through the fast API.</li>
 *   <li>{@code tree}: {@code alloc(pages, 0xfffff, true)}/{@code free(pfn, pages)}, caches off.</li>
 *   <li>{@code treemap-baseline}: {@code TreeMapAllocator}, a TreeMap of ranges under one lock.</li>
 * </ul>
 * Targets it serves: the cached 1-page pair at least 5x faster than the TreeMap baseline and than
 * the tree without caches; {@code gc.alloc.rate.norm} below 1 B/op for {@code cached} and
 * {@code tree} at every size (the baseline allocates: that is the point of it).
 *
 * <h2>Command</h2>
 * <pre>
 * mvn -B -q package -DskipTests
 * java -cp allocator-bench/target/allocator-bench.jar org.openjdk.jmh.Main AllocFreeSizesBenchmark \
 *     -prof gc -f 2 -wi 3 -w 2s -i 5 -r 2s -rf json -rff alloc-free-sizes.json
 * </pre>
 * 12 combinations (4 sizes x 3 targets).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 2, jvmArgsAppend = ForkArgs.ADD_EXPORTS)
@State(Scope.Benchmark)
public class AllocFreeSizesBenchmark
{
    /** The highest pfn a pair may use: the last 4 KiB page below 4 GiB. */
    static final long LIMIT_PFN = 0xfffffL;

    /** The allocator's last pfn: 48-bit addresses. */
    static final long LAST_PFN = (1L << 36) - 1;

    /** Other 1-page ranges live during the pairs. */
    static final int BACKGROUND_RANGES = 1000;

    /** Pages of each pair: inside the caches (1, 8, 32) and above them (256). */
    @Param({"1", "8", "32", "256"})
    public long pages;

    /** The allocator: {@code cached}, {@code tree}, {@code treemap-baseline}. */
    @Param({AllocatorUnderTest.CACHED, AllocatorUnderTest.TREE, AllocatorUnderTest.TREEMAP_BASELINE})
    public String target;

    AllocatorUnderTest allocator;
    ReplayTarget replayTarget;

    @Setup(Level.Trial)
    public void fill()
    {
        allocator = AllocatorUnderTest.open(target, LAST_PFN);
        allocator.fillEvenly(BACKGROUND_RANGES, LIMIT_PFN);
        replayTarget = allocator.target;
    }

    @TearDown(Level.Trial)
    public void checkAndClose()
    {
        try
        {
            allocator.checkLive(BACKGROUND_RANGES);
        }
        finally
        {
            allocator.close();
        }
    }

    /**
     * One alloc+free pair.
     *
     * @return the pfn the pair got.
     */
    @Benchmark
    public long allocFreePair()
    {
        final ReplayTarget replayTarget = this.replayTarget;
        final long pages = this.pages;
        final long pfn = replayTarget.alloc(pages, LIMIT_PFN);
        replayTarget.free(pfn, pages); // a failed alloc (pfn 0) throws here: the run stops
        return pfn;
    }
}
