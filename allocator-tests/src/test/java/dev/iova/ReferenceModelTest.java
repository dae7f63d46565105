package dev.iova;

import java.util.List;

import org.junit.jupiter.api.Test;

import static dev.iova.IovaDomain.NO_ADDRESS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Checks the checker: the {@link ReferenceModel} gives the hand-computed answers of
 * {@link DomainOperationsTest}, so that the lockstep property cannot pass by the model and the
 * domain sharing a mistake.
 */
class ReferenceModelTest
{
    @Test
    void modelPlacesHighestFitBelowTheLimit()
    {
        final ReferenceModel model = new ReferenceModel(1, 0xfffff, Integer.MAX_VALUE);
        assertEquals(0xfff, model.alloc(1, 0xfff, false));
        assertEquals(0xffb, model.alloc(4, 0xfff, false));
        assertEquals(0xfe0, model.alloc(16, 0x1000, true));
        assertEquals(0xfffff, model.alloc(1, Long.MAX_VALUE, false));
    }

    @Test
    void modelAlignsToPagesRoundedUpToAPowerOfTwo()
    {
        final ReferenceModel model = new ReferenceModel(1, 0x100, Integer.MAX_VALUE);
        assertEquals(0xfc, model.alloc(3, 0x100, true));
        assertEquals(0xf8, model.alloc(3, 0x100, true));
        assertEquals(0xf0, model.alloc(5, 0x100, true));
        final ReferenceModel unaligned = new ReferenceModel(1, 0x100, Integer.MAX_VALUE);
        assertEquals(0xfe, unaligned.alloc(3, 0x100, false));
        final ReferenceModel offset = new ReferenceModel(5, 12, Integer.MAX_VALUE);
        assertEquals(8, offset.alloc(4, 12, true));
        assertEquals(NO_ADDRESS, offset.alloc(4, 12, true));
        assertEquals(5, offset.alloc(3, 12, false));
    }

    @Test
    void modelReusesTheHighestHoleThatFits()
    {
        final ReferenceModel model = new ReferenceModel(1, 0xfff, Integer.MAX_VALUE);
        for (long pfn = 0x3f; pfn >= 1; pfn--)
        {
            assertEquals(pfn, model.alloc(1, 0x3f, false));
        }
        model.free(0x30);
        for (long pfn = 0x10; pfn <= 0x13; pfn++)
        {
            model.free(pfn, 1);
        }
        assertEquals(0x12, model.alloc(2, 0x3f, false));
        assertEquals(0x30, model.alloc(1, 0x3f, false));
        assertEquals(0x10, model.alloc(2, 0x3f, true));
        assertEquals(NO_ADDRESS, model.alloc(1, 0x3f, false));
    }

    @Test
    void modelMergesTouchingAndOverlappingReserves()
    {
        final ReferenceModel model = new ReferenceModel(1, 0xfff, Integer.MAX_VALUE);
        model.reserve(0x10, 0x1f);
        model.reserve(0x30, 0x3f);
        model.reserve(0x21, 0x22);
        assertEquals(3, model.reservedRanges());
        model.reserve(0x20, 0x2f);
        assertEquals(List.of(new IovaRange(0x10, 0x3f, true)), model.listing());
        assertEquals(0x40, model.alloc(1, 0x40, false));
        model.reserve(0x41, 0x50);
        assertEquals(2, model.reservedRanges(), "a reserve never merges with an allocation");
        assertThrows(IllegalArgumentException.class, () -> model.reserve(0x40, 0x40));
    }

    @Test
    void modelFreeAndFindFollowTheContract()
    {
        final ReferenceModel model = new ReferenceModel(0x10, 0xfff, Integer.MAX_VALUE);
        model.reserve(0x100, 0x10f);
        final long pfn = model.alloc(8, 0x7ff, true);
        assertEquals(0x7f8, pfn);
        assertEquals(new IovaRange(0x7f8, 0x7ff, false), model.find(0x7fb));
        assertNull(model.find(0x7f7));
        assertThrows(IllegalArgumentException.class, () -> model.free(0x7f9, 7));
        assertThrows(IllegalArgumentException.class, () -> model.free(0x7f8, 4));
        assertThrows(IllegalArgumentException.class, () -> model.free(0x105));
        assertThrows(IllegalArgumentException.class, () -> model.free(0x100, 16));
        model.free(0x7fd);
        assertThrows(IllegalArgumentException.class, () -> model.free(0x7f8, 8));
    }

    @Test
    void modelCountsFreePagesAndGapsBelowTheLimit()
    {
        final ReferenceModel model = new ReferenceModel(1, 0xff, Integer.MAX_VALUE);
        model.reserve(0x40, 0x4f);
        assertEquals(0x80, model.alloc(1, 0x80, false));
        assertEquals(0x20, model.alloc(2, 0x21, false));
        assertEquals(255 - 19, model.freePages(Long.MAX_VALUE));
        assertEquals(0x45 - 8, model.freePages(0x45));
        assertEquals(127, model.largestFreeGapPages(Long.MAX_VALUE));
        assertEquals(80, model.largestFreeGapPages(0xd0));
        assertEquals(31, model.largestFreeGapPages(0x60));
        assertEquals(0, model.freePages(0));
    }

    @Test
    void modelRefusesAllocationsAndNewReservesAtMaxRanges()
    {
        final ReferenceModel model = new ReferenceModel(1, 0xff, 2);
        model.reserve(0x10, 0x1f);
        assertEquals(0xff, model.alloc(1, 0xff, false));
        assertEquals(NO_ADDRESS, model.alloc(1, 0xff, false));
        assertThrows(ReferenceModel.CapacityExceeded.class, () -> model.reserve(0x50, 0x5f));
        model.reserve(0x20, 0x2f);
        assertEquals(List.of(new IovaRange(0x10, 0x2f, true), new IovaRange(0xff, 0xff, false)), model.listing());
    }
}
