package dev.iova.bench.gate;

import java.io.IOException;

/**
 * Runs one fork for the A/B gate. {@link JmhForkRunner} starts {@code java -cp JAR
 * org.openjdk.jmh.Main} as a child process; tests give a fake that returns synthetic JMH entries,
 * so that the rounds, the interleaving and the failures are tested without JMH.
 */
public interface ForkRunner
{
    /**
     * @param request the fork.
     * @return its JMH entry, or why there is none.
     * @throws IOException          when the process cannot be started or its files read.
     * @throws InterruptedException when interrupted while waiting for it.
     * @throws GateException        when the fork cannot be measured at all (another JMH run holds the machine).
     */
    ForkOutcome run(ForkRequest request) throws IOException, InterruptedException, GateException;
}
