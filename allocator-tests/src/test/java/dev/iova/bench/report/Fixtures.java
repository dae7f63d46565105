package dev.iova.bench.report;

import dev.iova.bench.cli.Main;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** Real runs from the test resources, copied where a test may write, and the command line with its output captured. */
public final class Fixtures
{
    private Fixtures()
    {
    }

    /**
     * @param name a folder under the test resources' {@code jmh/}: {@code after-fixes}, {@code before-fixes}.
     * @param into a temporary folder.
     * @return the copy, {@code into/name}.
     */
    public static Path copyRun(final String name, final Path into)
    {
        final Path source = resource("/jmh/" + name);
        final Path target = into.resolve(name);
        try (Stream<Path> files = Files.list(source))
        {
            Files.createDirectories(target);
            for (final Path file : files.toList())
            {
                Files.copy(file, target.resolve(file.getFileName().toString()));
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        return target;
    }

    /**
     * @param path a resource path such as {@code /jmh/BenchmarkList}.
     * @return it as a file.
     */
    public static Path resource(final String path)
    {
        try
        {
            return Path.of(Fixtures.class.getResource(path).toURI());
        }
        catch (final URISyntaxException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    /**
     * @param args the command line after {@code java -jar allocator-bench.jar}.
     * @return its exit code and what it printed.
     */
    public static Cli cli(final String... args)
    {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final CommandLine commandLine = Main.newCommandLine();
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        final int exitCode = commandLine.execute(args);
        return new Cli(exitCode, out.toString(), err.toString());
    }

    /**
     * A command line's outcome.
     *
     * @param exitCode its exit code.
     * @param out      what it printed on standard output.
     * @param err      what it printed on standard error.
     */
    public record Cli(int exitCode, String out, String err)
    {
        /** @return the lines of standard error. */
        public long errLines()
        {
            return err.lines().count();
        }
    }
}
