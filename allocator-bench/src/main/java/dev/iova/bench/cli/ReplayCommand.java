package dev.iova.bench.cli;

import dev.iova.IovaDomain;
import dev.iova.bench.trace.CachedReplayTarget;
import dev.iova.cache.RangeCacheStats;
import dev.iova.bench.trace.DomainReplayTarget;
import dev.iova.bench.trace.ReplayResult;
import dev.iova.bench.trace.ReplayTarget;
import dev.iova.bench.trace.Trace;
import dev.iova.bench.trace.TraceFormatException;
import dev.iova.bench.trace.TraceParser;
import dev.iova.bench.trace.TraceReplayer;
import picocli.CommandLine.Command;
import picocli.CommandLine.ExitCode;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code replay TRACE [--cache] [--json] [--verify] [--repeat K]}: parses a trace, replays it
 * straight into the tree of a fresh {@link IovaDomain} (or, with {@code --cache}, through its
 * range caches: {@link CachedReplayTarget}) and prints what happened, one field per line:
 * {@code ops}, {@code allocOk}, {@code allocFailed}, {@code freeSkipped}, {@code liveAtEnd},
 * {@code nsPerOp}, {@code pfnDigest} ({@code reservesSkipped} too when a reserve fell outside
 * the domain; {@code reserveFailed} for a v2 trace; {@code via} with {@code --cache}, saying that
 * the digest is not a tree digest). A v2 trace replays only straight into the tree: with
 * {@code --cache} it is refused in one sentence. With {@code --cache}, {@code cacheHitRate} gives the
 * share of allocations a magazine served ({@code cacheStats()} after the replay, before the flush).
 * {@code --json} adds the same fields as one JSON object on the last line.
 */
@Command(
    name = "replay",
    mixinStandardHelpOptions = true,
    description = "Replays an iova-trace v1 or v2 file straight into the tree of a fresh IovaDomain (or, v1 only, with --cache, " +
        "through its range caches) and prints ops, allocOk, allocFailed, freeSkipped, liveAtEnd, nsPerOp and pfnDigest " +
        "(and reserveFailed for v2).")
