package dev.iova.bench.trace;

import dev.iova.IovaDomain;
import dev.iova.PlacementModel;
import dev.iova.bench.baseline.LinearWalkAllocator;
import dev.iova.bench.baseline.BaselineReplayTarget;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * v2 replays: generated placement traces give the same counts and pfn digest in the domain's
 * tree as in {@link PlacementModel}; the replay rules of v2 stop the replay at the right line;
 * targets without placement control refuse a v2 trace in one sentence.
 */
class PlacementReplayTest
{
    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void generatedPlacementTracesReplayAsInTheModel(final long seed)
    {
        final Trace trace = TraceParser.parseText("placement", TraceGenerator.generateText(TraceShape.PLACEMENT, 3000, seed));
        final TraceReplayer replayer = new TraceReplayer(trace);
        final ReplayResult tree;
        try (IovaDomain domain = DomainReplayTarget.newDomain(trace))
        {
            tree = replayer.replay(new DomainReplayTarget(domain));
            domain.verify();
            assertEquals(tree.liveAtEnd(), domain.liveRanges());
        }
        final ReplayResult model = replayer.replay(new ModelReplayTarget(new PlacementModel(trace.startPfn(), trace.endPfn())));
        assertTrue(tree.sameOutcomeAs(model), "tree " + tree + " vs model " + model);
        assertTrue(tree.allocFailed() > 0 && tree.reserveFailed() > 0, "failures and refused reserves happen: " + tree);
    }

    @Test
    void unreserveOfAnOwnerWhoseReservesWereAllRefusedIsAnError()
    {
        final TraceFormatException ex = replayError("""
            iova-trace v2
            domain granule=4096 start=1 end=0xff
            alloc-at 1 0x10 4
            reserve 0x12 0x20 owner=late
            unreserve late
            """);
        assertEquals("t:5: unreserve of owner 'late', which has no reserve in force (all refused or skipped, or already unreserved)",
            ex.getMessage());
    }

    @Test
    void secondUnreserveOfAnOwnerIsAnError()
    {
        final TraceFormatException ex = replayError("""
            iova-trace v2
            domain granule=4096 start=1 end=0xff
            reserve 0x12 0x20 owner=dev
            unreserve dev
            unreserve dev
            """);
        assertEquals(5, ex.line());
    }

    @Test
    void allowThatLeavesALiveRangeOutsideIsAnError()
    {
        final TraceFormatException ex = replayError("""
            iova-trace v2
            domain granule=4096 start=1 end=0xff
            alloc-at 1 0x10 4
            allow 0x20 0xff
            """);
        assertEquals(4, ex.line());
        assertTrue(ex.getMessage().contains("allow rejected by the allocator"), ex.getMessage());
    }

    @Test
    void allowWhollyOutsideTheDomainIsAnError()
    {
        final TraceFormatException ex = replayError("""
            iova-trace v2
            domain granule=4096 start=1 end=0xff
            allow 0x100 0x1ff
            """);
        assertEquals("t:3: allow [0x100, 0x1ff] lies wholly outside the domain [0x1, 0xff]", ex.getMessage());
    }

    @Test
    void allocAtOfABoundIdIsAnErrorAndOfAFailedOneIsNot()
    {
        final TraceFormatException ex = replayError("""
            iova-trace v2
            domain granule=4096 start=1 end=0xff
            alloc-at 1 0x10 4
            alloc-at 2 0x10 4
            alloc-at 2 0x20 4
            alloc 1 1 0xff
            """);
        assertEquals(6, ex.line(), "id 2 failed at line 4, so line 5 may reuse it; id 1 is still bound at line 6");
    }

    @Test
    void fixedRangesOutsideTheDomainAndHugeAlignmentsFailWithoutAnError()
    {
        final Trace trace = TraceParser.parseText("t", """
            iova-trace v2
            domain granule=4096 start=1 end=0xff
            alloc-at 1 0xffffffffffffffff 2
            alloc-at 2 0xfe 0xffffffffffffffff
            alloc 3 1 0xff align=0x8000000000000000
            alloc 4 1 0xff align=0x100
            alloc 5 1 0xff align=0x80
            """);
        try (IovaDomain domain = DomainReplayTarget.newDomain(trace))
        {
            final TraceReplayer replayer = new TraceReplayer(trace);
            final ReplayResult result = replayer.replay(new DomainReplayTarget(domain));
            assertEquals(4, result.allocFailed());
            assertEquals(0x80, replayer.resultPfn(4));
        }
    }

