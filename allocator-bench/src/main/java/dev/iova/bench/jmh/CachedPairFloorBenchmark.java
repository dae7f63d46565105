package dev.iova.bench.jmh;

import java.util.concurrent.TimeUnit;

import dev.iova.IovaDomain;
import dev.iova.concurrent.StripedSpinLocks;
import dev.iova.internal.DomainAccess;
import org.agrona.UnsafeApi;
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

/**
 * The synchronisation a checked cached pair cannot do without, alone, with no magazine and no
 * allocator: what the cached pair of {@link AllocFreePairBenchmark} costs at the very least on
 * the machine of the run ({@code docs/caches.md}, "The floor, measured"). A diagnostic: the
 * {@code run} command leaves it out unless {@code --include} is given.
 *
 * <h2>Workload</h2>
 * One thread, uncontended, on the cache's own lock class ({@link StripedSpinLocks}, 8 stripes as a
 * 2-core domain has) and one byte of off-heap memory standing for a range's live-map entry:
 * <ul>
 *   <li>{@link #checkedPairSkeleton}: what {@code allocFast} then {@code freeFast} synchronise: take a
 *       stripe ({@code lockAny}: one compare-and-set), mark the byte live (a release store),
 *       unlock (a release store); take a stripe again, clear the byte with a compare-and-set
 *       (the free check, which must stay atomic because two threads may free the same range
 *       at once through different stripes), unlock. Three atomic read-modify-writes.</li>
 *   <li>{@link #trustedPairSkeleton}: the same without the live byte, as the DMA layer's trusted
 *       pair does: two.</li>
 *   <li>{@link #oneCompareAndSet}: one compare-and-set and a release store on a padded word: the unit.</li>
 *   <li>{@link #checkedPair} and {@link #trustedPair}: the real pairs in the same run, on a domain
 *       with the default caches and 1000 background ranges: {@code allocFast}/{@code freeFast},
 *       and the DMA layer's trusted calls, which skip the live map. {@code fill=tree} allocates
 *       the background through the tree, as {@link AllocFreePairBenchmark} does; {@code fill=fast}
 *       through {@code allocFast} under falling limits, as {@link AllocFreeSizesBenchmark} does:
 *       every one of those misses, scans a magazine and refills from the tree, so the JIT
 *       profiles the slow paths warm before the pairs start; {@code fill=pollute} fills through
 *       the tree as {@code tree} does and makes those misses on another domain, which changes
 *       only the JIT's profile. With the slow paths never reached, C2 compiles the benchmark's
 *       loop with no call in it and keeps the cache's fields in registers across pairs; a
 *       program whose caches ever missed gets the {@code fast} figure.</li>
 * </ul>
 *
 * <h2>Command</h2>
 * <pre>
 * java -cp allocator-bench/target/allocator-bench.jar org.openjdk.jmh.Main \
 *     'CachedPairFloorBenchmark|AllocFreeSizesBenchmark.allocFreePair' -p pages=1 -p target=cached,treemap-baseline \
 *     -f 1 -wi 3 -w 1s -i 5 -r 1s
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = ForkArgs.ADD_EXPORTS)
@State(Scope.Thread)
public class CachedPairFloorBenchmark
{
    /** Stripes, as a domain on 2 processors has (4 per processor). */
    static final int STRIPES = 8;

    /** The highest pfn of a pair: the last 4 KiB page below 4 GiB. */
    static final long LIMIT_PFN = 0xfffffL;

    /** Background ranges of {@link Domain}. */
    static final int BACKGROUND_RANGES = 1000;

    /** The DMA layer's unchecked allocation and free. */
    static final DomainAccess TRUSTED = DomainAccess.get();

    private static final byte LIVE = 1;
    private static final byte NOT_LIVE = 0;

    /** The word of {@link #oneCompareAndSet}: 64 bytes into its array, a line from the array's header. */
    private static final long WORD_OFFSET = UnsafeApi.arrayBaseOffset(int[].class) + 16 * Integer.BYTES;

    StripedSpinLocks locks;
    long liveByte;
    final int[] word = new int[32];

    /** Creates the locks and the byte. */
    @Setup(Level.Trial)
    public void open()
    {
        locks = new StripedSpinLocks(STRIPES, STRIPES, "closed");
        liveByte = UnsafeApi.allocateMemory(64);
        UnsafeApi.setMemory(liveByte, 64, NOT_LIVE);
    }

    /** Frees the byte. */
    @TearDown(Level.Trial)
    public void close()
    {
        UnsafeApi.freeMemory(liveByte);
    }

    /**
     * The atomics of a checked cached pair.
     *
     * @return whether the free check passed (always true): consumed so that nothing is elided.
     */
    @Benchmark
    public boolean checkedPairSkeleton()
    {
        final int allocStripe = locks.lockAny();
        UnsafeApi.putByteRelease(null, liveByte, LIVE);
        locks.unlock(allocStripe);
        final int freeStripe = locks.lockAny();
        final boolean cleared = UnsafeApi.compareAndSetByte(null, liveByte, LIVE, NOT_LIVE);
        locks.unlock(freeStripe);
        return cleared;
    }

    /**
     * The atomics of a trusted cached pair.
     *
     * @return the second stripe's index.
     */
    @Benchmark
    public int trustedPairSkeleton()
    {
        final int allocStripe = locks.lockAny();
        locks.unlock(allocStripe);
        final int freeStripe = locks.lockAny();
        locks.unlock(freeStripe);
        return freeStripe;
    }

    /** A domain with the default caches and 1000 background ranges, as {@link AllocFreePairBenchmark}'s. */
    @State(Scope.Benchmark)
    public static class Domain
    {
        IovaDomain domain;

        /**
         * How the background is allocated: {@code tree} ({@code alloc}), {@code fast}
         * ({@code allocFast}), or {@code pollute} ({@code tree}, plus the same {@code allocFast}
         * calls on another domain).
         */
        @Param({"tree", "fast", "pollute"})
        public String fill;

        /** Builds and fills the domain. */
        @Setup(Level.Trial)
        public void open()
        {
            domain = IovaDomain.builder().granuleBytes(4096).startPfn(1).build();
            if ("fast".equals(fill))
            {
                allocateUnderFallingLimits(domain);
                return;
            }
            AllocFreePairBenchmark.fillBackground(domain, BACKGROUND_RANGES, LIMIT_PFN);
            if ("pollute".equals(fill))
            {
                final IovaDomain other = IovaDomain.builder().granuleBytes(4096).startPfn(1).build();
                allocateUnderFallingLimits(other);
                other.close();
            }
        }

        /** The background at {@link AllocFreePairBenchmark}'s pfns, through {@code allocFast}: every call misses. */
        private static void allocateUnderFallingLimits(final IovaDomain target)
        {
            final long stride = LIMIT_PFN / (BACKGROUND_RANGES + 1L);
            for (int i = 1; i <= BACKGROUND_RANGES; i++)
            {
                target.allocFast(1, LIMIT_PFN - i * stride);
            }
        }

        /** Closes the domain. */
        @TearDown(Level.Trial)
        public void close()
        {
            domain.close();
        }
    }

    /**
     * A checked cached pair, {@code allocFast}/{@code freeFast}: {@link AllocFreePairBenchmark#cached}.
     *
     * @param state the domain.
     * @return the pfn.
     */
    @Benchmark
    public long checkedPair(final Domain state)
    {
        final long pfn = state.domain.allocFast(1, LIMIT_PFN);
        state.domain.freeFast(pfn, 1);
        return pfn;
    }

    /**
     * The DMA layer's trusted cached pair: no live map, two atomics.
     *
     * @param state the domain.
     * @return the pfn.
     */
    @Benchmark
    public long trustedPair(final Domain state)
    {
        final long pfn = TRUSTED.allocFastTrusted(state.domain, 1, LIMIT_PFN);
        TRUSTED.freeFastTrusted(state.domain, pfn, 1);
        return pfn;
    }

    /**
     * One compare-and-set and its release.
     *
     * @return whether it succeeded (always true).
     */
    @Benchmark
    public boolean oneCompareAndSet()
    {
        final boolean taken = UnsafeApi.compareAndSetInt(word, WORD_OFFSET, 0, 1);
        UnsafeApi.putIntRelease(word, WORD_OFFSET, 0);
        return taken;
    }
}
