package dev.iova.bench.baseline;

import dev.iova.IovaDomain;
import dev.iova.bench.trace.DomainReplayTarget;
import dev.iova.bench.trace.ReplayResult;
import dev.iova.bench.trace.Trace;
import dev.iova.bench.trace.TraceGenerator;
import dev.iova.bench.trace.TraceParser;
import dev.iova.bench.trace.TraceReplayer;
import dev.iova.bench.trace.TraceShape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The TreeMap baseline must place every range where {@link IovaDomain}'s tree does (both are
 * highest fit), or the suites would compare two allocators doing different work.
 */
class TreeMapAllocatorTest
{
    private static final long START_PFN = 1;
    private static final long LAST_PFN = 0x3ff;

    @Test
    void shouldPlaceRangeAtHighestAlignedPfnBelowLimitPfn()
    {
        final TreeMapAllocator allocator = new TreeMapAllocator(START_PFN, LAST_PFN);

        assertEquals(0xfe, allocator.alloc(2, 0xff, true));
        assertEquals(0xf8, allocator.alloc(3, 0xff, true)); // 4-aligned; [0xfc, 0xfe] would overlap 0xfe
        assertEquals(0xfd, allocator.alloc(1, 0xff, false)); // the highest free pfn, unaligned
    }

    @Test
    void shouldSkipGapsThatAreTooSmallOrMisaligned()
    {
        final TreeMapAllocator allocator = new TreeMapAllocator(START_PFN, LAST_PFN);
        for (long pfn = 0x10; pfn >= 1; pfn--)
        {
            assertEquals(pfn, allocator.alloc(1, pfn, false));
        }
        for (long pfn = 2; pfn <= 0x10; pfn += 2)
        {
            allocator.free(pfn, 1); // 1-page holes at every even pfn below 0x11
        }

        assertEquals(TreeMapAllocator.NO_ADDRESS, allocator.alloc(2, 0x10, true));
        assertEquals(0x10, allocator.alloc(1, 0x10, true));
        assertEquals(0x12, allocator.alloc(2, 0x13, true));
    }

    @Test
    void shouldReturnNoAddressWhenFull()
    {
        final TreeMapAllocator allocator = new TreeMapAllocator(START_PFN, 4);

        assertEquals(1, allocator.alloc(4, 4, false));
        assertEquals(TreeMapAllocator.NO_ADDRESS, allocator.alloc(1, 4, false));
    }

    @Test
    void freeOfUnknownOrMismatchedOrReservedRangeThrows()
    {
        final TreeMapAllocator allocator = new TreeMapAllocator(START_PFN, LAST_PFN);
        final long pfn = allocator.alloc(4, LAST_PFN, true);
        allocator.reserve(0x10, 0x1f);

        assertThrows(IllegalArgumentException.class, () -> allocator.free(pfn + 1, 3));
        assertThrows(IllegalArgumentException.class, () -> allocator.free(pfn, 2));
        assertThrows(IllegalArgumentException.class, () -> allocator.free(0x10, 0x10));
        assertEquals(1, allocator.liveRanges());
        allocator.free(pfn, 4);
        assertThrows(IllegalArgumentException.class, () -> allocator.free(pfn, 4));
    }

    @Test
    void reserveShouldMergeTouchingReservesAndRefuseAllocations()
    {
        final TreeMapAllocator allocator = new TreeMapAllocator(START_PFN, LAST_PFN);
        allocator.reserve(0x10, 0x1f);
        allocator.reserve(0x20, 0x2f);
        allocator.reserve(0x18, 0x28);
        final long pfn = allocator.alloc(1, 0x40, true);

        assertEquals(1, allocator.reservedRanges());
        assertThrows(IllegalArgumentException.class, () -> allocator.reserve(pfn, pfn));
        assertEquals(0xf, allocator.alloc(1, 0x2f, false)); // below the merged [0x10, 0x2f]
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
    void shouldPlaceEveryRangeWhereTheTreeDoes(final long seed)
    {
        final SplittableRandom random = new SplittableRandom(seed);
        final TreeMapAllocator baseline = new TreeMapAllocator(START_PFN, LAST_PFN);
        try (IovaDomain domain = IovaDomain.builder().startPfn(START_PFN).lastPfn(LAST_PFN).maxCachedPages(0).build())
        {
            final List<long[]> live = new ArrayList<>();
            for (int step = 0; step < 3000; step++)
            {
                final int dice = random.nextInt(100);
                if (dice < 55)
                {
                    final long pages = random.nextInt(100) < 70 ? 1 + random.nextInt(4) : 1 + random.nextInt(64);
                    final long limitPfn = START_PFN + random.nextLong(LAST_PFN + 32);
                    final boolean sizeAligned = random.nextBoolean();
                    final long expected = domain.alloc(pages, limitPfn, sizeAligned);
                    assertEquals(expected, baseline.alloc(pages, limitPfn, sizeAligned),
                        () -> "seed " + seed + ": alloc(" + pages + ", 0x" + Long.toHexString(limitPfn) + ", " + sizeAligned + ")");
                    if (expected != IovaDomain.NO_ADDRESS)
                    {
                        live.add(new long[] {expected, pages});
                    }
                }
                else if (dice < 98 && !live.isEmpty())
                {
                    final long[] range = live.remove(random.nextInt(live.size()));
                    domain.free(range[0], range[1]);
                    baseline.free(range[0], range[1]);
                }
                else
                {
                    final long loPfn = START_PFN + random.nextLong(LAST_PFN);
                    final long hiPfn = Math.min(LAST_PFN, loPfn + random.nextInt(8));
                    final boolean domainRefused = refuses(() -> domain.reserve(loPfn, hiPfn));
                    assertEquals(domainRefused, refuses(() -> baseline.reserve(loPfn, hiPfn)),
                        () -> "seed " + seed + ": reserve(0x" + Long.toHexString(loPfn) + ", 0x" + Long.toHexString(hiPfn) + ")");
                }
                assertEquals(domain.liveRanges(), baseline.liveRanges());
            }
            assertEquals(domain.reservedRanges(), baseline.reservedRanges());
        }
    }

    @ParameterizedTest
    @EnumSource(value = TraceShape.class, names = "PLACEMENT", mode = EnumSource.Mode.EXCLUDE) // v2: the baseline refuses it
    void shouldReplayGeneratedTracesWithTheTreesDigest(final TraceShape shape)
    {
        final Trace trace = TraceParser.parseText(shape.shapeName(), TraceGenerator.generateText(shape, 10_000, 1));
        final TraceReplayer replayer = new TraceReplayer(trace);
        final ReplayResult tree;
        try (IovaDomain domain = DomainReplayTarget.newDomain(trace))
        {
            tree = replayer.replay(new DomainReplayTarget(domain));
        }
        final TreeMapAllocator allocator = new TreeMapAllocator(trace.startPfn(), lastPfnOf(trace));

        final ReplayResult baseline = replayer.replay(new BaselineReplayTarget(allocator, "the TreeMap baseline"));

        assertEquals(tree.pfnDigestHex(), baseline.pfnDigestHex(), shape.shapeName());
        assertEquals(tree.allocFailed(), baseline.allocFailed());
        assertEquals(tree.liveAtEnd(), allocator.liveRanges());
    }

    private static long lastPfnOf(final Trace trace)
    {
        try (IovaDomain domain = DomainReplayTarget.newDomain(trace))
        {
            return domain.lastPfn();
        }
    }

    private static boolean refuses(final Runnable call)
    {
        try
        {
            call.run();
            return false;
        }
        catch (final IllegalArgumentException ex)
        {
            return true;
        }
    }
}
