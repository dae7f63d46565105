package dev.iova.dma;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.iova.region.Protection;
import dev.iova.region.RegionType;
import dev.iova.region.ReservedRegion;
import dev.iova.region.ReservedRegionList;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fault injection over the DMA API: random maps, scatter-gather maps, unmaps, MSI doorbells and
 * flushes, with an {@link Iotlb} that throws on the Nth call, a page-table allocation that fails
 * on the Nth call, and interrupts of the calling thread. After every step: the allocator verifies,
 * a fresh mapping uses no page unmapped since the last invalidation that covered it, and it
 * translates. After every fault: a flush (the IOTLB working again) leaves exactly the model's
 * mappings live in the allocator (no range lost, none owned by nobody), nothing waiting for an
 * invalidation, and the domain maps, translates and unmaps.
 */
class DmaFaultInjectionTest
{
    private static final long PAGE = 4096;
    private static final long MSI_WINDOW = 0x800_0000L;
    private static final int MSI_PAGES = 4;

    private static final int MAP = 0;
    private static final int MAP_SG = 1;
    private static final int UNMAP = 2;
    private static final int MSI_MAP = 3;
    private static final int MSI_UNMAP = 4;
    private static final int FLUSH = 5;
    private static final int FAULT_IOTLB = 6;
    private static final int FAULT_TABLE = 7;
    private static final int INTERRUPT = 8;

    record Step(int kind, int a, int b)
    {
    }

    record Config(InvalidationMode mode, int maxTables, int queueEntries)
    {
    }

    /** A mapping the model holds: where, how many pages, and the segments to give back. */
    private record Mapping(long[] dmas, long[] bytes, long firstPfn, long pages, long physBase)
    {
    }

    @Property(tries = 300, seed = "1717")
    void faultsLoseNoRangeReuseNothingEarlyAndLeaveTheDomainUsable(
        @ForAll("configs") final Config config, @ForAll("steps") final List<Step> steps)
    {
        final CheckingIotlb iotlb = new CheckingIotlb();
        try (DmaDomain domain = DmaDomain.builder().iotlb(iotlb).invalidationMode(config.mode()).maxTables(config.maxTables())
            .flushQueueEntries(config.queueEntries()).flushQueueStripes(1).flushTimer(false)
            .regions(ReservedRegionList.of(ReservedRegion.of(MSI_WINDOW, MSI_WINDOW + MSI_PAGES * PAGE - 1, RegionType.SW_MSI)))
            .build())
        {
            new Run(domain, iotlb).steps(steps);
        }
    }

    private static final class Run
    {
        private final DmaDomain domain;
        private final CheckingIotlb iotlb;
        private final List<Mapping> live = new ArrayList<>();
        private final Map<Long, Integer> msiRefs = new HashMap<>();   // doorbell page -> users
        private final Map<Long, Long> msiIovas = new HashMap<>();     // doorbell page -> iova
        private long nextPhys = 0x1_0000_0000L;

        Run(final DmaDomain domain, final CheckingIotlb iotlb)
        {
            this.domain = domain;
            this.iotlb = iotlb;
        }

        void steps(final List<Step> steps)
        {
            for (final Step step : steps)
            {
                final boolean faulted = step(step);
                domain.iovaDomain().verify();
                if (faulted)
                {
                    checkAfterFault();
                }
            }
            checkAfterFault();
        }

        /** @return true when an injected fault fired. */
        private boolean step(final Step step)
        {
            final long faultsBefore = iotlb.faults + tableFaultsFired();
            try
            {
                switch (step.kind())
                {
                    case MAP ->
                    {
                        if (step.a() % 3 == 0)
                        {
                            // one or two 2 MiB blocks and a page or two of leaves: a table fault may come after a block is written
                            map(512 * (1 + step.b() % 2) + 1 + step.a() % 2, step.b() % 2 == 0 ? 32 : 64, nextBlockPhys());
                        }
                        else
                        {
                            map(1 + step.a() % 40, step.b() % 2 == 0 ? 32 : 64);
                        }
                    }
                    case MAP_SG -> mapSg(1 + step.a() % 4);
                    case UNMAP -> unmap(step.a());
                    case MSI_MAP -> mapMsi(step.a() % 6);
                    case MSI_UNMAP -> unmapMsi(step.a());
                    case FLUSH -> domain.flush();
                    case FAULT_IOTLB -> iotlb.failCall(1 + step.a() % 4);
                    case FAULT_TABLE ->
                    {
                        domain.pageTable().failTableAllocation(1 + step.a() % 6);
                        armedTableFault = true;
                    }
                    case INTERRUPT ->
                    {
                        Thread.currentThread().interrupt();
                        map(1 + step.a() % 8, 64);
                        assertTrue(Thread.interrupted(), "the library keeps the caller's interrupt");
                    }
                    default -> throw new AssertionError(step);
                }
            }
            catch (final FaultyIotlb.InjectedFault expected)
            {
                // the contract: the call rethrows, the state is as checked below
            }
            return iotlb.faults + tableFaultsFired() != faultsBefore;
        }

