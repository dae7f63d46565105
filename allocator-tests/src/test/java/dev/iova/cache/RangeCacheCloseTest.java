package dev.iova.cache;

import dev.iova.IovaDomain;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code close()} while other threads are mid-operation: the JVM survives, and every other thread
 * gets {@link IllegalStateException} ("domain is closed") from its next call.
 *
 * <p>Each scenario runs in a child JVM, because the failure this guards against is a crash
 * (off-heap memory freed under a thread still using it): a crash in the test JVM would end the
 * whole test run. The child exits 0 when the scenario held; otherwise the test fails with the
 * child's output and, after a crash, the "Problematic frame" of its {@code hs_err} file. Bounded
 * by trial and operation counts, with a generous timeout only against a hang.
 */
class RangeCacheCloseTest
{
    private static final long CHILD_TIMEOUT_SECONDS = 180;

    /** allocFast and freeFast of every size, on 8 threads, 20 times over; no request runs out of space. */
    @Test
    void closeDuringAllocFastAndFreeFastMakesEveryThreadFailWithIllegalStateException() throws Exception
    {
        assertChildSucceeds(Scenarios.ALLOC_AND_FREE);
    }

    /**
     * {@code flushCaches()} and {@code cacheStats()} on 6 threads while {@code close()} runs, 300
     * times over, with caches large enough (about 50 MB) that freeing them unmaps the memory.
     */
    @Test
    void closeDuringFlushCachesAndCacheStatsDoesNotCrashTheJvm() throws Exception
    {
        assertChildSucceeds(Scenarios.FLUSH_AND_STATS);
    }

