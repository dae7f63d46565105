import dev.iova.IovaDomain;
import dev.iova.bench.trace.DomainReplayTarget;
import dev.iova.bench.trace.Trace;
import dev.iova.bench.trace.TraceParser;
import dev.iova.tree.IntervalTree;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Counts what the tree does per operation, with the diagnostic build of counters.patch: the
 * 1-page pair of AllocFreePairBenchmark.tree (1,000 live), the step of TreeAtScaleBenchmark
 * (1,000 live) and a trace replayed as TraceReplayBenchmark replays it into the tree.
 * and the fill of TreeFillBenchmark (a million, counted from the empty domain).
 * Usage: TreeOpCounts pair | step | fill | TRACE_NAME TRACE_FILE
 */
public final class TreeOpCounts
{
    private static final String[] NAMES = {
        "rescanMaximum", "summarizeLeaf", "summarizeInner", "splitLongestGap", "shareWithSibling", "splitLeaf",
        "allocLeftOfPath", "allocInSubtree", "descentFromRoot", "repairUp", "repairUpLevels", "removeAt", "insertAt",
        "descend", "hintedSearch"};

    public static void main(final String[] args) throws Exception
    {
        final String name = args[0];
        // the domains of AllocatorUnderTest (target=tree) and AllocFreePairBenchmark.tree
        final IovaDomain.Builder builder = IovaDomain.builder().startPfn(1).maxCachedPages(0);
        try (IovaDomain domain = name.equals("pair") ? builder.granuleBytes(4096).build() :
            builder.lastPfn(name.equals("step") || name.equals("fill") ? (1L << 27) - 1 : IovaDomain.MAX_PFN).build())
        {
            final long ops;
            if (name.equals("pair"))
            {
                // AllocFreePairBenchmark's background: 1,000 pages evenly spaced below 0xfffff
                final long limitPfn = 0xfffffL;
                final long stride = (limitPfn - domain.startPfn() + 1) / 1001;
                for (int i = 1; i <= 1000; i++)
                {
                    domain.alloc(1, limitPfn - i * stride, true);
                }
                Arrays.fill(IntervalTree.C, 0);
                for (int i = 0; i < 100_000; i++)
                {
                    domain.free(domain.alloc(1, limitPfn, true), 1);
                }
                ops = 200_000;
            }
            else if (name.equals("fill"))
            {
                // TreeFillBenchmark: a million 1-page ranges below 0xfffff into an empty domain
                for (int i = 0; i < 1_000_000; i++)
                {
                    domain.alloc(1, 0xfffffL, true); // DomainReplayTarget.alloc: size-aligned
                }
                ops = 1_000_000;
            }
            else if (name.equals("step"))
            {
                final long limitPfn = (1L << 27) - 1;
                final SplittableRandom random = new SplittableRandom(42);
                final long[] sizes = new long[1 << 16];
                for (int i = 0; i < sizes.length; i++)
                {
                    sizes[i] = 1 + random.nextInt(8);
                }
                final int live = 1000;
                final long[] pfns = new long[live];
                final long[] pages = new long[live];
                long limit = limitPfn;
                for (int i = 0; i < live; i++)
                {
                    pages[i] = sizes[i];
                    pfns[i] = domain.alloc(pages[i], limit, true);
                    limit = pfns[i] - 1;
                }
                Arrays.fill(IntervalTree.C, 0);
                final int steps = 200_000;
                for (int s = 0; s < steps; s++)
                {
                    final int slot = s % live;
                    domain.free(pfns[slot], pages[slot]);
                    pages[slot] = sizes[(live + s) & (sizes.length - 1)];
                    pfns[slot] = domain.alloc(pages[slot], limitPfn, true);
                }
                ops = 2L * steps;
            }
            else
            {
                final Trace trace = TraceParser.parseText(name, Files.readString(Path.of(args[1])));
                final DomainReplayTarget target = new DomainReplayTarget(domain);
                final long[] pfnByEntry = new long[trace.entries()];
                long n = 0;
                Arrays.fill(IntervalTree.C, 0);
                for (int e = 0; e < trace.entries(); e++)
                {
                    final byte kind = trace.kind(e);
                    if (kind == Trace.ALLOC)
                    {
                        pfnByEntry[e] = target.alloc(trace.pages(e), trace.limitPfn(e));
                        n++;
                    }
                    else if (kind == Trace.FREE)
                    {
                        final int alloc = trace.link(e);
                        if (pfnByEntry[alloc] != 0)
                        {
                            target.free(pfnByEntry[alloc], trace.pages(alloc));
                        }
                        n++;
                    }
                    else
                    {
                        target.reserve(trace.loPfn(e), trace.hiPfn(e));
                    }
                }
                ops = n;
            }
            final StringBuilder line = new StringBuilder(name).append(" (").append(ops).append(" ops), per op:");
            for (int k = 0; k < NAMES.length; k++)
            {
                line.append(' ').append(NAMES[k]).append('=').append(String.format("%.3f", IntervalTree.C[k] / (double)ops));
            }
            System.out.println(line);
        }
    }
}
