package dev.iova.bench.trace;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TraceParserTest
{
    private static final String PROLOGUE = "iova-trace v1\ndomain granule=4096 start=1\n";

    @Test
    void shouldReadDecimalAndHexNumbersCommentsAndBlankLines()
    {
        final Trace trace = TraceParser.parseText("t.trace",
            "# a comment before the header\n" +
            "iova-trace v1   # trailing comment\n" +
            "\n" +
            "domain start=0x10 granule=65536\n" +
            "reserve 0xfee00 0XFEEFF\n" +
            "\talloc 17  8 0xfffff\r\n" +
            "free 17 # gone\n");

        assertEquals("t.trace", trace.name());
        assertEquals(65536, trace.granuleBytes());
        assertEquals(0x10, trace.startPfn());
        assertEquals(4, trace.domainLine());
        assertEquals(3, trace.entries());
        assertEquals(2, trace.ops());

        assertEquals(Trace.RESERVE, trace.kind(0));
        assertEquals(5, trace.line(0));
        assertEquals(0xfee00, trace.loPfn(0));
        assertEquals(0xfeeff, trace.hiPfn(0));

        assertEquals(Trace.ALLOC, trace.kind(1));
        assertEquals(6, trace.line(1));
        assertEquals(17, trace.id(1));
        assertEquals(8, trace.pages(1));
        assertEquals(0xfffff, trace.limitPfn(1));
        assertEquals(Trace.NO_LINK, trace.link(1));

        assertEquals(Trace.FREE, trace.kind(2));
        assertEquals(7, trace.line(2));
        assertEquals(1, trace.link(2), "a free links to the alloc it releases");
    }

    @Test
    void shouldKeepAll64BitsOfIdsAndClampLargerValuesToLongMax()
    {
        final Trace trace = TraceParser.parseText("t.trace", PROLOGUE +
            "alloc 0xffffffffffffffff 18446744073709551615 0xffffffffffffffff\n" +
            "reserve 0x8000000000000000 0xffffffffffffffff\n");

        assertEquals(-1L, trace.id(0));
        assertEquals(Long.MAX_VALUE, trace.pages(0));
        assertEquals(Long.MAX_VALUE, trace.limitPfn(0));
        assertEquals(Long.MAX_VALUE, trace.loPfn(1));
        assertEquals(Long.MAX_VALUE, trace.hiPfn(1));
    }

    @Test
    void shouldLinkAnAllocToThePendingAllocOfItsIdAndForgetItAfterAFree()
    {
        final Trace trace = TraceParser.parseText("t.trace", PROLOGUE +
            "alloc 5 1 0xff\n" +   // 0
            "alloc 5 1 0xff\n" +   // 1: legal only if 0 failed
            "free 5\n" +           // 2: releases 1
            "alloc 5 1 0xff\n" +   // 3: nothing pending
            "free 5\n" +           // 4: releases 3
            "free 5\n");           // 5: nothing bound

        assertEquals(Trace.NO_LINK, trace.link(0));
        assertEquals(0, trace.link(1));
        assertEquals(1, trace.link(2));
        assertEquals(Trace.NO_LINK, trace.link(3));
        assertEquals(3, trace.link(4));
        assertEquals(Trace.NO_LINK, trace.link(5));
    }

    @Test
    void shouldAcceptATraceWithoutOperations()
    {
        final Trace trace = TraceParser.parseText("t.trace", PROLOGUE);

        assertEquals(0, trace.entries());
        assertEquals(0, trace.ops());
    }

    @Test
    void shouldRejectAccessorOfTheWrongKind()
    {
        final Trace trace = TraceParser.parseText("t.trace", PROLOGUE + "free 1\n");

        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> trace.pages(0));
        assertEquals("entry 0 (line 3) is free, not alloc or alloc-at", ex.getMessage());
    }

    static Stream<Arguments> malformedTraces()
    {
        return Stream.of(
            Arguments.of("", 1, "no 'iova-trace v1' header: the trace is empty"),
            Arguments.of("# only a comment\n\n", 2, "no 'iova-trace v1' header: the trace is empty"),
            Arguments.of("domain granule=4096 start=1\n", 1, "expected the header 'iova-trace v1' first, found 'domain granule=4096 start=1'"),
            Arguments.of("iova-trace v3\n", 1, "unsupported version 'v3': this replayer reads iova-trace v1 and iova-trace v2"),
            Arguments.of("iova-trace v1 extra\n", 1, "expected the header 'iova-trace v1' first, found 'iova-trace v1 extra'"),
            Arguments.of("iova-trace v1\n", 1, "no domain line: a trace needs 'domain granule=BYTES start=PFN'"),
            Arguments.of("iova-trace v1\nalloc 1 1 0xff\n", 2, "alloc before the domain line: 'domain granule=BYTES start=PFN' must come first"),
            Arguments.of("iova-trace v1\n\n# c\nreserve 1 2\n", 4, "reserve before the domain line: 'domain granule=BYTES start=PFN' must come first"),
            Arguments.of("iova-trace v1\nfree 1\n", 2, "free before the domain line: 'domain granule=BYTES start=PFN' must come first"),
            Arguments.of(PROLOGUE + "iova-trace v1\n", 3, "the header is repeated: it belongs on the first line only"),
            Arguments.of(PROLOGUE + "domain granule=4096 start=1\n", 3, "the domain line is repeated (first on line 2)"),
            Arguments.of("iova-trace v1\ndomain granule=3000 start=1\n", 2, "granule=3000 is not a power of two in [1, 2^62]"),
            Arguments.of("iova-trace v1\ndomain granule=0 start=1\n", 2, "granule=0 is not a power of two in [1, 2^62]"),
            Arguments.of("iova-trace v1\ndomain granule=0x8000000000000000 start=1\n", 2,
                "granule=9223372036854775808 is not a power of two in [1, 2^62]"),
            Arguments.of("iova-trace v1\ndomain granule=4096 start=0\n", 2,
                "start=0 is not supported: pfn 0 stands for a failed allocation, use start=1 or more"),
            Arguments.of("iova-trace v1\ndomain granule=4096\n", 2, "domain takes granule=BYTES start=PFN, found 1 field"),
            Arguments.of("iova-trace v1\ndomain granule=4096 start=1 x=2\n", 2,
                "domain takes granule=BYTES start=PFN, found 3 fields: 'domain granule=4096 start=1 x=2'"),
            Arguments.of("iova-trace v1\ndomain granule=4096 begin=1\n", 2, "domain takes granule=BYTES start=PFN, found 'begin=1'"),
            Arguments.of("iova-trace v1\ndomain granule=4096 4096\n", 2, "domain takes granule=BYTES start=PFN, found '4096'"),
            Arguments.of("iova-trace v1\ndomain granule=4096 granule=4096\n", 2, "domain gives granule twice"),
            Arguments.of("iova-trace v1\ndomain granule= start=1\n", 2, "granule '' is not a number (decimal, or hexadecimal with 0x)"),
            Arguments.of(PROLOGUE + "mmap 1 2 3\n", 3, "unknown op 'mmap': expected domain, reserve, alloc or free"),
            Arguments.of(PROLOGUE + "ALLOC 1 2 3\n", 3, "unknown op 'ALLOC': expected domain, reserve, alloc or free"),
            Arguments.of(PROLOGUE + "alloc 1 2\n", 3, "alloc takes ID PAGES LIMIT, found 2 fields"),
            Arguments.of(PROLOGUE + "alloc 1 2 3 4\n", 3, "alloc takes ID PAGES LIMIT, found 4 fields: 'alloc 1 2 3 4'"),
            Arguments.of(PROLOGUE + "alloc 1 2 3 # 4\nfree\n", 4, "free takes ID, found 0 fields"),
            Arguments.of(PROLOGUE + "free 1 2\n", 3, "free takes ID, found 2 fields: 'free 1 2'"),
            Arguments.of(PROLOGUE + "reserve 5\n", 3, "reserve takes LO HI, found 1 field"),
            Arguments.of(PROLOGUE + "alloc 1 0 0xff\n", 3, "alloc of id 1 asks for PAGES=0: at least 1 page"),
            Arguments.of(PROLOGUE + "alloc 1 0x0 0xff\n", 3, "alloc of id 1 asks for PAGES=0: at least 1 page"),
            Arguments.of(PROLOGUE + "alloc 1 12z 0xff\n", 3, "PAGES '12z' is not a number (decimal, or hexadecimal with 0x)"),
            Arguments.of(PROLOGUE + "alloc 1 1 0x\n", 3, "LIMIT '0x' is not a number (decimal, or hexadecimal with 0x)"),
            Arguments.of(PROLOGUE + "alloc 1 1 0xfg\n", 3, "LIMIT '0xfg' is not a number (decimal, or hexadecimal with 0x)"),
            Arguments.of(PROLOGUE + "alloc 1 1 ff\n", 3, "LIMIT 'ff' is not a number (decimal, or hexadecimal with 0x)"),
            Arguments.of(PROLOGUE + "alloc -1 1 0xff\n", 3, "ID '-1' is not a number (decimal, or hexadecimal with 0x)"),
            Arguments.of(PROLOGUE + "alloc +1 1 0xff\n", 3, "ID '+1' is not a number (decimal, or hexadecimal with 0x)"),
            Arguments.of(PROLOGUE + "alloc 1 1 0x1ffffffffffffffff\n", 3, "LIMIT '0x1ffffffffffffffff' does not fit in 64 bits"),
            Arguments.of(PROLOGUE + "alloc 1 18446744073709551616 1\n", 3, "PAGES '18446744073709551616' does not fit in 64 bits"),
            Arguments.of(PROLOGUE + "free 1.5\n", 3, "ID '1.5' is not a number (decimal, or hexadecimal with 0x)"),
            Arguments.of(PROLOGUE + "reserve 0x20 0x10\n", 3, "reserve HI=0x10 is below LO=0x20"),
            Arguments.of(PROLOGUE + "reserve 0xffffffffffffffff 1\n", 3, "reserve HI=0x1 is below LO=0xffffffffffffffff"));
    }

    @ParameterizedTest(name = "[{index}] line {1}: {2}")
    @MethodSource("malformedTraces")
    void shouldRejectMalformedTraceWithLineAndReason(final String text, final int line, final String reason)
    {
        final TraceFormatException ex = assertThrows(TraceFormatException.class, () -> TraceParser.parseText("bad.trace", text));

        assertEquals("bad.trace:" + line + ": " + reason, ex.getMessage());
        assertEquals("bad.trace", ex.traceName());
        assertEquals(line, ex.line());
        assertEquals(reason, ex.reason());
        assertTrue(ex instanceof IllegalArgumentException);
    }
}
