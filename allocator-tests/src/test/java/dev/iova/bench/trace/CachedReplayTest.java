package dev.iova.bench.trace;

import dev.iova.HeapAllocationProbe;
import dev.iova.IovaDomain;
import dev.iova.cache.RangeCacheStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Replays through the range caches ({@link CachedReplayTarget}, {@code replay --cache}). Caches
 * change placements, so nothing here compares digests with the tree; what must hold instead:
 * every range handed out is inside its limit, aligned and free; a request of a cached size fails
 * only when no aligned range of its rounded size is free below the limit (the caches were
 * flushed and the tree asked again); the counts fit the trace's structure; after a flush the
 * domain holds exactly the ranges the trace left live and passes {@code verify()}; one thread
 * replaying the same trace twice gets the same outcome (which {@code --repeat} relies on).
 */
class CachedReplayTest
{
    static Stream<Arguments> generatedTraces()
    {
        return Stream.of(TraceShape.values()).filter(shape -> shape.version() == 1).flatMap(shape -> Stream.of(1L, 2L).map(seed -> Arguments.of(shape, seed)));
    }

    @ParameterizedTest(name = "{0} seed {1}")
    @MethodSource("generatedTraces")
    void shouldHandOutOnlyValidRangesAndFailOnlyWithoutRoomOnGeneratedTraces(final TraceShape shape, final long seed)
    {
        final Trace trace = TraceParser.parseText(shape.shapeName(), TraceGenerator.generateText(shape, 20_000, seed));

        assertCachedReplayHolds(trace);
    }

    @ParameterizedTest
    @ValueSource(strings = {"small-hand", "tight-3000"})
    void shouldHandOutOnlyValidRangesAndFailOnlyWithoutRoomOnTheConformanceTraces(final String traceName) throws IOException
    {
        final Trace trace = TraceParser.parse(ConformanceTracesTest.tracesDir().resolve(traceName + ".trace"));

        assertCachedReplayHolds(trace);
    }

    @Test
    void shouldReportTheTreeCountsWhenNoAllocationCanFail()
    {
        // 1-page maps below 4 GiB with at most about a thousand in flight: no allocator that
        // flushes its caches before failing can run out, so every count is fixed by the trace.
        final Trace trace = TraceParser.parseText("network", TraceGenerator.generateText(TraceShape.NETWORK, 50_000, 1));

        final ReplayResult cached = replayCached(trace);
        final ReplayResult tree;
        try (IovaDomain domain = DomainReplayTarget.newDomain(trace))
        {
            tree = new TraceReplayer(trace).replay(new DomainReplayTarget(domain));
        }

        assertEquals(0, cached.allocFailed());
        assertEquals(
            new ReplayResult(tree.ops(), tree.allocOk(), tree.allocFailed(), tree.freeSkipped(), tree.liveAtEnd(),
                tree.reservesSkipped(), tree.reserveFailed(), 0, 0),
            new ReplayResult(cached.ops(), cached.allocOk(), cached.allocFailed(), cached.freeSkipped(), cached.liveAtEnd(),
                cached.reservesSkipped(), cached.reserveFailed(), 0, 0));
        assertNotEquals(tree.pfnDigest(), cached.pfnDigest(), "magazines hand back freed pages, not the highest fit");
    }

    @Test
    void shouldServeMostNetworkAllocationsFromTheMagazines()
    {
        final Trace trace = TraceParser.parseText("network", TraceGenerator.generateText(TraceShape.NETWORK, 20_000, 1));

        try (IovaDomain domain = DomainReplayTarget.newDomain(trace))
        {
            final ReplayResult result = new TraceReplayer(trace).replay(new CachedReplayTarget(domain));
            final RangeCacheStats stats = domain.cacheStats();

            assertTrue(result.allocOk() > 0);
            assertTrue(stats.allocHits() > result.allocOk() / 2, "magazine hits " + stats + " of " + result.allocOk() + " allocations");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"storage", "fragmenting", "mixed"})
    void shouldGiveTheSameOutcomeOnEveryCachedReplayFromOneThread(final String shapeName)
    {
        final Trace trace = TraceParser.parseText(shapeName, TraceGenerator.generateText(TraceShape.byName(shapeName), 20_000, 7));

        final ReplayResult first = replayCached(trace);
        final ReplayResult second = replayCached(trace);

        assertTrue(first.sameOutcomeAs(second), first + " vs " + second);
    }

    @Test
    void cachedReplayShouldAllocateNothingPerOperation()
    {
        final int ops = 50_000;
        final Trace trace = TraceParser.parseText("gen", TraceGenerator.generateText(TraceShape.STORAGE, ops, 1));
        final TraceReplayer replayer = new TraceReplayer(trace);
        replayCached(trace); // warm up

        try (IovaDomain domain = DomainReplayTarget.newDomain(trace))
        {
            final CachedReplayTarget target = new CachedReplayTarget(domain);
            final long bytes = HeapAllocationProbe.bytesAllocatedBy(() -> replayer.replay(target));

            // The result record, the tree's few off-heap chunks and the live map's leaves, no
            // more: an allocation per operation would come to at least 16 bytes each.
            assertTrue(bytes < ops, "heap bytes allocated by replaying " + ops + " ops through the caches: " + bytes);
        }
    }

