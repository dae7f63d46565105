package dev.iova;

/**
 * Checks, before any Agrona class is loaded, that the JVM lets Agrona read
 * {@code jdk.internal.misc.Unsafe}; without it Agrona dies with an {@link IllegalAccessError}
 * whose message does not say what to do.
 */
final class AgronaAccess
{
    private static final String PACKAGE = "jdk.internal.misc";

    /** What a JVM option exports the package to when Agrona sits on the class path. */
    private static final String UNNAMED_TARGET = "ALL-UNNAMED";

    private AgronaAccess()
    {
    }

    /**
     * @throws IllegalStateException when {@code jdk.internal.misc} is not exported to Agrona.
     */
    static void ensureAvailable()
    {
        // Naming the class does not initialise it, so this cannot trip the error we look for.
        final Module agrona = org.agrona.concurrent.UnsafeBuffer.class.getModule();
        if (!Object.class.getModule().isExported(PACKAGE, agrona))
        {
            throw new IllegalStateException("The IOVA allocator stores its ranges off-heap with Agrona, which needs the JVM option " +
                requiredOption(agrona) + " (or Add-Exports: java.base/" + PACKAGE + " in an executable jar's manifest).");
        }
    }

    /**
     * @param agrona the module Agrona's classes were loaded in.
     * @return the {@code --add-exports} option that works where Agrona sits: {@code =org.agrona} on the
     *         module path (its automatic module), {@code =ALL-UNNAMED} on the class path.
     */
    static String requiredOption(final Module agrona)
    {
        return "--add-exports java.base/" + PACKAGE + "=" + (agrona.isNamed() ? agrona.getName() : UNNAMED_TARGET);
    }
}
