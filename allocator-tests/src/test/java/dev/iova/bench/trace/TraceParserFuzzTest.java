package dev.iova.bench.trace;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Mutates valid iova-trace v1 files (fixed seed, a few thousand cases) and parses each: the parser
 * either accepts exactly what a simple model of the format accepts, with the same entries, or
 * throws a {@link TraceFormatException} naming a line; never another exception, never a hang.
 */
class TraceParserFuzzTest
{
    private static final int CASES = 4000;

    private static final String[] SEEDS = {
        "iova-trace v1\n# a comment\ndomain granule=4096 start=1\nreserve 0xf0 0xff\nalloc 1 1 0xff\nalloc 2 2 0xff\n" +
            "free 2\nalloc 4 1 0xff   # trailing comment\n\nfree 1\nfree 4\n",
        "iova-trace v1\ndomain start=0x10 granule=65536\nalloc 18446744073709551615 3 0xffffffffffffffff\nfree 18446744073709551615\n",
        "# leading comment\n\niova-trace v1\ndomain granule=0x1000 start=1\nreserve 0 0\nalloc 7 0x20 1000\n",
    };

    private static final char[] ALPHABET = {' ', ' ', '\n', '\n', '\t', '\r', '\u000b', '\u000c', '\u0000', '#', '=', '0', '1', '9',
        'x', 'f', 'g', '-', '+', 'a', 'e', '\u00e9', '\uffff'};

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void mutatedTracesAreAcceptedExactlyAsTheModelSaysOrRejectedWithALine()
    {
        final SplittableRandom random = new SplittableRandom(0x17_1717L);
        int accepted = 0;
        for (int i = 0; i < CASES; i++)
        {
            final String text = mutate(SEEDS[random.nextInt(SEEDS.length)], random);
            final List<long[]> expected = Model.parse(text);
            Trace actual = null;
            try
            {
                actual = TraceParser.parseText("fuzz", text);
            }
            catch (final TraceFormatException ex)
            {
                assertTrue(ex.line() >= 1 && ex.line() <= text.split("\n", -1).length, () -> describe(text) + ex.getMessage());
                assertNull(expected, () -> describe(text) + "rejected what the model accepts: " + ex.getMessage());
                continue;
            }
            catch (final RuntimeException ex)
            {
                throw new AssertionError("unexpected " + ex + " for " + describe(text), ex);
            }
            assertNotNull(expected, () -> describe(text) + "accepted what the model rejects");
            assertEquals(expected.get(0)[0], actual.granuleBytes(), () -> describe(text));
            assertEquals(expected.get(0)[1], actual.startPfn(), () -> describe(text));
            assertEquals(expected.size() - 1, actual.entries(), () -> describe(text));
            for (int e = 0; e < actual.entries(); e++)
            {
                final long[] entry = expected.get(e + 1);
                assertEquals(entry[0], actual.kind(e), () -> describe(text));
                switch (actual.kind(e))
                {
                    case Trace.RESERVE -> assertEquals(List.of(entry[2], entry[3]), List.of(actual.loPfn(e), actual.hiPfn(e)), () -> describe(text));
                    case Trace.ALLOC -> assertEquals(List.of(entry[1], entry[2], entry[3]),
                        List.of(actual.id(e), actual.pages(e), actual.limitPfn(e)), () -> describe(text));
                    default -> assertEquals(entry[1], actual.id(e), () -> describe(text));
                }
            }
            accepted++;
        }
        assertTrue(accepted > CASES / 10 && accepted < CASES * 9 / 10, "the mutations accept " + accepted + " of " + CASES);
    }

    @Test
    void aLineLongerThanTheBoundIsRejectedWithItsNumber()
    {
        final String text = "iova-trace v1\ndomain granule=4096 start=1\n# " + "x".repeat(TraceParser.MAX_LINE_CHARS) + "\n";

        assertEquals("fuzz:3: line longer than 4096 characters: not an iova-trace file?",
            org.junit.jupiter.api.Assertions.assertThrows(TraceFormatException.class, () -> TraceParser.parseText("fuzz", text)).getMessage());
    }

    /** The format, said simply: entries as {kind, id, pagesOrLo, limitOrHi}, the domain first; null when not a trace. */
    static final class Model
    {
        private static final java.util.regex.Pattern BLANKS = java.util.regex.Pattern.compile("[ \\t\\r\\f\\u000b]+");
        private static final java.util.regex.Pattern HEX = java.util.regex.Pattern.compile("0[xX][0-9a-fA-F]+");
        private static final java.util.regex.Pattern DECIMAL = java.util.regex.Pattern.compile("[0-9]+");