    /**
     * {@code IovaDomain.allocFast} flushes the caches and retries only for cached sizes (up to
     * {@code maxCachedPages}); a larger request goes to the tree once, so ranges sitting in
     * magazines can make it fail. Linux's {@code alloc_iova_fast} flushes for every size. This
     * trace fills a 128-page window with 1-page maps, unmaps them all (into the magazines), then
     * asks for 64 pages in it: the tree alone has room.
     */
    @Test
    void largeAllocationShouldNotFailWhileTheCachesHoldItsRoom()
    {
        final StringBuilder text = new StringBuilder("iova-trace v1\ndomain granule=4096 start=1\nreserve 1 0xff\n");
        for (int id = 1; id <= 128; id++)
        {
            text.append("alloc ").append(id).append(" 1 0x17f\n");
        }
        for (int id = 1; id <= 128; id++)
        {
            text.append("free ").append(id).append('\n');
        }
        text.append("alloc 1000 64 0x17f\n");
        final Trace trace = TraceParser.parseText("large-after-small.trace", text.toString());

        final ReplayResult result = replayCached(trace);

        assertEquals(0, result.allocFailed(), "the tree alone places the 64 pages at 0x140: " + result);
    }

    /** Replays through the caches with every range checked, then checks the counts and the domain. */
    private static void assertCachedReplayHolds(final Trace trace)
    {
        final ReplayResult result;
        final CheckedTarget checked;
        try (IovaDomain domain = DomainReplayTarget.newDomain(trace))
        {
            checked = new CheckedTarget(new CachedReplayTarget(domain));
            result = new TraceReplayer(trace).replay(checked);

            domain.flushCaches();
            domain.verify();
            assertEquals(result.liveAtEnd(), domain.liveRanges(), "live ranges in the domain after a flush");
        }

        long allocLines = 0;
        long freeLines = 0;
        for (int entry = 0; entry < trace.entries(); entry++)
        {
            allocLines += trace.kind(entry) == Trace.ALLOC ? 1 : 0;
            freeLines += trace.kind(entry) == Trace.FREE ? 1 : 0;
        }
        assertEquals(trace.ops(), result.ops(), "ops");
        assertEquals(allocLines, result.allocOk() + result.allocFailed(), "every alloc line succeeds or fails");
        assertTrue(result.freeSkipped() <= result.allocFailed(), "only frees of failed allocations are skipped: " + result);
        assertEquals(result.allocOk() - (freeLines - result.freeSkipped()), result.liveAtEnd(), "liveAtEnd: " + result);
        assertEquals(result.allocFailed(), checked.failures, "failures the checker saw");
    }

    private static ReplayResult replayCached(final Trace trace)
    {
        try (IovaDomain domain = DomainReplayTarget.newDomain(trace))
        {
            final ReplayResult result = new TraceReplayer(trace).replay(new CachedReplayTarget(domain));
            domain.flushCaches();
            domain.verify();
            assertEquals(result.liveAtEnd(), domain.liveRanges());
            return result;
        }
    }

    /**
     * Checks every call against a {@link HighestFitModel} that holds what the trace holds: the
     * live ranges, at the size the caches hand out (rounded up to a power of two up to
     * {@code maxCachedPages}), and the reserves.
     */
    private static final class CheckedTarget implements ReplayTarget
    {
        private final CachedReplayTarget target;
        private final HighestFitModel held;
        private final long maxCachedPages;
        long failures;

        CheckedTarget(final CachedReplayTarget target)
        {
            this.target = target;
            this.held = new HighestFitModel(target.startPfn(), target.lastPfn());
            this.maxCachedPages = target.domain().maxCachedPages();
        }

        @Override
        public long startPfn()
        {
            return target.startPfn();
        }

        @Override
        public long lastPfn()
        {
            return target.lastPfn();
        }

        @Override
        public long alloc(final long pages, final long limitPfn)
        {
            final long handedPages = handedPages(pages);
            final long pfn = target.alloc(pages, limitPfn);
            final String request = pages + " pages below 0x" + Long.toHexString(limitPfn);
            if (pfn != NO_ADDRESS)
            {
                assertEquals(0, pfn & (handedPages - 1), "pfn 0x" + Long.toHexString(pfn) + " for " + request + " is not aligned");
                assertTrue(pfn >= startPfn(), "pfn 0x" + Long.toHexString(pfn) + " for " + request + " is below the start");
                assertTrue(pfn + handedPages - 1 <= Math.min(limitPfn, lastPfn()),
                    "pfn 0x" + Long.toHexString(pfn) + " for " + request + " ends above the limit");
                held.place(pfn, handedPages);
                return pfn;
            }
            failures++;
            if (pages <= maxCachedPages) // larger requests are not retried after a flush: see the disabled test
            {
                final long room = held.highestFit(handedPages, limitPfn);
                assertEquals(NO_ADDRESS, room, request + " failed, though " + handedPages + " pages at 0x" +
                    Long.toHexString(room) + " were free with every cache flushed");
            }
            return NO_ADDRESS;
        }

        @Override
        public void free(final long pfn, final long pages)
        {
            target.free(pfn, pages);
            held.free(pfn, handedPages(pages));
        }

        @Override
        public void reserve(final long loPfn, final long hiPfn)
        {
            target.reserve(loPfn, hiPfn);
            held.reserve(loPfn, hiPfn);
        }

        private long handedPages(final long pages)
        {
            return pages <= maxCachedPages && Long.bitCount(pages) != 1 ? Long.highestOneBit(pages) << 1 : pages;
        }
    }
}
