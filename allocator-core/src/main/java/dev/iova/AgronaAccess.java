package dev.iova;

/**
 * Checks, before any Agrona class is loaded, that the JVM lets Agrona read
 * {@code jdk.internal.misc.Unsafe}; without it Agrona dies with an {@link IllegalAccessError}
 * whose message does not say what to do.
 */
final class AgronaAccess
{
    /** The JVM option that Agrona 2.x needs. */
    static final String REQUIRED_OPTION = "--add-exports java.base/jdk.internal.misc=ALL-UNNAMED";

    private static final String PACKAGE = "jdk.internal.misc";

    private AgronaAccess()
    {
    }

    /**
     * @throws IllegalStateException when {@code jdk.internal.misc} is not exported to Agrona.
     */
    static void ensureAvailable()
    {
        if (!isAvailable())
        {
            throw new IllegalStateException("The IOVA allocator stores its ranges off-heap with Agrona, which needs the JVM option " +
                REQUIRED_OPTION + " (or Add-Exports: java.base/" + PACKAGE + " in an executable jar's manifest).");
        }
    }

    static boolean isAvailable()
    {
        // Naming the class does not initialise it, so this cannot trip the error we look for.
        final Module agrona = org.agrona.concurrent.UnsafeBuffer.class.getModule();
        return Object.class.getModule().isExported(PACKAGE, agrona);
    }
}
