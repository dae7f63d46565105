package dev.iova.bench.trace.kernel;

import dev.iova.bench.cli.ImportCommandTestAccess;
import dev.iova.bench.trace.TraceParser;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Malformed input never escapes as anything but an {@link ImportException} (one sentence, no
 * stack trace): the sample recordings with printable characters changed, inserted and deleted
 * at random either import into a valid trace or are refused with a message naming the file.
 */
class MalformedImportPropertyTest
{
    private static final List<String> SAMPLES = List.of("nvme-tracefs.txt", "nic-trace-cmd.txt", "old-iommu-perf-script.txt");

    @Property(tries = 40)
    void mutatedRecordingsImportOrAreRefusedInOneSentence(@ForAll @LongRange(min = 1, max = Long.MAX_VALUE) final long seed,
        @ForAll @IntRange(min = 1, max = 40) final int mutations, @ForAll final boolean strict)
    {
        final SplittableRandom random = new SplittableRandom(seed);
        final StringBuilder text = new StringBuilder(read(SAMPLES.get(random.nextInt(SAMPLES.size()))));
        for (int i = 0; i < mutations; i++)
        {
            final int at = random.nextInt(text.length());
            final char printable = (char)(0x20 + random.nextInt(0x5f));
            switch (random.nextInt(3))
            {
                case 0:
                    text.setCharAt(at, printable);
                    break;
                case 1:
                    text.insert(at, printable);
                    break;
                default:
                    text.deleteCharAt(at);
                    break;
            }
        }
        final ImportOptions options = new ImportOptions(null, ImportOptions.DEFAULT_LIMIT, 0, 4096, strict);
        try
        {
            TraceParser.parseText("imported", KernelTraceImporter.importText("mutated.txt", text.toString(), options));
        }
        catch (final ImportException ex)
        {
            if (!ex.getMessage().startsWith("mutated.txt:") || ex.getMessage().contains("\n"))
            {
                throw new AssertionError("not one sentence naming the file: " + ex.getMessage(), ex);
            }
        }
    }

    private static String read(final String sample)
    {
        try
        {
            return Files.readString(ImportCommandTestAccess.sample(sample));
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
