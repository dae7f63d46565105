package dev.iova;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import static dev.iova.IovaDomain.NO_ADDRESS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A million live ranges: counts, invariants and memory at full size, then everything freed;
 * and the off-heap memory the domain reports is what the JVM's direct-memory pool gives back
 * on {@link IovaDomain#close()}. The domains whose memory is compared with the direct pool have
 * their range caches off, so that what they hold is the tree's chunks, which are direct buffers.
 */
class DomainScaleTest
{
    private static final int MILLION = 1_000_000;
    private static final long LAST_PFN = 0xffffff;
    /** Each range needs at least its first and last pfn. */
    private static final long MIN_BYTES_PER_RANGE = 2 * Long.BYTES;
    /** The budget per live range at a million ranges (the AVL engine took 48.8, Linux 40 plus its slab's rounding). */
    private static final long MAX_BYTES_PER_RANGE = 32;
    /**
     * Slack for direct buffers the JVM or the test harness may take or give back meanwhile
     * (NIO's temporary buffers, say); the domain's own chunks are megabytes.
     */
    private static final long DIRECT_POOL_SLACK_BYTES = 1 << 20;

    @Test
    void millionOnePageRangesLiveAtOnceThenAllFreed()
    {
        final BufferPoolMXBean directPool = directPool();
        final long directBytesBefore = directPool.getMemoryUsed();
        final IovaDomain domain = IovaDomain.builder().granuleBytes(4096).startPfn(1).lastPfn(LAST_PFN).maxCachedPages(0).build();
        try
        {
            final long emptyBytes = domain.offHeapBytes();
            final long[] pfns = new long[MILLION];
            for (int i = 0; i < MILLION; i++)
            {
                pfns[i] = domain.alloc(1, Long.MAX_VALUE, false);
                if (pfns[i] != LAST_PFN - i)
                {
                    fail("allocation " + i + " at 0x" + Long.toHexString(pfns[i]) + ", expected 0x" + Long.toHexString(LAST_PFN - i));
                }
            }
            assertEquals(MILLION, domain.liveRanges());
            domain.verify();
            assertEquals(LAST_PFN - MILLION, domain.freePages(Long.MAX_VALUE));
            assertEquals(LAST_PFN - MILLION, domain.largestFreeGapPages(Long.MAX_VALUE));

            final long fullBytes = domain.offHeapBytes();
            assertTrue(fullBytes > emptyBytes, () -> "offHeapBytes did not grow: " + emptyBytes + " -> " + fullBytes);
            assertTrue(fullBytes >= MILLION * MIN_BYTES_PER_RANGE, () -> fullBytes + " bytes for a million ranges");
            assertTrue(fullBytes <= MILLION * MAX_BYTES_PER_RANGE, () -> fullBytes + " bytes for a million ranges, over " +
                MAX_BYTES_PER_RANGE + " per range");
            System.out.println("DomainScaleTest: a million ranges filled from the top hold " + fullBytes + " bytes, " +
                (double)fullBytes / MILLION + " per range");
            final long directGrowth = directPool.getMemoryUsed() - directBytesBefore;
            assertEquals(fullBytes, directGrowth, DIRECT_POOL_SLACK_BYTES,
                "the direct pool grew by about what the domain reports holding");

            // Free in a shuffled order, by all three forms.
            shuffle(pfns, new SplittableRandom(42));
            for (int i = 0; i < MILLION; i++)
            {
                switch (i % 3)
                {
                    case 0 -> domain.free(pfns[i]);
                    case 1 -> domain.free(pfns[i], 1);
                    default -> domain.free(pfns[i]);
                }
                if (i == MILLION / 2)
                {
                    assertEquals(MILLION - i - 1, domain.liveRanges());
                    domain.verify();
                }
            }
            assertEquals(0, domain.liveRanges());
            domain.verify();
            assertEquals(LAST_PFN, domain.freePages(Long.MAX_VALUE));
            assertEquals(LAST_PFN, domain.largestFreeGapPages(Long.MAX_VALUE));
            assertEquals(LAST_PFN, domain.alloc(1, Long.MAX_VALUE, false), "the empty domain places at the top again");

            final long heldBytes = domain.offHeapBytes();
            final long directBytesBeforeClose = directPool.getMemoryUsed();
            domain.close();
            assertEquals(0, domain.offHeapBytes());
            final long directDrop = directBytesBeforeClose - directPool.getMemoryUsed();
            assertEquals(heldBytes, directDrop, DIRECT_POOL_SLACK_BYTES,
                "close() gives back to the direct pool what the domain held (" + heldBytes + " bytes)");
            assertEquals(directBytesBefore, directPool.getMemoryUsed(), DIRECT_POOL_SLACK_BYTES,
                "after close the direct pool is back where it was before the domain");
        }
        finally
        {
            domain.close();
        }
    }

    @Test
    void aMillionRangesPlacedAtRandomStayWithinTheMemoryBudget()
    {
        // Ranges of 1 to 4 pages under random limits: leaves split in the middle, the opposite of
        // the descending fill above.
        try (IovaDomain domain = IovaDomain.builder().granuleBytes(4096).startPfn(1).lastPfn(0xfffffff).maxCachedPages(0).build())
        {
            final SplittableRandom random = new SplittableRandom(3);
            for (int i = 0; i < MILLION; i++)
            {
                final long pages = 1 + random.nextInt(4);
                if (domain.alloc(pages, 1 + random.nextLong(0xfffffff), false) == NO_ADDRESS)
                {
                    assertTrue(domain.alloc(pages, 0xfffffff, false) != NO_ADDRESS);
                }
            }
            assertEquals(MILLION, domain.liveRanges());
            final long bytes = domain.offHeapBytes();
            assertTrue(bytes <= MILLION * MAX_BYTES_PER_RANGE, () -> bytes + " bytes for a million live ranges, over " +
                MAX_BYTES_PER_RANGE + " per range");
            System.out.println("DomainScaleTest: a million ranges placed at random hold " + bytes + " bytes, " +
                (double)bytes / MILLION + " per range");
            domain.verify();
        }
    }

    @Test
    void closeWithRangesStillLiveGivesBackEveryChunk()
    {
        final BufferPoolMXBean directPool = directPool();
        final long directBytesBefore = directPool.getMemoryUsed();
        final IovaDomain domain = IovaDomain.builder().granuleBytes(4096).startPfn(1).lastPfn(LAST_PFN).chunkRanges(1 << 10).maxCachedPages(0).build();
        try
        {
            for (int i = 0; i < MILLION / 4; i++)
            {
                assertTrue(domain.alloc(1 + i % 4, Long.MAX_VALUE, i % 2 == 0) != NO_ADDRESS);
            }
            final long heldBytes = domain.offHeapBytes();
            assertTrue(heldBytes >= MILLION / 4 * MIN_BYTES_PER_RANGE, () -> heldBytes + " bytes for 250,000 ranges");
            final long directBytesBeforeClose = directPool.getMemoryUsed();
            domain.close();
            assertEquals(0, domain.offHeapBytes());
            assertEquals(heldBytes, directBytesBeforeClose - directPool.getMemoryUsed(), DIRECT_POOL_SLACK_BYTES,
                "close() with 250,000 live ranges gives back what the domain held (" + heldBytes + " bytes)");
            assertEquals(directBytesBefore, directPool.getMemoryUsed(), DIRECT_POOL_SLACK_BYTES,
                "after close the direct pool is back where it was before the domain");
        }
        finally
        {
            domain.close();
        }
    }

    @Test
    void halfAMillionMixedSizeRangesUnderMixedLimits()
    {
        final int ranges = MILLION / 2;
        try (IovaDomain domain = IovaDomain.builder().granuleBytes(4096).startPfn(1).lastPfn(LAST_PFN).chunkRanges(1 << 12).build())
        {
            domain.reserve(0xfee00, 0xfeeff);                 // an MSI window below 4 GiB
            domain.reserve(0x800000, 0x80ffff);
            final SplittableRandom random = new SplittableRandom(7);
            final long[] pfns = new long[ranges];
            final long[] pagesOf = new long[ranges];
            long allocatedPages = 0;
            for (int i = 0; i < ranges; i++)
            {
                final long pages = 1 + random.nextInt(random.nextInt(8) == 0 ? 64 : 8);
                final long limitPfn = random.nextBoolean() ? 0xfffff : LAST_PFN;
                final boolean sizeAligned = random.nextInt(4) != 0;
                long pfn = domain.alloc(pages, limitPfn, sizeAligned);
                if (pfn == NO_ADDRESS)
                {
                    pfn = domain.alloc(pages, LAST_PFN, sizeAligned);  // fall back to the full space, as the DMA layer does
                }
                if (pfn == NO_ADDRESS || pfn + pages - 1 > LAST_PFN || (sizeAligned && pfn % ReferenceModel.roundUpToPowerOfTwo(pages) != 0))
                {
                    fail("alloc(" + pages + ", 0x" + Long.toHexString(limitPfn) + ", " + sizeAligned + ") = 0x" + Long.toHexString(pfn) +
                        " with " + i + " ranges live");
                }
                pfns[i] = pfn;
                pagesOf[i] = pages;
                allocatedPages += pages;
            }
            assertEquals(ranges, domain.liveRanges());
            assertEquals(2, domain.reservedRanges());
            domain.verify();
            assertEquals(LAST_PFN - 0x100 - 0x10000 - allocatedPages, domain.freePages(Long.MAX_VALUE));
            assertTrue(domain.offHeapBytes() >= ranges * MIN_BYTES_PER_RANGE, () -> domain.offHeapBytes() + " bytes");

            for (int i = ranges - 1; i >= 0; i -= 2)
            {
                domain.free(pfns[i], pagesOf[i]);
            }
            domain.verify();
            for (int i = ranges - 2; i >= 0; i -= 2)
            {
                domain.free(pfns[i] + pagesOf[i] - 1);
            }
            assertEquals(0, domain.liveRanges());
            domain.verify();
            assertEquals(LAST_PFN - 0x100 - 0x10000, domain.freePages(Long.MAX_VALUE));
        }
    }

    private static BufferPoolMXBean directPool()
    {
        return ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
            .filter(pool -> pool.getName().equals("direct"))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no \"direct\" BufferPoolMXBean in this JVM"));
    }

    private static void shuffle(final long[] values, final SplittableRandom random)
    {
        for (int i = values.length - 1; i > 0; i--)
        {
            final int j = random.nextInt(i + 1);
            final long swap = values[i];
            values[i] = values[j];
            values[j] = swap;
        }
    }
}
