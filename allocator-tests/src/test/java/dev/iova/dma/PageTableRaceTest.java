package dev.iova.dma;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import dev.iova.region.Protection;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

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
        final Thread reader = new Thread(() ->
        {
            try
            {
                long round = 0;
                while (!done.get())
                {
                    final long iova = span + ((round++ * 7 * granule) % (2 * span)) + (round & 0xff);
                    final long packed = table.translate(iova);
                    if (!Translation.isFault(packed) && Translation.phys(packed) != iova + PHYS_OFFSET)
                    {
                        throw new AssertionError("iova=0x" + Long.toHexString(iova) + " translated to 0x" +
                            Long.toHexString(Translation.phys(packed)));
                    }
                }
                while (true)
                {
                    table.translate(span); // until the close below makes it throw
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
        });
        reader.start();
        for (int round = 0; round < 400; round++)
        {
            final long iova = span * (1 + (round & 1));
            table.map(iova, iova + PHYS_OFFSET, span, Protection.READ);
            table.unmap(iova, span);
            table.invalidationCompleted(table.invalidationStarted()); // recycles what the unmap detached
        }
        done.set(true);
        table.close();
        reader.join();

        assertNull(failure.get());
        assertTrue(table.isClosed());
    }
}
