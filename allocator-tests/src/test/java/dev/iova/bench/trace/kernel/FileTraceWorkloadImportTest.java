package dev.iova.bench.trace.kernel;

import dev.iova.IovaDomain;
import dev.iova.bench.cli.ImportCommandTestAccess;
import dev.iova.bench.trace.DomainReplayTarget;
import dev.iova.bench.trace.ReplayResult;
import dev.iova.bench.trace.Trace;
import dev.iova.bench.trace.TraceFormatException;
import dev.iova.bench.trace.TraceParser;
import dev.iova.bench.trace.TraceReplayer;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** {@code shape=file:PATH} of the JMH trace suite: an imported trace repeated or cut to the suite's operations. */
class FileTraceWorkloadImportTest
{
    private static final String SMALL = "iova-trace v1\ndomain granule=4096 start=0x1\nreserve 0x10 0x1f\nalloc 1 2 0xff\nalloc 2 1 0xff\nfree 1\n";

    @Test
    void roundsRaiseTheIdsAndFreeWhatEachRoundLeftBound()
    {
        final String text = FileTraceWorkload.repeatToOps(TraceParser.parseText("small", SMALL), 9);
        assertEquals(String.join("\n",
            "iova-trace v1",
            "# small, repeated to 9 operations",
            "domain granule=4096 start=0x1",
            "reserve 0x10 0x1f",
            "alloc 1 2 0xff", "alloc 2 1 0xff", "free 1", "free 2",
            "alloc 4 2 0xff", "alloc 5 1 0xff", "free 4", "free 5",
            "alloc 7 2 0xff",
            ""), text);
    }

    @Test
    void anImportedSampleReplaysAsExactlyTheSuitesOperations() throws IOException
    {
        final Trace trace = TraceParser.parseText("nic", FileTraceWorkload.repeatToOps(
            ImportCommandTestAccess.sample("nvme-tracefs.expected.trace"), 50_000));
        assertEquals(50_000, trace.ops());
        try (IovaDomain domain = DomainReplayTarget.newDomain(trace))
        {
            final ReplayResult result = new TraceReplayer(trace).replay(new DomainReplayTarget(domain));
            assertEquals(0, result.allocFailed());
            domain.verify();
        }
    }

    @Test
    void aTraceWithoutOperationsCannotBeRepeated()
    {
        final TraceFormatException ex = assertThrows(TraceFormatException.class,
            () -> FileTraceWorkload.repeatToOps(TraceParser.parseText("empty", "iova-trace v1\ndomain granule=4096 start=0x1\n"), 10));
        assertEquals("empty:2: the trace has no alloc or free line to repeat", ex.getMessage());
    }
}
