package dev.iova.bench.jmh;

import dev.iova.dma.DmaDomain;
import dev.iova.dma.InvalidationMode;
import dev.iova.dma.SimulatedIotlb;
import dev.iova.region.Protection;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Control;

import java.util.concurrent.TimeUnit;

/**
 * {@code DmaDomain.map} + {@code unmap} of one 4 KiB buffer, from 1, 2 and 4 threads on one
 * domain, with the unmap on the mapping thread or handed to another thread, in strict and lazy
 * invalidation, with a free and a 1 µs IOTLB invalidation.
 *
 * <h2>Workload</h2>
 * One {@link DmaDomain} per trial (defaults: 4 KiB granule, 48-bit IOVAs, 64-bit DMA mask tried
 * below 4 GiB first, no reserved regions), its IOTLB a {@link SimulatedIotlb} that busy-spins
 * the given cost per range and per whole invalidation. One operation maps
 * {@value #BYTES} bytes at physical {@code 0x1_2345_6000} read-write (an IOVA from the range
 * caches, a page-table entry written) and unmaps it (entry cleared; strict: the range
 * invalidated and the IOVA freed; lazy: the IOVA queued, the whole IOTLB invalidated once per
 * 256 unmaps). The combinations are chosen, not crossed:
 * <ul>
 *   <li>Scaling, lazy mode, free invalidation ({@link LazyDomain}):
 *     <ul>
 *       <li>{@link #sameThread1Thread} ({@code thrpt} and {@code sample}),
 *           {@link #sameThread2Threads}, {@link #sameThread4Threads} ({@code thrpt}): each
 *           thread maps and unmaps its own buffers. {@code thrpt} is the sum over threads.</li>
 *       <li>{@code crossThread} ({@code thrpt} and {@code sample}), a group of two threads:
 *           {@link #crossThreadMap} maps and hands the address over a bounded SPSC ring of
 *           {@value #HAND_OFF_CAPACITY} longs ({@link SpscLongRing}, no boxing), waiting while
 *           the ring is full; {@link #crossThreadUnmap} takes addresses off the ring, waiting
 *           while it is empty, and unmaps them. Each side's score counts its own calls; the
 *           pair rate is the lower of the two. Its {@code sample} latencies include the waits.</li>
 *       <li>{@code handOffOnly} ({@code thrpt}), a group of two threads: the same ring and
 *           waiting loops with no map or unmap, the control that says how much of
 *           {@code crossThread}'s cost is the hand-off itself.</li>
 *     </ul></li>
 *   <li>Two-step API ({@link TwoStepDomain}, strict, free invalidation): {@link #twoStepLinkSyncUnlink},
 *       one thread, link + sync + unlink of one page in a reserved range ({@code thrpt}); its
 *       {@code gc.alloc.rate.norm} is the garbage-free proof for link, sync and unlink.</li>
 *   <li>Invalidation cost ({@link InvalidationDomain}): {@link #sameThreadInvalidation}, one
 *       thread, {@code mode} strict or lazy x {@code iotlbNanos} 0 or 1000 ({@code thrpt}).</li>
 *   <li>Ranged or whole invalidation in lazy mode ({@link RangedLazyDomain}):
 *       {@link #lazyRangedInvalidation}, one thread, lazy mode with an IOTLB that cannot
 *       invalidate everything (a VFIO-like backend, {@link SimulatedIotlb#rangesOnly}), so
 *       each batch invalidates every queued range, {@code iotlbNanos} 1000 per range
 *       ({@code thrpt}); against {@code sameThreadInvalidation} lazy, which invalidates the whole
 *       IOTLB once per batch at the same cost.</li>
 * </ul>
 * Targets it serves (lazy, free invalidation): 2 threads at least 1.8x one thread's throughput,
 * 4 threads at least 1.5x; the cross-thread pair within 1.5x of the same-thread pair's cost;
 * {@code gc.alloc.rate.norm} below 1 B/op everywhere. On a 2-core machine 4 threads share the
 * cores, and the cross-thread group uses both.
 *
 * <h2>Command</h2>
 * <pre>
 * mvn -B -q package -DskipTests
 * java -cp allocator-bench/target/allocator-bench.jar org.openjdk.jmh.Main MapUnmapBenchmark \
 *     -prof gc -f 2 -wi 3 -w 2s -i 5 -r 2s -rf json -rff map-unmap.json
 * </pre>
 * 13 combinations: same-thread 1 thread x 2 modes, 2 and 4 threads, cross-thread x 2 modes,
 * the hand-off control, the two-step run, invalidation 2 x 2, ranged lazy invalidation.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 2, jvmArgsAppend = ForkArgs.ADD_EXPORTS)
public class MapUnmapBenchmark
{
    /** Physical address of every buffer: page-aligned, above 4 GiB. */
    static final long PHYS = 0x1_2345_6000L;

    /** Bytes of every buffer: one 4 KiB page. */
    static final long BYTES = 4096;

    /** Slots of the cross-thread hand-off ring. */
    static final int HAND_OFF_CAPACITY = 1024;

    /** A domain in lazy mode whose invalidations cost nothing: the scaling runs. */
    @State(Scope.Benchmark)
    public static class LazyDomain extends DomainState
    {
        @Override
        DmaDomain build()
        {
            return DmaDomain.builder().invalidationMode(InvalidationMode.LAZY).iotlb(new SimulatedIotlb(0, 0)).build();
        }
    }

    /** A strict domain with a free IOTLB, one device and one 64-page reservation for the two-step run. */
    @State(Scope.Thread)
    public static class TwoStepDomain extends DomainState
    {
        dev.iova.dma.DmaDevice device;
        final dev.iova.dma.DmaIova range = new dev.iova.dma.DmaIova();
        long next;

        @Override
        DmaDomain build()
        {
            final DmaDomain built = DmaDomain.builder().iotlb(new SimulatedIotlb(0, 0)).build();
            device = built.device(64);
            if (!device.reserve(range, 64 * BYTES))
            {
                throw new IllegalStateException("no IOVA range for the reservation");
            }
            return built;
        }

        @Override
        int beforeCheck()
        {
            device.destroy(range);
            return 1;
        }
    }

    /** A domain in the given mode whose invalidations cost {@code iotlbNanos} each. */
    @State(Scope.Benchmark)
    public static class InvalidationDomain extends DomainState
    {
        /** {@code STRICT}: one range invalidation per unmap; {@code LAZY}: one whole invalidation per 256 unmaps. */
        @Param({"STRICT", "LAZY"})
        public InvalidationMode mode;

        /** What each invalidation (range or whole) costs, busy-spinning, in ns. */
        @Param({"0", "1000"})
        public long iotlbNanos;

        @Override
        DmaDomain build()
        {
            return DmaDomain.builder().invalidationMode(mode).iotlb(new SimulatedIotlb(iotlbNanos, iotlbNanos)).build();
        }
    }

    /**
     * A lazy domain whose IOTLB cannot invalidate everything, so that each batch of the flush
     * queues invalidates every queued range, at {@code iotlbNanos} each.
     */
    @State(Scope.Benchmark)
    public static class RangedLazyDomain extends DomainState
    {
        /**
         * What each range invalidation costs, busy-spinning, in ns: 1000, as the costly case of
         * {@link InvalidationDomain} (one value, to keep the quick profile within its time).
         */
        @Param({"1000"})
        public long iotlbNanos;

        @Override
        DmaDomain build()
        {
            return DmaDomain.builder().invalidationMode(InvalidationMode.LAZY).iotlb(SimulatedIotlb.rangesOnly(iotlbNanos)).build();
        }
    }

    /** The ring between the two threads of the cross-thread group. */
    @State(Scope.Group)
    public static class HandOff
    {
        SpscLongRing ring;

        @Setup(Level.Trial)
        public void create()
        {
            ring = new SpscLongRing(HAND_OFF_CAPACITY);
        }

        /** Unmaps what the iteration left in the ring (both threads have stopped). */
        @TearDown(Level.Iteration)
        public void drain(final LazyDomain state)
        {
            for (long dma = ring.poll(); dma != SpscLongRing.EMPTY; dma = ring.poll())
            {
                state.domain.unmap(dma, BYTES);
            }
        }
    }

    /** The ring of the {@code handOffOnly} control group; what it holds at the end of an iteration stays for the next. */
    @State(Scope.Group)
    public static class ControlHandOff
    {
        SpscLongRing ring;

        @Setup(Level.Trial)
        public void create()
        {
            ring = new SpscLongRing(HAND_OFF_CAPACITY);
        }
    }

    /**
     * Maps and unmaps from one thread.
     *
     * @param state the domain.
     * @return the DMA address.
     */
    @Benchmark
    @BenchmarkMode({Mode.Throughput, Mode.SampleTime})
    @Threads(1)
    public long sameThread1Thread(final LazyDomain state)
    {
        return mapUnmap(state.domain);
    }

    /**
     * The two-step API on one reservation: links one page at the next of 64 offsets, syncs it and
     * unlinks it (the unlink invalidates its range at once; the IOTLB costs nothing).
     *
     * @param state the domain and its reservation.
     * @return the offset linked.
     */
    @Benchmark
    @Threads(1)
    public long twoStepLinkSyncUnlink(final TwoStepDomain state)
    {
        final long offset = (state.next++ & 63) * BYTES;
        state.device.link(state.range, offset, PHYS, BYTES, dev.iova.dma.DmaDirection.TO_DEVICE);
        state.device.sync(state.range, offset, BYTES);
        state.device.unlink(state.range, offset, BYTES);
        return offset;
    }

    /**
     * Maps and unmaps from each of 2 threads.
     *
     * @param state the domain.
     * @return the DMA address.
     */
    @Benchmark
    @Threads(2)
    public long sameThread2Threads(final LazyDomain state)
    {
        return mapUnmap(state.domain);
    }

    /**
     * Maps and unmaps from each of 4 threads.
     *
     * @param state the domain.
     * @return the DMA address.
     */
    @Benchmark
    @Threads(4)
    public long sameThread4Threads(final LazyDomain state)
    {
        return mapUnmap(state.domain);
    }

    /**
     * Maps and unmaps from one thread, in the given invalidation mode and cost.
     *
     * @param state the domain.
     * @return the DMA address.
     */
    @Benchmark
    @Threads(1)
    public long sameThreadInvalidation(final InvalidationDomain state)
    {
        return mapUnmap(state.domain);
    }

    /**
     * One map + unmap in lazy mode whose batches invalidate each queued range.
     *
     * @param state the domain.
     * @return the DMA address.
     */
    @Benchmark
    @Threads(1)
    public long lazyRangedInvalidation(final RangedLazyDomain state)
    {
        return mapUnmap(state.domain);
    }

    /**
     * The submitting side of the cross-thread group: maps and hands the address over.
     *
     * @param state   the domain.
     * @param handOff the ring.
     * @param control JMH's control, to stop waiting when the iteration ends.
     * @return the DMA address.
     */
    @Benchmark
    @Group("crossThread")
    @GroupThreads(1)
    @BenchmarkMode({Mode.Throughput, Mode.SampleTime})
    public long crossThreadMap(final LazyDomain state, final HandOff handOff, final Control control)
    {
        final long dma = state.domain.map(PHYS, BYTES, Protection.READ_WRITE);
        if (!handOff.ring.offerUntilStopped(dma, control))
        {
            state.domain.unmap(dma, BYTES); // the other side has stopped: nobody will take it
        }
        return dma;
    }

    /**
     * The completing side of the cross-thread group: takes an address off the ring and unmaps it.
     *
     * @param state   the domain.
     * @param handOff the ring.
     * @param control JMH's control, to stop waiting when the iteration ends.
     * @return the DMA address, or 0 when the iteration ended while waiting.
     */
    @Benchmark
    @Group("crossThread")
    @GroupThreads(1)
    @BenchmarkMode({Mode.Throughput, Mode.SampleTime})
    public long crossThreadUnmap(final LazyDomain state, final HandOff handOff, final Control control)
    {
        final long dma = handOff.ring.pollUntilStopped(control);
        if (dma != SpscLongRing.EMPTY)
        {
            state.domain.unmap(dma, BYTES);
        }
        return dma;
    }

    /**
     * The control of the cross-thread group: the same hand-off with no map or unmap, the
     * submitting side offering a constant. How many pairs per µs the ring and the two waiting
     * loops allow on this machine at the moment of the run.
     *
     * @param handOff the ring.
     * @param control JMH's control, to stop waiting when the iteration ends.
     * @return the value handed over.
     */
    @Benchmark
    @Group("handOffOnly")
    @GroupThreads(1)
    public long handOffOnlyOffer(final ControlHandOff handOff, final Control control)
    {
        return handOff.ring.offerUntilStopped(PHYS, control) ? PHYS : 0;
    }

    /**
     * The taking side of {@link #handOffOnlyOffer}.
     *
     * @param handOff the ring.
     * @param control JMH's control, to stop waiting when the iteration ends.
     * @return the value taken, or 0 when the iteration ended while waiting.
     */
    @Benchmark
    @Group("handOffOnly")
    @GroupThreads(1)
    public long handOffOnlyPoll(final ControlHandOff handOff, final Control control)
    {
        return handOff.ring.pollUntilStopped(control);
    }

    private static long mapUnmap(final DmaDomain domain)
    {
        final long dma = domain.map(PHYS, BYTES, Protection.READ_WRITE);
        domain.unmap(dma, BYTES); // a failed map (0) throws here: the run stops
        return dma;
    }

    /** One DMA domain per trial, shared by every thread of the benchmark. */
    abstract static class DomainState
    {
        DmaDomain domain;
        long liveAtStart;

        abstract DmaDomain build();

        /** @return how many IOVA ranges a state held from the start and gives back before the check. */
        int beforeCheck()
        {
            return 0;
        }

        @Setup(Level.Trial)
        public void open()
        {
            domain = build();
            liveAtStart = domain.liveIovaRanges();
        }

        @TearDown(Level.Trial)
        public void checkAndClose()
        {
            try
            {
                final int givenBack = beforeCheck();
                domain.flush();
                final long live = domain.liveIovaRanges();
                if (live != liveAtStart - givenBack)
                {
                    throw new IllegalStateException(live + " IOVA ranges are live after the run, " + liveAtStart +
                        " before it: a map was not unmapped");
                }
                domain.verifyIovas();
            }
            finally
            {
                domain.close();
            }
        }
    }
}
