package dev.iova.concurrent;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The per-thread probe: kept, advanced, set for a while and set back. */
class ThreadProbeTest
{
    @Test
    void setTakesAProbeAndTheThreadKeepsIt()
    {
        final Thread self = Thread.currentThread();
        final int own = ThreadProbe.get(self);
        try
        {
            ThreadProbe.set(self, 0x1234_5679);
            assertEquals(0x1234_5679, ThreadProbe.get(self));
            final int next = ThreadProbe.advance(self, 0x1234_5679);
            assertNotEquals(0x1234_5679, next);
            assertEquals(next, ThreadProbe.get(self));
        }
        finally
        {
            ThreadProbe.set(self, own);
        }
        assertEquals(own, ThreadProbe.get(self));
    }

    @Test
    void zeroIsRefusedAndChangesNothing()
    {
        final Thread self = Thread.currentThread();
        final int own = ThreadProbe.get(self);

        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> ThreadProbe.set(self, 0));

        assertEquals("probe=0: a probe is never 0", ex.getMessage());
        assertEquals(own, ThreadProbe.get(self));
    }
}