        static List<long[]> parse(final String text)
        {
            final String body = text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
            final List<long[]> entries = new ArrayList<>();
            boolean header = false;
            long[] domain = null;
            for (final String line : text.isEmpty() ? new String[0] : body.split("\n", -1))
            {
                if (line.length() > TraceParser.MAX_LINE_CHARS)
                {
                    return null;
                }
                final int hash = line.indexOf('#');
                final String[] fields = Arrays.stream(BLANKS.split(hash < 0 ? line : line.substring(0, hash)))
                    .filter(field -> !field.isEmpty()).toArray(String[]::new);
                if (fields.length == 0)
                {
                    continue;
                }
                if (!header)
                {
                    if (fields.length != 2 || !fields[0].equals("iova-trace") || !fields[1].equals("v1"))
                    {
                        return null;
                    }
                    header = true;
                    continue;
                }
                switch (fields[0])
                {
                    case "domain" ->
                    {
                        if (domain != null || fields.length != 3)
                        {
                            return null;
                        }
                        domain = domain(fields[1], fields[2]);
                        if (domain == null)
                        {
                            return null;
                        }
                        entries.add(0, domain);
                    }
                    case "reserve", "alloc", "free" ->
                    {
                        final int operands = fields[0].equals("reserve") ? 2 : fields[0].equals("alloc") ? 3 : 1;
                        if (domain == null || fields.length != operands + 1)
                        {
                            return null;
                        }
                        final Long a = number(fields[1]);
                        final Long b = operands > 1 ? number(fields[2]) : Long.valueOf(0);
                        final Long c = operands > 2 ? number(fields[3]) : Long.valueOf(0);
                        if (a == null || b == null || c == null)
                        {
                            return null;
                        }
                        if (fields[0].equals("reserve"))
                        {
                            if (Long.compareUnsigned(b, a) < 0)
                            {
                                return null;
                            }
                            entries.add(new long[] {Trace.RESERVE, 0, clamp(a), clamp(b)});
                        }
                        else if (fields[0].equals("alloc"))
                        {
                            if (b == 0)
                            {
                                return null;
                            }
                            entries.add(new long[] {Trace.ALLOC, a, clamp(b), clamp(c)});
                        }
                        else
                        {
                            entries.add(new long[] {Trace.FREE, a, 0, 0});
                        }
                    }
                    default ->
                    {
                        return null;
                    }
                }
            }
            return header && domain != null ? entries : null;
        }

        private static long[] domain(final String first, final String second)
        {
            Long granule = null;
            Long start = null;
            for (final String field : new String[] {first, second})
            {
                final int equals = field.indexOf('=');
                if (equals < 0)
                {
                    return null;
                }
                final String key = field.substring(0, equals);
                final Long value = number(field.substring(equals + 1));
                if (value == null || !(key.equals("granule") ? granule == null : key.equals("start") && start == null))
                {
                    return null;
                }
                if (key.equals("granule"))
                {
                    granule = value;
                }
                else
                {
                    start = value;
                }
            }
            if (granule <= 0 || granule > (1L << 62) || Long.bitCount(granule) != 1 || start == 0)
            {
                return null;
            }
            return new long[] {granule, clamp(start)};
        }

        private static Long number(final String text)
        {
            try
            {
                if (HEX.matcher(text).matches())
                {
                    return Long.parseUnsignedLong(text.substring(2), 16);
                }
                if (DECIMAL.matcher(text).matches())
                {
                    return Long.parseUnsignedLong(text, 10);
                }
                return null;
            }
            catch (final NumberFormatException ex)
            {
                return null; // beyond 64 bits
            }
        }

        private static long clamp(final long unsigned)
        {
            return unsigned < 0 ? Long.MAX_VALUE : unsigned;
        }
    }

    private static String mutate(final String seed, final SplittableRandom random)
    {
        final StringBuilder text = new StringBuilder(seed);
        final int mutations = random.nextInt(4);
        for (int m = 0; m < mutations; m++)
        {
            final int at = text.length() == 0 ? 0 : random.nextInt(text.length() + 1);
            switch (random.nextInt(7))
            {
                case 0 -> text.insert(at, ALPHABET[random.nextInt(ALPHABET.length)]);
                case 1 ->
                {
                    if (at < text.length())
                    {
                        text.deleteCharAt(at);
                    }
                }
                case 2 ->
                {
                    if (at < text.length())
                    {
                        text.setCharAt(at, ALPHABET[random.nextInt(ALPHABET.length)]);
                    }
                }
                case 3 -> text.setLength(at);
                case 4 -> text.insert(at, random.nextBoolean() ? "domain granule=4096 start=1\n" : "free 1\n");
                case 5 -> text.insert(at, "9".repeat(random.nextInt(1, 30)));
                default -> text.insert(at, random.nextInt(20) == 0 ? "a".repeat(TraceParser.MAX_LINE_CHARS + 1) : "0x");
            }
        }
        return text.toString();
    }

    private static String describe(final String text)
    {
        final StringBuilder escaped = new StringBuilder("text \"");
        for (final char c : text.toCharArray())
        {
            escaped.append(c >= 0x20 && c < 0x7f ? String.valueOf(c) : String.format("\\u%04x", (int)c));
        }
        return escaped.length() > 600 ? escaped.substring(0, 600) + "...\": " : escaped.append("\": ").toString();
    }
}
