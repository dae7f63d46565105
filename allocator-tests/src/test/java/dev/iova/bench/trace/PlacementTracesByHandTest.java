package dev.iova.bench.trace;

import dev.iova.IovaDomain;
import dev.iova.PlacementModel;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Small iova-trace v2 traces worked out by hand, one per op and per fit policy, ties included.
 * Every {@code alloc} and {@code alloc-at} line ends in {@code # expect PFN} or
 * {@code # expect fail}, with the reason worked out in the comment; each trace is replayed into
 * the domain's tree and into {@link PlacementModel}, and both must give every expected result.
 */
class PlacementTracesByHandTest
{
    @Test
    void highestAndLowestFitWithAlignments()
    {
        check("""
            iova-trace v2
            domain granule=4096 start=0x1 end=0x3f
            alloc 1 4 0x3f                       # expect 0x3c  natural align 4: highest multiple of 4 with p+3 <= 0x3f
            alloc 2 4 0x3f fit=lowest            # expect 0x4   lowest multiple of 4 at or above start=1
            alloc 3 3 0x3f align=1 fit=lowest    # expect 0x1   pfns 1..3, below id 2
            alloc 4 3 0x3f align=1               # expect 0x39  0x39..0x3b, just below id 1
            alloc 5 2 0x3f fit=lowest align=16   # expect 0x10  options in either order
            alloc 6 2 0x3f align=16              # expect 0x30  0x30, 0x31 free; 0x40 is past end
            free 2
            alloc 7 1 0x3f fit=lowest            # expect 0x4   id 2's first pfn is free again
            alloc 8 2 0x3 fit=lowest align=1     # expect fail  pfns 1..3 are id 3's, limit 0x3
            alloc 9 4 0x3f align=64              # expect fail  no multiple of 64 in [1, 0x3f]
            """, 0);
    }

    @Test
    void bestFitTakesTheShortestRunAndTheHighestOfEqualRuns()
    {
        check("""
            iova-trace v2
            domain granule=4096 start=0x1 end=0x3f
            reserve 0x1 0xf
            reserve 0x14 0x1f
            reserve 0x24 0x2f
            # free runs: [0x10, 0x13] (4 pfns), [0x20, 0x23] (4), [0x30, 0x3f] (16)
            alloc 1 2 0x3f align=1 fit=best      # expect 0x22  tie of two 4-pfn runs: the higher, its largest candidate
            alloc 2 2 0x3f align=1 fit=best      # expect 0x20  [0x20, 0x21] is now the shortest run
            alloc 3 4 0x3f fit=best              # expect 0x10  natural align 4; [0x10, 0x13] (4) beats [0x30, 0x3f] (16)
            alloc 4 4 0x3f align=8 fit=best      # expect 0x38  only [0x30, 0x3f] is left: largest multiple of 8
            alloc 5 1 0x2f fit=best              # expect fail  nothing free below the limit
            alloc 6 2 0x33 align=1 fit=best      # expect 0x32  the run is cut at the limit: [0x30, 0x33], 4 pfns
            alloc 7 4 0x37 align=4 fit=best      # expect 0x34  [0x34, 0x37] is the only run left below the limit
            """, 0);
    }

    @Test
    void bestFitSkipsAShorterRunWithoutAnAlignedCandidate()
    {
        check("""
            iova-trace v2
            domain granule=4096 start=0x1 end=0x3f
            reserve 0x1 0x4
            reserve 0x8 0x1f
            # free runs: [0x5, 0x7] (3 pfns, no multiple of 4 with room for 2), [0x20, 0x3f] (32)
            alloc 1 2 0x3f align=4 fit=best      # expect 0x3c  the short run holds no candidate
            # free runs now: [0x5, 0x7] (3), [0x20, 0x3b] (28), [0x3e, 0x3f] (2)
            alloc 2 2 0x3f align=2 fit=best      # expect 0x3e  the 2-pfn run above id 1
            alloc 3 2 0x3f align=2 fit=best      # expect 0x6   [0x5, 0x7] holds 6 now that it is the shortest with a candidate
            alloc 4 1 0x3f fit=best              # expect 0x5   [0x5, 0x5] is the shortest run
            alloc 5 1 0x3f fit=lowest            # expect 0x20
            alloc 6 1 0x3f fit=highest           # expect 0x3b  0x3c..0x3f are ids 1 and 2
            """, 0);
    }

    @Test
    void allowedRangesMergeAndCutBestFitRuns()
    {
        check("""
            iova-trace v2
            domain granule=4096 start=0x1 end=0xff
            allow 0x10 0x1f
            allow 0x20 0x21                      # touches [0x10, 0x1f]: one allowed range [0x10, 0x21] of 18 pfns
            allow 0x40 0x45
            alloc 1 2 0xff align=1 fit=best      # expect 0x44  [0x40, 0x45] (6) beats [0x10, 0x21] (18); unmerged, 0x20 would win
            alloc 2 2 0xff align=1               # expect 0x42  highest fit stays inside the allowed ranges
            alloc 3 1 0xff fit=best              # expect 0x41  [0x40, 0x41] (2) is the shortest run
            alloc-at 4 0x22 1                    # expect fail  outside the allowed ranges
            alloc-at 5 0x41 2                    # expect fail  0x41 is id 3's
            alloc-at 6 0x10 4                    # expect 0x10
            alloc-at 7 0x5 1                     # expect fail  below every allowed range
            alloc 8 4 0xff fit=lowest            # expect 0x14  natural align 4, lowest: 0x10..0x13 are id 6's
            alloc 9 32 0xff align=1              # expect fail  no allowed range holds 32 pfns
            """, 0);
    }

    @Test
    void allocAtChecksDomainAllowedReservedLiveInThatOrder()
    {
        final String text = """
            iova-trace v2
            domain granule=4096 start=0x10 end=0x7f
            reserve 0x40 0x4f
            alloc-at 1 0x20 8                    # expect 0x20
            alloc-at 2 0x8 4                     # expect fail  below start
            alloc-at 3 0x7e 4                    # expect fail  past end
            alloc-at 4 0x48 0x10                 # expect fail  reserved
            alloc-at 5 0x1c 8                    # expect fail  live
            free 1
            alloc-at 6 0x1c 8                    # expect 0x1c  free again
            alloc-at 7 0x7c 4                    # expect 0x7c  the very top
            alloc-at 8 0x10 1                    # expect 0x10  the very bottom
            """;
        check(text, 0);
        try (IovaDomain domain = IovaDomain.builder().startPfn(0x10).lastPfn(0x7f).build())
        {
            domain.reserve(0x40, 0x4f, null);
            assertEquals(dev.iova.AllocAtOutcome.PLACED, domain.allocAt(0x20, 8));
            assertEquals(dev.iova.AllocAtOutcome.OUTSIDE_DOMAIN, domain.allocAt(0x8, 0x40));
            assertEquals(dev.iova.AllocAtOutcome.RESERVED, domain.allocAt(0x1c, 0x30), "reserved is reported before live");
            assertEquals(dev.iova.AllocAtOutcome.LIVE, domain.allocAt(0x1c, 8));
            domain.allow(0x10, 0x3f);
            assertEquals(dev.iova.AllocAtOutcome.OUTSIDE_ALLOWED, domain.allocAt(0x3c, 8), "outside allowed before reserved");
        }
    }

    @Test
    void ownedReservesCoexistAndGoWithTheirOwner()
    {
        final ReplayResult result = check("""
            iova-trace v2
            domain granule=4096 start=0x1 end=0xff
            reserve 0x80 0x8f owner=msi
            reserve 0x88 0x97 owner=vfio         # overlaps msi's: both stand
            reserve 0x98 0x9f owner=vfio         # touches vfio's [0x88, 0x97]: merges
            alloc 1 16 0xff align=1              # expect 0xf0
            alloc-at 2 0x84 4                    # expect fail  msi's
            unreserve msi
            alloc-at 3 0x84 4                    # expect 0x84  msi's pfns not under vfio's are free
            alloc-at 4 0x88 1                    # expect fail  still vfio's
            unreserve vfio
            alloc 5 16 0x9f align=1              # expect 0x90
            reserve 0x8c 0x91 owner=late         # overlaps id 5: refused, counted
            reserve 0x88 0x8b owner=late
            alloc 6 4 0x8f align=1               # expect 0x8c  0x88..0x8b are late's
            reserve 0x1 0x7 owner=late
            unreserve late
            alloc 7 4 0x8f fit=lowest            # expect 0x4   late's reserves are all gone
            free 7
            free 6
            free 3
            free 1
            """, 1);
        assertEquals(1, result.reserveFailed());
        assertEquals(1, result.liveAtEnd());
    }

    @Test
    void v1LinesKeepTheirMeaningInV2()
    {
        check("""
            iova-trace v2
            domain granule=4096 start=0x1 end=0xfffff
            reserve 0xfee00 0xfeeff
            alloc 1 3 0xfffff                    # expect 0xffffc  natural align 4, highest fit
            alloc 2 8 0xfee07                    # expect 0xfedf8  natural align 8, below the reserve
            """, 0);
    }

    // ---------------------------------------------------------------------------------------

    /**
     * Replays {@code text} into a domain and into the model, and checks every expected result.
     *
     * @return the domain's replay result, which must equal the model's.
     */
    private static ReplayResult check(final String text, final long expectedReserveFailed)
    {
        final Trace trace = TraceParser.parseText("by-hand", text);
        final List<String> lines = List.of(text.split("\n", -1));
        final List<Integer> entries = new ArrayList<>();
        final List<Long> expected = new ArrayList<>();
        for (int entry = 0; entry < trace.entries(); entry++)
        {
            if (trace.kind(entry) == Trace.ALLOC || trace.kind(entry) == Trace.ALLOC_AT)
            {
                final String line = lines.get(trace.line(entry) - 1);
                final int at = line.indexOf("# expect ");
                assertTrue(at > 0, "line " + trace.line(entry) + " has no expectation: " + line);
                final String word = line.substring(at + "# expect ".length()).trim().split("\\s+")[0];
                entries.add(entry);
                expected.add("fail".equals(word) ? 0L : Long.decode(word));
            }
        }
        final TraceReplayer replayer = new TraceReplayer(trace);
        final ReplayResult tree;
        try (IovaDomain domain = DomainReplayTarget.newDomain(trace))
        {
            tree = replayer.replay(new DomainReplayTarget(domain));
            domain.verify();
            assertResults("the domain", trace, replayer, entries, expected, lines);
        }
        final ReplayResult model = replayer.replay(new ModelReplayTarget(new PlacementModel(trace.startPfn(), trace.endPfn())));
        assertResults("the model", trace, replayer, entries, expected, lines);
        assertNotNull(tree);
        assertTrue(tree.sameOutcomeAs(model), "domain " + tree + " vs model " + model);
        assertEquals(expectedReserveFailed, tree.reserveFailed());
        return tree;
    }

    private static void assertResults(final String who, final Trace trace, final TraceReplayer replayer, final List<Integer> entries,
                                      final List<Long> expected, final List<String> lines)
    {
        for (int i = 0; i < entries.size(); i++)
        {
            final int entry = entries.get(i);
            final long pfn = replayer.resultPfn(entry);
            assertEquals(expected.get(i).longValue(), pfn, () -> who + " at line " + trace.line(entry) + ": " +
                lines.get(trace.line(entry) - 1).trim() + " gave 0x" + Long.toHexString(pfn));
        }
    }
}
