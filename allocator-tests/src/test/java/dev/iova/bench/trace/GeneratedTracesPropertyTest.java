package dev.iova.bench.trace;

import dev.iova.IovaDomain;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Whatever the shape, seed and length, a generated trace is valid and replays into a sound domain. */
class GeneratedTracesPropertyTest
{
    @Property(tries = 40)
    void everyGeneratedTraceReplaysWithExactlyItsOps(
        @ForAll final TraceShape shape,
        @ForAll final long seed,
        @ForAll @IntRange(min = 0, max = 3000) final int ops)
    {
        final String text = TraceGenerator.generateText(shape, ops, seed);
        final Trace trace = TraceParser.parseText(shape.shapeName(), text);

        try (IovaDomain domain = DomainReplayTarget.newDomain(trace))
        {
            final ReplayResult result = new TraceReplayer(trace).replay(new DomainReplayTarget(domain));
            domain.verify();
            assertEquals(ops, result.ops());
            assertEquals(countAllocs(trace), result.allocOk() + result.allocFailed());
            assertEquals(result.liveAtEnd(), domain.liveRanges());
        }
        assertEquals(text, TraceGenerator.generateText(shape, ops, seed), "same seed, same text");
    }

    private static long countAllocs(final Trace trace)
    {
        long allocs = 0;
        for (int entry = 0; entry < trace.entries(); entry++)
        {
            allocs += trace.kind(entry) == Trace.ALLOC || trace.kind(entry) == Trace.ALLOC_AT ? 1 : 0;
        }
        return allocs;
    }
}
