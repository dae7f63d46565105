package dev.iova.bench.jmh;

/**
 * JVM arguments every benchmark fork needs, for {@code @Fork(jvmArgsAppend = ...)}.
 *
 * <p>A fork is started with {@code java -cp}, so the jar manifest's {@code Add-Exports} does not
 * apply to it: the flag has to be on the fork's command line.
 */
final class ForkArgs
{
    /**
     * Agrona 2.x, which the domain's off-heap memory goes through, reads
     * {@code jdk.internal.misc.Unsafe}; without this a domain refuses to be built.
     */
    static final String ADD_EXPORTS = "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED";

    private ForkArgs()
    {
    }
}
