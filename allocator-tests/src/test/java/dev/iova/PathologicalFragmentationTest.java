package dev.iova;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import static dev.iova.IovaDomain.NO_ADDRESS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Linux's pathological case: pfns 1..0xfffff (4 GiB of 4 KiB pages) filled with 1-page ranges,
 * then every other one freed, so that 524,288 ranges stay live and every hole is one page.
 * Linux walks every node for a 2-page request that cannot fit, and its {@code max32_alloc_size}
 * short-cut then refuses requests under higher limits too. Here: the answers must be right
 * (timing belongs to the benchmarks). The domain goes on above the fragmented space, to
 * {@code 0x1fffff}, so that a higher limit has room.
 *
 * <p>The fixture is built once (1.5 million tree operations); every test leaves it as it found it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PathologicalFragmentationTest
{
    /** The top of the fragmented space: the last pfn below 4 GiB. */
    private static final long LIMIT_4G_PFN = 0xfffff;
    private static final long LAST_PFN = 0x1fffff;
    /** Odd pfns 1..0xfffff stay allocated. */
    private static final long LIVE_RANGES = (LIMIT_4G_PFN + 1) / 2;
    /** Even pfns 2..0xffffe are the holes. */
    private static final long HOLES = LIMIT_4G_PFN / 2;

    private IovaDomain domain;

    @BeforeAll
    void fragment()
    {
        domain = IovaDomain.builder().granuleBytes(4096).startPfn(1).lastPfn(LAST_PFN).build();
        for (long expected = LIMIT_4G_PFN; expected >= 1; expected--)
        {
            final long pfn = domain.alloc(1, LIMIT_4G_PFN, false);
            if (pfn != expected)
            {
                fail("filling [1, 0xfffff] top-down: expected 0x" + Long.toHexString(expected) + ", got 0x" + Long.toHexString(pfn));
            }
        }
        assertEquals(NO_ADDRESS, domain.alloc(1, LIMIT_4G_PFN, false), "[1, 0xfffff] is full");
        for (long pfn = 2; pfn < LIMIT_4G_PFN; pfn += 2)
        {
            domain.free(pfn, 1);
        }
    }

    @AfterEach
    void fixtureIsAsItWas()
    {
        assertEquals(LIVE_RANGES, domain.liveRanges(), "a test left ranges behind or freed some of the fixture");
        assertEquals(HOLES, domain.freePages(LIMIT_4G_PFN));
        assertEquals(1, domain.largestFreeGapPages(LIMIT_4G_PFN));
    }

    @AfterAll
    void close()
    {
        domain.close();
    }

    @Test
    void fragmentedSpaceHasOnlyOnePageHoles()
    {
        domain.verify();
        assertEquals(LIVE_RANGES, domain.liveRanges());
        assertEquals(HOLES, domain.freePages(LIMIT_4G_PFN));
        assertEquals(1, domain.largestFreeGapPages(LIMIT_4G_PFN));
        assertEquals(LAST_PFN - LIMIT_4G_PFN + HOLES, domain.freePages(Long.MAX_VALUE));
        assertEquals(LAST_PFN - LIMIT_4G_PFN, domain.largestFreeGapPages(Long.MAX_VALUE));
        assertEquals(new IovaRange(0x7ffff, 0x7ffff, false), domain.find(0x7ffff));
        assertEquals(null, domain.find(0x80000));
    }

    @Test
    void sizeAlignedTwoPageRequestUnderTheLimitReturnsNoAddress()
    {
        for (int attempt = 0; attempt < 3; attempt++)
        {
            assertEquals(NO_ADDRESS, domain.alloc(2, LIMIT_4G_PFN, true), "attempt " + attempt);
        }
        assertEquals(NO_ADDRESS, domain.alloc(2, LIMIT_4G_PFN, false), "no two holes are adjacent");
        assertEquals(NO_ADDRESS, domain.alloc(3, LIMIT_4G_PFN, true));
        assertEquals(NO_ADDRESS, domain.alloc(16, LIMIT_4G_PFN, true));
        assertEquals(NO_ADDRESS, domain.alloc(2, 0x80000, true), "nor under a lower limit");
        domain.verify();
    }

    @Test
    void onePageRequestTakesTheHighestHole()
    {
        final long highest = domain.alloc(1, LIMIT_4G_PFN, false);
        final long next = domain.alloc(1, LIMIT_4G_PFN, true);
        final long belowMidLimit = domain.alloc(1, 0x80001, false);
        assertEquals(0xffffe, highest);
        assertEquals(0xffffc, next);
        assertEquals(0x80000, belowMidLimit, "the highest hole at or below 0x80001");
        domain.free(highest);
        domain.free(next, 1);
        domain.free(belowMidLimit);
    }

    @Test
    void failureUnderALowLimitDoesNotPoisonAHigherLimit()
    {
        assertEquals(NO_ADDRESS, domain.alloc(2, LIMIT_4G_PFN, true));
        final long justAbove = domain.alloc(2, LIMIT_4G_PFN + 2, true);
        assertEquals(LIMIT_4G_PFN + 1, justAbove, "the first 2-aligned pair above the fragmented space");
        final long atTheTop = domain.alloc(2, Long.MAX_VALUE, true);
        assertEquals(LAST_PFN - 1, atTheTop);
        assertEquals(NO_ADDRESS, domain.alloc(2, LIMIT_4G_PFN, true), "still nothing below the low limit");
        final long unaligned = domain.alloc(3, LIMIT_4G_PFN + 5, false);
        assertEquals(LIMIT_4G_PFN + 3, unaligned, "[0x100002, 0x100004]: right above the pair, under the limit 0x100004");
        domain.free(justAbove, 2);
        domain.free(atTheTop, 2);
        domain.free(unaligned, 3);
        domain.verify();
    }

    @Test
    void freeingOneRangeOpensTheOnlyAlignedPair()
    {
        domain.free(0x7ffff);                             // holes 0x7fffe, 0x7ffff, 0x80000 are now one 3-page gap
        assertEquals(3, domain.largestFreeGapPages(LIMIT_4G_PFN));
        final long pair = domain.alloc(2, LIMIT_4G_PFN, true);
        assertEquals(0x7fffe, pair, "the only free 2-aligned pair");
        assertEquals(NO_ADDRESS, domain.alloc(2, LIMIT_4G_PFN, true));
        domain.free(pair, 2);
        final long triple = domain.alloc(3, LIMIT_4G_PFN, false);
        assertEquals(0x7fffe, triple, "the only 3-page gap");
        domain.free(triple);
        assertEquals(0x7ffff, domain.alloc(1, 0x7ffff, false), "restore the fixture");
        domain.verify();
    }
}
