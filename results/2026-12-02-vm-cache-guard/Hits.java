import dev.iova.IovaDomain;
import dev.iova.cache.RangeCacheStats;
import dev.iova.bench.trace.*;

public class Hits {
    public static void main(String[] a) throws Exception {
        int reps = Integer.parseInt(a[1]);
        for (String shape : a[0].split(",")) {
            Trace t = TraceParser.parseText(shape, TraceGenerator.generateText(TraceShape.byName(shape), 50_000, 1));
            int n = t.entries();
            long[] pfn = new long[n];
            try (IovaDomain d = IovaDomain.builder().startPfn(1).lastPfn(IovaDomain.MAX_PFN).build()) {
                long best = Long.MAX_VALUE; RangeCacheStats before = null, after = null;
                for (int r = 0; r < reps; r++) {
                    before = d.cacheStats();
                    long t0 = System.nanoTime();
                    for (int e = 0; e < n; e++) {
                        byte k = t.kind(e);
                        if (k == Trace.ALLOC) pfn[e] = d.allocFast(t.pages(e), t.limitPfn(e));
                        else if (k == Trace.FREE) { int l = t.link(e); if (pfn[l] != 0) { d.freeFast(pfn[l], t.pages(l)); pfn[l] = 0; } }
                        else d.reserve(t.loPfn(e), t.hiPfn(e));
                    }
                    long el = System.nanoTime() - t0;
                    best = Math.min(best, el);
                    after = d.cacheStats();
                    for (int e = 0; e < n; e++) if (t.kind(e) == Trace.ALLOC && pfn[e] != 0) { d.freeFast(pfn[e], t.pages(e)); pfn[e] = 0; }
                    d.flushCaches();
                }
                long hits = after.allocHits() - before.allocHits(), miss = after.allocMisses() - before.allocMisses();
                System.out.printf("%-12s best %.1f ns/op  hits %d misses %d hitRate %.2f%%  treeAllocs %d treeFrees %d flushes %d untracked %d (last replay)%n",
                    shape, best / 50_000.0, hits, miss, 100.0 * hits / Math.max(1, hits + miss), after.treeAllocs() - before.treeAllocs(),
                    after.treeFrees() - before.treeFrees(), after.flushes() - before.flushes(), after.untrackedAllocs() - before.untrackedAllocs());
            }
        }
    }
}
