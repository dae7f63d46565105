package dev.iova.bench.trace;

import dev.iova.IovaDomain;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Mutates valid iova-trace v2 files (fixed seed, a few thousand cases), parses each and replays
 * what parses: every input is either replayed to the end, leaving a domain that passes
 * {@code verify()} and holds exactly the replay's live ranges, or refused with a
 * {@link TraceFormatException} naming a line of the file; never another exception.
 */
class TraceV2FuzzTest
{
    private static final int CASES = 3000;

    private static final String[] SEEDS = {
        "iova-trace v2\ndomain granule=4096 start=1 end=0xfff\nallow 0x10 0x7ff\nallow 0x800 0x8ff\n" +
            "reserve 0x100 0x10f owner=msi\nreserve 0x108 0x11f owner=vfio\nalloc 1 8 0xfff align=16 fit=best\n" +
            "alloc-at 2 0x200 4\nalloc 3 3 0x7ff fit=lowest\nunreserve msi\nfree 2\nalloc 4 1 0xfff align=1\nfree 1\n",
        "iova-trace v2\ndomain start=0x10 granule=65536 end=0x1000\nreserve 0x20 0x2f\nalloc-at 7 0x30 2\n" +
            "alloc 8 2 0x1000 fit=highest align=2\nreserve 0x30 0x31 owner=x\nfree 7\nfree 8\n",
    };

    private static final String[] WORDS = {" ", "\n", "#", "=", "0", "1", "x", "f", "align=", "fit=", "owner=", "best", "lowest",
        "alloc-at ", "allow ", "unreserve ", "end=", "0x8000000000000000", "iova-trace v1", "-"};

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void mutatedV2TracesReplayToASoundDomainOrAreRefusedWithALine()
    {
        final SplittableRandom random = new SplittableRandom(0x2222L);
        int replayed = 0;
        int refused = 0;
        for (int i = 0; i < CASES; i++)
        {
            final String text = mutate(SEEDS[random.nextInt(SEEDS.length)], random);
            final int lines = text.split("\n", -1).length;
            try
            {
                final Trace trace = TraceParser.parseText("fuzz", text);
                try (IovaDomain domain = DomainReplayTarget.newDomain(trace))
                {
                    final ReplayResult result = new TraceReplayer(trace).replay(new DomainReplayTarget(domain));
                    domain.verify();
                    assertEquals(result.liveAtEnd(), domain.liveRanges(), () -> "live ranges after " + text);
                    replayed++;
                }
            }
            catch (final TraceFormatException ex)
            {
                assertTrue(ex.line() >= 1 && ex.line() <= lines, () -> "line " + ex.line() + " of " + lines + ": " + ex.getMessage());
                refused++;
            }
            catch (final RuntimeException ex)
            {
                throw new AssertionError("unexpected " + ex + " for:\n" + text, ex);
            }
        }
        assertTrue(replayed > CASES / 20 && refused > CASES / 10, "replayed " + replayed + ", refused " + refused);
    }

    private static String mutate(final String seed, final SplittableRandom random)
    {
        final StringBuilder text = new StringBuilder(seed);
        final int edits = 1 + random.nextInt(3);
        for (int e = 0; e < edits && text.length() > 0; e++)
        {
            final int at = random.nextInt(text.length());
            switch (random.nextInt(4))
            {
                case 0 -> text.deleteCharAt(at);
                case 1 -> text.insert(at, WORDS[random.nextInt(WORDS.length)]);
                case 2 -> text.setCharAt(at, WORDS[random.nextInt(WORDS.length)].charAt(0));
                default ->
                {
                    // Swap two lines: ops out of order, frees before allocs, unreserves before reserves.
                    final String[] lines = text.toString().split("\n", -1);
                    final int a = random.nextInt(lines.length);
                    final int b = random.nextInt(lines.length);
                    final String line = lines[a];
                    lines[a] = lines[b];
                    lines[b] = line;
                    text.setLength(0);
                    text.append(String.join("\n", lines));
                }
            }
        }
        return text.toString();
    }
}
