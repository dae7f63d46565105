package dev.iova.bench.trace;

import dev.iova.HeapAllocationProbe;
import dev.iova.IovaDomain;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TraceReplayerTest
{
    private static final String PROLOGUE = "iova-trace v1\ndomain granule=4096 start=1\n";

    /** The highest pfn of a domain with a 4 KiB granule: the top of a 64-bit address space. */
    private static final long LAST_PFN_4K = (1L << 52) - 1;

    @Test
    void shouldSkipTheFreeOfAFailedAllocationAndCountIt()
    {
        final ReplayResult result = replay(PROLOGUE +
            "reserve 1 0xff\n" +
            "alloc 1 1 0xff\n" +     // nothing free below 0x100: fails
            "free 1\n" +             // skipped
            "alloc 1 1 0x1ff\n" +    // the id is unbound, so it may be allocated again
            "free 1\n");

        assertEquals(4, result.ops());
        assertEquals(1, result.allocOk());
        assertEquals(1, result.allocFailed());
        assertEquals(1, result.freeSkipped());
        assertEquals(0, result.liveAtEnd());
        assertEquals(PfnDigest.of(0, 0x1ff), result.pfnDigest());
    }

    @Test
    void shouldAllowAllocOfAnIdWhoseAllocFailedWithoutAFreeBetween()
    {
        final ReplayResult result = replay(PROLOGUE +
            "alloc 3 2 0x1\n" +      // 2 pages below pfn 2 with start 1: fails
            "alloc 3 2 0x3\n" +      // 0x2..0x3
            "free 3\n");

        assertEquals(1, result.allocOk());
        assertEquals(1, result.allocFailed());
        assertEquals(0, result.freeSkipped());
        assertEquals(PfnDigest.of(0, 0x2), result.pfnDigest());
    }

    @Test
    void allocOfAnIdThatIsStillBoundIsAnErrorOfTheTrace()
    {
        final TraceFormatException ex = assertThrows(TraceFormatException.class, () -> replay(PROLOGUE +
            "alloc 7 1 0xff\n" +
            "alloc 8 1 0xff\n" +
            "alloc 7 1 0xff\n"));

        assertEquals("t.trace:5: alloc of id 7, which is still bound to pfn 0xff (allocated on line 3)", ex.getMessage());
    }

    @Test
    void freeOfAnIdNeverAllocatedIsAnErrorOfTheTrace()
    {
        final TraceFormatException ex = assertThrows(TraceFormatException.class, () -> replay(PROLOGUE +
            "alloc 1 1 0xff\n" +
            "free 9\n"));

        assertEquals("t.trace:4: free of id 9, which is not bound (never allocated, or already freed)", ex.getMessage());
    }

    @Test
    void doubleFreeIsAnErrorOfTheTrace()
    {
        final TraceFormatException ex = assertThrows(TraceFormatException.class, () -> replay(PROLOGUE +
            "alloc 1 1 0xff\n" +
            "free 1\n" +
            "# comment\n" +
            "free 1\n"));

        assertEquals(6, ex.line());
        assertEquals("free of id 1, which is not bound (never allocated, or already freed)", ex.reason());
    }

    @Test
    void secondFreeAfterAFailedAllocationIsAnErrorOfTheTrace()
    {
        final TraceFormatException ex = assertThrows(TraceFormatException.class, () -> replay(PROLOGUE +
            "reserve 1 0xff\n" +
            "alloc 1 1 0xff\n" +
            "free 1\n" +
            "free 1\n"));

        assertEquals(6, ex.line());
    }

    @Test
    void shouldReportTheFirstErrorInTraceOrder()
    {
        // The free on line 5 can be seen to be wrong without replaying, but line 4 comes first.
        final TraceFormatException ex = assertThrows(TraceFormatException.class, () -> replay(PROLOGUE +
            "alloc 1 1 0xff\n" +
            "alloc 1 1 0xff\n" +
            "free 2\n"));

        assertEquals(4, ex.line());
    }

    @Test
    void reserveOverlappingALiveAllocationIsAnErrorOfTheTrace()
    {
        final TraceFormatException ex = assertThrows(TraceFormatException.class, () -> replay(PROLOGUE +
            "alloc 1 1 0xff\n" +
            "reserve 0xf0 0xff\n"));

        assertEquals(4, ex.line());
        assertTrue(ex.reason().startsWith("reserve rejected by the allocator: "), ex.reason());
    }

    @Test
    void shouldClipReservesToTheDomainAndSkipThoseOutsideIt()
    {
        final Trace trace = TraceParser.parseText("t.trace", "iova-trace v1\ndomain granule=4096 start=0x10\n" +
            "reserve 0 0x1f\n" +                                   // clipped to [0x10, 0x1f]
            "reserve 0 0xf\n" +                                    // wholly below start: skipped
            "reserve 0xffff0 0xffffffffffffffff\n" +               // clipped to [0xffff0, lastPfn]
            "reserve 0x10000000000000 0x10000000000000\n" +        // wholly above lastPfn: skipped
            "alloc 1 1 0xffffffffffffffff\n");
        final List<String> calls = new ArrayList<>();

        final ReplayResult result;
        try (IovaDomain domain = DomainReplayTarget.newDomain(trace))
        {
            result = new TraceReplayer(trace).replay(new RecordingTarget(new DomainReplayTarget(domain), calls));
        }

        assertEquals(List.of(
            "reserve 0x10 0x1f",
            "reserve 0xffff0 0x" + Long.toHexString(LAST_PFN_4K),
            "alloc 1 0x7fffffffffffffff -> 0xfffef"), calls);
        assertEquals(2, result.reservesSkipped());
        assertEquals(1, result.allocOk());
    }

    @Test
    void shouldCountRequestsThatCanNeverFitAsFailuresWithoutAskingTheAllocator()
    {
        final Trace trace = TraceParser.parseText("t.trace", "iova-trace v1\ndomain granule=4096 start=0x100\n" +
            "alloc 1 1 0xff\n" +                                   // limit below start
            "alloc 2 0xffffffffffffffff 0xffffffffffffffff\n" +    // more pages than the domain
            "alloc 3 0x10000000000000 0xffffffffffffffff\n" +      // 2^52 pages: more than the domain has
            "free 1\nfree 2\nfree 3\n");
        final List<String> calls = new ArrayList<>();

        final ReplayResult result;
        try (IovaDomain domain = DomainReplayTarget.newDomain(trace))
        {
            result = new TraceReplayer(trace).replay(new RecordingTarget(new DomainReplayTarget(domain), calls));
        }

        assertEquals(List.of(), calls);
        assertEquals(3, result.allocFailed());
        assertEquals(3, result.freeSkipped());
        assertEquals(PfnDigest.of(0, 0, 0), result.pfnDigest());
    }

    @Test
    void shouldClampAnUnsignedLimitToTheTopOfTheDomain()
    {
        final ReplayResult result = replay(PROLOGUE + "alloc 1 1 0xffffffffffffffff\n");

        assertEquals(PfnDigest.of(LAST_PFN_4K), result.pfnDigest());
    }

    @Test
    void shouldGiveTheSameOutcomeOnEveryReplayOfOneReplayer()
    {
        final Trace trace = TraceParser.parseText("gen", TraceGenerator.generateText(TraceShape.STORAGE, 5000, 3));
        final TraceReplayer replayer = new TraceReplayer(trace);

        final ReplayResult first = replayOnFreshDomain(replayer);
        final ReplayResult second = replayOnFreshDomain(replayer);

        assertTrue(first.sameOutcomeAs(second), first + " vs " + second);
        assertEquals(5000, first.ops());
    }

    @Test
    void replayShouldAllocateNothingPerOperation()
    {
        final int ops = 50_000;
        final Trace trace = TraceParser.parseText("gen", TraceGenerator.generateText(TraceShape.FRAGMENTING, ops, 1));
        final TraceReplayer replayer = new TraceReplayer(trace);
        replayOnFreshDomain(replayer); // warm up

        try (IovaDomain domain = DomainReplayTarget.newDomain(trace))
        {
            final DomainReplayTarget target = new DomainReplayTarget(domain);
            final long bytes = HeapAllocationProbe.bytesAllocatedBy(() -> replayer.replay(target));

            // The result record, and the bookkeeping of the tree's few off-heap chunks: no
            // allocation per operation would come to at least 16 bytes each.
            assertTrue(bytes < ops, "heap bytes allocated by replaying " + ops + " ops: " + bytes);
        }
    }

    @Test
    void shouldReportZeroNanosPerOpForATraceWithoutOperations()
    {
        final ReplayResult result = replay(PROLOGUE + "reserve 1 2\n");

        assertEquals(0, result.ops());
        assertEquals(0.0, result.nsPerOp());
        assertEquals(PfnDigest.OFFSET_BASIS, result.pfnDigest());
    }

    @Test
    void startAboveTheApertureIsAnErrorAtTheDomainLine()
    {
        final Trace trace = TraceParser.parseText("t.trace", "iova-trace v1\n# c\ndomain granule=4096 start=0x10000000000000\n");

        final TraceFormatException ex = assertThrows(TraceFormatException.class, () -> DomainReplayTarget.newDomain(trace));

        assertEquals(3, ex.line());
        assertTrue(ex.reason().startsWith("cannot build this domain: "), ex.reason());
    }

    private static ReplayResult replay(final String text)
    {
        return replayOnFreshDomain(new TraceReplayer(TraceParser.parseText("t.trace", text)));
    }

    private static ReplayResult replayOnFreshDomain(final TraceReplayer replayer)
    {
        try (IovaDomain domain = DomainReplayTarget.newDomain(replayer.trace()))
        {
            final ReplayResult result = replayer.replay(new DomainReplayTarget(domain));
            domain.verify();
            assertEquals(result.liveAtEnd(), domain.liveRanges());
            return result;
        }
    }

    /** Passes every call on and writes it down. */
    private static final class RecordingTarget implements ReplayTarget
    {
        private final ReplayTarget delegate;
        private final List<String> calls;

        RecordingTarget(final ReplayTarget delegate, final List<String> calls)
        {
            this.delegate = delegate;
            this.calls = calls;
        }

        @Override
        public long startPfn()
        {
            return delegate.startPfn();
        }

        @Override
        public long lastPfn()
        {
            return delegate.lastPfn();
        }

        @Override
        public long alloc(final long pages, final long limitPfn)
        {
            final long pfn = delegate.alloc(pages, limitPfn);
            calls.add("alloc " + pages + " 0x" + Long.toHexString(limitPfn) + " -> 0x" + Long.toHexString(pfn));
            return pfn;
        }

        @Override
        public void free(final long pfn, final long pages)
        {
            calls.add("free 0x" + Long.toHexString(pfn) + " " + pages);
            delegate.free(pfn, pages);
        }

        @Override
        public void reserve(final long loPfn, final long hiPfn)
        {
            calls.add("reserve 0x" + Long.toHexString(loPfn) + " 0x" + Long.toHexString(hiPfn));
            delegate.reserve(loPfn, hiPfn);
        }
    }
}
