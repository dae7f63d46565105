package dev.iova.bench.jmh;

import dev.iova.IovaDomain;
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
import org.openjdk.jmh.infra.Blackhole;

import java.util.concurrent.TimeUnit;

/**
 * Whether the cached alloc+free pair of {@link AllocFreePairBenchmark} scales to 2 threads
 * when the threads' pages sit next to each other, and when they sit far apart.
 *
 * <h2>Why</h2>
 * A magazine hit takes only its stripe's lock, but every {@code allocFast} sets and every
 * {@code freeFast} clears the range's bit in the caches' live map with a compare-and-set, and the
 * bits of neighbouring pfns share a 64-bit word (512 class-0 pfns share a cache line). Two
 * threads that each took one page from the tree get neighbouring pages (highest fit), so their
 * pairs keep writing the same cache line even though they use different stripes.
 *
 * <h2>Workload</h2>
 * One shared domain, 1000 background ranges as in {@link AllocFreePairBenchmark}, and
 * {@code cacheStripes(1024)}, so that two threads almost never share a home stripe and only the
 * live map is left in common. Before the run each thread takes one page from the tree, under
 * a limit of {@code 0xfffff} ({@code adjacent}: the two pages are neighbours, one live-map word)
 * or {@code 0xfffff - 4096 * threadIndex} ({@code apart}: 4096 pfns, 512 bytes of live map,
 * apart), and frees it into its stripe's magazine; every pair then reuses that page.
 * {@link #cpuControl1Thread}/{@link #cpuControl2Threads} burn CPU with no shared state at all:
 * their ratio is how far this machine lets 2 threads scale at the moment of the run.
 *
 * <h2>Command</h2>
 * <pre>
 * java -cp allocator-bench/target/allocator-bench.jar org.openjdk.jmh.Main CachedPairFalseSharingBenchmark \
 *     -f 3 -wi 2 -w 1s -i 3 -r 1s
 * </pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 3, jvmArgsAppend = ForkArgs.ADD_EXPORTS)
public class CachedPairFalseSharingBenchmark
{
    /** The shared domain, with a stripe for (almost) every thread. */
    @State(Scope.Benchmark)
    public static class SharedDomain
    {
        /** Where each thread's page is: {@code adjacent} or {@code apart}. */
        @Param({"adjacent", "apart"})
        public String pages;

        IovaDomain domain;
        int nextThreadIndex;

        @Setup(Level.Trial)
        public void fill()
        {
            domain = IovaDomain.builder().cacheStripes(1024).build();
            AllocFreePairBenchmark.fillBackground(domain, 1000, AllocFreePairBenchmark.LIMIT_PFN);
            nextThreadIndex = 0;
        }

        @TearDown(Level.Trial)
        public void close()
        {
            domain.close();
        }
    }

    /** Puts this thread's page into its stripe's magazine. */
    @State(Scope.Thread)
    public static class ThreadPage
    {
        long pfn;

        @Setup(Level.Trial)
        public void takePage(final SharedDomain shared)
        {
            synchronized (shared)
            {
                final int threadIndex = shared.nextThreadIndex++;
                final long limitPfn = AllocFreePairBenchmark.LIMIT_PFN - ("apart".equals(shared.pages) ? 4096L * threadIndex : 0);
                pfn = shared.domain.allocFast(1, limitPfn);
                shared.domain.freeFast(pfn, 1);
            }
        }
    }

    /**
     * The cached pair from one thread, for the ratio.
     *
     * @param shared the domain.
     * @param page   this thread's page (unused: it sits in the magazine).
     * @return the pfn the pair got.
     */
    @Benchmark
    @Threads(1)
    public long pair1Thread(final SharedDomain shared, final ThreadPage page)
    {
        return pair(shared.domain);
    }

    /**
     * The cached pair from each of 2 threads.
     *
     * @param shared the domain.
     * @param page   this thread's page (unused: it sits in the magazine).
     * @return the pfn the pair got.
     */
    @Benchmark
    @Threads(2)
    public long pair2Threads(final SharedDomain shared, final ThreadPage page)
    {
        return pair(shared.domain);
    }

    /** A fixed amount of work on nothing shared, from one thread. */
    @Benchmark
    @Threads(1)
    public void cpuControl1Thread()
    {
        Blackhole.consumeCPU(32);
    }

    /** The same from each of 2 threads. */
    @Benchmark
    @Threads(2)
    public void cpuControl2Threads()
    {
        Blackhole.consumeCPU(32);
    }

    private static long pair(final IovaDomain domain)
    {
        final long pfn = domain.allocFast(1, AllocFreePairBenchmark.LIMIT_PFN);
        domain.freeFast(pfn, 1);
        return pfn;
    }
}
