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

    @Test
    void translationsAgreeWithTheModelWhenMapsWriteBlocksOfEverySize()
    {
        // blocks of 2 MiB (and 1 GiB, too large for the space: never written)
        for (long seed = 11; seed <= 13; seed++)
        {
            runRandomSequence(seed, new IoPageTable(), 1L << 30, true);
        }
        // blocks of 8 and 64 pages, six levels
        for (long seed = 14; seed <= 17; seed++)
        {
            runRandomSequence(seed, new IoPageTable(12, 3, 30, 1 << 16), 1L << 22, true);
        }
        // blocks of 16 and 256 pages, five levels
        for (long seed = 18; seed <= 20; seed++)
        {
            runRandomSequence(seed, new IoPageTable(12, 4, 32, 1 << 16), 1L << 24, true);
        }
    }

    private static void runRandomSequence(final long seed, final IoPageTable table, final long spaceBytes)
    {
        runRandomSequence(seed, table, spaceBytes, false);
    }

    /**
     * @param blockAligned true to make a third of the maps block-aligned (IOVA and phys congruent
     *                     modulo a block size, a whole number of blocks, a few pages either side,
     *                     sometimes phys one page off so they fall back to pages), and to check the
     *                     boundaries of every map and unmap right after it.
     */
    private static void runRandomSequence(final long seed, final IoPageTable table, final long spaceBytes, final boolean blockAligned)
    {
        final long[] blockSizes = table.blockSizes();
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
                    final long pages;
                    final long iova;
                    final long phys;
                    final long block = blockAligned && blockSizes.length > 0 && random.nextInt(3) == 0 ?
                        blockSizes[random.nextInt(blockSizes.length)] : 0;
                    if (block != 0 && block <= spaceBytes / 8)
                    {
                        final long lead = random.nextInt(3) == 0 ? 0 : random.nextInt(4);
                        final long blockPages = block / PAGE;
                        pages = lead + blockPages * (1 + random.nextInt(3)) + (random.nextBoolean() ? 0 : random.nextInt(4));
                        iova = Math.max(0, random.nextLong(1, spaceBytes / block - 3) * block - lead * PAGE);
                        phys = random.nextLong(1, (1L << 40) / block) * block - lead * PAGE + (random.nextInt(5) == 0 ? PAGE : 0);
                    }
                    else
                    {
                        pages = 1 + (random.nextInt(4) == 0 ? random.nextLong(Math.min(1100, spaceBytes / PAGE / 4)) : random.nextInt(8));
                        iova = random.nextLong(spaceBytes / PAGE - pages) * PAGE;
                        phys = random.nextLong(1L << 28) * PAGE;
                    }
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
                        if (blockAligned)
                        {
                            checkBoundaries(table, model, iova, pages, blockSizes);
                        }
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
                    if (blockAligned)
                    {
                        checkBoundaries(table, model, mapping.iova, mapping.pages, blockSizes);
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
                    if (blockAligned && !live.isEmpty())
                    {
                        // part of a mapping, maybe part of a block: refused, nothing changes
                        final Mapping mapping = live.get(random.nextInt(live.size()));
                        if (mapping.pages > 1)
                        {
                            final long skip = random.nextLong(mapping.pages);
                            final long take = 1 + random.nextLong(mapping.pages - skip);
                            if (skip != 0 || take != mapping.pages)
                            {
                                assertThrows(IllegalArgumentException.class, () -> table.unmap(mapping.iova + skip * PAGE, take * PAGE));
                                checkBoundaries(table, model, mapping.iova, mapping.pages, blockSizes);
                            }
                        }
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

    /**
     * Translates the first and last bytes of {@code [iova, iova + pages)}, the bytes either side of it,
     * and both sides of every block boundary inside it, against the model.
     */
    private static void checkBoundaries(final IoPageTable table, final Map<Long, Long> model, final long iova, final long pages,
        final long[] blockSizes)
    {
        final long end = iova + pages * PAGE;
        checkOne(table, model, iova - 1);
        checkOne(table, model, iova);
        checkOne(table, model, end - 1);
        checkOne(table, model, end);
        for (final long block : blockSizes)
        {
            for (long at = (iova + block - 1) / block * block; at < end && at - iova <= 64 * block; at += block)
            {
                checkOne(table, model, at - 1);
                checkOne(table, model, at);
                checkOne(table, model, at + block / 2 + 1);
            }
        }
    }

    private static void checkOne(final IoPageTable table, final Map<Long, Long> model, final long iova)
    {
        if (iova < 0)
        {
            return;
        }
        final Long expected = model.get(iova & ~(PAGE - 1));
        final long translation = table.translate(iova);
        if (expected == null)
        {
            assertTrue(Translation.isFault(translation), () -> "iova=0x" + Long.toHexString(iova) + " should fault");
            return;
        }
        assertEquals((expected & ~(PAGE - 1)) + (iova & (PAGE - 1)), Translation.phys(translation),
            () -> "iova=0x" + Long.toHexString(iova));
        assertEquals(PROTECTIONS[(int)(expected & 3) - 1], Translation.protection(translation));
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
