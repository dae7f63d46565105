package dev.iova.bench.trace.kernel;

import dev.iova.IovaDomain;
import dev.iova.bench.trace.DomainReplayTarget;
import dev.iova.bench.trace.ReplayResult;
import dev.iova.bench.trace.Trace;
import dev.iova.bench.trace.TraceParser;
import dev.iova.bench.trace.TraceReplayer;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Whatever a recording holds (maps that overlap, unmaps of nothing, several CPUs out of order),
 * the import writes a valid trace that replays without an error of the trace, and the same
 * recording gives the same trace.
 */
class ImportPropertyTest
{
    @Property(tries = 30)
    void importedTracesAreValidAndReplay(@ForAll @LongRange(min = 1, max = Long.MAX_VALUE) final long seed,
        @ForAll @IntRange(min = 1, max = 200) final int events)
    {
        final SplittableRandom random = new SplittableRandom(seed);
        final List<String> lines = new ArrayList<>();
        for (int i = 0; i < events; i++)
        {
            final long addr = 0x100000L + random.nextLong(64) * 0x800;
            final long bytes = 1 + random.nextLong(0x4000);
            final long us = i * 10L + random.nextLong(30); // a little out of order between CPUs
            final String time = String.format("%d.%06d", 5 + us / 1_000_000, us % 1_000_000);
            lines.add(random.nextInt(3) == 0 ?
                String.format("<idle>-0 [%03d] d.h1. %s: dma_unmap_page: nvme0 dir=TO_DEVICE dma_addr=%x size=%d attrs=", random.nextInt(4), time, addr, bytes) :
                String.format("fio-1 [%03d] ..... %s: dma_map_page: nvme0 dir=TO_DEVICE dma_addr=%x size=%d phys_addr=1 attrs=", random.nextInt(4), time, addr, bytes));
        }
        final String recording = String.join("\n", lines);
        final String text = KernelTraceImporter.importText("random.txt", recording, ImportOptions.defaults());
        assertEquals(text, KernelTraceImporter.importText("random.txt", recording, ImportOptions.defaults()), "the same recording, the same trace");

        final Trace trace = TraceParser.parseText("imported", text);
        try (IovaDomain domain = DomainReplayTarget.newDomain(trace))
        {
            final ReplayResult result = new TraceReplayer(trace).replay(new DomainReplayTarget(domain));
            domain.verify();
            assertEquals(trace.ops(), result.ops());
        }
    }
}