final class ReplayCommand implements Callable<Integer>
{
    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "TRACE", description = "The trace file.")
    private Path tracePath;

    @Option(names = "--json", description = "Also print the fields as one JSON object, on the last line.")
    private boolean json;

    @Option(names = "--verify", description = "Check every invariant of the domain after the replay (and, with --cache, " +
        "after flushing the caches); fail if one is broken.")
    private boolean verify;

    @Option(names = "--cache", description = "Replay through allocFast/freeFast (the range caches) instead of straight " +
        "into the tree. Placements then depend on history: pfnDigest is comparable only with other --cache replays.")
    private boolean cache;

    @Option(names = "--repeat", paramLabel = "K", defaultValue = "1",
        description = "Replay K times, each on a fresh domain, and report the best nsPerOp (default: ${DEFAULT-VALUE}).")
    private int repeat;

    @Override
    public Integer call()
    {
        if (repeat < 1)
        {
            throw new ParameterException(spec.commandLine(), "--repeat=" + repeat + " must be at least 1");
        }
        final PrintWriter err = spec.commandLine().getErr();
        final Trace trace;
        try
        {
            trace = TraceParser.parse(tracePath);
        }
        catch (final IOException ex)
        {
            err.println(tracePath + ": cannot read the trace: " + Main.reasonOf(ex));
            return ExitCode.SOFTWARE;
        }
        catch (final TraceFormatException ex)
        {
            err.println(ex.getMessage());
            return ExitCode.SOFTWARE;
        }

        final TraceReplayer replayer = new TraceReplayer(trace);
        ReplayResult first = null;
        ReplayResult best = null;
        RangeCacheStats cacheStats = null;
        for (int run = 1; run <= repeat; run++)
        {
            final ReplayResult result;
            try (IovaDomain domain = DomainReplayTarget.newDomain(trace))
            {
                final ReplayTarget target = cache ? new CachedReplayTarget(domain) : new DomainReplayTarget(domain);
                result = replayer.replay(target);
                if (cache)
                {
                    cacheStats = domain.cacheStats(); // the same every replay: each starts from a fresh domain
                    domain.flushCaches(); // after the clock: the domain then holds only the trace's live ranges
                }
                final String brokenInvariant = verify ? brokenInvariant(domain, result) : null;
                if (brokenInvariant != null)
                {
                    err.println(trace.name() + ": verify failed after replay " + run + ": " + brokenInvariant);
                    return ExitCode.SOFTWARE;
                }
            }
            catch (final TraceFormatException ex)
            {
                err.println(ex.getMessage());
                return ExitCode.SOFTWARE;
            }
            if (first == null)
            {
                first = result;
            }
            else if (!result.sameOutcomeAs(first))
            {
                err.println(trace.name() + ": replay " + run + " differs from replay 1: " + result + " vs " + first);
                return ExitCode.SOFTWARE;
            }
            if (best == null || result.elapsedNanos() < best.elapsedNanos())
            {
                best = result;
            }
        }
        print(spec.commandLine().getOut(), trace, best, cacheStats);
        return ExitCode.OK;
    }

    /**
     * @return the message of the first broken invariant, or null when the domain is sound and
     *         holds exactly the ranges the replay left live.
     */
    private static String brokenInvariant(final IovaDomain domain, final ReplayResult result)
    {
        try
        {
            domain.verify();
        }
        catch (final IllegalStateException ex)
        {
            return ex.getMessage();
        }
        final long liveRanges = domain.liveRanges();
        return liveRanges == result.liveAtEnd() ? null :
            "the domain holds " + liveRanges + " live ranges, the replay left " + result.liveAtEnd();
    }

    private void print(final PrintWriter out, final Trace trace, final ReplayResult result, final RangeCacheStats cacheStats)
    {
        final String nsPerOp = String.format(Locale.ROOT, "%.1f", result.nsPerOp());
        line(out, "trace", trace.name());
        if (repeat > 1)
        {
            line(out, "repeat", repeat + " (best nsPerOp shown)");
        }
        line(out, "ops", Long.toString(result.ops()));
        line(out, "allocOk", Long.toString(result.allocOk()));
        line(out, "allocFailed", Long.toString(result.allocFailed()));
        line(out, "freeSkipped", Long.toString(result.freeSkipped()));
        line(out, "liveAtEnd", Long.toString(result.liveAtEnd()));
        if (result.reservesSkipped() > 0)
        {
            line(out, "reservesSkipped", Long.toString(result.reservesSkipped()));
        }
        if (trace.version() >= 2)
        {
            line(out, "reserveFailed", Long.toString(result.reserveFailed()));
        }
        line(out, "nsPerOp", nsPerOp);
        line(out, "pfnDigest", result.pfnDigestHex());
        final String hitRate = cache ? String.format(Locale.ROOT, "%.2f", 100 * cacheStats.hitRatio()) : null;
        if (cache)
        {
            line(out, "cacheHitRate", hitRate + "% (" + cacheStats.allocHits() + " hits, " + cacheStats.allocMisses() +
                " misses, " + cacheStats.treeAllocs() + " ranges from the tree, " + cacheStats.treeFrees() + " back to it, " +
                cacheStats.flushes() + " flushes)");
            line(out, "via", "range caches (allocFast/freeFast): pfnDigest is not comparable with tree replays");
        }
        if (verify)
        {
            line(out, "verified", "true");
        }
        if (json)
        {
            out.println("{\"ops\": " + result.ops() +
                ", \"allocOk\": " + result.allocOk() +
                ", \"allocFailed\": " + result.allocFailed() +
                ", \"freeSkipped\": " + result.freeSkipped() +
                ", \"liveAtEnd\": " + result.liveAtEnd() +
                (trace.version() >= 2 ? ", \"reserveFailed\": " + result.reserveFailed() : "") +
                ", \"nsPerOp\": " + nsPerOp +
                ", \"pfnDigest\": \"" + result.pfnDigestHex() + "\"" +
                (cache ? ", \"cache\": true, \"cacheHitRate\": " + hitRate : "") +
                (verify ? ", \"verified\": true" : "") +
                "}");
        }
        out.flush();
    }

    private static void line(final PrintWriter out, final String field, final String value)
    {
        out.printf(Locale.ROOT, "%-16s%s%n", field, value);
    }
}
