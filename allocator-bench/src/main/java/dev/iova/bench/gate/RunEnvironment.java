package dev.iova.bench.gate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Where a run was measured, as far as its files tell: the machine from the run folder's
 * {@code metadata.json} (CPU model, cores, the JDK that ran {@code run}), and the forks' JVM from
 * JMH's JSON ({@code jdkVersion}, {@code vmName}, {@code vmVersion}, {@code jvmArgs}). Two runs
 * whose environments differ in any of these cannot be compared on timing: a different CPU, core
 * count, JDK or JVM flag moves every score, and the gate would call that a regression.
 *
 * <p>JVM arguments are compared as a set, without {@code -Diova.bench.percentilesDir=...}, which
 * names the run's own folder; a field one of the runs does not record (a bare JMH JSON file has no
 * {@code metadata.json}) is not compared.
 *
 * @param fields what was recorded, by a label such as {@code "CPU model"}, in reading order.
 */
public record RunEnvironment(Map<String, String> fields)
{
    /** The JVM argument that names the run's folder: not part of the environment. */
    private static final String PERCENTILES_DIR_ARG = "-Diova.bench.percentilesDir=";

    /** The label of the JVM arguments, which a paired comparison leaves out. */
    static final String JVM_ARGS = "JVM arguments";

    private static final ObjectMapper MAPPER = new ObjectMapper();

    /**
     * @param input a run folder or a JMH JSON file.
     * @return what its files record; files that cannot be read contribute nothing (the gate's reader
     *         reports them).
     */
    public static RunEnvironment of(final Path input)
    {
        final Map<String, String> fields = new LinkedHashMap<>();
        final Path metadata = Files.isDirectory(input) ? input.resolve(JmhSamplesReader.METADATA_FILE) : null;
        if (metadata != null && Files.isRegularFile(metadata))
        {
            final JsonNode root = read(metadata);
            text(root, "cpuModel").ifPresent(value -> fields.put("CPU model", value));
            if (root.path("cores").canConvertToInt() && root.path("cores").isNumber())
            {
                fields.put("cores", Integer.toString(root.path("cores").asInt()));
            }
        }
        final Set<String> jdks = new LinkedHashSet<>();
        final Set<String> vms = new LinkedHashSet<>();
        final Set<String> jvmArgs = new LinkedHashSet<>();
        for (final Path file : jmhFiles(input))
        {
            final JsonNode root = read(file);
            for (final JsonNode entry : root.isArray() ? root : MAPPER.createArrayNode())
            {
                final String vmVersion = entry.path("vmVersion").asText("");
                final String jdkVersion = entry.path("jdkVersion").asText("");
                if (!jdkVersion.isEmpty() || !vmVersion.isEmpty())
                {
                    jdks.add(jdkVersion + (vmVersion.isEmpty() ? "" : " (" + vmVersion + ")"));
                }
                if (entry.path("vmName").isTextual())
                {
                    vms.add(entry.path("vmName").asText());
                }
                if (entry.path("jvmArgs").isArray())
                {
                    for (final JsonNode arg : entry.path("jvmArgs"))
                    {
                        if (!arg.asText().startsWith(PERCENTILES_DIR_ARG))
                        {
                            jvmArgs.add(arg.asText());
                        }
                    }
                }
            }
        }
        if (!jdks.isEmpty())
        {
            fields.put("JDK", String.join(" + ", jdks));
        }
        if (!vms.isEmpty())
        {
            fields.put("JVM", String.join(" + ", vms));
        }
        if (!jdks.isEmpty() || !jvmArgs.isEmpty())
        {
            fields.put(JVM_ARGS, jvmArgs.stream().sorted().toList().toString());
        }
        return new RunEnvironment(Map.copyOf(fields));
    }

    /**
     * @param other        the other run's environment.
     * @param withJvmArgs  whether JVM arguments count (not in a paired A/B comparison, whose sides
     *                     may be given different arguments on purpose).
     * @return each field both record and that differs, as {@code "CPU model 'A' vs 'B'"}; empty
     *         when the runs are comparable.
     */
    public List<String> differences(final RunEnvironment other, final boolean withJvmArgs)
    {
        final List<String> differences = new ArrayList<>();
        for (final String label : List.of("CPU model", "cores", "JDK", "JVM", JVM_ARGS))
        {
            final String mine = fields.get(label);
            final String theirs = other.fields.get(label);
            if (mine != null && theirs != null && !mine.equals(theirs) && (withJvmArgs || !JVM_ARGS.equals(label)))
            {
                differences.add(label + " '" + mine + "' vs '" + theirs + "'");
            }
        }
        return differences;
    }

    private static List<Path> jmhFiles(final Path input)
    {
        if (!Files.isDirectory(input))
        {
            return Files.isRegularFile(input) ? List.of(input) : List.of();
        }
        try (Stream<Path> list = Files.list(input))
        {
            return list.filter(f -> f.getFileName().toString().endsWith(".json") && Files.isRegularFile(f) &&
                !JmhSamplesReader.METADATA_FILE.equals(f.getFileName().toString())).sorted().toList();
        }
        catch (final IOException ex)
        {
            return List.of();
        }
    }

    private static JsonNode read(final Path file)
    {
        try
        {
            return MAPPER.readTree(file.toFile());
        }
        catch (final IOException ex)
        {
            return MAPPER.missingNode();
        }
    }

    private static java.util.Optional<String> text(final JsonNode node, final String field)
    {
        return node.path(field).isTextual() ? java.util.Optional.of(node.path(field).asText()) : java.util.Optional.empty();
    }
}
