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
 * Linux's pathological case: a 32-bit space full of 1-page holes, and requests that no hole can
 * satisfy. How long the tree takes to say "no", whether that depends on the number of holes, and
 * what a walking allocator (the TreeMap baseline) pays for the same answer.
 *
 * <h2>Workload</h2>
 * An allocator ({@code startPfn} 1, last pfn {@value #LAST_PFN_HEX}) has every pfn of
 * {@code [1, 2 * holes + 1]} allocated as a 1-page range, then every even one freed: {@link #holes}
 * 1-page holes between {@code holes + 1} live ranges. With {@code holes = 524287} the space is
 * {@code [1, 0xfffff]}, the 4 GiB space of the ANCHORS case (524,288 live ranges); with
 * {@code 131071} it is {@code [1, 0x3ffff]}. The fill runs once per trial, each range under a
 * limit just below the previous one (O(log n) per range in both allocators).
 * <ul>
 *   <li>{@link #failingRequest}: 2 pages, size-aligned, under the top of the fragmented space.
 *       Every aligned pair of pfns holds a live range, so nothing fits: the result is
 *       {@code NO_ADDRESS} (checked once at setup, and returned so that it is used).</li>
 *   <li>{@link #requestAbove4GiB}: the same request under {@value #ABOVE_LIMIT_PFN_HEX}, which
 *       can only fit above the fragmented space; freed at once, so the state stays constant.</li>
 * </ul>
 * {@link #target}: {@code tree} ({@code IovaDomain} with {@code maxCachedPages(0)}; the failing
 * request is one descent of the gap-augmented tree) and {@code treemap-baseline} (walks every
 * live range below the limit before it gives up, as Linux's {@code iova.c} does without its
 * {@code max32_alloc_size} short-cut). When the lead's linear-walk search mode of the tree lands,
 * add its value to {@link #target} (see {@link AllocatorUnderTest}).
 * <p>Targets it serves: the failing request in O(log n), "well under a microsecond", at least
 * 100x faster than the linear-walk baseline, and the same for both numbers of holes;
 * {@code gc.alloc.rate.norm} below 1 B/op for {@code tree}.
 *
 * <h2>Command</h2>
 * <pre>
 * mvn -B -q package -DskipTests
 * java -cp allocator-bench/target/allocator-bench.jar org.openjdk.jmh.Main FragmentedSpaceBenchmark \
 *     -prof gc -f 2 -wi 3 -w 2s -i 5 -r 2s -rf json -rff fragmented-space.json
 * </pre>
 * 8 combinations (2 methods x 2 hole counts x 2 targets). The baseline's failing request takes
 * milliseconds: few operations per iteration, but enough.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 2, jvmArgsAppend = ForkArgs.ADD_EXPORTS)
@State(Scope.Benchmark)
public class FragmentedSpaceBenchmark
{
    /** The allocator's last pfn: 8 GiB, room above the fragmented space. */
    static final long LAST_PFN = 0x1fffffL;

    static final String LAST_PFN_HEX = "0x1fffff";

    /** The limit of {@link #requestAbove4GiB}: the allocator's last pfn. */
    static final long ABOVE_LIMIT_PFN = LAST_PFN;

    static final String ABOVE_LIMIT_PFN_HEX = LAST_PFN_HEX;

    /** Pages of every request: the smallest size that no 1-page hole can hold. */
    static final long REQUEST_PAGES = 2;

    /** 1-page holes in the fragmented space: 131071 for {@code [1, 0x3ffff]}, 524287 for {@code [1, 0xfffff]}. */
    @Param({"131071", "524287"})
    public int holes;

    /** The allocator: {@code tree}, {@code treemap-baseline} or {@code tree-linear-walk}. */
    @Param({AllocatorUnderTest.TREE, AllocatorUnderTest.TREEMAP_BASELINE, AllocatorUnderTest.TREE_LINEAR_WALK})
    public String target;

    AllocatorUnderTest allocator;
    ReplayTarget replayTarget;
    long topPfn;

    @Setup(Level.Trial)
    public void fragment()
    {
        topPfn = 2L * holes + 1;
        allocator = AllocatorUnderTest.open(target, LAST_PFN);
        replayTarget = allocator.target;
        for (long pfn = topPfn; pfn >= 1; pfn--)
        {
            final long got = replayTarget.alloc(1, pfn);
            if (got != pfn)
            {
                throw new IllegalStateException("fill: pfn 0x" + Long.toHexString(pfn) + " landed at 0x" + Long.toHexString(got));
            }
        }
        for (long pfn = 2; pfn < topPfn; pfn += 2)
        {
            replayTarget.free(pfn, 1);
        }
        if (replayTarget.alloc(REQUEST_PAGES, topPfn) != ReplayTarget.NO_ADDRESS)
        {
            throw new IllegalStateException("a " + REQUEST_PAGES + "-page request fitted under 0x" + Long.toHexString(topPfn) +
                ": the space is not fragmented as intended");
        }
        final long above = replayTarget.alloc(REQUEST_PAGES, ABOVE_LIMIT_PFN);
        if (above <= topPfn)
        {
            throw new IllegalStateException("the request under 0x" + Long.toHexString(ABOVE_LIMIT_PFN) + " got pfn 0x" +
                Long.toHexString(above) + ", expected one above 0x" + Long.toHexString(topPfn));
        }
        replayTarget.free(above, REQUEST_PAGES);
    }

    @TearDown(Level.Trial)
    public void checkAndClose()
    {
        try
        {
            allocator.checkLive(holes + 1L);
        }
        finally
        {
            allocator.close();
        }
    }

    /**
     * A 2-page size-aligned request under the top of the fragmented space, which cannot fit.
     *
     * @return {@code NO_ADDRESS}.
     */
    @Benchmark
    public long failingRequest()
    {
        return replayTarget.alloc(REQUEST_PAGES, topPfn);
    }

    /**
     * A 2-page size-aligned request that fits only above the fragmented space, freed at once.
     *
     * @return the pfn it got.
     */
    @Benchmark
    public long requestAbove4GiB()
    {
        final ReplayTarget replayTarget = this.replayTarget;
        final long pfn = replayTarget.alloc(REQUEST_PAGES, ABOVE_LIMIT_PFN);
        replayTarget.free(pfn, REQUEST_PAGES);
        return pfn;
    }
}
