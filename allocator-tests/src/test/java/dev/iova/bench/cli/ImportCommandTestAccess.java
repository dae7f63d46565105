package dev.iova.bench.cli;

import java.nio.file.Path;

/** The sample recordings of {@link ImportCommandTest}, for tests in other packages. */
public final class ImportCommandTestAccess
{
    private ImportCommandTestAccess()
    {
    }

    /** @return the path of a file under the test resources' {@code kernel-traces/}. */
    public static Path sample(final String name)
    {
        return ImportCommandTest.sample(name);
    }
}
