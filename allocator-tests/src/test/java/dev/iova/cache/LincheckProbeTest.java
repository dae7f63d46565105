package dev.iova.cache;

import dev.iova.IovaDomain;
import org.jetbrains.kotlinx.lincheck.LinChecker;
import org.jetbrains.kotlinx.lincheck.annotations.Operation;
import org.jetbrains.kotlinx.lincheck.strategy.managed.modelchecking.ModelCheckingOptions;
import org.jetbrains.kotlinx.lincheck.strategy.stress.StressOptions;
import org.junit.jupiter.api.Test;

public class LincheckProbeTest
{
    private static IovaDomain previous;
    private final IovaDomain domain;

    public LincheckProbeTest()
    {
        synchronized (LincheckProbeTest.class)
        {
            if (previous != null) previous.close();
            domain = IovaDomain.builder().startPfn(2).lastPfn(3).maxCachedPages(2).magazineRanges(1).depotMagazines(1).cacheStripes(2).build();
            previous = domain;
        }
    }

    @Operation public long allocPair() { return domain.allocFast(2, 3); }
    @Operation public long allocPage() { return domain.allocFast(1, 2); }
    @Operation public String freePair() { try { domain.freeFast(2, 2); return "freed"; } catch (IllegalArgumentException e) { return "rejected"; } }
    @Operation public String freePage() { try { domain.freeFast(2, 1); return "freed"; } catch (IllegalArgumentException e) { return "rejected"; } }
    @Operation public void flush() { domain.flushCaches(); }

    public static class Spec
    {
        boolean pair, page;
        public long allocPair() { if (pair || page) return 0; pair = true; return 2; }
        public long allocPage() { if (pair || page) return 0; page = true; return 2; }
        public String freePair() { if (!pair) return "rejected"; pair = false; return "freed"; }
        public String freePage() { if (!page) return "rejected"; page = false; return "freed"; }
        public void flush() { }
        @Override public boolean equals(Object o) { return o instanceof Spec s && s.pair == pair && s.page == page; }
        @Override public int hashCode() { return (pair ? 1 : 0) + (page ? 2 : 0); }
    }

    @Test
    void stress()
    {
        long t = System.nanoTime();
        LinChecker.check(LincheckProbeTest.class, new StressOptions().sequentialSpecification(Spec.class).iterations(30).invocationsPerIteration(1000).threads(3).actorsPerThread(3));
        System.out.println("stress ms " + (System.nanoTime() - t) / 1_000_000);
    }

    @Test
    void modelChecking()
    {
        long t = System.nanoTime();
        LinChecker.check(LincheckProbeTest.class, new ModelCheckingOptions().sequentialSpecification(Spec.class).iterations(30).invocationsPerIteration(200).threads(3).actorsPerThread(3));
        System.out.println("mc ms " + (System.nanoTime() - t) / 1_000_000);
    }
}
