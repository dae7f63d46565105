package dev.iova.dma;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import dev.iova.region.Protection;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * Maps racing the reclaim of the very tables they write into. Owners map and unmap single pages,
 * interleaved in the same few leaf tables (so tables empty and fill all the time), while another
 * thread runs reclaim passes and invalidations (which detach the empty tables and recycle them). A
 * map written into a table being detached would be lost (its translate faults right after the map),
 * and one written into a recycled table that came back elsewhere would show up as a wrong
 * translation, a map over a mapped page or an unmap of an unmapped one. At the end every table but
 * the root is reclaimed.
 */
class ReclaimRaceTest
{
    private static final long PHYS_OFFSET = 0x7_0000_0000L;
    /** The fifth case runs more owners than a 2-core machine has announcement slots (eight). */
    @ParameterizedTest(name = "bitsPerLevel={0} iovaBits={1} pagesPerMap={2} owners={3}")
    @CsvSource({"2, 24, 1, 3", "3, 30, 1, 3", "3, 30, 3, 3", "9, 48, 1, 3", "3, 30, 1, 24",
        "3, 30, 8, 3", "4, 32, 16, 3"}) // the last two: every map one block (IOVA and phys aligned), into tables being reclaimed
    void mapsRacingTheReclaimOfTheirTablesAreNeverLost(final int bitsPerLevel, final int iovaBits, final int pagesPerMap,
        final int owners) throws Exception
    {
        final long page = 4096;
        final long entries = 1L << bitsPerLevel;
        final long slotPages = owners * (long)pagesPerMap;
        final long windowPages = Math.max(4 * entries, 64 * slotPages); // several leaf tables, shared by every owner
        final int rounds = owners > 3 ? 4_000 : bitsPerLevel <= 3 ? 40_000 : 20_000;
        try (IoPageTable table = new IoPageTable(12, bitsPerLevel, iovaBits, 1 << 16))
        {
            final int start = table.liveTables();
            final AtomicBoolean done = new AtomicBoolean();
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            final CyclicBarrier go = new CyclicBarrier(owners + 1);
            final List<Thread> threads = new ArrayList<>();
            for (int o = 0; o < owners; o++)
            {
                final int owner = o;
                threads.add(new Thread(() -> run(failure, go, () ->
                {
                    long seed = 0x9E3779B97F4A7C15L * (owner + 1);
                    for (int round = 0; round < rounds && failure.get() == null; round++)
                    {
                        seed ^= seed << 13;
                        seed ^= seed >>> 7;
                        seed ^= seed << 17;
                        // Owner o maps pagesPerMap pages at slot s: pages s * slotPages + o * pagesPerMap + [0, pagesPerMap).
                        final long slot = Math.floorMod(seed, windowPages / slotPages);
                        final long iova = (slot * slotPages + (long)owner * pagesPerMap) * page;
                        final long bytes = pagesPerMap * page;
                        if (!table.map(iova, iova + PHYS_OFFSET, bytes, Protection.READ_WRITE))
                        {
                            throw new AssertionError("out of tables at round " + round);
                        }
                        for (long p = 0; p < pagesPerMap; p++)
                        {
                            final long at = iova + p * page;
                            final long packed = table.translate(at + 8);
                            if (Translation.isFault(packed) || Translation.phys(packed) != at + 8 + PHYS_OFFSET)
                            {
                                throw new AssertionError("iova=0x" + Long.toHexString(at) + " mapped a moment ago translates to " +
                                    Translation.of(packed) + " (round " + round + ")");
                            }
                        }
                        table.unmap(iova, bytes);
                        if (!Translation.isFault(table.translate(iova)))
                        {
                            throw new AssertionError("iova=0x" + Long.toHexString(iova) + " still translates after its unmap");
                        }
                    }
                })));
            }
            final Thread reclaimer = new Thread(() -> run(failure, go, () ->
            {
                while (!done.get())
                {
                    table.invalidationCompleted(table.invalidationStarted()); // a reclaim pass, then the recycle it allows
                    Thread.yield();
                }
            }));
            for (final Thread thread : threads)
            {
                thread.start();
            }
            reclaimer.start();
            for (final Thread thread : threads)
            {
                thread.join();
            }
            done.set(true);
            reclaimer.join();

            assertNull(failure.get(), () -> String.valueOf(failure.get()));
            table.invalidationCompleted(table.invalidationStarted());
            table.invalidationCompleted(table.invalidationStarted()); // a second pass: parents emptied by the first
            assertEquals(start, table.liveTables(), "every table the owners used is reclaimed");
            assertEquals(0, table.retiredTables());
        }
    }

    /**
     * A map whose table allocation throws (an {@link OutOfMemoryError} at the first, second, third
     * install of its path) gives back the announcement it held: otherwise the table it announced
     * could never be reclaimed, and the tables would not return to the root alone.
     */
    @ParameterizedTest(name = "throw at allocation {0}")
    @CsvSource({"1", "2", "3", "4"})
    void aMapWhoseTableAllocationThrowsLeavesNoAnnouncementBehind(final int allocation)
    {
        try (IoPageTable table = new IoPageTable(12, 3, 30, 1 << 10)) // six levels: five installs for the first page
        {
            final int start = table.liveTables();
            table.throwOnTableAllocation(allocation);
            org.junit.jupiter.api.Assertions.assertThrows(OutOfMemoryError.class,
                () -> table.map(0x1234_5000L, 0x9000, 4096, Protection.READ));
            assertEquals(true, Translation.isFault(table.translate(0x1234_5000L)));

            table.map(0x2000_0000L, 0x9000, 4096, Protection.READ); // another path, so the one above is offered only by the failure
            table.unmap(0x2000_0000L, 4096);
            table.invalidationCompleted(table.invalidationStarted());
            table.invalidationCompleted(table.invalidationStarted());

            assertEquals(start, table.liveTables(), "the tables the failed map installed are reclaimed");
            assertEquals(0, table.retiredTables());
        }
    }

    private static void run(final AtomicReference<Throwable> failure, final CyclicBarrier go, final ThrowingRunnable body)
    {
        try
        {
            go.await();
            body.run();
        }
        catch (final Throwable ex)
        {
            failure.compareAndSet(null, ex);
        }
    }

    @FunctionalInterface
    private interface ThrowingRunnable
    {
        void run() throws Exception;
    }
}
