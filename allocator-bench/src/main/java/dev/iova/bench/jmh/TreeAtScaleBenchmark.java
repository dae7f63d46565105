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

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * One free+alloc step of the tree with a thousand, 100 thousand and a million live ranges of
 * random sizes: the figure that shows the tree's O(log n), against the TreeMap baseline.
 *
 * <h2>Workload</h2>
 * An allocator ({@code startPfn} 1, last pfn {@code 2^27 - 1}, the 39-bit limit) is filled at
 * trial setup with {@link #liveRanges} size-aligned ranges of 1 to 8 pages (sizes drawn once
 * from {@code SplittableRandom(42)} into an array of {@value #SIZES} entries), packed from the
 * top down, each under a limit just below the previous one so that the fill costs O(log n) per
 * range in every allocator (a million ranges in about a second). The ranges are kept in a ring
 * in allocation order. One operation frees the oldest range of the ring and allocates the next
 * size under the 39-bit limit into its slot, so the live count stays constant; it returns the
 * new pfn.
 * <ul>
 *   <li>{@code tree}: {@code IovaDomain.alloc(pages, limit, true)}/{@code free(pfn, pages)},
 *       caches off: a search of the gap-augmented tree plus an insertion and a removal.</li>
 *   <li>{@code treemap-baseline}: {@code TreeMapAllocator}, which walks the ranges down from the
 *       limit until the gap above one fits. The ranges the ring recycles leave holes of all
 *       sizes near the top, so a request walks past every hole too small for it: its cost
 *       depends on the holes left by earlier steps and drifts during the run.</li>
 *   <li>{@code tree-linear-walk}: {@code LinearWalkAllocator}, an off-heap tree without the gap
 *       augmentation, searched linearly from a cached node as Linux's {@code iova.c} does.</li>
 * </ul>
 * Target it serves: the tree step at a million live ranges at most 2x its cost at a thousand;
 * {@code gc.alloc.rate.norm} below 1 B/op for {@code tree}.
 *
 * <h2>Command</h2>
 * <pre>
 * mvn -B -q package -DskipTests
 * java -cp allocator-bench/target/allocator-bench.jar org.openjdk.jmh.Main TreeAtScaleBenchmark \
 *     -prof gc -f 2 -wi 3 -w 2s -i 5 -r 2s -rf json -rff tree-at-scale.json
 * </pre>
 * 6 combinations (3 sizes of the tree x 2 targets).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 2, jvmArgsAppend = ForkArgs.ADD_EXPORTS)
@State(Scope.Benchmark)
public class TreeAtScaleBenchmark
{
    /** The limit of every request and the allocator's last pfn: the highest pfn below 512 GiB (39 bits). */
    static final long LIMIT_PFN = (1L << 27) - 1;

    /** Entries of the precomputed size array, a power of two. */
    static final int SIZES = 1 << 16;

    /** The largest size drawn, in pages. */
    static final int MAX_PAGES = 8;

    /** Seed of the sizes. */
    static final long SEED = 42;

    /** Ranges live between operations. */
    @Param({"1000", "100000", "1000000"})
    public int liveRanges;

    /** The allocator: {@code tree}, {@code treemap-baseline} or {@code tree-linear-walk}. */
    @Param({AllocatorUnderTest.TREE, AllocatorUnderTest.TREEMAP_BASELINE, AllocatorUnderTest.TREE_LINEAR_WALK})
    public String target;

    AllocatorUnderTest allocator;
    ReplayTarget replayTarget;
    long[] sizePages;
    long[] ringPfns;
    long[] ringPages;
    int ringSlot;
    int sizeIndex;

    @Setup(Level.Trial)
    public void fill()
    {
        final SplittableRandom random = new SplittableRandom(SEED);
        sizePages = new long[SIZES];
        for (int i = 0; i < SIZES; i++)
        {
            sizePages[i] = 1 + random.nextInt(MAX_PAGES);
        }
        allocator = AllocatorUnderTest.open(target, LIMIT_PFN);
        replayTarget = allocator.target;
        ringPfns = new long[liveRanges];
        ringPages = new long[liveRanges];
        long limitPfn = LIMIT_PFN;
        for (int i = 0; i < liveRanges; i++)
        {
            final long pages = sizePages[i & (SIZES - 1)];
            final long pfn = replayTarget.alloc(pages, limitPfn);
            if (pfn == ReplayTarget.NO_ADDRESS)
            {
                throw new IllegalStateException("the fill ran out of room at range " + i + " of " + liveRanges);
            }
            ringPfns[i] = pfn;
            ringPages[i] = pages;
            limitPfn = pfn - 1;
        }
        ringSlot = 0;
        sizeIndex = liveRanges;
    }

    @TearDown(Level.Trial)
    public void checkAndClose()
    {
        try
        {
            allocator.checkLive(liveRanges);
        }
        finally
        {
            allocator.close();
        }
    }

    /**
     * Frees the oldest range and allocates a new one of the next size in its place in the ring.
     *
     * @return the new range's pfn.
     */
    @Benchmark
    public long freeAllocStep()
    {
        final ReplayTarget replayTarget = this.replayTarget;
        final int slot = ringSlot;
        replayTarget.free(ringPfns[slot], ringPages[slot]);
        final long pages = sizePages[sizeIndex++ & (SIZES - 1)];
        final long pfn = replayTarget.alloc(pages, LIMIT_PFN); // 0 (no room) makes the next free of this slot throw
        ringPfns[slot] = pfn;
        ringPages[slot] = pages;
        ringSlot = slot + 1 == ringPfns.length ? 0 : slot + 1;
        return pfn;
    }
}
