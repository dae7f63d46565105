package dev.iova.bench.results;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Locale;
import java.util.Properties;

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
 * @param gitCommit   the commit the running jar was built from (recorded at build time), with "-dirty"
 *                    when the build had uncommitted changes, or "unknown".
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

    /** Where the build records the commit the jar is made from (git-commit-id-maven-plugin, in allocator-bench's pom). */
    static final String GIT_PROPERTIES = "/dev/iova/bench/git.properties";

    /**
     * @return the commit this jar was built from, with "-dirty" when the build had uncommitted
     *         changes to tracked files, or "unknown" when it was built outside a git repository.
     */
    static String readGitCommit()
    {
        try (InputStream in = RunMetadata.class.getResourceAsStream(GIT_PROPERTIES))
        {
            if (in == null)
            {
                return "unknown";
            }
            final Properties properties = new Properties();
            properties.load(in);
            return commitOf(properties);
        }
        catch (final IOException ex)
        {
            return "unknown";
        }
    }

    /**
     * @param properties the recorded {@code git.commit.id} and {@code git.dirty}.
     * @return the commit with "-dirty" when {@code git.dirty} is true, or "unknown" without a commit.
     */
    static String commitOf(final Properties properties)
    {
        final String commit = properties.getProperty("git.commit.id", "").trim();
        if (commit.isEmpty())
        {
            return "unknown";
        }
        return Boolean.parseBoolean(properties.getProperty("git.dirty", "false").trim()) ? commit + "-dirty" : commit;
    }
}
