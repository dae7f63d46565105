package dev.iova.bench.gate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iova.bench.run.BenchmarkRun;
import dev.iova.bench.run.PlannedBenchmark;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * Runs one fork of one benchmark as a child process with JMH's own main class:
 *
 * <pre>
 * java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -cp JAR org.openjdk.jmh.Main '^\Qclass.method\E$' \
 *     -bm MODE -p NAME=VALUE ... -f 1 -wi 2 -w 500ms -i 4 -r 500ms -prof gc -rf json -rff FILE \
 *     -jvmArgsPrepend --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED [-jvmArgsAppend 'SIDE'S ARGS']
 * </pre>
 *
 * The jar's own main class is the command line, hence {@code -cp} and JMH's main; the manifest's
 * {@code Add-Exports} does not apply with {@code -cp}, so the flag is on the child's command line,
 * and prepended to the fork's JVM arguments as {@code run} does (JMH's command-line
 * {@code -jvmArgsAppend} replaces the suites' {@code @Fork(jvmArgsAppend = ForkArgs.ADD_EXPORTS)},
 * so the flag must not depend on it). {@code -prof gc} is always on, for the allocation gate.
 * JMH's output is appended to the log file; a fork that runs longer than
 * {@code 120 s + 5 × its estimate} is killed.
 *
 * <h2>Another JMH run on the machine</h2>
 * JMH takes a lock (the file {@code jmh.lock} in {@code java.io.tmpdir}) for the whole of a run,
 * so that two runs never measure at the same time, and refuses to start while another run holds
 * it. On a shared machine that is what we want: the fork waits for the other run to finish
 * (retrying every few seconds, saying so once) instead of disturbing it, up to a limit; after that
 * the gate cannot measure ({@link GateException}, exit code 2). The lock is never overridden.
 */
public final class JmhForkRunner implements ForkRunner
{
    /** What JMH prints when another run holds its lock. */
    static final String LOCK_MESSAGE = "Unable to acquire the JMH lock";

    private static final long LOCK_RETRY_MILLIS = 5_000;
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final long lockWaitSeconds;
    private final Consumer<String> notices;

    /**
     * @param lockWaitSeconds how long a fork may wait for another JMH run to finish.
     * @param notices         where "waiting for another JMH run" goes.
     */
    public JmhForkRunner(final long lockWaitSeconds, final Consumer<String> notices)
    {
        this.lockWaitSeconds = lockWaitSeconds;
        this.notices = notices;
    }

    @Override
    public ForkOutcome run(final ForkRequest request) throws IOException, InterruptedException, GateException
    {
        final long waitStartNanos = System.nanoTime();
        boolean told = false;
        while (true)
        {
            final long logBytesBefore = Files.exists(request.logFile()) ? Files.size(request.logFile()) : 0;
            final ForkOutcome outcome = runOnce(request);
            if (outcome.succeeded() || !lockHeld(request.logFile(), logBytesBefore))
            {
                return outcome;
            }
            final long waitedSeconds = (System.nanoTime() - waitStartNanos) / 1_000_000_000L;
            if (waitedSeconds >= lockWaitSeconds)
            {
                throw new GateException("another JMH run held " + System.getProperty("java.io.tmpdir") + "/jmh.lock for " +
                    waitedSeconds + " s (the limit, --jmh-lock-wait): the gate does not measure beside another run");
            }
            if (!told)
            {
                notices.accept("waiting for another JMH run to finish (it holds " + System.getProperty("java.io.tmpdir") + "/jmh.lock; at most " + lockWaitSeconds + " s) ...");
                told = true;
            }
            Thread.sleep(LOCK_RETRY_MILLIS);
        }
    }

    private static boolean lockHeld(final Path logFile, final long fromByte) throws IOException
    {
        final byte[] log = Files.readAllBytes(logFile);
        return new String(log, (int)Math.min(fromByte, log.length), (int)Math.max(0, log.length - fromByte), StandardCharsets.UTF_8)
            .contains(LOCK_MESSAGE);
    }

    private ForkOutcome runOnce(final ForkRequest request) throws IOException, InterruptedException
    {
        final List<String> command = command(request);
        Files.deleteIfExists(request.jsonFile());
        Files.writeString(request.logFile(), "\n### round " + request.round() + ", " + request.side() + ", " +
            request.benchmark().label() + "\n### " + String.join(" ", command) + "\n", StandardCharsets.UTF_8,
            StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        final long startNanos = System.nanoTime();
        final Process process = new ProcessBuilder(command).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(request.logFile().toFile())).start();
        final long timeoutSeconds = 120 + Math.round(5 * request.settings().forkSeconds(request.benchmark().mode()));
        final boolean finished;
        try
        {
            finished = process.waitFor(timeoutSeconds, TimeUnit.SECONDS);
        }
        finally
        {
            if (process.isAlive())
            {
                process.destroyForcibly();
            }
        }
        final double seconds = (System.nanoTime() - startNanos) / 1e9;
        if (!finished)
        {
            return new ForkOutcome(null, "timed out after " + timeoutSeconds + " s", seconds);
        }
        if (process.exitValue() != 0)
        {
            return new ForkOutcome(null, "JMH exited with code " + process.exitValue(), seconds);
        }
        final JsonNode entry = Files.exists(request.jsonFile()) ? find(MAPPER.readTree(request.jsonFile().toFile()), request.benchmark()) : null;
        return entry != null ? new ForkOutcome(entry, null, seconds) :
            new ForkOutcome(null, "no result in JMH's JSON (the benchmark threw: see jmh-output.txt)", seconds);
    }

    /**
     * @param request a fork.
     * @return the child process's command line.
     */
    static List<String> command(final ForkRequest request)
    {
        final PlannedBenchmark benchmark = request.benchmark();
        final AbSettings settings = request.settings();
        final List<String> command = new ArrayList<>(List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "-cp", request.jar().toString(),
            "org.openjdk.jmh.Main",
            "^" + Pattern.quote(benchmark.benchmark()) + "$",
            "-bm", benchmark.mode()));
        benchmark.params().forEach((name, value) -> command.addAll(List.of("-p", name + "=" + value)));
        command.addAll(List.of(
            "-f", "1",
            "-wi", Integer.toString(settings.warmupIterations()), "-w", settings.warmupTime().toString().replace(" ", ""),
            "-i", Integer.toString(settings.iterations()), "-r", settings.iterationTime().toString().replace(" ", ""),
            "-prof", "gc",
            "-rf", "json", "-rff", request.jsonFile().toString(),
            "-jvmArgsPrepend", BenchmarkRun.ADD_EXPORTS));
        if (!request.jvmArgs().isEmpty())
        {
            command.addAll(List.of("-jvmArgsAppend", String.join(" ", request.jvmArgs())));
        }
        return command;
    }

    /** @return the entry of JMH's JSON array that is this benchmark, or null. */
    static JsonNode find(final JsonNode results, final PlannedBenchmark benchmark)
    {
        for (final JsonNode entry : results)
        {
            if (!benchmark.benchmark().equals(entry.path("benchmark").asText()) || !benchmark.mode().equals(entry.path("mode").asText()))
            {
                continue;
            }
            final Map<String, String> params = new TreeMap<>();
            for (final Iterator<Map.Entry<String, JsonNode>> fields = entry.path("params").fields(); fields.hasNext(); )
            {
                final Map.Entry<String, JsonNode> field = fields.next();
                params.put(field.getKey(), field.getValue().asText());
            }
            if (params.equals(new TreeMap<>(benchmark.params())))
            {
                return entry;
            }
        }
        return null;
    }
}
