package dev.iova.bench.jmh;

import dev.iova.IovaDomain;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.CompilerControl;
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

import java.util.concurrent.TimeUnit;

/**
 * The cost of one 1-page alloc+free pair below 4 GiB, through the range caches and straight
 * through the tree: the ANCHORS row "1-page alloc+free pair, 1 thousand other live ranges".
 *
 * <h2>Workload</h2>
 * A domain with a 4 KiB granule and {@code startPfn} 1 holds {@link #liveRanges} other 1-page
 * ranges, allocated through the tree at evenly spaced pfns below {@link #LIMIT_PFN} (so the tree
 * has that many nodes spread over the whole 32-bit space). Each operation allocates one page
 * under {@code LIMIT_PFN = 0xfffff} (the last pfn below 4 GiB) and frees it at once; the
 * operation returns the pfn so that the pair cannot be optimised away. One operation is a pair.
 * <ul>
 *   <li>{@link #cached}: {@code allocFast(1, LIMIT_PFN)} / {@code freeFast(pfn, 1)} on a domain
 *       with the default range caches. After the first pair the page sits in the calling
 *       thread's magazine, so every pair is a magazine hit that never takes the tree's lock
 *       (Linux: {@code alloc_iova_fast}/{@code free_iova_fast}).</li>
 *   <li>{@link #cachedOutOfLine}: {@link #cached} with the pair in a method the JIT may not
 *       inline into JMH's loop: a caller whose loop does not inline the pair.</li>
 *   <li>{@link #cached2Threads}, {@link #cached4Threads}: the same from 2 and 4 threads on the
 *       one shared domain, each thread doing its own pairs. {@code avgt} is per thread; the
 *       {@code thrpt} score is the sum over the threads, to compare with {@link #cached}'s.</li>
 *   <li>{@link #tree}: {@code alloc(1, LIMIT_PFN, true)} / {@code free(pfn, 1)}: the tree path,
 *       one insertion and one removal in a tree of {@code liveRanges + 1} ranges, under the
 *       domain's lock (Linux: {@code alloc_iova}/{@code __free_iova}).</li>
 *   <li>{@link #treeMillion}: {@link #tree} with a million other live ranges in every run, for
 *       the pair at scale beside the pair at a thousand.</li>
 *   <li>{@link #treeViaFastApiCachesOff}: {@code allocFast}/{@code freeFast} on a domain built
 *       with {@code maxCachedPages(0)}: the tree path plus whatever the fast API adds when it
 *       has no cache to use.</li>
 * </ul>
 * Each domain is built and filled once per trial and shared by the benchmark's threads; its
 * teardown checks that only the background is left (after a cache flush) and that the tree is
 * sound, so a broken pair fails the run instead of timing something else.
 *
 * <h2>Command</h2>
 * <pre>
 * mvn -B -q package -DskipTests
 * java -cp allocator-bench/target/allocator-bench.jar org.openjdk.jmh.Main AllocFreePairBenchmark \
 *     -prof gc -f 2 -wi 3 -w 2s -i 5 -r 2s -rf json -rff alloc-free-pair.json
 * </pre>
 * Add {@code -p liveRanges=1000,1000000} for the million-range row of the anchors.
 * {@code gc.alloc.rate.norm} (bytes per pair) should be 0 for every variant.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 2, jvmArgsAppend = ForkArgs.ADD_EXPORTS)
@State(Scope.Benchmark)
public class AllocFreePairBenchmark
{
    /** The highest pfn a pair (and the background) may use: the last 4 KiB page below 4 GiB. */
    static final long LIMIT_PFN = 0xfffffL;

    /** The pages of each pair. */
    static final long PAIR_PAGES = 1;

    /** The background of {@link #treeMillion}, whatever {@link #liveRanges} says. */
    static final int MILLION = 1_000_000;

    /** How many other 1-page ranges are live while the pairs run. */
    @Param({"1000"})
    public int liveRanges;

    /** A domain with the default range caches, for the pairs through {@code allocFast}/{@code freeFast}. */
    @State(Scope.Benchmark)
    public static class CachedDomain extends DomainState
    {
        @Override
        IovaDomain.Builder builder()
        {
            return IovaDomain.builder();
        }
    }

    /** A domain without range caches ({@code maxCachedPages(0)}). */
    @State(Scope.Benchmark)
    public static class UncachedDomain extends DomainState
    {
        @Override
        IovaDomain.Builder builder()
        {
            return IovaDomain.builder().maxCachedPages(0);
        }
    }

    /** A domain without range caches and {@value #MILLION} background ranges: the pair at scale (issue 12). */
    @State(Scope.Benchmark)
    public static class UncachedMillionDomain extends DomainState
    {
        @Override
        IovaDomain.Builder builder()
        {
            return IovaDomain.builder().maxCachedPages(0);
        }

        @Override
        int liveRanges(final AllocFreePairBenchmark benchmark)
        {
            return MILLION;
        }
    }

    /**
     * A pair through the range caches, from one thread.
     *
     * @param state the shared domain.
     * @return the pfn the pair got.
     */
    @Benchmark
    @BenchmarkMode({Mode.AverageTime, Mode.Throughput})
    public long cached(final CachedDomain state)
    {
        return cachedPair(state.domain);
    }

    /**
     * {@link #cached} with the pair kept out of JMH's measurement loop: the cost a caller pays
     * when its JIT does not inline {@code allocFast}/{@code freeFast} into its own loop (a
     * large caller, another JDK's heuristics). Whether C2 inlines the pair into the loop moves
     * {@link #cached} by several nanoseconds ({@code docs/caches.md}); this one does not depend on it.
     *
     * @param state the shared domain.
     * @return the pfn the pair got.
     */
    @Benchmark
    public long cachedOutOfLine(final CachedDomain state)
    {
        return cachedPairOutOfLine(state.domain);
    }

    /**
     * A pair through the range caches, from each of 2 threads on the shared domain.
     *
     * @param state the shared domain.
     * @return the pfn the pair got.
     */
    @Benchmark
    @BenchmarkMode({Mode.AverageTime, Mode.Throughput})
    @Threads(2)
    public long cached2Threads(final CachedDomain state)
    {
        return cachedPair(state.domain);
    }

    /**
     * A pair through the range caches, from each of 4 threads on the shared domain.
     *
     * @param state the shared domain.
     * @return the pfn the pair got.
     */
    @Benchmark
    @BenchmarkMode({Mode.AverageTime, Mode.Throughput})
    @Threads(4)
    public long cached4Threads(final CachedDomain state)
    {
        return cachedPair(state.domain);
    }

    /**
     * A pair straight through the tree ({@code alloc}/{@code free}) of a domain without caches.
     *
     * @param state the shared domain.
     * @return the pfn the pair got.
     */
    @Benchmark
    public long tree(final UncachedDomain state)
    {
        final IovaDomain domain = state.domain;
        final long pfn = domain.alloc(PAIR_PAGES, LIMIT_PFN, true);
        domain.free(pfn, PAIR_PAGES);
        InjectedCost.afterPair(domain, true); // the gate's proof only: nothing unless -Diova.bench.extraPairPercent is set
        return pfn;
    }

    /**
     * {@link #tree} with {@value #MILLION} other live ranges, whatever {@link #liveRanges} says:
     * the ANCHORS row "1-page alloc+free pair, 1 million other live ranges", beside the thousand
     * of {@link #tree} in every run.
     *
     * @param state the shared domain.
     * @return the pfn the pair got.
     */
    @Benchmark
    public long treeMillion(final UncachedMillionDomain state)
    {
        final IovaDomain domain = state.domain;
        final long pfn = domain.alloc(PAIR_PAGES, LIMIT_PFN, true);
        domain.free(pfn, PAIR_PAGES);
        return pfn;
    }

    /**
     * A pair through {@code allocFast}/{@code freeFast} of a domain whose caches are off, so
     * that both go to the tree.
     *
     * @param state the shared domain.
     * @return the pfn the pair got.
     */
    @Benchmark
    public long treeViaFastApiCachesOff(final UncachedDomain state)
    {
        return cachedPair(state.domain);
    }

    @CompilerControl(CompilerControl.Mode.DONT_INLINE)
    private static long cachedPairOutOfLine(final IovaDomain domain)
    {
        return cachedPair(domain);
    }

    private static long cachedPair(final IovaDomain domain)
    {
        final long pfn = domain.allocFast(PAIR_PAGES, LIMIT_PFN);
        domain.freeFast(pfn, PAIR_PAGES); // a failed alloc (pfn 0) throws here: the run stops
        InjectedCost.afterPair(domain, false); // the gate's proof only: nothing unless -Diova.bench.extraPairPercent is set
        return pfn;
    }

    /**
     * One domain per trial, filled with the background of live ranges, shared by every thread
     * of the benchmark.
     */
    abstract static class DomainState
    {
        IovaDomain domain;

        abstract IovaDomain.Builder builder();

        /** @return the background's size: the benchmark's {@link #liveRanges} unless a state fixes its own. */
        int liveRanges(final AllocFreePairBenchmark benchmark)
        {
            return benchmark.liveRanges;
        }

        @Setup(Level.Trial)
        public void fill(final AllocFreePairBenchmark benchmark)
        {
            domain = builder().granuleBytes(4096).startPfn(1).build();
            fillBackground(domain, liveRanges(benchmark), LIMIT_PFN);
        }

        @TearDown(Level.Trial)
        public void checkAndClose(final AllocFreePairBenchmark benchmark)
        {
            try
            {
                domain.flushCaches();
                if (domain.liveRanges() != liveRanges(benchmark))
                {
                    throw new IllegalStateException("after the run " + domain.liveRanges() + " ranges are live, expected the " +
                        liveRanges(benchmark) + " of the background: a pair leaked or freed a background range");
                }
                domain.verify();
            }
            finally
            {
                domain.close();
            }
        }
    }

    /**
     * Allocates {@code liveRanges} 1-page ranges through the tree, evenly spaced over
     * {@code [startPfn, limitPfn - 1]}, the first one {@code stride} pages below
     * {@code limitPfn} ({@code stride = span / (liveRanges + 1)}, at least 1): the tree gets that
     * many nodes, and the highest free page stays at or near {@code limitPfn}.
     *
     * @param domain     an empty domain.
     * @param liveRanges how many ranges, fewer than the pfns below {@code limitPfn}.
     * @param limitPfn   the highest pfn of the region filled.
     */
    static void fillBackground(final IovaDomain domain, final int liveRanges, final long limitPfn)
    {
        final long spanPages = limitPfn - domain.startPfn() + 1;
        if (liveRanges < 0 || liveRanges >= spanPages)
        {
            throw new IllegalArgumentException("liveRanges=" + liveRanges + " must be in [0, " + (spanPages - 1) +
                "]: the pfns below limitPfn=0x" + Long.toHexString(limitPfn) + ", one left for the pairs");
        }
        final long stride = Math.max(1, spanPages / (liveRanges + 1L));
        for (int i = 1; i <= liveRanges; i++)
        {
            final long wantedPfn = limitPfn - i * stride;
            final long pfn = domain.alloc(1, wantedPfn, true);
            if (pfn != wantedPfn)
            {
                throw new IllegalStateException("background range " + i + " landed at pfn=0x" + Long.toHexString(pfn) +
                    ", expected 0x" + Long.toHexString(wantedPfn));
            }
        }
    }
}
