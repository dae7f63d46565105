package dev.iova.bench.results;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The machine, JDK and command a result was made with, so that every stored figure says where it
 * comes from.
 *
 * @param timestamp   when the run started, ISO-8601 UTC.
 * @param host        the host name.
 * @param cores       available processors.
 * @param memoryBytes physical memory, or -1 when the JVM cannot tell.
 * @param cpuModel    the CPU model from {@code /proc/cpuinfo}, or "unknown".
 * @param jdk         vendor, version and VM of the running JDK.
 * @param gitCommit   the project's commit, with "-dirty" for uncommitted changes, or "unknown".
 * @param command     the command line that made the result.
 */
public record RunMetadata(
    String timestamp,
    String host,
    int cores,
    long memoryBytes,
    String cpuModel,
    String jdk,
    String gitCommit,
    String command)
{
    private static final ObjectMapper MAPPER = new ObjectMapper();

    /**
     * @param command the command line, as a user would type it.
     * @return the metadata of this JVM, now.
     */
    public static RunMetadata capture(final String command)
    {
        return new RunMetadata(
            Instant.now().toString(),
            hostName(),
            Runtime.getRuntime().availableProcessors(),
            physicalMemoryBytes(),
            readCpuModel(),
            System.getProperty("java.vendor") + " " + System.getProperty("java.runtime.version") + " (" +
                System.getProperty("java.vm.name") + ")",
            readGitCommit(),
            command);
    }

    /** @return the host name, safe for a folder name. */
    public String hostLabel()
    {
        return host.replaceAll("[^A-Za-z0-9._-]", "_");
    }

    /** @return the fields as a JSON object, in the record's order (no trailing newline). */
    public String toJson()
    {
        try
        {
            return MAPPER.writeValueAsString(this);
        }
        catch (final JsonProcessingException ex)
        {
            throw new UncheckedIOException(ex); // strings and numbers only: does not happen
        }
    }

    private static String hostName()
    {
        try
        {
            return InetAddress.getLocalHost().getHostName();
        }
        catch (final IOException ex)
        {
            final String env = System.getenv("HOSTNAME");
            return env != null ? env : "unknown-host";
        }
    }

    private static long physicalMemoryBytes()
    {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean)
        {
            return ((com.sun.management.OperatingSystemMXBean)ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize();
        }
        return -1;
    }

    private static String readCpuModel()
    {
        try
        {
            for (final String line : Files.readAllLines(Path.of("/proc/cpuinfo"), StandardCharsets.UTF_8))
            {
                if (line.toLowerCase(Locale.ROOT).startsWith("model name"))
                {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            // not Linux, or not readable: fall through
        }
        return "unknown";
    }

    private static String readGitCommit()
    {
        final String commit = run("git", "rev-parse", "HEAD");
        if (commit == null || commit.isEmpty())
        {
            return "unknown";
        }
        final String status = run("git", "status", "--porcelain", "--untracked-files=no");
        return status != null && !status.isEmpty() ? commit + "-dirty" : commit;
    }

    private static String run(final String... command)
    {
        try
        {
            final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!process.waitFor(10, TimeUnit.SECONDS) || process.exitValue() != 0)
            {
                return null;
            }
            return output;
        }
        catch (final IOException ex)
        {
            return null;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
