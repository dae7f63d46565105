package dev.iova.bench.run;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The progress lines: before each benchmark (JMH's log) and after it (the console), on a clock the test moves. */
class ProgressTest
{
    private static final long SECOND = 1_000_000_000L;

    private final List<PlannedBenchmark> plan = List.of(
        new PlannedBenchmark("a.SomeBenchmark.one", "thrpt", 1, Map.of(), 1, 10),
        new PlannedBenchmark("a.SomeBenchmark.two", "avgt", 2, Map.of("n", "1"), 1, 10),
        new PlannedBenchmark("a.SomeBenchmark.three", "avgt", 1, Map.of(), 1, 10));
    private final AtomicLong now = new AtomicLong(100 * SECOND);

    @Test
    void theFirstLineShouldSayTheWholeEstimateIsLeft()
    {
        final Progress progress = new Progress(plan, now::get);

        assertEquals("[1/3] SomeBenchmark.one thrpt: 0 s so far, about 30 s left",
            progress.start(plan.get(0).label(), plan.get(0).key()));
    }

    @Test
    void timeLeftShouldBeScaledByThePaceOfTheFinishedBenchmarks()
    {
        final Progress progress = new Progress(plan, now::get);
        progress.start(plan.get(0).label(), plan.get(0).key());
        now.addAndGet(20 * SECOND);

        assertEquals("[2/3] SomeBenchmark.two avgt 2 threads n=1: 20 s so far, about 40 s left",
            progress.start(plan.get(1).label(), plan.get(1).key()), "the first took twice its estimate");
        now.addAndGet(10 * SECOND);
        assertEquals("[3/3] SomeBenchmark.three avgt: 30 s so far, about 15 s left",
            progress.start(plan.get(2).label(), plan.get(2).key()));
    }

    @Test
    void anUnplannedBenchmarkShouldStillBeCounted()
    {
        final Progress progress = new Progress(List.of(plan.get(0)), now::get);
        progress.start(plan.get(0).label(), plan.get(0).key());

        assertEquals("[2/2] extra: 0 s so far, about 0 s left", progress.start("extra", "extra"));
        assertEquals(2, progress.started());
    }

    @Test
    void theLineAfterABenchmarkShouldCarryItsResultAndLeaveItOutOfTheTimeLeft()
    {
        final Progress progress = new Progress(plan, now::get);
        progress.start(plan.get(0).label(), plan.get(0).key());
        now.addAndGet(20 * SECOND);

        assertEquals("[1/3] SomeBenchmark.one thrpt: 0.0391 ± 0.00487 ops/ns, 0 B/op (20 s so far, about 40 s left)",
            progress.finish(plan.get(0).label(), "0.0391 ± 0.00487 ops/ns, 0 B/op"), "the first took twice its estimate");
        progress.start(plan.get(1).label(), plan.get(1).key());
        progress.finish(plan.get(1).label(), "x");
        progress.start(plan.get(2).label(), plan.get(2).key());
        now.addAndGet(10 * SECOND);
        assertEquals("[3/3] SomeBenchmark.three avgt: FAILED (30 s so far)", progress.finish(plan.get(2).label(), "FAILED"),
            "no time left after the last");
    }
}
