package dev.iova.bench.jmh;

import dev.iova.IovaDomain;
import dev.iova.bench.baseline.BaselineReplayTarget;
import dev.iova.bench.baseline.LinearWalkAllocator;
import dev.iova.bench.baseline.TreeMapAllocator;
import dev.iova.bench.trace.CachedReplayTarget;
import dev.iova.bench.trace.DomainReplayTarget;
import dev.iova.bench.trace.ReplayTarget;
import dev.iova.cache.RangeCacheStats;

/**
 * One of the allocators a suite compares, chosen by the name its {@code target} {@code @Param}
 * gives, behind the {@link ReplayTarget} interface (size-aligned alloc, free by first pfn and
 * pages). A fork runs one benchmark with one value, so only one implementation of the interface
 * is ever loaded in it and the calls inline as if they were direct.
 *
 * <ul>
 *   <li>{@value #TREE}: {@code IovaDomain.alloc(pages, limitPfn, true)}/{@code free(pfn, pages)}
 *       on a domain built with {@code maxCachedPages(0)}: the tree path.</li>
 *   <li>{@value #CACHED}: {@code allocFast}/{@code freeFast} on a domain with the default range
 *       caches (up to 32 pages; larger requests go to the tree).</li>
 *   <li>{@code cached-max<N>}: the same with {@code maxCachedPages(N)}.</li>
 *   <li>{@value #TREEMAP_BASELINE}: {@link TreeMapAllocator}, the TreeMap-under-a-lock baseline.</li>
 *   <li>{@value #TREE_LINEAR_WALK}: {@link LinearWalkAllocator}, an off-heap tree without gap
 *       augmentation, searched linearly from a cached node as Linux's {@code iova.c} does.</li>
 * </ul>
 */
final class AllocatorUnderTest implements AutoCloseable
{
    /** The tree of an {@link IovaDomain} without caches. */
    static final String TREE = "tree";

    /** An {@link IovaDomain}'s range caches in front of its tree. */
    static final String CACHED = "cached";

    /**
     * Prefix of {@code cached-max<N>}: {@value #CACHED} with {@code maxCachedPages(N)} instead of
     * the default, to compare largest cached sizes in one run (e.g. {@code cached-max32}).
     */
    static final String CACHED_MAX_PREFIX = "cached-max";

    /** {@link TreeMapAllocator}. */
    static final String TREEMAP_BASELINE = "treemap-baseline";

    /** {@link LinearWalkAllocator}: a tree without augmentation, searched as Linux does. */
    static final String TREE_LINEAR_WALK = "tree-linear-walk";

    /** The first 4 KiB pfn at 4 GiB, where Linux's two cached nodes divide the space. */
    private static final long DMA32_END_PFN = 0x100000L;

    final ReplayTarget target;
    private final IovaDomain domain;
    private final TreeMapAllocator treeMap;
    private final LinearWalkAllocator linearWalk;

    private AllocatorUnderTest(
        final ReplayTarget target, final IovaDomain domain, final TreeMapAllocator treeMap, final LinearWalkAllocator linearWalk)
    {
        this.target = target;
        this.domain = domain;
        this.treeMap = treeMap;
        this.linearWalk = linearWalk;
    }

