package dev.iova.region;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Mutates valid {@code reserved_regions} files (fixed seed, a few thousand cases) and parses each:
 * the reader either accepts exactly what a simple model of the kernel's format accepts, giving the
 * same list, or throws a {@link RegionFormatException} naming a line of the text; never another
 * exception, never a hang.
 */
class SysfsRegionReaderFuzzTest
{
    private static final int CASES = 4000;

    private static final String[] SEEDS = {
        "0x00000000000e8000 0x00000000000e8fff direct\n0x00000000fee00000 0x00000000feefffff msi\n",
        "0x000000007b800000 0x000000007fffffff direct-relaxable\n0x00000000fee00000 0x00000000feefffff msi\n",
        "0x0000000008000000 0x00000000080fffff sw-msi\n0x0000000000001000 0x0000000000001fff reserved\n",
        "0xfffffffffffff000 0xffffffffffffffff reserved\n",
        "",
    };

    /** Bytes the mutations insert: the separators the kernel uses and those it does not, digits, letters. */
    private static final char[] ALPHABET = {' ', ' ', '\n', '\n', '\t', '\r', '\u000b', '\u000c', '\u001c', '\u001f', '\u0000',
        '0', '1', 'f', 'F', 'g', 'x', 'X', '-', '+', '#', '\u00e9', 'm', 's', 'i'};

    private static final Pattern LINE = Pattern.compile(
        "0[xX]([0-9a-fA-F]{1,16}) 0[xX]([0-9a-fA-F]{1,16}) (direct|direct-relaxable|reserved|msi|sw-msi)");

    private final SysfsRegionReader reader = new SysfsRegionReader(MsiKind.HARDWARE);

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void mutatedFilesAreAcceptedExactlyAsTheModelSaysOrRejectedWithFileAndLine()
    {
        final SplittableRandom random = new SplittableRandom(0x17_2026L);
        int accepted = 0;
        for (int i = 0; i < CASES; i++)
        {
            final String text = mutate(SEEDS[random.nextInt(SEEDS.length)], random);
            final ReservedRegionList expected = model(text);
            ReservedRegionList actual = null;
            try
            {
                actual = reader.parse(text, Path.of("fuzz"));
            }
            catch (final RegionFormatException ex)
            {
                assertEquals(Path.of("fuzz"), ex.file(), ex::getMessage);
                assertTrue(ex.lineNumber() >= 1 && ex.lineNumber() <= text.split("\n", -1).length, () -> describe(text) + ex.getMessage());
            }
            catch (final RuntimeException ex)
            {
                throw new AssertionError("unexpected " + ex + " for " + describe(text), ex);
            }
            assertEquals(expected, actual, () -> describe(text));
            accepted += actual != null ? 1 : 0;
        }
        assertTrue(accepted > CASES / 10 && accepted < CASES * 9 / 10, "the mutations accept " + accepted + " of " + CASES);
    }

    /** The format, as simply as it can be said: null when the text is not one. */
    static ReservedRegionList model(final String text)
    {
        if (text.isEmpty())
        {
            return ReservedRegionList.empty();
        }
        final String body = text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
        final List<ReservedRegion> regions = new ArrayList<>();
        for (final String line : body.split("\n", -1))
        {
            final Matcher matcher = LINE.matcher(line);
            if (!matcher.matches())
            {
                return null;
            }
            final long first = Long.parseUnsignedLong(matcher.group(1), 16);
            final long last = Long.parseUnsignedLong(matcher.group(2), 16);
            if (Long.compareUnsigned(first, last) > 0)
            {
                return null;
            }
            regions.add(ReservedRegion.of(first, last, RegionType.fromSysfsWord(matcher.group(3), MsiKind.HARDWARE)));
        }
        return ReservedRegionList.of(regions);
    }

    private static String mutate(final String seed, final SplittableRandom random)
    {
        final StringBuilder text = new StringBuilder(seed);
        final int mutations = random.nextInt(4); // 0: the seed itself, some of the time
        for (int m = 0; m < mutations; m++)
        {
            final int at = text.length() == 0 ? 0 : random.nextInt(text.length() + 1);
            switch (random.nextInt(6))
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
                case 3 -> text.setLength(at); // truncated
                case 4 -> text.append(seed); // repeated lines
                default ->
                {
                    final int lineStart = text.lastIndexOf("\n", Math.max(0, at - 1)) + 1;
                    final int lineEnd = text.indexOf("\n", lineStart);
                    if (lineEnd > lineStart)
                    {
                        text.insert(lineEnd + 1, text.substring(lineStart, lineEnd + 1)); // a line twice
                    }
                }
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
        return escaped.append("\": ").toString();
    }
}
