package dev.iova.bench.trace;

import dev.iova.IovaDomain;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TraceGeneratorTest
{
    @ParameterizedTest
    @EnumSource(TraceShape.class)
    void shouldWriteTheSameTextForTheSameSeed(final TraceShape shape)
    {
        assertEquals(TraceGenerator.generateText(shape, 3000, 42), TraceGenerator.generateText(shape, 3000, 42));
    }

    @ParameterizedTest
    @EnumSource(TraceShape.class)
    void shouldWriteDifferentTextForDifferentSeeds(final TraceShape shape)
    {
        assertNotEquals(TraceGenerator.generateText(shape, 3000, 1), TraceGenerator.generateText(shape, 3000, 2));
    }

    @ParameterizedTest
    @EnumSource(TraceShape.class)
    void shouldWriteExactlyTheOpsAskedFor(final TraceShape shape)
    {
        for (final int ops : new int[] {0, 1, 2, 7, 4999})
        {
            final Trace trace = TraceParser.parseText(shape.shapeName(), TraceGenerator.generateText(shape, ops, 5));
            assertEquals(ops, trace.ops(), shape + " with --ops " + ops);
        }
    }

    @ParameterizedTest
    @EnumSource(value = TraceShape.class, names = "PLACEMENT", mode = EnumSource.Mode.EXCLUDE)
    void shouldStartWithHeaderDomainAndTheMsiReserve(final TraceShape shape)
    {
        final String[] lines = TraceGenerator.generateText(shape, 10, 1).split("\n");

        assertEquals("iova-trace v1", lines[0]);
        assertEquals("# allocator-bench gen " + shape.shapeName() + " --ops 10 --seed 1", lines[1]);
        assertEquals("domain granule=4096 start=0x1", lines[3]);
        assertEquals("reserve 0xfee00 0xfeeff  # x86 MSI doorbells", lines[4]);
    }

    @ParameterizedTest
    @EnumSource(TraceShape.class)
    void generatedTraceShouldReplayWithoutErrorAndLeaveASoundDomain(final TraceShape shape)
    {
        final Trace trace = TraceParser.parseText(shape.shapeName(), TraceGenerator.generateText(shape, 20_000, 1));

        try (IovaDomain domain = DomainReplayTarget.newDomain(trace))
        {
            final ReplayResult result = new TraceReplayer(trace).replay(new DomainReplayTarget(domain));
            domain.verify();
            assertEquals(20_000, result.ops());
            assertEquals(result.liveAtEnd(), domain.liveRanges());
            assertEquals(result.allocFailed(), result.freeSkipped() + failedAndNeverFreed(trace, result));
        }
    }

    @Test
    void fragmentingShapeShouldMakeLargeAllocationsFailWhileNetworkAndStorageDoNot()
    {
        assertTrue(replay(TraceShape.FRAGMENTING, 50_000).allocFailed() > 0, "fragmenting fails some allocations");
        assertEquals(0, replay(TraceShape.NETWORK, 50_000).allocFailed(), "network never fills 4 GiB");
        assertEquals(0, replay(TraceShape.STORAGE, 50_000).allocFailed(), "storage never fills 4 GiB");
    }

    @Test
    void tightShapeShouldMakeMostAllocationsFailInsideItsWindow()
    {
        final String text = TraceGenerator.generateText(TraceShape.TIGHT, 50_000, 1);
        assertTrue(text.contains("reserve 0x300 0x37f"), "the hole in the window is reserved");
        final ReplayResult result = replay(TraceShape.TIGHT, 50_000);
        assertTrue(result.allocFailed() > result.allocOk(), "most requests fail: " + result);
        assertTrue(result.allocOk() > 1_000, "frees at random give room back: " + result);
        for (final String line : text.split("\n"))
        {
            if (line.startsWith("alloc "))
            {
                final String limit = line.split(" ")[3];
                assertTrue(limit.equals("0x7ff") || limit.equals("0x3ff"), line);
            }
        }
    }

    @Test
    void shouldRejectNegativeOps()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
            () -> TraceGenerator.generateText(TraceShape.NETWORK, -1, 1));

        assertEquals("ops=-1 must be at least 0", ex.getMessage());
    }

    @Test
    void shouldFindShapesByNameInAnyCaseAndListThemWhenUnknown()
    {
        assertEquals(TraceShape.FRAGMENTING, TraceShape.byName("Fragmenting"));
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> TraceShape.byName("disk"));
        assertEquals("unknown shape 'disk': expected one of network, storage, fragmenting, mixed, tight, placement", ex.getMessage());
    }

    @Test
    void placementShapeShouldWriteAV2TraceUsingEveryV2OpAndOption()
    {
        final String text = TraceGenerator.generateText(TraceShape.PLACEMENT, 5000, 1);
        final String[] lines = text.split("\n");
        assertEquals("iova-trace v2", lines[0]);
        assertEquals("domain granule=4096 start=0x1 end=0xffff", lines[3]);
        for (final String used : new String[] {"\nallow ", " owner=dev", "\nunreserve dev", "\nalloc-at ", " align=1\n", " align=512",
            " fit=lowest", " fit=best", "\nfree "})
        {
            assertTrue(text.contains(used), "the placement shape uses '" + used.strip() + "'");
        }
        final Trace trace = TraceParser.parseText("placement", text);
        assertEquals(2, trace.version());
        final ReplayResult result = replay(TraceShape.PLACEMENT, 5000);
        assertTrue(result.allocOk() > 1000 && result.allocFailed() > 0 && result.reserveFailed() > 0,
            "placements, failures and refused reserves all happen: " + result);
    }

    private static ReplayResult replay(final TraceShape shape, final int ops)
    {
        final Trace trace = TraceParser.parseText(shape.shapeName(), TraceGenerator.generateText(shape, ops, 1));
        try (IovaDomain domain = DomainReplayTarget.newDomain(trace))
        {
            return new TraceReplayer(trace).replay(new DomainReplayTarget(domain));
        }
    }

    /** Failed allocations whose id the generator had not freed yet when the trace ended. */
    private static long failedAndNeverFreed(final Trace trace, final ReplayResult result)
    {
        final boolean[] freed = new boolean[trace.entries()];
        for (int entry = 0; entry < trace.entries(); entry++)
        {
            if (trace.kind(entry) == Trace.FREE)
            {
                freed[trace.link(entry)] = true;
            }
        }
        long allocs = 0;
        for (int entry = 0; entry < trace.entries(); entry++)
        {
            if ((trace.kind(entry) == Trace.ALLOC || trace.kind(entry) == Trace.ALLOC_AT) && !freed[entry])
            {
                allocs++;
            }
        }
        // Allocations never freed are either live at the end or failed.
        return allocs - result.liveAtEnd();
    }
}
