package dev.iova.bench.run;

import dev.iova.bench.report.Fixtures;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** --profile quick|full. */
class ProfileTest
{
    @Test
    void profilesShouldParseInAnyCase()
    {
        assertEquals(Profile.QUICK, Profile.parse("quick"));
        assertEquals(Profile.QUICK, Profile.parse("QUICK"));
        assertEquals(Profile.FULL, Profile.parse(" Full "));
    }

    @Test
    void anUnknownProfileShouldNameTheProfilesThereAre()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> Profile.parse("fast"));

        assertEquals("unknown profile 'fast': the profiles are quick and full", ex.getMessage());
    }

    @Test
    void quickShouldBeOneForkOfShortIterationsAndFullLonger()
    {
        assertEquals("1 fork, 2 × 1 s warm-up, 3 × 1 s measurement; single-shot suites 5 warm-up shots", Profile.QUICK.describe());
        assertEquals("3 forks, 3 × 2 s warm-up, 5 × 2 s measurement; single-shot suites 5 warm-up shots", Profile.FULL.describe());
    }

    @Test
    void runWithAnUnknownProfileShouldBeAUsageErrorInOneLine()
    {
        final Fixtures.Cli cli = Fixtures.cli("run", "--profile", "fast", "--dry-run");

        assertEquals(2, cli.exitCode());
        assertEquals(1, cli.errLines(), cli.err());
        assertTrue(cli.err().contains("unknown profile 'fast': the profiles are quick and full"), cli.err());
    }

    @Test
    void runShouldDefaultToQuick()
    {
        final Fixtures.Cli cli = Fixtures.cli("run", "--include", "AllocFreePairBenchmark.cached$", "--dry-run");

        assertEquals(0, cli.exitCode(), cli.err());
        assertTrue(cli.out().startsWith("run: 2 benchmarks in 1 suite, profile quick (1 fork, 2 × 1 s warm-up, 3 × 1 s measurement; single-shot suites 5 warm-up shots), -prof gc\n"),
            cli.out());
    }
}
