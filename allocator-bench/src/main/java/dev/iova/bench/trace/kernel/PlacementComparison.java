package dev.iova.bench.trace.kernel;

import dev.iova.IovaDomain;
import dev.iova.bench.trace.DomainReplayTarget;
import dev.iova.bench.trace.PfnDigest;
import dev.iova.bench.trace.Trace;
import dev.iova.bench.trace.TraceFormatException;
import dev.iova.bench.trace.TraceParser;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Replays a trace written by {@code import} straight into the tree of a fresh {@link IovaDomain}
 * (highest fit) and sets each placement beside the one the kernel recorded ({@code # kernel PFN}
 * at the end of every {@code alloc} line), measuring both address spaces as the trace goes:
 * <ul>
 *   <li>the highest pfn in use;</li>
 *   <li>pages in use below 4 GiB (where 32-bit devices must map);</li>
 *   <li>free gaps below the limit: how many maximal free runs of pfns lie in
 *       {@code [startPfn, limitPfn]}, and the largest;</li>
 *   <li>failures: allocations highest fit could not place; on the kernel's side, the maps that
 *       failed in the kernel (the importer's {@value #KERNEL_FAILED_COMMENT} line) and, apart,
 *       recorded placements above the trace's limit.</li>
 * </ul>
 * Peaks of in-use pfns and pages are exact (updated at every operation); gaps are measured at
 * {@code samples} evenly spaced operations and at the end, each a walk over the live ranges.
 */
public final class PlacementComparison
{
    /** The comment {@code import} ends a trace with: how many maps failed in the kernel. */
    public static final String KERNEL_FAILED_COMMENT = "# kernel failed maps ";

    /** Pfns below this, at 4 KiB pages, lie below 4 GiB; scaled by the trace's granule. */
    private static final long FOUR_GIB_BYTES = 1L << 32;

    /**
     * The two address spaces at one operation.
     *
     * @param op              how many alloc and free lines have been replayed.
     * @param highestPfn      kernel, highest fit: the highest pfn in use (0 when nothing is).
     * @param pagesBelow4Gib  kernel, highest fit: pages in use below 4 GiB.
     * @param freeGaps        kernel, highest fit: maximal free runs in {@code [start, limit]}.
     * @param largestGapPages kernel, highest fit: pages of the largest of them.
     */
    public record Sample(long op, long[] highestPfn, long[] pagesBelow4Gib, long[] freeGaps, long[] largestGapPages)
    {
    }

    /**
     * What one side did over the whole trace.
     *
     * @param placed              allocations placed.
     * @param failures            allocations that failed.
     * @param highestPfnEver      the highest pfn ever in use.
     * @param peakPagesBelow4Gib  the most pages in use below 4 GiB at once.
     * @param peakFreeGaps        the most free gaps below the limit at a sample.
     * @param smallestLargestGap  the smallest "largest free gap" at a sample: how close the space came to full.
     */
    public record Side(long placed, long failures, long highestPfnEver, long peakPagesBelow4Gib, long peakFreeGaps, long smallestLargestGap)
    {
    }

    /**
     * The comparison.
     *
     * @param traceName      the trace's name.
     * @param granuleBytes   its granule.
     * @param limitPfn       the highest limit of its allocations: gaps are counted up to it.
     * @param ops            alloc and free lines.
     * @param kernel         the recorded placements.
     * @param highestFit     this allocator's tree.
     * @param aboveLimit     recorded placements whose last pfn is above their alloc's limit.
     * @param pfnDigest      the pfn digest of the highest-fit replay (as {@code replay} prints it).
     * @param samples        the spaces over time, at least the start and the end.
     */
    public record Result(String traceName, long granuleBytes, long limitPfn, long ops, Side kernel, Side highestFit, long aboveLimit,
        String pfnDigest, List<Sample> samples)
    {
    }

    /** The live ranges of one side and what the comparison measures of them. */
    private static final class Space
    {
        final TreeMap<Long, Long> hiPfnByLoPfn = new TreeMap<>();
        final long startPfn;
        final long limitPfn;
        final long below4GibPfn;
        long pagesBelow4Gib;
        long placed;
        long failures;
        long highestPfnEver;
        long peakPagesBelow4Gib;
        long peakFreeGaps;
        long smallestLargestGap = Long.MAX_VALUE;

        Space(final long startPfn, final long limitPfn, final long below4GibPfn)
        {
            this.startPfn = startPfn;
            this.limitPfn = limitPfn;
            this.below4GibPfn = below4GibPfn;
        }

        void add(final long loPfn, final long pages)
        {
            final long hiPfn = loPfn + pages - 1;
            hiPfnByLoPfn.put(loPfn, hiPfn);
            pagesBelow4Gib += pagesBelow(loPfn, hiPfn);
            peakPagesBelow4Gib = Math.max(peakPagesBelow4Gib, pagesBelow4Gib);
            highestPfnEver = Math.max(highestPfnEver, hiPfn);
        }

        void remove(final long loPfn)
        {
            final Long hiPfn = hiPfnByLoPfn.remove(loPfn);
            pagesBelow4Gib -= pagesBelow(loPfn, hiPfn);
        }

        private long pagesBelow(final long loPfn, final long hiPfn)
        {
            return loPfn >= below4GibPfn ? 0 : Math.min(hiPfn, below4GibPfn - 1) - loPfn + 1;
        }

        long highestPfn()
        {
            return hiPfnByLoPfn.isEmpty() ? 0 : hiPfnByLoPfn.lastEntry().getValue();
        }

        /** @return {free gaps, largest gap pages} in {@code [startPfn, limitPfn]}. */
        long[] gaps()
        {
            long gaps = 0;
            long largest = 0;
            long nextFree = startPfn;
            for (final Map.Entry<Long, Long> range : hiPfnByLoPfn.entrySet())
            {
                if (range.getKey() > limitPfn)
                {
                    break;
                }
                if (range.getKey() > nextFree)
                {
                    gaps++;
                    largest = Math.max(largest, range.getKey() - nextFree);
                }
                nextFree = Math.max(nextFree, range.getValue() + 1);
            }
            if (nextFree <= limitPfn)
            {
                gaps++;
                largest = Math.max(largest, limitPfn - nextFree + 1);
            }
            peakFreeGaps = Math.max(peakFreeGaps, gaps);
            smallestLargestGap = Math.min(smallestLargestGap, largest);
            return new long[] {gaps, largest};
        }

        Side side()
        {
            return new Side(placed, failures, highestPfnEver, peakPagesBelow4Gib, peakFreeGaps, smallestLargestGap);
        }
    }

    private PlacementComparison()
    {
    }

    /**
     * @param tracePath a trace written by {@code import}.
     * @param samples   how many times to measure the gaps along the trace (at least 1).
     * @return the comparison.
     * @throws TraceFormatException when the trace is not valid, or an alloc has no {@code # kernel} comment.
     * @throws IOException          when the file cannot be read.
     */
    public static Result compare(final Path tracePath, final int samples) throws IOException
    {
        final Trace trace = TraceParser.parse(tracePath);
        try (Reader reader = Files.newBufferedReader(tracePath, StandardCharsets.UTF_8))
        {
            return compare(trace, reader, samples);
        }
    }

    /**
     * @param name    the trace's name, for errors.
     * @param text    a trace written by {@code import}.
     * @param samples how many times to measure the gaps along the trace.
     * @return the comparison.
     */
    public static Result compareText(final String name, final String text, final int samples)
    {
        try
        {
            return compare(TraceParser.parseText(name, text), new StringReader(text), samples);
        }
        catch (final IOException ex)
        {
            throw new AssertionError("a string reader does not fail", ex);
        }
    }

    private static Result compare(final Trace trace, final Reader text, final int samples) throws IOException
    {
        final KernelPlacements kernelPlacements = KernelPlacements.read(trace.name(), text);
        final int entries = trace.entries();
        long limitPfn = trace.startPfn();
        for (int e = 0; e < entries; e++)
        {
            if (trace.kind(e) == Trace.ALLOC)
            {
                limitPfn = Math.max(limitPfn, trace.limitPfn(e));
            }
        }
        final long shift = Long.numberOfTrailingZeros(trace.granuleBytes());
        final long below4GibPfn = shift >= 32 ? 1 : FOUR_GIB_BYTES >>> shift;
        final long[] fitPfnByEntry = new long[entries];
        final long[] kernelPfnByEntry = new long[entries];
        long aboveLimit = 0;
        long digest = PfnDigest.OFFSET_BASIS;
        final List<Sample> series = new ArrayList<>();
        final long sampleEvery = Math.max(1, (trace.ops() + samples - 1) / Math.max(1, samples));

        try (IovaDomain domain = DomainReplayTarget.newDomain(trace))
        {
            final long clampedLimit = Math.min(limitPfn, domain.lastPfn());
            final Space kernel = new Space(trace.startPfn(), clampedLimit, below4GibPfn);
            final Space fit = new Space(trace.startPfn(), clampedLimit, below4GibPfn);
            final DomainReplayTarget target = new DomainReplayTarget(domain);
            final long maxPages = domain.lastPfn() - domain.startPfn() + 1;
            series.add(sample(0, kernel, fit));
            long op = 0;
            int alloc = 0;
            for (int e = 0; e < entries; e++)
            {
                switch (trace.kind(e))
                {
                    case Trace.ALLOC:
                    {
                        final long pages = trace.pages(e);
                        final long kernelPfn = kernelPlacements.pfnOf(alloc++);
                        kernelPfnByEntry[e] = kernelPfn;
                        kernel.add(kernelPfn, pages);
                        kernel.placed++;
                        if (kernelPfn + pages - 1 > trace.limitPfn(e))
                        {
                            aboveLimit++;
                        }
                        final boolean canFit = trace.limitPfn(e) >= domain.startPfn() && pages <= maxPages && pages <= (1L << 62);
                        final long pfn = canFit ? target.alloc(pages, trace.limitPfn(e)) : IovaDomain.NO_ADDRESS;
                        fitPfnByEntry[e] = pfn;
                        digest = PfnDigest.update(digest, pfn);
                        if (pfn == IovaDomain.NO_ADDRESS)
                        {
                            fit.failures++;
                        }
                        else
                        {
                            fit.add(pfn, pages);
                            fit.placed++;
                        }
                        op++;
                        break;
                    }
                    case Trace.FREE:
                    {
                        final int allocEntry = trace.link(e);
                        if (allocEntry == Trace.NO_LINK)
                        {
                            throw new TraceFormatException(trace.name(), trace.line(e), "free of id " + Long.toUnsignedString(trace.id(e)) +
                                ", which is not bound (never allocated, or already freed)");
                        }
                        kernel.remove(kernelPfnByEntry[allocEntry]);
                        if (fitPfnByEntry[allocEntry] != IovaDomain.NO_ADDRESS)
                        {
                            target.free(fitPfnByEntry[allocEntry], trace.pages(allocEntry));
                            fit.remove(fitPfnByEntry[allocEntry]);
                        }
                        op++;
                        break;
                    }
                    default:
                        throw new TraceFormatException(trace.name(), trace.line(e),
                            "a reserve line: compare reads traces written by import, which have none");
                }
                if (op % sampleEvery == 0 && (trace.kind(e) != Trace.RESERVE) && op != trace.ops())
                {
                    series.add(sample(op, kernel, fit));
                }
            }
            if (trace.ops() > 0)
            {
                series.add(sample(op, kernel, fit));
            }
            kernel.failures = kernelPlacements.kernelFailedMaps;
            return new Result(trace.name(), trace.granuleBytes(), clampedLimit, trace.ops(), kernel.side(), fit.side(), aboveLimit,
                PfnDigest.toHex(digest), series);
        }
    }

    private static Sample sample(final long op, final Space kernel, final Space fit)
    {
        final long[] kernelGaps = kernel.gaps();
        final long[] fitGaps = fit.gaps();
        return new Sample(op, new long[] {kernel.highestPfn(), fit.highestPfn()},
            new long[] {kernel.pagesBelow4Gib, fit.pagesBelow4Gib}, new long[] {kernelGaps[0], fitGaps[0]},
            new long[] {kernelGaps[1], fitGaps[1]});
    }

    /** The {@code # kernel PFN} of every alloc line, in file order, and the failed-maps count. */
    private static final class KernelPlacements
    {
        long[] pfns = new long[1024];
        int count;
        long kernelFailedMaps;

        static KernelPlacements read(final String name, final Reader text) throws IOException
        {
            final KernelPlacements placements = new KernelPlacements();
            final BufferedReader lines = new BufferedReader(text);
            int lineNumber = 0;
            for (String line = lines.readLine(); line != null; line = lines.readLine())
            {
                lineNumber++;
                final String stripped = line.strip();
                if (stripped.startsWith(KERNEL_FAILED_COMMENT))
                {
                    placements.kernelFailedMaps = parse(name, lineNumber, stripped.substring(KERNEL_FAILED_COMMENT.length()).strip(), false);
                }
                if (!stripped.startsWith("alloc ") && !stripped.startsWith("alloc\t"))
                {
                    continue;
                }
                final int comment = stripped.indexOf(KernelTraceImporter.KERNEL_COMMENT);
                if (comment < 0)
                {
                    throw new TraceFormatException(name, lineNumber, "alloc without a '" + KernelTraceImporter.KERNEL_COMMENT.strip() +
                        " PFN' comment: compare needs a trace written by import");
                }
                final String rest = stripped.substring(comment + KernelTraceImporter.KERNEL_COMMENT.length()).strip();
                final int blank = rest.indexOf(' ');
                final long pfn = parse(name, lineNumber, blank < 0 ? rest : rest.substring(0, blank), true);
                if (placements.count == placements.pfns.length)
                {
                    placements.pfns = Arrays.copyOf(placements.pfns, placements.count * 2);
                }
                placements.pfns[placements.count++] = pfn;
            }
            return placements;
        }

        private static long parse(final String name, final int lineNumber, final String value, final boolean hex)
        {
            try
            {
                return hex && value.startsWith("0x") ? Long.parseLong(value.substring(2), 16) : Long.parseLong(value);
            }
            catch (final NumberFormatException ex)
            {
                throw new TraceFormatException(name, lineNumber, "'" + value + "' in the kernel's comment is not a number");
            }
        }

        long pfnOf(final int alloc)
        {
            if (alloc >= count)
            {
                throw new IllegalStateException("alloc " + (alloc + 1) + " has no kernel placement: the trace parser and the comment reader disagree");
            }
            return pfns[alloc];
        }
    }
}
