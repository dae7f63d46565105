package dev.iova.bench.gate;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Builds the A/B gate's baseline from a git revision. {@link GitRevisionBuilder} checks the
 * revision out into a temporary {@code git worktree} and runs Maven there; tests give a fake.
 */
public interface RevisionBuilder
{
    /**
     * @param revision a git revision ({@code HEAD~1}, a branch, a commit).
     * @return it for people: {@code HEAD~1 (3edac8d)}.
     * @throws UnusableBaselineException when it is not a commit of the repository.
     * @throws IOException               when git cannot be run.
     * @throws InterruptedException      when interrupted.
     */
    String describe(String revision) throws UnusableBaselineException, IOException, InterruptedException;

    /**
     * @param revision   the revision.
     * @param scratchDir a temporary folder this build may use; the jar is copied there.
     * @param logFile    where the build's output goes.
     * @return the revision's {@code allocator-bench.jar}, in {@code scratchDir}.
     * @throws UnusableBaselineException when the revision does not build or has no such jar.
     * @throws IOException               when git or Maven cannot be run.
     * @throws InterruptedException      when interrupted.
     */
    Path build(String revision, Path scratchDir, Path logFile) throws UnusableBaselineException, IOException, InterruptedException;
}
