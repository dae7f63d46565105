package dev.iova.tree;

/**
 * Touches the thread's stack deeper than any tree update goes, before the update writes
 * anything, so that a {@link StackOverflowError} is thrown here, where nothing has changed, and
 * not in the middle of a split.
 *
 * <p>The JVM checks for overflow when a method is entered, by touching the stack a fixed
 * distance (its "shadow zone", tens of KiB) below the new frame. A chain of {@link #FRAMES} calls
 * ends lower on the stack than the deepest chain of calls any update makes (at most eight, each
 * frame no larger than one of these, interpreted or compiled), so when the probe returns,
 * every call the update makes touches only stack that the probe's calls already touched.
 */
final class StackReserve
{
    /** Frames the probe descends: well over the deepest call chain of an update. */
    static final int FRAMES = 16;

    private StackReserve()
    {
    }

    /** @throws StackOverflowError when the stack has no room for an update; nothing has been written then. */
    static void touch()
    {
        if (descend(FRAMES, 0L, 0L, 0L) != FRAMES)
        {
            throw new AssertionError("stack probe miscounted");
        }
    }

    private static long descend(final int frames, final long a, final long b, final long c)
    {
        // The three longs give each interpreted frame the locals of an update's larger frames.
        return frames == 0 ? 0 : 1 + descend(frames - 1, a, b, c);
    }
}