    @Test
    void cachedTargetRefusesAV2TraceInOneSentence()
    {
        final Trace trace = TraceParser.parseText("p.trace", "iova-trace v2\ndomain granule=4096 start=1 end=0xffff\nalloc 1 1 0xffff\n");
        try (IovaDomain domain = DomainReplayTarget.newDomain(trace))
        {
            final TraceFormatException ex = assertThrows(TraceFormatException.class,
                () -> new TraceReplayer(trace).replay(new CachedReplayTarget(domain)));
            assertEquals("p.trace:1: the range caches (--cache) cannot replay an iova-trace v2 file, because they place " +
                "only size-aligned ranges at the highest fit: replay it straight into the tree", ex.getMessage());
            assertEquals(0, domain.liveRanges(), "nothing was replayed");
        }
    }

    @Test
    void linearWalkBaselineRefusesAV2Trace()
    {
        final Trace trace = TraceParser.parseText("p.trace", "iova-trace v2\ndomain granule=4096 start=1\nalloc 1 1 0xffff\n");
        try (LinearWalkAllocator allocator = new LinearWalkAllocator(1, 0xfffff, 0xfffff))
        {
            final TraceFormatException ex = assertThrows(TraceFormatException.class,
                () -> new TraceReplayer(trace).replay(new BaselineReplayTarget(allocator, "the linear-walk baseline")));
            assertTrue(ex.getMessage().startsWith("p.trace:1: the linear-walk baseline cannot replay an iova-trace v2 file, because it places"),
                ex.getMessage());
        }
    }

    @Test
    void v2ReplayOfAllocAllocAtAndFreeAllocatesNothingPerOperation()
    {
        assertAllocatesNothingPerOperation(false);
    }

    @Test
    void v2ReplayWithAllowedRangesAllocatesNothingPerOperation()
    {
        assertAllocatesNothingPerOperation(true);
    }

    /** Replays 40,000 alloc (every fit, mixed alignments), alloc-at and free lines, and counts the heap bytes. */
    private static void assertAllocatesNothingPerOperation(final boolean withAllowedRange)
    {
        final java.io.StringWriter text = new java.io.StringWriter();
        final TraceWriter writer = new TraceWriter(text);
        final java.util.SplittableRandom random = new java.util.SplittableRandom(5);
        try
        {
            writer.headerV2();
            writer.domain(4096, 1, 0xfffff);
            if (withAllowedRange)
            {
                writer.allow(0x10, 0xeffff, null);
            }
            writer.reserve(0x8000, 0x80ff, "msi", null);
            for (int id = 1; id <= 10_000; id++)
            {
                writer.alloc(2L * id, 1 + random.nextInt(16), 0xfffff,
                    random.nextBoolean() ? Trace.NATURAL_ALIGN : 1L << random.nextInt(10), (byte)random.nextInt(3));
                writer.allocAt(2L * id + 1, 0x10 + random.nextInt(0xe0000), 1 + random.nextInt(8));
                writer.free(2L * id);
                writer.free(2L * id + 1);
            }
        }
        catch (final java.io.IOException ex)
        {
            throw new java.io.UncheckedIOException(ex);
        }
        final Trace trace = TraceParser.parseText("v2", text.toString());
        final TraceReplayer replayer = new TraceReplayer(trace);
        try (IovaDomain warmUp = DomainReplayTarget.newDomain(trace))
        {
            replayer.replay(new DomainReplayTarget(warmUp));
        }
        try (IovaDomain domain = DomainReplayTarget.newDomain(trace))
        {
            final DomainReplayTarget target = new DomainReplayTarget(domain);
            final long bytes = dev.iova.HeapAllocationProbe.bytesAllocatedBy(() -> replayer.replay(target));
            // The owned reserve keeps a small map and the result is a record: one allocation per
            // operation would come to at least 16 bytes each.
            assertTrue(bytes < trace.ops(), "heap bytes allocated by replaying " + trace.ops() + " v2 ops: " + bytes);
        }
    }

    private static TraceFormatException replayError(final String text)
    {
        final Trace trace = TraceParser.parseText("t", text);
        try (IovaDomain domain = DomainReplayTarget.newDomain(trace))
        {
            return assertThrows(TraceFormatException.class, () -> new TraceReplayer(trace).replay(new DomainReplayTarget(domain)));
        }
    }
}
