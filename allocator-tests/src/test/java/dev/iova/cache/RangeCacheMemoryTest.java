package dev.iova.cache;

import dev.iova.IovaDomain;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import static dev.iova.IovaDomain.NO_ADDRESS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The range caches' memory is bounded whatever the number of threads that use them
 * ({@code docs/caches.md}, the section on stripes): stripes, depots and magazines are allocated once when the
 * domain is built, and the live map grows only with the address space the caches hand out, never
 * with threads. A thousand threads that each use the caches and die leave the caches' bytes where
 * one thread left them, the cached ranges within the bound the geometry sets, and nothing lost.
 */
final class RangeCacheMemoryTest
{
    /** 32 Ki pages: every size class's live-map slots fit in one leaf ({@link LiveRangeMap#LEAF_SLOTS}). */
    private static final long LAST_PFN = 0x7fff;

    private static final long MAX_CACHED_PAGES = 64;
    private static final int SIZE_CLASSES = 7; // 1, 2, 4, ..., 64 pages
    private static final int STRIPES = 4;
    private static final int MAGAZINE_RANGES = 4;
    private static final int DEPOT_MAGAZINES = 1;

    @Test
    void aThousandShortLivedThreadsLeaveTheCachesMemoryWhereOneThreadLeftIt() throws InterruptedException
    {
        try (IovaDomain domain = IovaDomain.builder().lastPfn(LAST_PFN).maxCachedPages(MAX_CACHED_PAGES)
            .cacheStripes(STRIPES).magazineRanges(MAGAZINE_RANGES).depotMagazines(DEPOT_MAGAZINES).build())
        {
            final long builtBytes = domain.cacheOffHeapBytes();
            assertTrue(builtBytes > 0, "the stripes, depots and magazines exist from the start");

            runThreads(domain, 1, 1);
            final long oneThreadBytes = domain.cacheOffHeapBytes();
            assertEquals(builtBytes + SIZE_CLASSES * LiveRangeMap.LEAF_BYTES, oneThreadBytes,
                "one thread that used every size class added one live-map leaf per class and nothing else");

            runThreads(domain, 1_000, 4);

            assertEquals(oneThreadBytes, domain.cacheOffHeapBytes(), "a thousand more threads added nothing");
            final long cachedBound = (long)STRIPES * SIZE_CLASSES * 2 * MAGAZINE_RANGES + (long)SIZE_CLASSES * DEPOT_MAGAZINES * MAGAZINE_RANGES;
            final long cached = domain.cacheStats().cachedRanges();
            assertTrue(cached > 0 && cached <= cachedBound,
                () -> cached + " ranges cached, the geometry bounds them at " + cachedBound);
            assertEquals(cached, domain.liveRanges(), "the dead threads' frees sit in the caches, and nothing else is live");

            domain.flushCaches();

            assertEquals(0, domain.liveRanges(), "every range the dead threads freed went back to the tree");
            assertEquals(LAST_PFN, domain.freePages(LAST_PFN));
            assertEquals(oneThreadBytes, domain.cacheOffHeapBytes(), "a flush keeps the caches' memory for reuse");
            domain.verify();
        }
    }

    @Test
    void aDomainWithoutCachesOrClosedHoldsNoCacheMemory()
    {
        try (IovaDomain uncached = IovaDomain.builder().lastPfn(LAST_PFN).maxCachedPages(0).build())
        {
            assertEquals(0, uncached.cacheOffHeapBytes());
        }
        final IovaDomain closed = IovaDomain.builder().lastPfn(LAST_PFN).build();
        assertNotEquals(0, closed.cacheOffHeapBytes());
        closed.close();
        assertEquals(0, closed.cacheOffHeapBytes());
    }

    /**
     * Runs {@code threads} threads, {@code atOnce} at a time, each allocating one range of every
     * size class through the caches and freeing them all before it ends.
     */
    private static void runThreads(final IovaDomain domain, final int threads, final int atOnce) throws InterruptedException
    {
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        for (int started = 0; started < threads; started += atOnce)
        {
            final List<Thread> wave = new ArrayList<>();
            for (int t = started; t < Math.min(threads, started + atOnce); t++)
            {
                final int seed = t;
                final Thread thread = new Thread(() ->
                {
                    try
                    {
                        final long[] pfns = new long[SIZE_CLASSES];
                        for (int i = 0; i < SIZE_CLASSES; i++)
                        {
                            final int sizeClass = (i + seed) % SIZE_CLASSES;
                            pfns[sizeClass] = domain.allocFast(1L << sizeClass, LAST_PFN);
                            assertNotEquals(NO_ADDRESS, pfns[sizeClass], "the space is never exhausted here");
                        }
                        for (int sizeClass = 0; sizeClass < SIZE_CLASSES; sizeClass++)
                        {
                            domain.freeFast(pfns[sizeClass], 1L << sizeClass);
                        }
                    }
                    catch (final Throwable t1)
                    {
                        failure.compareAndSet(null, t1);
                    }
                }, "short-lived-" + t);
                thread.start();
                wave.add(thread);
            }
            for (final Thread thread : wave)
            {
                thread.join();
            }
        }
        assertNull(failure.get(), () -> "a thread failed: " + failure.get());
    }
}
