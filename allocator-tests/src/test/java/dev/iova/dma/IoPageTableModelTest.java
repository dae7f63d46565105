package dev.iova.dma;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

import dev.iova.region.Protection;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The page table against a map from page to (phys, protection) under random map and unmap
 * sequences, including bad ones, and under concurrent owners of disjoint ranges.
 */
class IoPageTableModelTest
{
    private static final long PAGE = 4096;
    private static final Protection[] PROTECTIONS = {Protection.READ, Protection.WRITE, Protection.READ_WRITE};

    /** A live mapping of the model: first page, pages. */
    private record Mapping(long iova, long pages)
    {
    }

    @Test
    void translationsAgreeWithAMapModelUnderRandomMapsAndUnmaps()
    {
        for (long seed = 1; seed <= 6; seed++)
        {
            runRandomSequence(seed, new IoPageTable(), 1L << 30);
        }
        // small tables: many levels, frequent whole-span unmaps that detach tables
        for (long seed = 7; seed <= 10; seed++)
        {
            runRandomSequence(seed, new IoPageTable(12, 3, 30, 1 << 16), 1L << 22);
        }
    }

    private static void runRandomSequence(final long seed, final IoPageTable table, final long spaceBytes)
    {
        final SplittableRandom random = new SplittableRandom(seed);
        final Map<Long, Long> model = new HashMap<>(); // page -> phys | protection ordinal
        final List<Mapping> live = new ArrayList<>();
        try (table)
        {
            for (int op = 0; op < 3000; op++)
            {
                final int choice = random.nextInt(10);
                if (choice < 5)
                {
                    final long pages = 1 + (random.nextInt(4) == 0 ? random.nextLong(Math.min(1100, spaceBytes / PAGE / 4)) : random.nextInt(8));
                    final long iova = random.nextLong(spaceBytes / PAGE - pages) * PAGE;
                    final long phys = random.nextLong(1L << 28) * PAGE;
                    final Protection protection = PROTECTIONS[random.nextInt(3)];
                    boolean free = true;
                    for (long page = 0; page < pages && free; page++)
                    {
                        free = !model.containsKey(iova + page * PAGE);
                    }
                    if (free)
                    {
                        assertTrue(table.map(iova, phys, pages * PAGE, protection));
                        for (long page = 0; page < pages; page++)
                        {
                            model.put(iova + page * PAGE, (phys + page * PAGE) | protection.ordinal());
                        }
                        live.add(new Mapping(iova, pages));
                    }
                    else
                    {
                        assertThrows(IllegalArgumentException.class, () -> table.map(iova, phys, pages * PAGE, protection));
                    }
                }
                else if (choice < 8 && !live.isEmpty())
                {
                    final Mapping mapping = live.remove(random.nextInt(live.size()));
                    assertEquals(mapping.pages * PAGE, table.unmap(mapping.iova, mapping.pages * PAGE));
                    for (long page = 0; page < mapping.pages; page++)
                    {
                        model.remove(mapping.iova + page * PAGE);
                    }
                }
                else if (choice == 8)
                {
                    final long iova = random.nextLong(spaceBytes / PAGE - 8) * PAGE;
                    final long pages = 1 + random.nextInt(8);
                    if (!isWholeMappings(live, iova, pages))
                    {
                        assertThrows(IllegalArgumentException.class, () -> table.unmap(iova, pages * PAGE));
                    }
                }
                else
                {
                    if (random.nextBoolean())
                    {
                        table.invalidationCompleted(table.invalidationStarted());
                    }
                }
                if (op % 100 == 0)
                {
                    checkAgainstModel(table, model, random, spaceBytes);
                }
            }
            checkAgainstModel(table, model, random, spaceBytes);
            for (final Mapping mapping : live)
            {
                table.unmap(mapping.iova, mapping.pages * PAGE);
            }
            table.invalidationCompleted(table.invalidationStarted());
            assertEquals(0, table.retiredTables());
        }
    }

    private static boolean isWholeMappings(final List<Mapping> live, final long iova, final long pages)
    {
        long at = iova;
        final long end = iova + pages * PAGE;
        while (at < end)
        {
            Mapping found = null;
            for (final Mapping mapping : live)
            {
                if (mapping.iova == at)
                {
                    found = mapping;
                }
            }
            if (found == null)
            {
                return false;
            }
            at += found.pages * PAGE;
        }
        return at == end;
    }

