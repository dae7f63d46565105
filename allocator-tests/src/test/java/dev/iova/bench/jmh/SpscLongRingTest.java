package dev.iova.bench.jmh;

import org.junit.jupiter.api.Test;
import org.openjdk.jmh.infra.Control;

import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The hand-off ring of {@code MapUnmapBenchmark}'s cross-thread unmap. */
class SpscLongRingTest
{
    @Test
    void shouldReturnEmptyWhenNothingWasOffered()
    {
        assertEquals(SpscLongRing.EMPTY, new SpscLongRing(4).poll());
    }

    @Test
    void whenFirstInThenFirstOut()
    {
        final SpscLongRing ring = new SpscLongRing(4);
        for (long round = 0; round < 10; round++) // wraps around the slots several times
        {
            assertTrue(ring.offer(3 * round + 1));
            assertTrue(ring.offer(3 * round + 2));
            assertEquals(3 * round + 1, ring.poll());
            assertTrue(ring.offer(3 * round + 3));
            assertEquals(3 * round + 2, ring.poll());
            assertEquals(3 * round + 3, ring.poll());
            assertEquals(SpscLongRing.EMPTY, ring.poll());
        }
    }

    @Test
    void theWaitingCallsShouldGiveUpOnlyOnceTheIterationStops()
    {
        final SpscLongRing ring = new SpscLongRing(2);
        final Control control = new Control();
        assertTrue(ring.offerUntilStopped(7, control));
        assertTrue(ring.offerUntilStopped(8, control));
        assertEquals(7, ring.pollUntilStopped(control));
        assertEquals(8, ring.pollUntilStopped(control));

        control.stopMeasurement = true;
        assertEquals(SpscLongRing.EMPTY, ring.pollUntilStopped(control), "empty, and the iteration is over");
        assertTrue(ring.offerUntilStopped(9, control), "room: offered even after the stop");
        assertTrue(ring.offerUntilStopped(10, control));
        assertFalse(ring.offerUntilStopped(11, control), "full, and the iteration is over");
        assertEquals(9, ring.poll());
        assertEquals(10, ring.poll());
        assertEquals(SpscLongRing.EMPTY, ring.poll(), "the refused value was not stored");
    }

    @Test
    void shouldRefuseOfferWhenFull()
    {
        final SpscLongRing ring = new SpscLongRing(2);
        assertTrue(ring.offer(7));
        assertTrue(ring.offer(8));

        assertFalse(ring.offer(9));
        assertEquals(2, ring.size());
        assertEquals(7, ring.poll());
        assertTrue(ring.offer(9));
    }

    @Test
    void shouldGiveSlotsBackOncePerBatchOrWhenEmpty()
    {
        final int capacity = 8 * SpscLongRing.MAX_RELEASE_BATCH;
        final SpscLongRing ring = new SpscLongRing(capacity);
        for (long value = 1; value <= capacity; value++)
        {
            assertTrue(ring.offer(value));
        }
        for (long value = 1; value < SpscLongRing.MAX_RELEASE_BATCH; value++)
        {
            assertEquals(value, ring.poll());
        }
        assertFalse(ring.offer(-1), "a batch read only in part is not given back yet");

        assertEquals(SpscLongRing.MAX_RELEASE_BATCH, ring.poll());
        for (int i = 0; i < SpscLongRing.MAX_RELEASE_BATCH; i++)
        {
            assertTrue(ring.offer(-1 - i), "a whole batch read is given back");
        }
        assertFalse(ring.offer(-100));

        for (long value = SpscLongRing.MAX_RELEASE_BATCH + 1; value <= capacity; value++)
        {
            assertEquals(value, ring.poll());
        }
        for (int i = 0; i < SpscLongRing.MAX_RELEASE_BATCH; i++)
        {
            assertEquals(-1 - i, ring.poll());
        }
        assertEquals(SpscLongRing.EMPTY, ring.poll());
        assertEquals(0, ring.size(), "an empty ring gives back everything it read");
    }

    @Test
    void capacityThatIsNotAPowerOfTwoThrows()
    {
        assertThrows(IllegalArgumentException.class, () -> new SpscLongRing(3));
        assertThrows(IllegalArgumentException.class, () -> new SpscLongRing(1));
    }

    @Test
    void shouldDeliverEveryValueInOrderBetweenTwoThreads() throws InterruptedException
    {
        final SpscLongRing ring = new SpscLongRing(16);
        final long values = 2_000_000;
        final AtomicReference<String> failure = new AtomicReference<>();
        final Thread consumer = new Thread(() ->
        {
            long expected = 1;
            while (expected <= values)
            {
                final long value = ring.poll();
                if (value == SpscLongRing.EMPTY)
                {
                    Thread.onSpinWait();
                    continue;
                }
                if (value != expected)
                {
                    failure.set("got " + value + ", expected " + expected);
                    return;
                }
                expected++;
            }
        });
        consumer.start();
        for (long value = 1; value <= values && failure.get() == null; )
        {
            if (ring.offer(value))
            {
                value++;
            }
            else
            {
                Thread.onSpinWait();
            }
        }
        consumer.join(60_000);

        assertNull(failure.get());
        assertFalse(consumer.isAlive());
        assertEquals(0, ring.size());
    }
}
