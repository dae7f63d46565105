package dev.iova.bench.gate;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The reviewable file of intended trade-offs, {@code accepted-tradeoffs.json} at the repository's
 * root: the one way to let a benchmark become slower, or disappear, without failing the gate.
 * Thresholds are never loosened for it; each entry names one benchmark (optionally a mode and
 * parameters), the change accepted and why, and goes through review like code.
 *
 * <pre>
 * {
 *   "about": "Intended slowdowns the regression gate accepts; see docs/gate.md.",
 *   "accepted": [
 *     {
 *       "benchmark": "AllocFreePairBenchmark.tree",
 *       "mode": "avgt",
 *       "params": {"liveRanges": "1000"},
 *       "maxSlowdownPercent": 15,
 *       "reason": "the tree keeps a second augmentation for size-aligned fits: O(log n) aligned search",
 *       "acceptedIn": "#42"
 *     },
 *     {"benchmark": "MapUnmapBenchmark.handOffOnly", "removed": true, "reason": "renamed to ringOnly"}
 *   ]
 * }
 * </pre>
 *
 * A regression whose estimate is within {@code maxSlowdownPercent} is reported as
 * {@link Verdict#ACCEPTED} with the reason; beyond it, it is still a regression. The allocation
 * gate cannot be accepted away: the hot paths are garbage-free by design.
 *
 * <p>Every malformed entry is refused with one sentence ({@link GateException}): unknown fields
 * (a typo must not silently accept nothing), a missing benchmark or reason, neither or both of
 * {@code maxSlowdownPercent} and {@code removed}, a bound that is not a positive number.
 */
public final class AcceptedTradeoffs
{
    /** The file's name at the repository's root, read by default when present. */
    public static final String DEFAULT_FILE = "accepted-tradeoffs.json";

    private static final Set<String> TOP_LEVEL_FIELDS = Set.of("about", "accepted");
    private static final List<String> ENTRY_FIELDS = List.of("benchmark", "mode", "params", "maxSlowdownPercent", "removed",
        "reason", "acceptedIn");
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final Path file;
    private final List<AcceptedTradeoff> entries;

    private AcceptedTradeoffs(final Path file, final List<AcceptedTradeoff> entries)
    {
        this.file = file;
        this.entries = entries;
    }

    /** @return no accepted trade-offs. */
    public static AcceptedTradeoffs none()
    {
        return new AcceptedTradeoffs(null, List.of());
    }

    /**
     * @param file the file.
     * @return its entries.
     * @throws GateException when it is missing, not JSON, or an entry is malformed (one sentence).
     */
    public static AcceptedTradeoffs read(final Path file) throws GateException
    {
        if (!Files.isRegularFile(file))
        {
            throw new GateException(file + ": no such file (the accepted trade-offs)");
        }
        final JsonNode root;
        try
        {
            root = MAPPER.readTree(Files.readString(file));
        }
        catch (final JsonProcessingException ex)
        {
            final String firstLine = ex.getOriginalMessage().lines().findFirst().orElse("");
            throw new GateException(file + " is not valid JSON" + (ex.getLocation() != null ? " (line " +
                ex.getLocation().getLineNr() + ", column " + ex.getLocation().getColumnNr() + ": " : " (") + firstLine + ")");
        }
        catch (final IOException ex)
        {
            throw new GateException(file + " cannot be read: " + ex.getMessage());
        }
        if (root == null || !root.isObject() || !root.path("accepted").isArray())
        {
            throw new GateException(file + " must be a JSON object with an \"accepted\" array (see docs/gate.md)");
        }
        for (final Iterator<String> names = root.fieldNames(); names.hasNext(); )
        {
            final String name = names.next();
            if (!TOP_LEVEL_FIELDS.contains(name))
            {
                throw new GateException(file + " has an unknown field \"" + name + "\": the fields are about and accepted");
            }
        }
        final List<AcceptedTradeoff> entries = new ArrayList<>();
        int index = 0;
        for (final JsonNode entry : root.path("accepted"))
        {
            index++;
            entries.add(entry(file, index, entry));
        }
        return new AcceptedTradeoffs(file, Collections.unmodifiableList(entries));
    }

    private static AcceptedTradeoff entry(final Path file, final int index, final JsonNode entry) throws GateException
    {
        final String where = file + " entry " + index;
        if (!entry.isObject())
        {
            throw new GateException(where + " is not a JSON object");
        }
        for (final Iterator<String> names = entry.fieldNames(); names.hasNext(); )
        {
            final String name = names.next();
            if (!ENTRY_FIELDS.contains(name))
            {
                throw new GateException(where + " has an unknown field \"" + name + "\": the fields are " +
                    String.join(", ", ENTRY_FIELDS));
            }
        }
        final String benchmark = text(entry, "benchmark");
        if (benchmark == null)
        {
            throw new GateException(where + " has no \"benchmark\": name the method, e.g. AllocFreePairBenchmark.tree");
        }
        final String named = where + " (" + benchmark + ")";
        final String reason = text(entry, "reason");
        if (reason == null)
        {
            throw new GateException(named + " has no \"reason\": say why the change is accepted");
        }
        final String mode = text(entry, "mode");
        if (entry.has("mode") && (mode == null || !JmhSamplesReader.MODES.contains(mode)))
        {
            throw new GateException(named + " has mode " + entry.get("mode") + ": the modes are thrpt, avgt, sample and ss");
        }
        final Map<String, String> params = new TreeMap<>();
        if (entry.has("params"))
        {
            if (!entry.get("params").isObject())
            {
                throw new GateException(named + " has \"params\" that is not an object of name: value");
            }
            for (final Iterator<Map.Entry<String, JsonNode>> fields = entry.get("params").fields(); fields.hasNext(); )
            {
                final Map.Entry<String, JsonNode> field = fields.next();
                if (!field.getValue().isValueNode())
                {
                    throw new GateException(named + " has param \"" + field.getKey() + "\" whose value is not a single value");
                }
                params.put(field.getKey(), field.getValue().asText());
            }
        }
        final boolean removed = entry.path("removed").asBoolean(false);
        if (entry.has("removed") && !entry.get("removed").isBoolean())
        {
            throw new GateException(named + " has \"removed\": " + entry.get("removed") + ": expected true or false");
        }
        final JsonNode bound = entry.path("maxSlowdownPercent");
        if (removed == !bound.isMissingNode())
        {
            throw new GateException(named + (removed ? " has both \"removed\" and \"maxSlowdownPercent\": give one" :
                " has no \"maxSlowdownPercent\": say how much slower is accepted (or \"removed\": true)"));
        }
        final double maxSlowdownPercent = removed ? Double.NaN : bound.isNumber() ? bound.asDouble() : Double.NaN;
        if (!removed && !(maxSlowdownPercent > 0 && Double.isFinite(maxSlowdownPercent)))
        {
            throw new GateException(named + " has maxSlowdownPercent " + bound + ": expected a positive number of percent");
        }
        return new AcceptedTradeoff(index, benchmark, mode, Collections.unmodifiableMap(params), maxSlowdownPercent, removed,
            reason, text(entry, "acceptedIn"));
    }

    private static String text(final JsonNode entry, final String field)
    {
        final JsonNode node = entry.path(field);
        return node.isTextual() && !node.asText().isBlank() ? node.asText().trim() : null;
    }

    /**
     * @param benchmark the fully qualified method.
     * @param mode      its mode.
     * @param params    its parameters.
     * @return the first entry that accepts a slowdown of it.
     */
    public Optional<AcceptedTradeoff> slowdownOf(final String benchmark, final String mode, final Map<String, String> params)
    {
        return entries.stream().filter(e -> !e.removed() && e.matches(benchmark, mode, params)).findFirst();
    }

    /**
     * @param benchmark the fully qualified method.
     * @param mode      its mode.
     * @param params    its parameters.
     * @return the first entry that accepts its removal.
     */
    public Optional<AcceptedTradeoff> removalOf(final String benchmark, final String mode, final Map<String, String> params)
    {
        return entries.stream().filter(e -> e.removed() && e.matches(benchmark, mode, params)).findFirst();
    }

    /** @return every entry, in the file's order. */
    public List<AcceptedTradeoff> entries()
    {
        return entries;
    }

    /** @return the file read, or null for {@link #none()}. */
    public Path file()
    {
        return file;
    }
}
