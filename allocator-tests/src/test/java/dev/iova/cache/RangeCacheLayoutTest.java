package dev.iova.cache;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The caches' off-heap layout: stripes (and the depots and magazines after them) start on a
 * {@link StripeDescriptor#STRIPE_ALIGNMENT} boundary whatever alignment the direct buffer got, so
 * that two stripes never share a cache line.
 */
class RangeCacheLayoutTest
{
    /** A backend that is never called: these caches are only built and closed. */
    private static final RangeCache.Backend UNUSED = new RangeCache.Backend()
    {
        @Override
        public long allocCachedRun(final long pages, final int maxRanges, final long limitPfn, final RangeCache.LiveMarker marker,
            final int sizeClass, final long hint)
        {
            throw new AssertionError("not called");
        }

        @Override
        public long allocUntracked(final long pages, final long limitPfn)
        {
            throw new AssertionError("not called");
        }

        @Override
        public void freeCached(final long pfn, final long pages)
        {
            throw new AssertionError("not called");
        }

        @Override
        public void freeUntracked(final long pfn, final long pages, final long classPages)
        {
            throw new AssertionError("not called");
        }
    };

    @ParameterizedTest
    @CsvSource({"1, 1, 1, 0", "10, 8, 127, 32", "3, 2, 5, 1", "16, 64, 127, 64", "6, 4, 31, 3"})
    void stripesStartOnTheirAlignmentWhateverTheGeometry(final int sizeClasses, final int stripes, final int magazineRanges,
        final int depotMagazines)
    {
        // Several in a row, so that malloc hands out addresses of more than one alignment.
        for (int i = 0; i < 8; i++)
        {
            final RangeCache cache = new RangeCache(UNUSED, sizeClasses, stripes, magazineRanges, depotMagazines);
            try
            {
                assertEquals(0, cache.stripesAddress() % StripeDescriptor.STRIPE_ALIGNMENT,
                    "stripes at 0x" + Long.toHexString(cache.stripesAddress()));
            }
            finally
            {
                cache.close();
            }
        }
    }
}