    private static void assertChildSucceeds(final String scenario) throws IOException, InterruptedException
    {
        final Path errorDir = Paths.get("target", "close-test-crashes").toAbsolutePath();
        Files.createDirectories(errorDir);
        final String errorFile = errorDir.resolve("hs_err_" + scenario + "_%p.log").toString();
        final String java = ProcessHandle.current().info().command().orElse(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        final List<String> command = new ArrayList<>(List.of(java,
            "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED", "-Xmx512m", "-XX:ErrorFile=" + errorFile,
            "-cp", System.getProperty("java.class.path"), Scenarios.class.getName(), scenario));
        final Path output = Files.createTempFile("close-test-" + scenario, ".out");
        try
        {
            final Process child = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
            if (!child.waitFor(CHILD_TIMEOUT_SECONDS, TimeUnit.SECONDS))
            {
                child.destroyForcibly().waitFor();
                throw new AssertionError("scenario " + scenario + " did not finish in " + CHILD_TIMEOUT_SECONDS + " s: " +
                    Files.readString(output, StandardCharsets.UTF_8));
            }
            final String childOutput = Files.readString(output, StandardCharsets.UTF_8);
            assertEquals(0, child.exitValue(), "scenario " + scenario + " failed (exit " + child.exitValue() + ")" +
                crashSummary(errorDir, child.pid()) + "\n" + childOutput);
            assertTrue(childOutput.contains(Scenarios.HELD), childOutput);
        }
        finally
        {
            Files.deleteIfExists(output);
        }
    }

    /** @return the crash's signal and problematic frame from the child's hs_err file, if it wrote one. */
    private static String crashSummary(final Path errorDir, final long pid) throws IOException
    {
        try (Stream<Path> files = Files.list(errorDir))
        {
            final Path errorFile = files.filter(file -> file.getFileName().toString().endsWith("_" + pid + ".log")).findFirst().orElse(null);
            if (errorFile == null)
            {
                return "";
            }
            final List<String> lines = Files.readAllLines(errorFile, StandardCharsets.ISO_8859_1);
            final StringBuilder summary = new StringBuilder("\nthe child JVM crashed (" + errorFile + "):");
            for (int i = 0; i < lines.size(); i++)
            {
                final String line = lines.get(i);
                if (line.startsWith("#  SIG") || line.startsWith("siginfo:") || line.startsWith("# Problematic frame"))
                {
                    summary.append('\n').append(line);
                }
                if (line.startsWith("# Problematic frame") && i + 1 < lines.size())
                {
                    summary.append('\n').append(lines.get(i + 1));
                }
            }
            return summary.toString();
        }
    }

    /** The scenarios, run as the main class of a child JVM: exit 0 and print {@link #HELD} when the scenario held. */
    static final class Scenarios
    {
        static final String ALLOC_AND_FREE = "alloc-and-free";
        static final String FLUSH_AND_STATS = "flush-and-stats";
        static final String HELD = "scenario held";
        static final int FLUSH_AND_STATS_TRIALS = 300;

        private Scenarios()
        {
        }

        public static void main(final String[] args) throws InterruptedException
        {
            final String failure = switch (args[0])
            {
                case ALLOC_AND_FREE -> allocAndFree();
                case FLUSH_AND_STATS -> flushAndStats();
                default -> "unknown scenario " + args[0];
            };
            if (failure != null)
            {
                System.out.println(failure);
                System.exit(1);
            }
            System.out.println(HELD);
        }

        private static String allocAndFree() throws InterruptedException
        {
            for (int round = 0; round < 20; round++)
            {
                final IovaDomain domain = IovaDomain.builder().lastPfn(0x3ffff).cacheStripes(4).magazineRanges(4).depotMagazines(2).build();
                final String failure = closeWhileRunning(domain, 8, 20_000, round, Scenarios::allocAndFreeUntilClosed);
                if (failure != null)
                {
                    return "round " + round + ": " + failure;
                }
            }
            return null;
        }

        private static String flushAndStats() throws InterruptedException
        {
            for (int trial = 0; trial < FLUSH_AND_STATS_TRIALS; trial++)
            {
                if (trial % 25 == 0)
                {
                    System.out.println("trial " + trial);
                }
                final IovaDomain domain = IovaDomain.builder().lastPfn(0xfffff).maxCachedPages(32768).magazineRanges(4096)
                    .depotMagazines(64).cacheStripes(16).build();
                final String failure = closeWhileRunning(domain, 6, 50, trial, Scenarios::flushOrReadStatsUntilClosed);
                if (failure != null)
                {
                    return "trial " + trial + ": " + failure;
                }
            }
            return null;
        }

        /** What one thread does until the domain is closed under it; it returns by throwing. */
        @FunctionalInterface
        private interface Churn
        {
            void run(IovaDomain domain, SplittableRandom random, int threadIndex, AtomicLong operations);
        }

        /**
         * Starts {@code threads} threads, waits until they have done {@code operations} calls, closes
         * the domain, and checks that every thread ended with "domain is closed".
         *
         * @return null when the scenario held, else what went wrong.
         */
        private static String closeWhileRunning(final IovaDomain domain, final int threads, final long operations, final long seed,
            final Churn churn) throws InterruptedException
        {
            final AtomicLong done = new AtomicLong();
            final Queue<Throwable> endings = new ConcurrentLinkedQueue<>();
            final Thread[] workers = new Thread[threads];
            for (int t = 0; t < threads; t++)
            {
                final int threadIndex = t;
                final SplittableRandom random = new SplittableRandom(seed * 100 + t);
                workers[t] = new Thread(() ->
                {
                    try
                    {
                        churn.run(domain, random, threadIndex, done);
                        endings.add(new AssertionError("returned without an exception"));
                    }
                    catch (final Throwable ending)
                    {
                        endings.add(ending);
                    }
                });
                workers[t].start();
            }
            while (done.get() < operations && endings.isEmpty())
            {
                Thread.yield();
            }

            domain.close();

            for (final Thread worker : workers)
            {
                worker.join(TimeUnit.SECONDS.toMillis(60));
                if (worker.isAlive())
                {
                    return "a thread still runs 60 s after close()";
                }
            }
            for (final Throwable ending : endings)
            {
                if (!(ending instanceof IllegalStateException) || !String.valueOf(ending.getMessage()).contains("closed"))
                {
                    final StringBuilder trace = new StringBuilder("a thread ended with " + ending);
                    for (final StackTraceElement frame : ending.getStackTrace())
                    {
                        trace.append("\n\tat ").append(frame);
                    }
                    return trace.toString();
                }
            }
            return endings.size() == threads ? null : endings.size() + " of " + threads + " threads ended";
        }

        /** allocFast and freeFast of 1 to 64 pages, holding at most 16 ranges: never short of space. */
        private static void allocAndFreeUntilClosed(final IovaDomain domain, final SplittableRandom random, final int threadIndex,
            final AtomicLong operations)
        {
            final long[] pfns = new long[16];
            final long[] pages = new long[16];
            int held = 0;
            while (true)
            {
                if (held < pfns.length && (held == 0 || random.nextBoolean()))
                {
                    final long request = 1 + random.nextInt(random.nextInt(10) == 0 ? 64 : 8);
                    final long pfn = domain.allocFast(request, 0x3ffff);
                    if (pfn == IovaDomain.NO_ADDRESS)
                    {
                        throw new AssertionError("allocFast(" + request + ") found no room in a nearly empty domain");
                    }
                    pfns[held] = pfn;
                    pages[held++] = request;
                }
                else
                {
                    final int index = random.nextInt(held);
                    domain.freeFast(pfns[index], pages[index]);
                    pfns[index] = pfns[--held];
                    pages[index] = pages[held];
                }
                operations.incrementAndGet();
            }
        }

        private static void flushOrReadStatsUntilClosed(final IovaDomain domain, final SplittableRandom random, final int threadIndex,
            final AtomicLong operations)
        {
            while (true)
            {
                if (threadIndex % 3 == 0)
                {
                    domain.flushCaches();
                }
                else
                {
                    domain.cacheStats();
                }
                operations.incrementAndGet();
            }
        }
    }
}