    /**
     * @param name    {@value #TREE}, {@value #CACHED}, {@code cached-max<N>}, {@value #TREEMAP_BASELINE} or {@value #TREE_LINEAR_WALK}.
     * @param lastPfn the highest pfn handed out; the lowest is 1, the granule 4 KiB.
     * @return a new, empty allocator; the caller closes it.
     */
    static AllocatorUnderTest open(final String name, final long lastPfn)
    {
        switch (name)
        {
            case TREE:
            {
                final IovaDomain domain = IovaDomain.builder().startPfn(1).lastPfn(lastPfn).maxCachedPages(0).build();
                return new AllocatorUnderTest(new DomainReplayTarget(domain), domain, null, null);
            }
            case CACHED:
            {
                final IovaDomain domain = IovaDomain.builder().startPfn(1).lastPfn(lastPfn).build();
                return new AllocatorUnderTest(new CachedReplayTarget(domain), domain, null, null);
            }
            case TREEMAP_BASELINE:
            {
                final TreeMapAllocator treeMap = new TreeMapAllocator(1, lastPfn);
                return new AllocatorUnderTest(new BaselineReplayTarget(treeMap, "the TreeMap baseline"), null, treeMap, null);
            }
            case TREE_LINEAR_WALK:
            {
                final LinearWalkAllocator linearWalk = new LinearWalkAllocator(1, lastPfn, DMA32_END_PFN);
                return new AllocatorUnderTest(new BaselineReplayTarget(linearWalk, "the linear-walk baseline"), null, null, linearWalk);
            }
            default:
                if (name.startsWith(CACHED_MAX_PREFIX))
                {
                    final long maxCachedPages = Long.parseLong(name.substring(CACHED_MAX_PREFIX.length()));
                    final IovaDomain domain = IovaDomain.builder().startPfn(1).lastPfn(lastPfn).maxCachedPages(maxCachedPages).build();
                    return new AllocatorUnderTest(new CachedReplayTarget(domain), domain, null, null);
                }
                throw new IllegalArgumentException("target=" + name + " is none of " + TREE + ", " + CACHED + ", " +
                    TREEMAP_BASELINE + ", " + TREE_LINEAR_WALK);
        }
    }

    /**
     * Allocates {@code liveRanges} 1-page ranges evenly spaced below {@code limitPfn}, as
     * {@link AllocFreePairBenchmark#fillBackground} does, each under a limit just at its place so
     * that no allocator walks the ranges already placed.
     *
     * @param liveRanges how many ranges.
     * @param limitPfn   the highest pfn of the region filled.
     */
    void fillEvenly(final int liveRanges, final long limitPfn)
    {
        final long stride = Math.max(1, limitPfn / (liveRanges + 1L));
        for (int i = 1; i <= liveRanges; i++)
        {
            final long wantedPfn = limitPfn - i * stride;
            final long pfn = target.alloc(1, wantedPfn);
            if (pfn != wantedPfn)
            {
                throw new IllegalStateException("background range " + i + " landed at pfn=0x" + Long.toHexString(pfn) +
                    ", expected 0x" + Long.toHexString(wantedPfn));
            }
        }
    }

    /** Gives cached ranges back to the tree, so that {@link #liveRanges()} counts only what the benchmark holds. */
    void flushCaches()
    {
        if (domain != null)
        {
            domain.flushCaches();
        }
    }

    /** @return whether the allocator is a domain with range caches (the {@code cached} targets). */
    boolean hasCaches()
    {
        return domain != null && domain.maxCachedPages() > 0;
    }

    /** @return the caches' counters since the domain was built (all zero without caches or a domain). */
    RangeCacheStats cacheStats()
    {
        return domain != null ? domain.cacheStats() : RangeCacheStats.NONE;
    }

    /** @return live allocations, after {@link #flushCaches()}. */
    long liveRanges()
    {
        return domain != null ? domain.liveRanges() : treeMap != null ? treeMap.liveRanges() : linearWalk.liveRanges();
    }

    /**
     * Flushes the caches, checks that exactly {@code expectedLiveRanges} are live and that the tree
     * is sound: a teardown's check that the benchmark timed what it meant to.
     *
     * @param expectedLiveRanges what the benchmark holds between operations.
     */
    void checkLive(final long expectedLiveRanges)
    {
        flushCaches();
        final long live = liveRanges();
        if (live != expectedLiveRanges)
        {
            throw new IllegalStateException(live + " ranges are live after the run, expected " + expectedLiveRanges +
                ": an operation leaked or freed a range it did not own");
        }
        if (domain != null)
        {
            domain.verify();
        }
        if (linearWalk != null)
        {
            linearWalk.verify();
        }
    }

    @Override
    public void close()
    {
        if (domain != null)
        {
            domain.close();
        }
        if (linearWalk != null)
        {
            linearWalk.close();
        }
    }
}
