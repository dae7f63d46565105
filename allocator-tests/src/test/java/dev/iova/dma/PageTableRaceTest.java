package dev.iova.dma;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import dev.iova.region.Protection;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Walks racing writes and close, for several geometries: a reader translates while an owner maps
 * and unmaps whole table spans (so tables are detached, invalidated and recycled under the reader),
 * and then while the table closes. A walk that followed a leaf as a table pointer, or read freed
 * chunks, crashed the JVM here; now every answer is a fault or the right translation.
 */
class PageTableRaceTest
{
    private static final long PHYS_OFFSET = 0x5_0000_0000L;

    @ParameterizedTest(name = "granuleShift={0} bitsPerLevel={1} iovaBits={2}")
    @CsvSource({"12, 1, 20", "12, 2, 24", "12, 3, 30", "12, 9, 48", "14, 11, 47", "16, 13, 48"})
    void translateRacingMapUnmapAndRecyclingSeesOldOrNewNeverGarbage(final int granuleShift, final int bitsPerLevel,
        final int iovaBits) throws InterruptedException
    {
        final long granule = 1L << granuleShift;
        final long span = granule << Math.min(bitsPerLevel * 2, 12); // whole tables: detaching and recycling each round
        final IoPageTable table = new IoPageTable(granuleShift, bitsPerLevel, iovaBits, 1 << 16);
        final AtomicBoolean done = new AtomicBoolean();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final Thread[] readers = new Thread[3];
        for (int r = 0; r < readers.length; r++)
        {
            final long seed = r;
            readers[r] = new Thread(() -> readUntilClosed(table, granule, span, seed, done, failure));
            readers[r].start();
        }
        // Sizes of 1, 1/8, 2 and 1/64 spans, unmapped whole: detached subtrees of different depths, recycled
        // last-in first-out, so that a table comes back at another level while readers may be inside it.
        final long[] sizes = {span, Math.max(granule, span >>> bitsPerLevel), 2 * span,
            Math.max(granule, span >>> (2 * bitsPerLevel))};
        final int rounds = bitsPerLevel <= 3 ? 4_000 : 400;
        for (int round = 0; round < rounds; round++)
        {
            final long bytes = sizes[round % sizes.length];
            final long iova = span * (1 + (round & 1));
            table.map(iova, iova + PHYS_OFFSET, bytes, Protection.READ);
            table.unmap(iova, bytes);
            table.invalidationCompleted(table.invalidationStarted()); // recycles what the unmap detached
        }
        done.set(true);
        table.close();
        for (final Thread reader : readers)
        {
            reader.join();
        }

        assertNull(failure.get());
        assertTrue(table.isClosed());
    }

    /**
     * What a walker inside a recycled table can meet, planted without a race: a leaf entry where a
     * table pointer belongs. Followed as a pointer, its physical address would be read as table
     * memory (a SIGSEGV); it must read as nothing there.
     */
    @ParameterizedTest(name = "bitsPerLevel={0}")
    @CsvSource({"3", "9"})
    void walkThatMeetsALeafWhereATableBelongsDoesNotFollowIt(final int bitsPerLevel)
    {
        try (IoPageTable table = new IoPageTable(12, bitsPerLevel, 39, 1 << 10))
        {
            final long mapped = 0x1000;
            assertTrue(table.map(mapped, mapped + PHYS_OFFSET, 0x1000, Protection.READ));
            final long iova = 1L << 38; // under a root entry of its own
            final long rootIndex = iova >>> (12 + bitsPerLevel * (table.levels() - 1));
            final long leaf = (PHYS_OFFSET + 0x7000_0000L) | 0x33; // VALID, READ, FIRST, LAST: no TABLE bit
            org.agrona.UnsafeApi.putLongRelease(null, table.rootTableAddress() + rootIndex * 8, leaf);

            assertEquals(Translation.FAULT, table.translate(iova));
            assertEquals(Translation.FAULT, table.translate(iova + 0x1000));
            org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> table.unmap(iova, 0x1000));
            org.junit.jupiter.api.Assertions.assertFalse(table.map(iova, 0, 0x1000, Protection.READ), "never writes through it");
            assertEquals(mapped + PHYS_OFFSET, Translation.phys(table.translate(mapped)));
            org.agrona.UnsafeApi.putLongRelease(null, table.rootTableAddress() + rootIndex * 8, 0L);
        }
    }

    private static void readUntilClosed(final IoPageTable table, final long granule, final long span, final long seed,
        final AtomicBoolean done, final AtomicReference<Throwable> failure)
    {
        try
        {
            long round = seed;
            while (true)
            {
                final long iova = span + ((round++ * 7 * granule) % (3 * span)) + (round & 0xff);
                final long packed = table.translate(iova);
                if (!Translation.isFault(packed) && Translation.phys(packed) != iova + PHYS_OFFSET)
                {
                    throw new AssertionError("iova=0x" + Long.toHexString(iova) + " translated to 0x" +
                        Long.toHexString(Translation.phys(packed)));
                }
                if (done.get() && (round & 0xff) == 0)
                {
                    Thread.onSpinWait(); // keep walking until the close below makes translate throw
                }
            }
        }
        catch (final IllegalStateException closed)
        {
            // expected once closed
        }
        catch (final Throwable ex)
        {
            failure.set(ex);
        }
    }
}
