package dev.iova.bench.gate;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * What one fork of the A/B gate gave: JMH's JSON entry of the benchmark, or why there is none.
 *
 * @param entry   the benchmark's entry of JMH's JSON result, or null when the fork failed.
 * @param problem why it failed, in a few words ("exit code 1", "no result in JMH's JSON"), or null.
 * @param seconds how long the fork took, wall clock.
 */
public record ForkOutcome(JsonNode entry, String problem, double seconds)
{
    /** @return true when the fork gave a result. */
    public boolean succeeded()
    {
        return entry != null;
    }
}
