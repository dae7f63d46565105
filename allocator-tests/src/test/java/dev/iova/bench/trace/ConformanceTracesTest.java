package dev.iova.bench.trace;

import dev.iova.IovaDomain;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Replays the shared conformance traces straight into the tree and checks every field of their
 * {@code .expected.json} (all but timing, which they do not give).
 */
class ConformanceTracesTest
{
    /** A flat JSON object's members: {@code "name": 123} or {@code "name": "text"}. */
    private static final Pattern MEMBER = Pattern.compile("\"(\\w+)\"\\s*:\\s*(\"([^\"]*)\"|[-0-9.eE+]+|true|false)");

    @ParameterizedTest
    @ValueSource(strings = {"small-hand", "tight-3000"})
    void shouldReproduceEveryExpectedField(final String traceName) throws IOException
    {
        final Path traces = tracesDir();
        final Map<String, String> expected = readFlatJson(traces.resolve(traceName + ".expected.json"));
        final Trace trace = TraceParser.parse(traces.resolve(traceName + ".trace"));

        final ReplayResult result;
        try (IovaDomain domain = DomainReplayTarget.newDomain(trace))
        {
            result = new TraceReplayer(trace).replay(new DomainReplayTarget(domain));
            domain.verify();
            assertEquals(result.liveAtEnd(), domain.liveRanges(), "live ranges in the domain");
        }

        assertEquals(Map.of("ops", "", "allocOk", "", "allocFailed", "", "freeSkipped", "", "liveAtEnd", "", "pfnDigest", "").keySet(),
            expected.keySet(), "the fields " + traceName + ".expected.json gives");
        assertEquals(Long.parseLong(expected.get("ops")), result.ops(), "ops");
        assertEquals(Long.parseLong(expected.get("allocOk")), result.allocOk(), "allocOk");
        assertEquals(Long.parseLong(expected.get("allocFailed")), result.allocFailed(), "allocFailed");
        assertEquals(Long.parseLong(expected.get("freeSkipped")), result.freeSkipped(), "freeSkipped");
        assertEquals(Long.parseLong(expected.get("liveAtEnd")), result.liveAtEnd(), "liveAtEnd");
        assertEquals(expected.get("pfnDigest"), result.pfnDigestHex(), "pfnDigest");
    }

    /** @return the folder of the shared conformance traces, which surefire names in {@code iova.shared.dir}. */
    static Path tracesDir()
    {
        final String sharedDir = System.getProperty("iova.shared.dir");
        assertNotNull(sharedDir, "system property iova.shared.dir (the folder holding traces/) is not set");
        final Path traces = Path.of(sharedDir, "traces");
        assertTrue(Files.isDirectory(traces), traces + " is not a folder");
        return traces;
    }

    static Map<String, String> readFlatJson(final Path file) throws IOException
    {
        final String text = Files.readString(file, StandardCharsets.UTF_8);
        final Map<String, String> members = new LinkedHashMap<>();
        final Matcher matcher = MEMBER.matcher(text);
        while (matcher.find())
        {
            members.put(matcher.group(1), matcher.group(3) != null ? matcher.group(3) : matcher.group(2));
        }
        return members;
    }
}
