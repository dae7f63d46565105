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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Storage-like large I/Os from two threads: whether ranges of 64 to 512 pages (256 KiB to
 * 2 MiB at 4 KiB) stay off the domain's monitor when the caches cover their sizes.
 *
 * <h2>Workload</h2>
 * One shared domain (48-bit aperture, 4 KiB granule) and two threads, each keeping
 * {@value #LIVE_PER_THREAD} ranges live, as an NVMe queue keeps I/Os in flight. One operation
 * frees one of the thread's live ranges, chosen at random, and allocates a new one in its place,
 * of 64 to 512 pages drawn uniformly (rounded up to 128, 256 or 512 by the caches), below the
 * 39-bit limit of the mixed trace's NVMe drive. Sizes and slots come from a table drawn once
 * per thread with a fixed seed, so the loop allocates nothing. {@code target}:
 * {@code cached} ({@code allocFast}/{@code freeFast}, default caches up to 512 pages),
 * {@code tree} ({@code alloc}/{@code free} of a domain without caches), and on request
 * {@code cached-max32} (the same API with Linux's 32-page limit: every request goes to the tree
 * under the monitor; {@code -p target=cached,cached-max32,tree}). It left the default set when the
 * quick profile reached its 10 minutes; its figures, which chose the 512-page default, are in
 * {@code docs/caches.md} ("Why cache up to 512 pages"). The
 * score is per thread ({@code avgt}); the trial's teardown checks that only the ranges the
 * threads hold are live.
 *
 * <p>Target (issue 13): {@code cached} at least 3x faster than {@code tree}.
 *
 * <h2>Command</h2>
 * <pre>
 * java -cp allocator-bench/target/allocator-bench.jar org.openjdk.jmh.Main LargeRangesTwoThreadsBenchmark \
 *     -f 2 -wi 3 -w 1s -i 5 -r 1s -prof gc
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = ForkArgs.ADD_EXPORTS)
@Threads(2)
public class LargeRangesTwoThreadsBenchmark
{
    /** The allocator's last pfn: 48-bit addresses. */
    static final long LAST_PFN = (1L << 36) - 1;

    /** The limit of every request: 39-bit addresses, as the mixed trace's NVMe drive. */
    static final long LIMIT_PFN = (1L << 27) - 1;

    /** Ranges each thread keeps live. */
    static final int LIVE_PER_THREAD = 64;

    /** Entries of each thread's table of sizes and slots (a power of two). */
    static final int TABLE_LENGTH = 1 << 14;

    /** The smallest and largest request, in pages. */
    static final int MIN_PAGES = 64;
    static final int MAX_PAGES = 512;

    /** The shared domain. */
    @State(Scope.Benchmark)
    public static class SharedDomain
    {
        /** {@code cached} or {@code tree} ({@code cached-max32} on request): see {@link AllocatorUnderTest}. */
        @Param({AllocatorUnderTest.CACHED, AllocatorUnderTest.TREE})
        public String target;

        AllocatorUnderTest allocator;

        @Setup(Level.Trial)
        public void open()
        {
            allocator = AllocatorUnderTest.open(target, LAST_PFN);
        }

        // Not closed at the trial's end: the threads' teardowns free their ranges into it, in
        // an order JMH does not promise against this state's; the fork's exit frees the memory.
    }

    /** One thread's live ranges and its table of requests. */
    @State(Scope.Thread)
    public static class ThreadRanges
    {
        final long[] pfns = new long[LIVE_PER_THREAD];
        final long[] pages = new long[LIVE_PER_THREAD];
        final int[] slotTable = new int[TABLE_LENGTH];
        final long[] pagesTable = new long[TABLE_LENGTH];
        int next;
        ReplayTarget target;

        @Setup(Level.Trial)
        public void fill(final SharedDomain shared)
        {
            target = shared.allocator.target;
            final SplittableRandom random = new SplittableRandom(Thread.currentThread().getId());
            for (int i = 0; i < TABLE_LENGTH; i++)
            {
                slotTable[i] = random.nextInt(LIVE_PER_THREAD);
                pagesTable[i] = MIN_PAGES + random.nextInt(MAX_PAGES - MIN_PAGES + 1);
            }
            for (int i = 0; i < LIVE_PER_THREAD; i++)
            {
                pages[i] = pagesTable[i];
                pfns[i] = target.alloc(pages[i], LIMIT_PFN);
            }
        }

        @TearDown(Level.Trial)
        public void freeAll()
        {
            for (int i = 0; i < LIVE_PER_THREAD; i++)
            {
                target.free(pfns[i], pages[i]);
            }
        }
    }

    /**
     * Frees one live range and allocates another in its place.
     *
     * @param ranges the calling thread's ranges.
     * @return the new range's pfn.
     */
    @Benchmark
    public long freeAndAllocate(final ThreadRanges ranges)
    {
        final int entry = ranges.next++ & (TABLE_LENGTH - 1);
        final int slot = ranges.slotTable[entry];
        final long newPages = ranges.pagesTable[entry];
        final ReplayTarget target = ranges.target;
        target.free(ranges.pfns[slot], ranges.pages[slot]);
        final long pfn = target.alloc(newPages, LIMIT_PFN);
        ranges.pfns[slot] = pfn;
        ranges.pages[slot] = newPages;
        return pfn;
    }
}
