package dev.iova.bench.gate;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Builds a git revision's {@code allocator-bench.jar} for the A/B gate:
 *
 * <ol>
 *   <li>{@code git rev-parse --verify REV^{commit}} in the repository the command runs in;</li>
 *   <li>{@code git worktree add --detach SCRATCH/baseline-src COMMIT}: a temporary checkout beside
 *       the working tree, sharing its object store (nothing is fetched or copied);</li>
 *   <li>{@code mvn -B -q -ntp [-o] package -DskipTests -Dmaven.javadoc.skip=true -Dmaven.source.skip=true
 *       -pl allocator-bench -am} there (the tests' module is not built, nor the library's javadoc and
 *       sources jars: the gate needs the bench jar only);</li>
 *   <li>the jar copied to {@code SCRATCH/baseline.jar}, and the worktree removed with
 *       {@code git worktree remove --force}, also when the build fails or the JVM is stopped
 *       (a shutdown hook covers Ctrl-C during the build).</li>
 * </ol>
 *
 * The baseline needs only its JMH suites, not the gate: any revision whose
 * {@code allocator-bench} module builds the shaded jar can be a baseline.
 */
public final class GitRevisionBuilder implements RevisionBuilder
{
    /** Where Maven puts the shaded jar, relative to the checkout. */
    static final String JAR = "allocator-bench/target/allocator-bench.jar";

    private final Path repository;
    private final boolean offline;

    /**
     * @param repository a folder inside the git repository (the working tree).
     * @param offline    whether Maven runs with {@code -o}.
     */
    public GitRevisionBuilder(final Path repository, final boolean offline)
    {
        this.repository = repository;
        this.offline = offline;
    }

    @Override
    public String describe(final String revision) throws UnusableBaselineException, IOException, InterruptedException
    {
        final String commit = commit(revision);
        return revision + " (" + commit.substring(0, Math.min(7, commit.length())) + ")";
    }

    @Override
    public Path build(final String revision, final Path scratchDir, final Path logFile)
        throws UnusableBaselineException, IOException, InterruptedException
    {
        final String commit = commit(revision);
        final Path checkout = scratchDir.resolve("baseline-src");
        if (run(List.of("git", "worktree", "add", "--detach", "--quiet", checkout.toString(), commit), repository, logFile, 300) != 0)
        {
            throw new UnusableBaselineException("git cannot check " + revision + " out into a temporary worktree (" + checkout +
                "): see " + logFile);
        }
        final Thread cleanup = new Thread(() -> removeWorktree(checkout, logFile));
        Runtime.getRuntime().addShutdownHook(cleanup);
        try
        {
            final List<String> mvn = new ArrayList<>(List.of("mvn", "-B", "-q", "-ntp"));
            if (offline)
            {
                mvn.add("-o");
            }
            mvn.addAll(List.of("package", "-DskipTests", "-Dmaven.javadoc.skip=true", "-Dmaven.source.skip=true",
                "-pl", "allocator-bench", "-am"));
            final int exitCode = run(mvn, checkout, logFile, 1800);
            final Path jar = checkout.resolve(JAR);
            if (exitCode != 0)
            {
                throw new UnusableBaselineException(revision + " (" + commit.substring(0, 7) + ") does not build: " +
                    String.join(" ", mvn) + " exited with " + exitCode + " (see " + logFile + ")");
            }
            if (!Files.isRegularFile(jar))
            {
                throw new UnusableBaselineException(revision + " (" + commit.substring(0, 7) + ") builds no " + JAR +
                    ": it predates the JMH suites' jar");
            }
            return Files.copy(jar, scratchDir.resolve("baseline.jar"), StandardCopyOption.REPLACE_EXISTING);
        }
        finally
        {
            removeWorktree(checkout, logFile);
            try
            {
                Runtime.getRuntime().removeShutdownHook(cleanup);
            }
            catch (final IllegalStateException ex)
            {
                // shutting down already: the hook runs
            }
        }
    }

    private String commit(final String revision) throws UnusableBaselineException, IOException, InterruptedException
    {
        final Process process = new ProcessBuilder("git", "rev-parse", "--verify", "--quiet", revision + "^{commit}")
            .directory(repository.toFile()).redirectErrorStream(true).start();
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0 || output.isEmpty())
        {
            throw new UnusableBaselineException("'" + revision + "' is not a commit of the git repository at " +
                repository.toAbsolutePath().normalize());
        }
        return output;
    }

    private void removeWorktree(final Path checkout, final Path logFile)
    {
        if (!Files.exists(checkout))
        {
            return;
        }
        try
        {
            run(List.of("git", "worktree", "remove", "--force", checkout.toString()), repository, logFile, 120);
        }
        catch (final IOException ex)
        {
            // reported by the caller's clean-up of the scratch folder; git's own "prune" drops the entry later
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    private static int run(final List<String> command, final Path dir, final Path logFile, final long timeoutSeconds)
        throws IOException, InterruptedException
    {
        Files.writeString(logFile, "$ " + String.join(" ", command) + "   (in " + dir + ")\n", StandardCharsets.UTF_8,
            StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        final Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile())).start();
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS))
        {
            process.destroyForcibly();
            return -1;
        }
        return process.exitValue();
    }
}
