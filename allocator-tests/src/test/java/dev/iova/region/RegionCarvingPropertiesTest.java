package dev.iova.region;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iova.IovaDomain;
import dev.iova.IovaRange;
import dev.iova.RegionCarving;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * {@link RegionCarving} against a brute-force model: a domain of 16-byte pfns 1 to 15, regions
 * anywhere in bytes 0 to 511, so that rounding, clipping and merging of every type all happen.
 */
class RegionCarvingPropertiesTest
{
    /** A region as byte offsets: bytes 0 to 511 over a domain of 16-byte pfns 1 to 15 (bytes 16 to 255). */
    record ByteSpan(int loByte, int hiByte, RegionType type)
    {
    }

    @Provide
    Arbitrary<List<ByteSpan>> byteSpans()
    {
        return Combinators.combine(
            Arbitraries.integers().between(0, 511),
            Arbitraries.integers().between(0, 60),
            Arbitraries.of(RegionType.values()))
            .as((loByte, extraBytes, type) -> new ByteSpan(loByte, Math.min(511, loByte + extraBytes), type))
            .list().ofMaxSize(8);
    }

    @Property(tries = 300)
    void carvedPfnsAreExactlyThoseAnyRegionByteTouches(@ForAll("byteSpans") final List<ByteSpan> spans)
    {
        final int granuleShift = 4;
        final int lastPfn = 15;
        final boolean[] expected = new boolean[lastPfn + 1];
        final List<ReservedRegion> regions = new ArrayList<>();
        for (final ByteSpan span : spans)
        {
            regions.add(ReservedRegion.of(span.loByte(), span.hiByte(), span.type()));
            for (int pfn = Math.max(1, span.loByte() >>> granuleShift); pfn <= Math.min(lastPfn, span.hiByte() >>> granuleShift); pfn++)
            {
                expected[pfn] = true;
            }
        }

        try (IovaDomain domain = IovaDomain.builder().granuleBytes(1 << granuleShift).startPfn(1).lastPfn(lastPfn).build())
        {
            final ReservedRegionList list = ReservedRegionList.of(regions);
            RegionCarving.carve(domain, list);
            final List<IovaRange> once = ranges(domain);
            RegionCarving.carve(domain, list);

            final boolean[] actual = new boolean[lastPfn + 1];
            for (final IovaRange range : ranges(domain))
            {
                assertTrue(range.reserved(), range.toString());
                for (long pfn = range.loPfn(); pfn <= range.hiPfn(); pfn++)
                {
                    actual[(int)pfn] = true;
                }
            }
            assertEquals(Arrays.toString(expected), Arrays.toString(actual));
            assertEquals(once, ranges(domain));
        }
    }

    private static List<IovaRange> ranges(final IovaDomain domain)
    {
        final List<IovaRange> ranges = new ArrayList<>();
        domain.forEachRange((loPfn, hiPfn, reserved) -> ranges.add(new IovaRange(loPfn, hiPfn, reserved)));
        return ranges;
    }
}