        private boolean armedTableFault;
        private long tableFaults;

        /** A table fault fired when a map returned NO_ADDRESS while one was armed (the harness cannot see the pool). */
        private long tableFaultsFired()
        {
            return tableFaults;
        }

        private void map(final int pages, final int maskBits)
        {
            map(pages, maskBits, nextPhys());
        }

        private void map(final int pages, final int maskBits, final long phys)
        {
            final long bytes = pages * PAGE - 100;
            long dma = DmaDomain.NO_ADDRESS;
            try
            {
                dma = domain.map(phys + 100, bytes, Protection.READ_WRITE, maskBits);
            }
            finally
            {
                if (dma == DmaDomain.NO_ADDRESS && armedTableFault)
                {
                    tableFaults++;
                    armedTableFault = false;
                }
            }
            if (dma == DmaDomain.NO_ADDRESS)
            {
                return;
            }
            final long firstPfn = dma / PAGE;
            iotlb.assertNotDirty(firstPfn, pages);
            assertEquals(phys + 100, Translation.phys(domain.translate(dma)));
            live.add(new Mapping(new long[] {dma}, new long[] {bytes}, firstPfn, pages, phys));
        }

        private void mapSg(final int segments)
        {
            final long[] phys = new long[segments];
            final long[] bytes = new long[segments];
            final long[] dmas = new long[segments];
            long pages = 0;
            for (int i = 0; i < segments; i++)
            {
                phys[i] = nextPhys();
                bytes[i] = PAGE * (1 + i);
                pages += 1 + i;
            }
            long first = DmaDomain.NO_ADDRESS;
            try
            {
                first = domain.mapSg(phys, bytes, segments, Protection.READ, dmas);
            }
            finally
            {
                if (first == DmaDomain.NO_ADDRESS && armedTableFault)
                {
                    tableFaults++;
                    armedTableFault = false;
                }
            }
            if (first == DmaDomain.NO_ADDRESS)
            {
                return;
            }
            iotlb.assertNotDirty(first / PAGE, pages);
            for (int i = 0; i < segments; i++)
            {
                assertEquals(phys[i], Translation.phys(domain.translate(dmas[i])));
            }
            live.add(new Mapping(dmas, bytes, first / PAGE, pages, phys[0]));
        }

        private void unmap(final int which)
        {
            if (live.isEmpty())
            {
                return;
            }
            final Mapping mapping = live.remove(Math.floorMod(which, live.size()));
            iotlb.markDirty(mapping.firstPfn(), mapping.pages()); // from now until an invalidation covers it
            if (mapping.dmas().length == 1)
            {
                domain.unmap(mapping.dmas()[0], mapping.bytes()[0]);
            }
            else
            {
                domain.unmapSg(mapping.dmas(), mapping.bytes(), mapping.dmas().length);
            }
        }

        private void mapMsi(final int doorbell)
        {
            final long page = 0xfee0_0000L + doorbell * PAGE;
            final long iova = domain.mapMsi(page + 4);
            if (iova == DmaDomain.NO_ADDRESS && armedTableFault)
            {
                tableFaults++; // the doorbell page's table could not be allocated
                armedTableFault = false;
                return;
            }
            if (iova == DmaDomain.NO_ADDRESS)
            {
                assertEquals(MSI_PAGES, domain.msiPages() + quarantinedMsiPages(), "NO_ADDRESS only from a full window");
                return;
            }
            final long iovaPage = iova - 4;
            if (!msiRefs.containsKey(page))
            {
                iotlb.assertNotDirty(iovaPage / PAGE, 1);
            }
            msiRefs.merge(page, 1, Integer::sum);
            msiIovas.put(page, iovaPage);
            assertEquals(page + 4, Translation.phys(domain.translate(iova)));
        }

        private int quarantinedMsiPages()
        {
            return (int)iotlb.dirtyIn(MSI_WINDOW / PAGE, MSI_PAGES);
        }

        private void unmapMsi(final int which)
        {
            if (msiRefs.isEmpty())
            {
                return;
            }
            final List<Long> pages = new ArrayList<>(msiRefs.keySet());
            pages.sort(null);
            final long page = pages.get(Math.floorMod(which, pages.size()));
            final long iovaPage = msiIovas.get(page);
            final int refs = msiRefs.get(page);
            if (refs == 1)
            {
                msiRefs.remove(page);
                msiIovas.remove(page);
                iotlb.markDirty(iovaPage / PAGE, 1);
            }
            else
            {
                msiRefs.put(page, refs - 1);
            }
            domain.unmapMsi(iovaPage + 4);
        }

