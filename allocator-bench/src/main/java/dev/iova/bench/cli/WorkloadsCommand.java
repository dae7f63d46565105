package dev.iova.bench.cli;

import dev.iova.IovaDomain;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.iova.bench.results.RunMetadata;
import dev.iova.bench.trace.DomainReplayTarget;
import dev.iova.bench.trace.ReplayResult;
import dev.iova.bench.trace.Trace;
import dev.iova.bench.trace.TraceGenerator;
import dev.iova.bench.trace.TraceParser;
import dev.iova.bench.trace.TraceReplayer;
import dev.iova.bench.trace.TraceShape;
import picocli.CommandLine.Command;
import picocli.CommandLine.ExitCode;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code workloads [--ops N] [--seed S] [--repeat K] [--out DIR]}: generates every trace shape,
 * replays each straight into the tree K times on fresh domains, checks every invariant after
 * each replay, prints a table and writes {@code replay.json} (results plus the machine, JDK and
 * command) into {@code DIR}.
 *
 * <p>The replay time is wall-clock time of one pass over the trace, the best and the median of
 * K: an honest first look, not a benchmark (the JMH suites measure with warm-up and forks).
 */
@Command(
    name = "workloads",
    mixinStandardHelpOptions = true,
    description = "Generates every workload (network, storage, fragmenting, mixed, tight, placement), replays each straight into " +
        "the tree (verifying every invariant) and writes the results with the machine and JDK into results/.")
final class WorkloadsCommand implements Callable<Integer>
{
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Spec
    private CommandSpec spec;

    @Option(names = "--ops", paramLabel = "N", defaultValue = "50000", description = "Operations per workload (default: ${DEFAULT-VALUE}).")
    private long ops;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "1", description = "Generator seed (default: ${DEFAULT-VALUE}).")
    private long seed;

    @Option(names = "--repeat", paramLabel = "K", defaultValue = "5",
        description = "Replays per workload, each on a fresh domain (default: ${DEFAULT-VALUE}).")
    private int repeat;

    @Option(names = "--out", paramLabel = "DIR",
        description = "Where to write replay.json (default: results/replay-<date>-<host>).")
    private Path out;

    @Override
    public Integer call() throws IOException
    {
        if (ops < 1 || repeat < 1)
        {
            throw new ParameterException(spec.commandLine(), "--ops and --repeat must be at least 1 (ops=" + ops + ", repeat=" + repeat + ")");
        }
        final PrintWriter stdout = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        final RunMetadata metadata = RunMetadata.capture(
            "java -jar allocator-bench.jar workloads --ops " + ops + " --seed " + seed + " --repeat " + repeat);
        final Path dir = out != null ? out :
            Path.of("results", "replay-" + LocalDate.now(ZoneOffset.UTC) + "-" + metadata.hostLabel());

        stdout.printf(Locale.ROOT, "%-12s %8s %8s %8s %8s %8s %10s %10s  %-16s%n",
            "workload", "ops", "allocOk", "failed", "skipped", "live", "best ns/op", "median", "pfnDigest");
        final List<Map<String, Object>> rows = new ArrayList<>();
        for (final TraceShape shape : TraceShape.values())
        {
            final String name = shape.name().toLowerCase(Locale.ROOT);
            final Trace trace = TraceParser.parseText(name + "-" + ops + "-seed" + seed,
                TraceGenerator.generateText(shape, ops, seed));
            final TraceReplayer replayer = new TraceReplayer(trace);
            final double[] nsPerOp = new double[repeat];
            ReplayResult first = null;
            for (int run = 0; run < repeat; run++)
            {
                try (IovaDomain domain = DomainReplayTarget.newDomain(trace))
                {
                    final ReplayResult result = replayer.replay(new DomainReplayTarget(domain));
                    domain.verify();
                    if (first != null && !result.sameOutcomeAs(first))
                    {
                        err.println(name + ": replay " + (run + 1) + " differs from replay 1: " + result + " vs " + first);
                        return ExitCode.SOFTWARE;
                    }
                    first = first == null ? result : first;
                    nsPerOp[run] = result.nsPerOp();
                }
            }
            Arrays.sort(nsPerOp);
            final double best = nsPerOp[0];
            final double median = nsPerOp[repeat / 2];
            stdout.printf(Locale.ROOT, "%-12s %8d %8d %8d %8d %8d %10.1f %10.1f  %s%n", name, first.ops(), first.allocOk(),
                first.allocFailed(), first.freeSkipped(), first.liveAtEnd(), best, median, first.pfnDigestHex());
            final Map<String, Object> row = new LinkedHashMap<>();
            row.put("workload", name);
            row.put("ops", first.ops());
            row.put("seed", seed);
            row.put("allocOk", first.allocOk());
            row.put("allocFailed", first.allocFailed());
            row.put("freeSkipped", first.freeSkipped());
            row.put("liveAtEnd", first.liveAtEnd());
            row.put("bestNsPerOp", Math.round(best * 10) / 10.0);
            row.put("medianNsPerOp", Math.round(median * 10) / 10.0);
            row.put("repeat", repeat);
            row.put("pfnDigest", first.pfnDigestHex());
            row.put("verified", true);
            rows.add(row);
        }

        Files.createDirectories(dir);
        final Path file = dir.resolve("replay.json");
        final Map<String, Object> root = new LinkedHashMap<>();
        root.put("metadata", metadata);
        root.put("workloads", rows);
        Files.writeString(file, JSON.writeValueAsString(root) + "\n", StandardCharsets.UTF_8);
        stdout.println("every replay verified; results written to " + file);
        stdout.flush();
        return ExitCode.OK;
    }
}
