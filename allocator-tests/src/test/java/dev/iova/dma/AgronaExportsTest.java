package dev.iova.dma;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.iova.IovaDomain;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Without {@code --add-exports java.base/jdk.internal.misc=ALL-UNNAMED}, building a DMA domain
 * throws the same one-sentence {@link IllegalStateException} as building an IOVA domain, every
 * time (not an {@link IllegalAccessError}, then a {@link NoClassDefFoundError} on retry). Runs in a
 * JVM of its own, started without the option.
 */
class AgronaExportsTest
{
    /** Runs in the child JVM: prints one line per attempt, what it threw. */
    public static void main(final String[] args)
    {
        attempt(() -> IovaDomain.builder().build());
        attempt(() -> DmaDomain.builder().build());
        attempt(() -> DmaDomain.builder().invalidationMode(InvalidationMode.LAZY).build());
    }

    private static void attempt(final Runnable build)
    {
        try
        {
            build.run();
            System.out.println("built");
        }
        catch (final Throwable ex)
        {
            System.out.println(ex.getClass().getName() + ": " + ex.getMessage());
        }
    }

    @Test
    void dmaDomainWithoutTheExportsThrowsIovaDomainsMessageEveryTime() throws IOException, InterruptedException
    {
        final Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp", System.getProperty("java.class.path"), AgronaExportsTest.class.getName())
            .redirectErrorStream(true).start();
        final String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(child.waitFor(60, TimeUnit.SECONDS));

        final List<String> lines = output.lines().toList();
        assertEquals(3, lines.size(), output);
        assertTrue(lines.get(0).startsWith("java.lang.IllegalStateException: ") &&
            lines.get(0).contains("--add-exports java.base/jdk.internal.misc=ALL-UNNAMED"), output);
        assertEquals(lines.get(0), lines.get(1), output);
        assertEquals(lines.get(0), lines.get(2), output);
    }
}