        /** The IOTLB works again: a flush leaves exactly the model's mappings live, and the domain works. */
        private void checkAfterFault()
        {
            iotlb.failCall(0);
            domain.pageTable().failTableAllocation(0);
            armedTableFault = false;
            domain.flush();
            assertTrue(iotlb.dirty.isEmpty(), "unmapped pages still waiting for an invalidation after a flush: " + iotlb.dirty);
            assertEquals(0, domain.quarantinedUnmaps());
            assertEquals(0, domain.queuedUnmaps());
            domain.iovaDomain().flushCaches();
            assertEquals(live.size(), domain.iovaDomain().liveRanges(), "live ranges that no mapping owns, or mappings lost");
            for (final Mapping mapping : live)
            {
                assertFalse(Translation.isFault(domain.translate(mapping.dmas()[0])));
            }
            final long dma = domain.map(0x4000_0000L, PAGE, Protection.READ);
            assertNotEquals(DmaDomain.NO_ADDRESS, dma, "the domain maps again");
            assertEquals(0x4000_0000L, Translation.phys(domain.translate(dma)));
            iotlb.markDirty(dma / PAGE, 1);
            domain.unmap(dma, PAGE);
            domain.flush();
        }

        /** @return a fresh 2 MiB-aligned physical address, 4 MiB apart. */
        private long nextBlockPhys()
        {
            nextBlockPhys += 4L << 20;
            return nextBlockPhys;
        }

        private long nextBlockPhys = 0x100_0000_0000L;

        private long nextPhys()
        {
            nextPhys += 64 * PAGE;
            return nextPhys;
        }
    }

    /**
     * Throws on the Nth call from when it is told to, and keeps the pages unmapped since the last
     * invalidation that covered them: a map must never return one of those.
     */
    static final class CheckingIotlb implements Iotlb
    {
        final Set<Long> dirty = new HashSet<>();
        long faults;
        private long calls;
        private long failAt = -1;

        void failCall(final long n)
        {
            failAt = n <= 0 ? -1 : calls + n;
        }

        void markDirty(final long firstPfn, final long pages)
        {
            for (long pfn = firstPfn; pfn < firstPfn + pages; pfn++)
            {
                dirty.add(pfn);
            }
        }

        long dirtyIn(final long firstPfn, final long pages)
        {
            long count = 0;
            for (long pfn = firstPfn; pfn < firstPfn + pages; pfn++)
            {
                count += dirty.contains(pfn) ? 1 : 0;
            }
            return count;
        }

        void assertNotDirty(final long firstPfn, final long pages)
        {
            assertEquals(0, dirtyIn(firstPfn, pages), "an IOVA handed out again before the invalidation of its unmap: pfns 0x" +
                Long.toHexString(firstPfn) + " + " + pages);
        }

        private void maybeFail(final String what)
        {
            if (++calls == failAt)
            {
                faults++;
                throw new FaultyIotlb.InjectedFault("injected failure of call " + calls + ": " + what);
            }
        }

        @Override
        public void invalidateRange(final long iova, final long bytes)
        {
            maybeFail("invalidateRange");
            for (long pfn = iova / PAGE; pfn < (iova + bytes) / PAGE; pfn++)
            {
                dirty.remove(pfn);
            }
        }

        @Override
        public void invalidateAll()
        {
            maybeFail("invalidateAll");
            dirty.clear();
        }
    }

    @Provide
    Arbitrary<Config> configs()
    {
        return Combinators.combine(Arbitraries.of(InvalidationMode.values()), Arbitraries.of(64, 1 << 20), Arbitraries.integers().between(1, 4))
            .as(Config::new);
    }

    @Provide
    Arbitrary<List<Step>> steps()
    {
        final Arbitrary<Integer> kinds = Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(6, Arbitraries.just(MAP)), net.jqwik.api.Tuple.of(2, Arbitraries.just(MAP_SG)),
            net.jqwik.api.Tuple.of(6, Arbitraries.just(UNMAP)), net.jqwik.api.Tuple.of(2, Arbitraries.just(MSI_MAP)),
            net.jqwik.api.Tuple.of(2, Arbitraries.just(MSI_UNMAP)), net.jqwik.api.Tuple.of(1, Arbitraries.just(FLUSH)),
            net.jqwik.api.Tuple.of(3, Arbitraries.just(FAULT_IOTLB)), net.jqwik.api.Tuple.of(2, Arbitraries.just(FAULT_TABLE)),
            net.jqwik.api.Tuple.of(1, Arbitraries.just(INTERRUPT)));
        final Arbitrary<Integer> values = Arbitraries.integers().between(0, 1 << 20);
        return Combinators.combine(kinds, values, values).as(Step::new).list().ofMinSize(1).ofMaxSize(40);
    }
}
