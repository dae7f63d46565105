package dev.iova;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * The tree remembers where its last highest-fit allocation went and starts the next search below
 * it when nothing above can fit: these are the cases where that shortcut would be wrong, each of
 * which must still give the highest fit.
 */
class FillHintTest
{
    private static IovaDomain domain()
    {
        return IovaDomain.builder().lastPfn(1000).maxCachedPages(0).build();
    }

    private static void allocateTenPagesDown(final IovaDomain domain)
    {
        for (long expected = 1000; expected > 990; expected--)
        {
            assertEquals(expected, domain.alloc(1, 1000, false));
        }
    }

    @Test
    void aFreeAboveTheLastAllocationIsFoundAgain()
    {
        try (IovaDomain domain = domain())
        {
            allocateTenPagesDown(domain); // 1000 down to 991
            domain.free(995, 1);
            assertEquals(995, domain.alloc(1, 1000, false));
            domain.free(991, 1); // the last allocation itself
            assertEquals(991, domain.alloc(1, 1000, false));
            domain.verify();
        }
    }

    @Test
    void twoFreesAboveTheLastAllocationAreFoundHighestFirst()
    {
        try (IovaDomain domain = domain())
        {
            allocateTenPagesDown(domain); // 1000 down to 991
            domain.free(995, 1);
            domain.free(998, 1); // both above the last allocation, the second one higher
            assertEquals(998, domain.alloc(1, 1000, false));
            assertEquals(995, domain.alloc(1, 1000, false));
            assertEquals(990, domain.alloc(1, 1000, false));
            domain.verify();
        }
    }

    @Test
    void aFreeThatJoinsAGapAboveTheLastAllocationIsFoundWhole()
    {
        try (IovaDomain domain = domain())
        {
            allocateTenPagesDown(domain); // 1000 down to 991
            domain.free(997, 1);
            assertEquals(989, domain.alloc(2, 1000, false)); // 997 alone is too short: the last allocation is 989, 2 pages
            domain.free(996, 1); // joins 997: 996..997 now fits 2 pages, above the last allocation
            assertEquals(996, domain.alloc(2, 1000, false));
            assertEquals(987, domain.alloc(2, 1000, false));
            domain.verify();
        }
    }

    @Test
    void aSmallerRequestLooksAboveTheLastAllocation()
    {
        try (IovaDomain domain = domain())
        {
            assertEquals(1000, domain.alloc(1, 1000, false));
            assertEquals(996, domain.alloc(4, 1000, true));  // 996..999
            assertEquals(984, domain.alloc(8, 1000, true));  // 984..991; 992..995 stay free
            assertEquals(994, domain.alloc(2, 1000, true));  // smaller than the last request: above it
            assertEquals(993, domain.alloc(1, 1000, false)); // unaligned: another hint
            assertEquals(992, domain.alloc(1, 1000, true));
            assertEquals(983, domain.alloc(1, 1000, true));
            domain.verify();
        }
    }

    @Test
    void aHigherLimitLooksAboveTheLastAllocation()
    {
        try (IovaDomain domain = domain())
        {
            assertEquals(500, domain.alloc(1, 500, false));
            assertEquals(499, domain.alloc(1, 500, false));
            assertEquals(1000, domain.alloc(1, 1000, false));
            assertEquals(498, domain.alloc(1, 498, false));
            domain.verify();
        }
    }

    @Test
    void anUnreserveAboveTheLastAllocationIsFoundAgain()
    {
        try (IovaDomain domain = domain())
        {
            assertEquals(true, domain.reserve(900, 1000, "bar"));
            assertEquals(899, domain.alloc(1, 1000, false));
            assertEquals(1, domain.unreserve("bar"));
            assertEquals(1000, domain.alloc(1, 1000, false));
            domain.allow(1, 800); // the first allow reserves 801..1000: live 899 and 1000 are outside
        }
        catch (final IllegalStateException expected)
        {
            assertEquals(true, expected.getMessage().contains("lies outside"), expected.getMessage());
        }
    }
}
