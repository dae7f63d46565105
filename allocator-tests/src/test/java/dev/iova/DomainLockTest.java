package dev.iova;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The domain's lock is not reentrant: a visitor that calls back into the domain is told so, and the domain stays usable. */
class DomainLockTest
{
    private static final String CALLBACK =
        "this thread already holds the domain's lock: a visitor or callback called back into the domain";

    @Test
    void aRangeVisitorThatCallsBackIntoTheDomainGetsAnExceptionAndNothingStaysLocked()
    {
        try (IovaDomain domain = IovaDomain.builder().granuleBytes(4096).startPfn(1).lastPfn(0xfffff).maxCachedPages(0).build())
        {
            final long pfn = domain.alloc(4, 0xfffff, true);
            assertNotEquals(IovaDomain.NO_ADDRESS, pfn);
            final IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> domain.forEachRange((lo, hi, reserved) -> domain.alloc(1, 0xfffff, true)));
            assertEquals(CALLBACK, e.getMessage());
            // the lock was given back, and the callback changed nothing
            assertEquals(1, domain.liveRanges());
            domain.free(pfn, 4);
            assertEquals(0, domain.liveRanges());
            domain.verify();
        }
    }

    @Test
    void aReservationVisitorThatCallsBackIsToldSoToo()
    {
        try (IovaDomain domain = IovaDomain.builder().granuleBytes(4096).startPfn(1).lastPfn(0xfffff).build())
        {
            domain.reserve(0x100, 0x1ff);
            final IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> domain.forEachReservation((lo, hi, owner) -> domain.find(lo)));
            assertEquals(CALLBACK, e.getMessage());
            assertTrue(domain.find(0x100) != null);
            domain.verify();
        }
    }
}