    private static void checkAgainstModel(
        final IoPageTable table, final Map<Long, Long> model, final SplittableRandom random, final long spaceBytes)
    {
        for (final Map.Entry<Long, Long> entry : model.entrySet())
        {
            final long offset = random.nextLong(PAGE);
            final long translation = table.translate(entry.getKey() + offset);
            final long phys = entry.getValue() & ~(PAGE - 1);
            assertEquals(phys + offset, Translation.phys(translation), () -> "iova=0x" + Long.toHexString(entry.getKey()));
            assertEquals(PROTECTIONS[(int)(entry.getValue() & 3) - 1], Translation.protection(translation));
        }
        for (int i = 0; i < 200; i++)
        {
            final long iova = random.nextLong(spaceBytes);
            final boolean mapped = model.containsKey(iova & ~(PAGE - 1));
            assertEquals(!mapped, Translation.isFault(table.translate(iova)), () -> "iova=0x" + Long.toHexString(iova));
        }
    }

    @Test
    void ownersOfDisjointRangesMapAndUnmapConcurrentlyWhileOthersTranslate() throws InterruptedException
    {
        final int owners = 6; // more threads than cores
        final long slotBytes = 3 * 512 * PAGE; // each owner's ranges straddle shared tables
        try (IoPageTable table = new IoPageTable())
        {
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            final CountDownLatch start = new CountDownLatch(1);
            final List<Thread> threads = new ArrayList<>();
            for (int owner = 0; owner < owners; owner++)
            {
                final int id = owner;
                threads.add(new Thread(() ->
                {
                    try
                    {
                        start.await();
                        final SplittableRandom random = new SplittableRandom(id);
                        for (int round = 0; round < 400; round++)
                        {
                            // owner id uses pages congruent to id mod owners inside every slot, plus whole slots of its own
                            final boolean whole = round % 10 == 0;
                            final long iova = whole ? (owners + id) * slotBytes : (random.nextInt(64) * owners + id) * PAGE;
                            final long bytes = whole ? slotBytes : PAGE;
                            final long phys = (id + 1L) << 32 | (long)round << 12;
                            if (!table.map(iova, phys, bytes, Protection.READ_WRITE))
                            {
                                throw new AssertionError("out of tables");
                            }
                            final long translation = table.translate(iova + bytes - 1);
                            if (Translation.phys(translation) != phys + bytes - 1)
                            {
                                throw new AssertionError("owner " + id + " reads back " + Translation.of(translation));
                            }
                            table.unmap(iova, bytes);
                            if (whole)
                            {
                                table.rangeInvalidated(iova, bytes);
                            }
                        }
                    }
                    catch (final Throwable ex)
                    {
                        failure.compareAndSet(null, ex);
                    }
                }));
            }
            final Thread reader = new Thread(() ->
            {
                try
                {
                    start.await();
                    final SplittableRandom random = new SplittableRandom(99);
                    for (int i = 0; i < 200_000; i++)
                    {
                        final long iova = random.nextLong(2 * owners * slotBytes);
                        final long translation = table.translate(iova);
                        if (!Translation.isFault(translation))
                        {
                            final long owner = (Translation.phys(translation) >>> 32) - 1;
                            final long expectedOwner = iova >= owners * slotBytes ? iova / slotBytes - owners : (iova / PAGE) % owners;
                            if (owner != expectedOwner || (Translation.phys(translation) & (PAGE - 1)) != (iova & (PAGE - 1)))
                            {
                                throw new AssertionError("iova=0x" + Long.toHexString(iova) + " translated to " + Translation.of(translation));
                            }
                        }
                    }
                }
                catch (final Throwable ex)
                {
                    failure.compareAndSet(null, ex);
                }
            });
            threads.add(reader);
            threads.forEach(Thread::start);
            start.countDown();
            for (final Thread thread : threads)
            {
                thread.join();
            }
            assertNull(failure.get());
            for (long iova = 0; iova < 2 * owners * slotBytes; iova += PAGE)
            {
                assertTrue(Translation.isFault(table.translate(iova)));
            }
        }
    }
}
