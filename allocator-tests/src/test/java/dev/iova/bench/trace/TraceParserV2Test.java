package dev.iova.bench.trace;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** iova-trace v2 as the parser reads it: every new op and option, and every error, with its line. */
class TraceParserV2Test
{
    private static final String V2 = "iova-trace v2\ndomain granule=4096 start=1 end=0xffff\n";
    private static final String V1 = "iova-trace v1\ndomain granule=4096 start=1\n";

    @Test
    void shouldReadEveryV2OpAndOption()
    {
        final Trace trace = TraceParser.parseText("t", V2 +
            "allow 0x100 0xfff\n" +
            "reserve 0xa00 0xaff owner=msi\n" +
            "reserve 0xb00 0xb0f\n" +
            "alloc 1 8 0xffff\n" +
            "alloc 2 3 0xffff align=1\n" +
            "alloc 3 4 0xffff fit=best align=512\n" +
            "alloc 4 16 0xffff fit=lowest\n" +
            "alloc-at 5 0x400 32\n" +
            "unreserve msi\n" +
            "free 5\n");

        assertEquals(2, trace.version());
        assertEquals(0xffff, trace.endPfn());
        assertEquals(10, trace.entries());
        assertEquals(6, trace.ops(), "alloc, alloc-at and free lines");
        assertEquals(Trace.ALLOW, trace.kind(0));
        assertEquals(0x100, trace.loPfn(0));
        assertEquals(0xfff, trace.hiPfn(0));
        assertEquals("msi", trace.owner(1));
        assertNull(trace.owner(2));
        assertEquals(Trace.NATURAL_ALIGN, trace.alignPages(3));
        assertEquals(Trace.FIT_HIGHEST, trace.fit(3));
        assertEquals(1, trace.alignPages(4));
        assertEquals(512, trace.alignPages(5));
        assertEquals(Trace.FIT_BEST, trace.fit(5));
        assertEquals(Trace.FIT_LOWEST, trace.fit(6));
        assertEquals(Trace.ALLOC_AT, trace.kind(7));
        assertEquals(5, trace.id(7));
        assertEquals(0x400, trace.atPfn(7));
        assertEquals(32, trace.pages(7));
        assertEquals(Trace.UNRESERVE, trace.kind(8));
        assertEquals("msi", trace.owner(8));
        assertEquals(7, trace.link(9), "a free links to the alloc-at it releases");
    }

    @Test
    void v2DomainLineMayLeaveEndOut()
    {
        assertEquals(Trace.NO_END_PFN, TraceParser.parseText("t", "iova-trace v2\ndomain granule=4096 start=1\n").endPfn());
        assertEquals(1, TraceParser.parseText("t", V1).version());
    }

    @Test
    void alignOf2To63IsKeptAsItsBits()
    {
        assertEquals(Trace.ALIGN_2_63, TraceParser.parseText("t", V2 + "alloc 1 1 0xffff align=0x8000000000000000\n").alignPages(0));
    }

    static Stream<Arguments> errors()
    {
        return Stream.of(
            // v1 is read strictly
            Arguments.of(V1 + "alloc-at 1 0x10 2\n", 3, "'alloc-at' is an op of iova-trace v2, and this file is headed 'iova-trace v1'"),
            Arguments.of(V1 + "allow 1 2\n", 3, "'allow' is an op of iova-trace v2"),
            Arguments.of(V1 + "reserve 1 2\nunreserve x\n", 4, "'unreserve' is an op of iova-trace v2"),
            Arguments.of(V1 + "reserve 1 2 owner=msi\n", 3, "'owner=' is an option of iova-trace v2"),
            Arguments.of(V1 + "alloc 1 2 0xff align=4\n", 3, "'align=' is an option of iova-trace v2"),
            Arguments.of(V1 + "alloc 1 2 0xff fit=best\n", 3, "'fit=' is an option of iova-trace v2"),
            Arguments.of("iova-trace v1\ndomain granule=4096 start=1 end=0xff\n", 2, "'end=' is an option of iova-trace v2"),
            Arguments.of(V1 + "alloc 1 2 0xff 7\n", 3, "alloc takes ID PAGES LIMIT, found 4 fields"),
            // v2 options
            Arguments.of(V2 + "alloc 1 2 0xff align=3\n", 3, "align=3 is not a power of two"),
            Arguments.of(V2 + "alloc 1 2 0xff align=0\n", 3, "align=0 is not a power of two"),
            Arguments.of(V2 + "alloc 1 2 0xff align=x\n", 3, "align 'x' is not a number"),
            Arguments.of(V2 + "alloc 1 2 0xff fit=worst\n", 3, "unknown fit 'worst': expected highest, lowest or best"),
            Arguments.of(V2 + "alloc 1 2 0xff align=4 align=8\n", 3, "alloc gives align= twice"),
            Arguments.of(V2 + "alloc 1 2 0xff fit=best fit=lowest\n", 3, "alloc gives fit= twice"),
            Arguments.of(V2 + "alloc 1 2 0xff size=4\n", 3, "alloc takes ID PAGES LIMIT [align=A] [fit=F], found 'size=4'"),
            Arguments.of(V2 + "alloc 1 2 0xff align=4 fit=best 9\n", 3, "found 6 fields"),
            Arguments.of(V2 + "reserve 1 2 msi\n", 3, "reserve takes LO HI [owner=NAME], found 'msi'"),
            Arguments.of(V2 + "reserve 1 2 owner=\n", 3, "owner= names no owner"),
            Arguments.of(V2 + "unreserve msi\n", 3, "unreserve of owner 'msi', which no earlier reserve line names"),
            Arguments.of(V2 + "unreserve\n", 3, "unreserve takes NAME, found 0 fields"),
            Arguments.of(V2 + "allow 5 4\n", 3, "allow HI=0x4 is below LO=0x5"),
            Arguments.of(V2 + "allow 5\n", 3, "allow takes LO HI, found 1 field"),
            Arguments.of(V2 + "alloc-at 1 0x10 0\n", 3, "alloc-at of id 1 asks for PAGES=0"),
            Arguments.of(V2 + "alloc-at 1 0x10\n", 3, "alloc-at takes ID PFN PAGES, found 2 fields"),
            Arguments.of("iova-trace v2\ndomain granule=4096 start=0x10 end=0xf\n", 2, "end=0xf is below start=0x10"),
            Arguments.of("iova-trace v2\ndomain granule=4096 end=2 end=3\n", 2, "domain gives end twice"),
            Arguments.of("iova-trace v2\nallow 1 2\n", 2, "allow before the domain line"),
            Arguments.of(V2 + "alloc-on 1 2 3\n", 3, "unknown op 'alloc-on': expected domain, allow, reserve, unreserve, alloc, alloc-at or free"),
            Arguments.of("iova-trace v3\n", 1, "unsupported version 'v3': this replayer reads iova-trace v1 and iova-trace v2"));
    }

    @ParameterizedTest
    @MethodSource("errors")
    void shouldRejectWithLineAndReason(final String text, final int line, final String reason)
    {
        final TraceFormatException ex = assertThrows(TraceFormatException.class, () -> TraceParser.parseText("bad.trace", text));
        assertEquals(line, ex.line(), ex.getMessage());
        assertEquals(true, ex.getMessage().startsWith("bad.trace:" + line + ": "), ex.getMessage());
        assertEquals(true, ex.getMessage().contains(reason), () -> "expected '" + reason + "' in: " + ex.getMessage());
    }
}
