package dev.iova.bench.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.iova.bench.results.LatencyPercentiles;
import dev.iova.bench.results.LatencyPercentilesTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;

import javax.xml.parsers.DocumentBuilderFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** report.md and its charts, from real runs. */
class ReportWriterTest
{
    private static final byte[] PNG_SIGNATURE = {(byte)0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    private static final Pattern IMAGE = Pattern.compile("!\\[[^]]*]\\((charts/[^)]+\\.png)\\)");

    @TempDir
    Path tempDir;

    @Test
    void reportShouldHoldTheMachineLoadAndEveryRowOfTheRun() throws Exception
    {
        final Path dir = Fixtures.copyRun("after-fixes", tempDir);

        final Path report = ReportWriter.write(RunResults.load(dir));

        assertEquals(dir.resolve("report.md"), report);
        final String md = Files.readString(report);
        assertTrue(md.startsWith("# Benchmark report: after-fixes\n"), md);
        assertTrue(md.contains("| machine | `vm`: Intel(R) Xeon(R) Processor, 2 cores, 23.5 GiB |"), md);
        assertTrue(md.contains("| commit | `73ecfa341287` |"), md);
        assertTrue(md.contains("| load | 1-minute load average 1.52 at the start, 1.59 at the end (2 cores) |"),
            "read from load-before.txt and load-after.txt: " + md);
        assertTrue(md.contains("| measured with | 2 forks, 3 × 2 s warm-up, 5 × 2 s measurement |"), md);
        assertTrue(md.contains("## AllocFreePairBenchmark\n"), md);
        assertTrue(md.contains("| method | mode | threads | liveRanges | score | ± error | unit | B/op |"), md);
        assertTrue(md.contains("| cached | thrpt | 1 | 1000 | 36.31 | 1.21 | ops/µs | < 0.01 |"), "ops/ns shown as ops/µs: " + md);
        assertTrue(md.contains("| cached2Threads | thrpt | 2 | 1000 | 76.08 | 2.94 | ops/µs | < 0.01 |"), md);
        assertTrue(md.contains("| cached | avgt | 1 | 1000 | 26.50 | 1.49 | ns/op | < 0.01 |"), md);
        assertTrue(md.contains("| tree | avgt | 1 | 1000 | 378.9 | 29.3 | ns/op | < 0.01 |"), md);
        assertTrue(md.contains("| treeViaFastApiCachesOff | avgt | 1 | 1000 | 381.2 | 11.5 | ns/op | < 0.01 |"), md);
    }

    @Test
    void everyChartTheReportShowsShouldBeANonEmptyPng() throws Exception
    {
        final Path dir = Fixtures.copyRun("after-fixes", tempDir);

        final String md = Files.readString(ReportWriter.write(RunResults.load(dir)));

        final Matcher images = IMAGE.matcher(md);
        int count = 0;
        while (images.find())
        {
            assertPng(dir.resolve(images.group(1)));
            count++;
        }
        assertEquals(4, count, "bars and threads, for thrpt and avgt: " + md);
        assertTrue(md.contains("(charts/alloc-free-pair-thrpt.png)"), md);
        assertTrue(md.contains("(charts/alloc-free-pair-thrpt-by-threads.png)"), "cached, cached2Threads, cached4Threads: " + md);
        assertTrue(md.contains("(charts/alloc-free-pair-avgt-by-threads.png)"), md);
    }

    @Test
    void aClassWhoseMethodsTakeDifferentParamsShouldStillGetItsCharts() throws Exception
    {
        // MapUnmapBenchmark: only sameThreadInvalidation takes iotlbNanos and mode; a quick run
        // of every suite once died here with a NullPointerException.
        final Path dir = Fixtures.copyRun("mixed-params", tempDir);

        final String md = Files.readString(ReportWriter.write(RunResults.load(dir)));

        assertTrue(md.contains("MapUnmapBenchmark"), md);
        assertTrue(md.contains("against iotlbNanos"), md);
        assertTrue(md.contains("sameThreadInvalidation"), md);
    }

    @Test
    void aNumericParamWithSeveralValuesShouldGetALineChart() throws Exception
    {
        final Path dir = Files.createDirectories(tempDir.resolve("two-sizes"));
        final ObjectMapper mapper = new ObjectMapper();
        final ArrayNode entries = (ArrayNode)mapper.readTree(Fixtures.resource("/jmh/after-fixes/alloc-free-pair.json").toFile());
        final ObjectNode million = entries.get(6).deepCopy();
        ((ObjectNode)million.get("params")).put("liveRanges", "1000000");
        ((ObjectNode)million.get("primaryMetric")).put("score", 512.0);
        entries.add(million);
        mapper.writeValue(dir.resolve("alloc-free-pair.json").toFile(), entries);

        final String md = Files.readString(ReportWriter.write(RunResults.load(dir)));

        assertTrue(md.contains("(charts/alloc-free-pair-avgt-by-liveRanges.png)"), md);
        assertPng(dir.resolve("charts/alloc-free-pair-avgt-by-liveRanges.png"));
        assertTrue(md.contains("| tree | avgt | 1 | 1000000 | 512.0 |"), md);
        assertTrue(md.contains("| machine | not recorded (no metadata.json) |"), md);
    }

    @Test
    void twoSuitesShouldGetATableEachAndOtherJsonShouldBeLeftOut() throws Exception
    {
        final Path dir = Fixtures.copyRun("before-fixes", tempDir);
        Files.writeString(dir.resolve("replay.json"), "{\"workloads\": []}");

        final String md = Files.readString(ReportWriter.write(RunResults.load(dir)));

        assertTrue(md.contains("## AllocFreePairBenchmark\n"), md);
        assertTrue(md.contains("## CachedPairFalseSharingBenchmark\n"), md);
        assertTrue(md.contains("| method | mode | threads | pages | score | ± error | unit | B/op |"), md);
        assertTrue(md.contains("| cpuControl1Thread | thrpt | 1 | – |"), "a method without the parameter: " + md);
        assertTrue(md.contains("Not JMH results, left out: replay.json."), md);
        assertTrue(md.contains("(charts/cached-pair-false-sharing-thrpt-by-threads.png)"), "pair1Thread, pair2Threads: " + md);
        assertTrue(md.contains("| machine | `vm`: Intel(R) Xeon(R) Processor, 2 cores, 23.5 GiB |"),
            "the first metadata.json's machine object: " + md);
        assertPng(dir.resolve("charts/cached-pair-false-sharing-thrpt.png"));
    }

    @Test
    void reportCommandShouldWriteTheReportAndSayWhere()
    {
        final Path dir = Fixtures.copyRun("after-fixes", tempDir);

        final Fixtures.Cli cli = Fixtures.cli("report", dir.toString());

        assertEquals(0, cli.exitCode(), cli.err());
        assertEquals("report of 8 results written to " + dir.resolve("report.md") + "\n", cli.out());
        assertTrue(Files.isRegularFile(dir.resolve("report.md")));
    }

    @Test
    void withFormatSvgEveryChartShouldBeWellFormedSvg() throws Exception
    {
        final Path dir = Fixtures.copyRun("after-fixes", tempDir);

        final Fixtures.Cli cli = Fixtures.cli("report", dir.toString(), "--format", "svg");

        assertEquals(0, cli.exitCode(), cli.err());
        final String md = Files.readString(dir.resolve("report.md"));
        final Matcher images = Pattern.compile("!\\[[^]]*]\\((charts/[^)]+)\\)").matcher(md);
        int count = 0;
        while (images.find())
        {
            assertTrue(images.group(1).endsWith(".svg"), images.group(1));
            assertSvg(dir.resolve(images.group(1)));
            count++;
        }
        assertEquals(4, count, md);
        try (var files = Files.list(dir.resolve("charts")))
        {
            assertTrue(files.noneMatch(f -> f.toString().endsWith(".png")), "no PNG when SVG was asked for");
        }
    }

    @Test
    void anUnknownChartFormatShouldBeABadCommandLine()
    {
        final Path dir = Fixtures.copyRun("after-fixes", tempDir);

        final Fixtures.Cli cli = Fixtures.cli("report", dir.toString(), "--format", "gif");

        assertEquals(2, cli.exitCode());
        assertTrue(cli.err().contains("--format gif is none of png, svg, bencher, github-action-benchmark"), cli.err());
        assertFalse(Files.exists(dir.resolve("report.md")));
    }

    @Test
    void aRunWithoutPercentilesShouldSaySo() throws Exception
    {
        final Path dir = Fixtures.copyRun("after-fixes", tempDir);

        final String md = Files.readString(ReportWriter.write(RunResults.load(dir)));

        assertTrue(md.contains("## Latency percentiles\n"), md);
        assertTrue(md.contains("No percentiles recorded in this run: it has no `trace-replay-percentiles.json`"), md);
        assertTrue(md.contains("No benchmark of this run was measured in `sample` mode."), md);
    }

    @Test
    void percentilesCollectedByRunShouldGetATableAndAChartPerWorkload() throws Exception
    {
        final Path dir = Fixtures.copyRun("after-fixes", tempDir);
        final Path trials = dir.resolve(LatencyPercentiles.TRIALS_DIR);
        final String replay = "dev.iova.bench.jmh.TraceReplayBenchmark.replay";
        LatencyPercentiles.writeTrial(trials, replay, LatencyPercentilesTest.params("network", "tree"),
            LatencyPercentilesTest.histogram(1000, 200), 3);
        LatencyPercentiles.writeTrial(trials, replay, LatencyPercentilesTest.params("network", "cached"),
            LatencyPercentilesTest.histogram(1000, 20), 3, 24_885, 115);
        LatencyPercentiles.collect(trials, dir.resolve(LatencyPercentiles.FILE));

        final RunResults run = RunResults.load(dir);
        final String md = Files.readString(ReportWriter.write(run));

        assertTrue(run.skipped().isEmpty(), "read for itself, not left out as another tool's JSON: " + run.skipped());
        assertTrue(md.contains("| files | alloc-free-pair.json, trace-replay-percentiles.json, metadata.json |"), md);
        assertTrue(md.contains("| benchmark | params | trials | operations | p50 | p90 | p99 | p99.9 | max | p99 per trial | " +
            "cache hit rate |"), md);
        assertTrue(md.contains("| TraceReplayBenchmark.replay | shape=network, target=tree | 1 | 1,000 | 5,191 | 9,191 | 10,095 | " +
            "10,183 | 10,191 | 10,095 | – |"), "200 to 10,190 ns, 10 ns apart, at HdrHistogram's 3 digits: " + md);
        assertTrue(md.contains("| TraceReplayBenchmark.replay | shape=network, target=cached | 1 | 1,000 |"), md);
        assertTrue(md.contains(" | 99.54% (24,885 of 25,000) |\n"), "the cached replay's hits over its allocations: " + md);
        assertTrue(md.contains("![TraceReplayBenchmark.replay shape=network: single operations by percentile]" +
            "(charts/latency-trace-replay-replay-network.png)"), md);
        assertPng(dir.resolve("charts/latency-trace-replay-replay-network.png"));
    }

    @Test
    void sampleModeResultsShouldShowJmhsPercentiles() throws Exception
    {
        final Path dir = Fixtures.copyRun("mixed-params", tempDir);

        final String md = Files.readString(ReportWriter.write(RunResults.load(dir)));

        assertTrue(md.contains("| benchmark | threads | params | p50 | p90 | p99 | p99.9 | p99.99 | max |"), md);
        assertTrue(md.contains("| MapUnmapBenchmark.sameThread1Thread | 1 | – | 135 | 139 | 184 | 4,552 | 47,100 | 131,328 |"),
            "JMH's us/op shown in ns: " + md);
        assertTrue(md.contains("| MapUnmapBenchmark.crossThread | 2 | – | 216 |"), md);
    }

    @Test
    void kebabShouldDropBenchmarkAndSplitWords()
    {
        assertEquals("alloc-free-pair", ReportWriter.kebab("AllocFreePairBenchmark"));
        assertEquals("cached-pair-false-sharing", ReportWriter.kebab("CachedPairFalseSharingBenchmark"));
        assertEquals("jmh-tree-scale", ReportWriter.kebab("jmh.TreeScaleBenchmark"));
        assertEquals("benchmark", ReportWriter.kebab("Benchmark"));
    }

    /** Parses the file as XML without fetching its DTD, and checks that its root is an SVG of some size. */
    static void assertSvg(final Path file) throws Exception
    {
        final DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(true);
        factory.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        final Document svg = factory.newDocumentBuilder().parse(file.toFile());
        assertEquals("svg", svg.getDocumentElement().getLocalName(), file.toString());
        assertEquals("http://www.w3.org/2000/svg", svg.getDocumentElement().getNamespaceURI());
        // 900 wide; 500 high, or taller when the bar labels stand upright (Charts.bars)
        assertTrue(svg.getDocumentElement().getAttribute("viewBox").matches("0 0 900 (500|[5-9]\\d\\d|1\\d\\d\\d)"),
            svg.getDocumentElement().getAttribute("viewBox"));
        assertTrue(svg.getElementsByTagNameNS("http://www.w3.org/2000/svg", "path").getLength() +
            svg.getElementsByTagNameNS("http://www.w3.org/2000/svg", "rect").getLength() > 10, file + " draws next to nothing");
    }

    static void assertPng(final Path file) throws IOException
    {
        assertTrue(Files.size(file) > 1000, file + " is " + Files.size(file) + " bytes");
        try (InputStream in = Files.newInputStream(file))
        {
            assertArrayEquals(PNG_SIGNATURE, in.readNBytes(PNG_SIGNATURE.length), file + " is not a PNG");
        }
    }
}
