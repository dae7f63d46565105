package dev.iova.region;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Merging, usable ranges and their complement, checked against a brute-force model: a window of
 * {@value #WINDOW_BYTES} bytes with one bit per byte and type. The window sits at the bottom of
 * the address space, across the signed boundary at 2^63, or at the very top, so that unsigned
 * comparisons and the overflow of {@code endByte + 1} are exercised.
 */
class RegionListPropertiesTest
{
    private static final int WINDOW_BYTES = 256;
    private static final RegionType[] TYPES = RegionType.values();

    /** A region as offsets into the window. */
    record Span(int loOffset, int hiOffset, RegionType type)
    {
        ReservedRegion at(final long baseByte)
        {
            return ReservedRegion.of(baseByte + loOffset, baseByte + hiOffset, type);
        }
    }

    @Provide
    Arbitrary<Long> bases()
    {
        return Arbitraries.of(0L, 0x7fffffffffffff80L, 0xffffffffffffff00L);
    }

    @Provide
    Arbitrary<List<Span>> spans()
    {
        final Arbitrary<Span> span = Combinators.combine(
            Arbitraries.integers().between(0, WINDOW_BYTES - 1),
            Arbitraries.integers().between(0, 40),
            Arbitraries.of(TYPES))
            .as((loOffset, extraBytes, type) -> new Span(loOffset, Math.min(WINDOW_BYTES - 1, loOffset + extraBytes), type));
        return span.list().ofMaxSize(14);
    }

    @Provide
    Arbitrary<int[]> apertures()
    {
        return Combinators.combine(Arbitraries.integers().between(0, WINDOW_BYTES - 1), Arbitraries.integers().between(0, WINDOW_BYTES - 1))
            .as((a, b) -> new int[] {Math.min(a, b), Math.max(a, b)});
    }

    @Property
    void mergedListMatchesBruteForceModel(@ForAll("bases") final long baseByte, @ForAll("spans") final List<Span> spans)
    {
        final boolean[][] covered = new boolean[TYPES.length][WINDOW_BYTES];
        for (final Span span : spans)
        {
            for (int offset = span.loOffset(); offset <= span.hiOffset(); offset++)
            {
                covered[span.type().ordinal()][offset] = true;
            }
        }
        final List<ReservedRegion> expected = new ArrayList<>();
        for (final RegionType type : TYPES)
        {
            for (final int[] run : runs(covered[type.ordinal()], 0, WINDOW_BYTES - 1))
            {
                expected.add(ReservedRegion.of(baseByte + run[0], baseByte + run[1], type));
            }
        }
        expected.sort(Comparator.<ReservedRegion>comparingLong(r -> r.startByte() - baseByte).thenComparing(ReservedRegion::type));

        assertEquals(expected, ReservedRegionList.of(placed(spans, baseByte)).regions());
    }

    @Property
    void insertionOrderNeverMatters(
        @ForAll("bases") final long baseByte, @ForAll("spans") final List<Span> spans, @ForAll final Random random)
    {
        final List<ReservedRegion> regions = placed(spans, baseByte);
        final ReservedRegionList expected = ReservedRegionList.of(regions);

        Collections.shuffle(regions, random);
        ReservedRegionList oneByOne = ReservedRegionList.empty();
        for (final ReservedRegion region : regions)
        {
            oneByOne = oneByOne.with(region);
        }
        final int half = regions.size() / 2;
        final ReservedRegionList twoHalves = ReservedRegionList.of(regions.subList(0, half))
            .withAll(ReservedRegionList.of(regions.subList(half, regions.size())));

        assertEquals(expected, oneByOne);
        assertEquals(expected, twoHalves);
    }

    @Property
    void usableRangesMatchBruteForceModel(
        @ForAll("bases") final long baseByte, @ForAll("spans") final List<Span> spans, @ForAll("apertures") final int[] aperture)
    {
        final boolean[] usable = new boolean[WINDOW_BYTES];
        for (int offset = aperture[0]; offset <= aperture[1]; offset++)
        {
            usable[offset] = true;
        }
        for (final Span span : spans)
        {
            if (span.type() != RegionType.DIRECT_RELAXABLE)
            {
                for (int offset = span.loOffset(); offset <= span.hiOffset(); offset++)
                {
                    usable[offset] = false;
                }
            }
        }

        final List<ByteRange> actual = ReservedRegionList.of(placed(spans, baseByte))
            .usableRanges(baseByte + aperture[0], baseByte + aperture[1]);

        assertEquals(ranges(runs(usable, 0, WINDOW_BYTES - 1), baseByte), actual);
    }

    @Property
    void complementOfUsableRangesMatchesBruteForceModel(
        @ForAll("bases") final long baseByte, @ForAll("spans") final List<Span> spans, @ForAll("apertures") final int[] aperture)
    {
        // The spans stand for usable ranges here; their types do not matter.
        final List<ByteRange> usableRanges = new ArrayList<>();
        final boolean[] usable = new boolean[WINDOW_BYTES];
        for (final Span span : spans)
        {
            usableRanges.add(new ByteRange(baseByte + span.loOffset(), baseByte + span.hiOffset()));
            for (int offset = span.loOffset(); offset <= span.hiOffset(); offset++)
            {
                usable[offset] = true;
            }
        }
        final boolean[] reserved = new boolean[WINDOW_BYTES];
        final boolean[] usableInAperture = new boolean[WINDOW_BYTES];
        for (int offset = aperture[0]; offset <= aperture[1]; offset++)
        {
            reserved[offset] = !usable[offset];
            usableInAperture[offset] = usable[offset];
        }
        final long apertureStartByte = baseByte + aperture[0];
        final long apertureEndByte = baseByte + aperture[1];

        final ReservedRegionList complement = ReservedRegionList.fromUsableRanges(usableRanges, apertureStartByte, apertureEndByte);

        final List<ReservedRegion> expected = new ArrayList<>();
        for (final ByteRange range : ranges(runs(reserved, 0, WINDOW_BYTES - 1), baseByte))
        {
            expected.add(ReservedRegion.of(range.startByte(), range.endByte(), RegionType.RESERVED));
        }
        assertEquals(expected, complement.regions());
        assertEquals(ranges(runs(usableInAperture, 0, WINDOW_BYTES - 1), baseByte),
            complement.usableRanges(apertureStartByte, apertureEndByte));
    }

    private static List<ReservedRegion> placed(final List<Span> spans, final long baseByte)
    {
        final List<ReservedRegion> regions = new ArrayList<>();
        for (final Span span : spans)
        {
            regions.add(span.at(baseByte));
        }
        return regions;
    }

    /** Maximal runs of set bits in {@code bits[lo..hi]}, as {lo, hi} offset pairs, ascending. */
    private static List<int[]> runs(final boolean[] bits, final int loOffset, final int hiOffset)
    {
        final List<int[]> runs = new ArrayList<>();
        int offset = loOffset;
        while (offset <= hiOffset)
        {
            if (!bits[offset])
            {
                offset++;
                continue;
            }
            final int runStart = offset;
            while (offset <= hiOffset && bits[offset])
            {
                offset++;
            }
            runs.add(new int[] {runStart, offset - 1});
        }
        return runs;
    }

    private static List<ByteRange> ranges(final List<int[]> runs, final long baseByte)
    {
        final List<ByteRange> ranges = new ArrayList<>();
        for (final int[] run : runs)
        {
            ranges.add(new ByteRange(baseByte + run[0], baseByte + run[1]));
        }
        return ranges;
    }
}
