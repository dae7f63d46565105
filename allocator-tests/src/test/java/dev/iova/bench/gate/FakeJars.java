package dev.iova.bench.gate;

import dev.iova.bench.report.Fixtures;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Jars that hold only a {@code META-INF/BenchmarkList}: enough for the A/B gate to plan from, built
 * from the test resources' list ({@code AllocFreePairBenchmark}, {@code CachedPairFalseSharingBenchmark}).
 */
final class FakeJars
{
    private FakeJars()
    {
    }

    /**
     * @param file where to write the jar.
     * @param keep which lines of the benchmark list to keep.
     * @return the jar.
     */
    static Path jar(final Path file, final Predicate<String> keep)
    {
        try
        {
            final String list = Files.readString(Fixtures.resource("/jmh/BenchmarkList")).lines().filter(keep)
                .collect(Collectors.joining("\n", "", "\n"));
            Files.createDirectories(file.getParent());
            try (OutputStream out = Files.newOutputStream(file); ZipOutputStream zip = new ZipOutputStream(out))
            {
                zip.putNextEntry(new ZipEntry("META-INF/BenchmarkList"));
                zip.write(list.getBytes(StandardCharsets.UTF_8));
                zip.closeEntry();
            }
            return file;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /** @return a jar with every benchmark of the test list. */
    static Path jar(final Path file)
    {
        return jar(file, line -> true);
    }
}
