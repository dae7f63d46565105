package dev.iova.bench.jmh;

import dev.iova.AllocAtOutcome;
import dev.iova.Fit;
import dev.iova.IovaDomain;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * One alloc+free pair of each placement a domain offers — highest fit, 512-page alignment,
 * lowest fit, best fit, a fixed address — in a fragmented domain of a thousand and of a million
 * live ranges: which placements stay O(log n) in practice (the cost at a million at most twice
 * the cost at a thousand).
 *
 * <h2>Workload</h2>
 * At trial setup a domain ({@code startPfn} 1) is laid out from pfn 1 upwards as
 * {@link #liveRanges} live ranges of 1 to 8 pages, each followed by a hole of 1, 2, 3, 4, 6, 8,
 * 12, 16, 24 or 48 pages (sizes and holes drawn from {@code SplittableRandom(42)}), and the
 * domain's last pfn is the end of the last hole: every pfn is either live or in a hole, with no
 * free space above or below to make a search trivial. The ranges are placed with
 * {@code allocAt}. One operation allocates and frees one range, so the live count stays
 * constant; the request sizes (1 to 8 pages) and limits (anywhere in the upper half of the
 * domain) cycle through arrays of {@value #REQUESTS} entries drawn once, and it returns the pfn:
 * <ul>
 *   <li>{@code highest}: {@code alloc(pages, limit, 1, HIGHEST)}, the default placement;</li>
 *   <li>{@code aligned512}: {@code alloc(pages, limit, 512, HIGHEST)}: only holes that hold a
 *       multiple of 512 with room qualify (about one hole in 40);</li>
 *   <li>{@code lowest}: {@code alloc(pages, limit, 1, LOWEST)};</li>
 *   <li>{@code best}: {@code alloc(pages, limit, 1, BEST)}: the shortest hole that fits;</li>
 *   <li>{@code fixed}: {@code allocAt(pfn, pages)} at the start of a hole of at least 8 pages,
 *       cycling through {@value #REQUESTS} such holes spread over the domain.</li>
 * </ul>
 * {@code gc.alloc.rate.norm} must stay ~0 B/op for every placement.
 *
 * <h2>Command</h2>
 * <pre>
 * mvn -B -q package -DskipTests
 * java -Djmh.ignoreLock=true -cp allocator-bench/target/allocator-bench.jar org.openjdk.jmh.Main PlacementBenchmark \
 *     -prof gc -f 1 -wi 3 -w 1s -i 5 -r 1s -jvmArgsPrepend --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED
 * </pre>
 * 10 combinations (2 sizes x 5 placements).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = ForkArgs.ADD_EXPORTS)
@State(Scope.Benchmark)
public class PlacementBenchmark
{
    /** Entries of the request arrays (sizes, limits, fixed pfns), a power of two. */
    static final int REQUESTS = 1 << 12;

    /** The alignment of {@code aligned512}, in pages. */
    static final long ALIGN_512_PAGES = 512;

    /** The hole after each live range, in pages: several sizes, from one page to 48. */
    static final int[] HOLE_PAGES = {1, 2, 3, 4, 6, 8, 12, 16, 24, 48};

    /** The largest range and request, in pages. */
    static final int MAX_PAGES = 8;

    /** Seed of the layout and the requests. */
    static final long SEED = 42;

    /** Ranges live between operations. */
    @Param({"1000", "1000000"})
    public int liveRanges;

    /** The placement: {@code highest}, {@code aligned512}, {@code lowest}, {@code best} or {@code fixed}. */
    @Param({"highest", "aligned512", "lowest", "best", "fixed"})
    public String placement;

    IovaDomain domain;
    long[] requestPages;
    long[] requestLimitPfns;
    long[] fixedPfns;
    long alignPages;
    Fit fit;
    boolean fixed;
    int request;

    @Setup(Level.Trial)
    public void fill()
    {
        final SplittableRandom random = new SplittableRandom(SEED);
        final long[] loPfns = new long[liveRanges];
        final long[] pages = new long[liveRanges];
        final long[] fixedCandidates = new long[liveRanges];
        int fixedCount = 0;
        long cursorPfn = 1;
        for (int i = 0; i < liveRanges; i++)
        {
            loPfns[i] = cursorPfn;
            pages[i] = 1 + random.nextInt(MAX_PAGES);
            final int holePages = HOLE_PAGES[random.nextInt(HOLE_PAGES.length)];
            if (holePages >= MAX_PAGES)
            {
                fixedCandidates[fixedCount++] = cursorPfn + pages[i];
            }
            cursorPfn += pages[i] + holePages;
        }
        final long lastPfn = cursorPfn - 1;
        domain = IovaDomain.builder().startPfn(1).lastPfn(lastPfn).build();
        for (int i = 0; i < liveRanges; i++)
        {
            final AllocAtOutcome outcome = domain.allocAt(loPfns[i], pages[i]);
            if (outcome != AllocAtOutcome.PLACED)
            {
                throw new IllegalStateException("the layout's range " + i + " at 0x" + Long.toHexString(loPfns[i]) + " was " + outcome);
            }
        }

        requestPages = new long[REQUESTS];
        requestLimitPfns = new long[REQUESTS];
        fixedPfns = new long[REQUESTS];
        for (int i = 0; i < REQUESTS; i++)
        {
            requestPages[i] = 1 + random.nextInt(MAX_PAGES);
            requestLimitPfns[i] = lastPfn / 2 + random.nextLong(lastPfn - lastPfn / 2) + 1;
            fixedPfns[i] = fixedCandidates[(int)((long)i * fixedCount / REQUESTS)];
        }
        switch (placement)
        {
            case "highest" -> setPlacement(1, Fit.HIGHEST);
            case "aligned512" -> setPlacement(ALIGN_512_PAGES, Fit.HIGHEST);
            case "lowest" -> setPlacement(1, Fit.LOWEST);
            case "best" -> setPlacement(1, Fit.BEST);
            case "fixed" -> setPlacement(1, Fit.HIGHEST);
            default -> throw new IllegalArgumentException("unknown placement '" + placement + "'");
        }
        fixed = "fixed".equals(placement);
        // Every request must find room, or the measured loop would throw: try each once.
        for (request = 0; request < REQUESTS; request++)
        {
            allocFreePair();
        }
        request = 0;
    }

    private void setPlacement(final long alignPages, final Fit fit)
    {
        this.alignPages = alignPages;
        this.fit = fit;
    }

    @TearDown(Level.Trial)
    public void checkAndClose()
    {
        try
        {
            domain.verify();
            if (domain.liveRanges() != liveRanges)
            {
                throw new IllegalStateException("the domain holds " + domain.liveRanges() + " live ranges, not " + liveRanges);
            }
        }
        finally
        {
            domain.close();
        }
    }

    /**
     * Allocates one range with the placement's alignment and fit (or, for {@code fixed}, at a
     * fixed pfn) and frees it.
     *
     * @return its first pfn.
     */
    @Benchmark
    public long allocFreePair()
    {
        final int i = request++ & (REQUESTS - 1);
        final long pages = requestPages[i];
        final long pfn;
        if (fixed)
        {
            pfn = domain.allocAt(fixedPfns[i], pages) == AllocAtOutcome.PLACED ? fixedPfns[i] : IovaDomain.NO_ADDRESS;
        }
        else
        {
            pfn = domain.alloc(pages, requestLimitPfns[i], alignPages, fit);
        }
        if (pfn == IovaDomain.NO_ADDRESS)
        {
            throw failed(i);
        }
        domain.free(pfn, pages);
        return pfn;
    }

    private IllegalStateException failed(final int i)
    {
        return new IllegalStateException(placement + " request " + i + " of " + requestPages[i] + " pages (limit 0x" +
            Long.toHexString(requestLimitPfns[i]) + ", fixed pfn 0x" + Long.toHexString(fixedPfns[i]) + ") found no room");
    }
}
