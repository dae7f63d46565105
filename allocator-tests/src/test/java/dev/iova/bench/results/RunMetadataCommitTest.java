package dev.iova.bench.results;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The commit a run reports is the one its jar was built from, recorded at build time. */
class RunMetadataCommitTest
{
    @Test
    void aCleanBuildReportsItsCommit()
    {
        assertEquals("0123456789abcdef0123456789abcdef01234567", RunMetadata.commitOf(properties("0123456789abcdef0123456789abcdef01234567", "false")));
    }

    @Test
    void aBuildWithUncommittedChangesSaysDirty()
    {
        assertEquals("0123456789abcdef0123456789abcdef01234567-dirty", RunMetadata.commitOf(properties("0123456789abcdef0123456789abcdef01234567", "true")));
    }

    @Test
    void aBuildOutsideARepositoryReportsUnknown()
    {
        assertEquals("unknown", RunMetadata.commitOf(new Properties()));
        assertEquals("unknown", RunMetadata.commitOf(properties(" ", "true")));
    }

    @Test
    void theCapturedCommitIsTheOneTheBuildRecorded() throws IOException
    {
        final Properties recorded = new Properties();
        try (InputStream in = RunMetadata.class.getResourceAsStream(RunMetadata.GIT_PROPERTIES))
        {
            if (in != null)
            {
                recorded.load(in);
            }
        }
        final String commit = RunMetadata.capture("test").gitCommit();
        assertEquals(RunMetadata.commitOf(recorded), commit);
        assertTrue(commit.equals("unknown") || commit.matches("[0-9a-f]{40}(-dirty)?"), commit);
    }

    private static Properties properties(final String commit, final String dirty)
    {
        final Properties properties = new Properties();
        properties.setProperty("git.commit.id", commit);
        properties.setProperty("git.dirty", dirty);
        return properties;
    }
}
