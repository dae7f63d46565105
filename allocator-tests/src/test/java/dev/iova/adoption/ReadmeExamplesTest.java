package dev.iova.adoption;

import java.io.File;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Compiles and runs every {@code java} block of the repository's {@code README.md}, read from the file
 * itself (the same text a reader copies, not a copy of it): the block's leading {@code import} lines
 * head a class, the rest becomes the body of {@code static void run()}, which declares no checked
 * exception, so a snippet that leaves an {@code IOException} unhandled fails to compile here.
 * The blocks run on this machine, which has no IOMMU groups, in this JVM (surefire gives it the
 * {@code --add-exports} option the README names).
 */
class ReadmeExamplesTest
{
    private static final Pattern JAVA_BLOCK = Pattern.compile("(?m)^```java\\n(.*?)^```$", Pattern.DOTALL);
    private static final Pattern XML_VERSION = Pattern.compile(
        "<artifactId>allocator-core</artifactId>\\s*<version>([^<]+)</version>");

    static Path readme()
    {
        final String readme = System.getProperty("iova.readme");
        assertNotNull(readme, "system property iova.readme (the repository's README.md) is not set");
        return Path.of(readme);
    }

    static List<String> javaBlocks(final String markdown)
    {
        final List<String> blocks = new ArrayList<>();
        final Matcher matcher = JAVA_BLOCK.matcher(markdown);
        while (matcher.find())
        {
            blocks.add(matcher.group(1));
        }
        return blocks;
    }

    /** @return a compilation unit: the block's imports, then its other lines as the body of {@code run()}. */
    static String asClass(final String className, final String block)
    {
        final StringBuilder imports = new StringBuilder();
        final StringBuilder body = new StringBuilder();
        boolean inImports = true;
        for (final String line : block.split("\n", -1))
        {
            if (inImports && (line.startsWith("import ") || line.isBlank()))
            {
                imports.append(line).append('\n');
            }
            else
            {
                inImports = false;
                body.append("        ").append(line).append('\n');
            }
        }
        return imports + "\npublic final class " + className + "\n{\n    public static void run()\n    {\n" + body + "    }\n}\n";
    }

    @Test
    void everyJavaBlockOfTheReadmeCompilesWithoutWarningsAndRuns(@TempDir final Path work) throws Exception
    {
        final List<String> blocks = javaBlocks(Files.readString(readme(), StandardCharsets.UTF_8));
        assertTrue(blocks.size() >= 2, "README.md should hold the library's and the DMA layer's java blocks; found " + blocks.size());

        for (int i = 0; i < blocks.size(); i++)
        {
            final String className = "ReadmeBlock" + (i + 1);
            final Path classes = work.resolve(className);
            final String source = asClass(className, blocks.get(i));
            final InMemoryCompiler.Result result = InMemoryCompiler.compile(Map.of(className + ".java", source), classes,
                List.of("-cp", System.getProperty("java.class.path"), "-Werror"));
            if (!result.succeeded())
            {
                fail("README.md java block " + (i + 1) + " does not compile:\n" + result.diagnostics() + "\n" + source);
            }
            try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()}, getClass().getClassLoader()))
            {
                final Method run = loader.loadClass(className).getMethod("run");
                try
                {
                    run.invoke(null);
                }
                catch (final InvocationTargetException ex)
                {
                    throw new AssertionError("README.md java block " + (i + 1) + " threw", ex.getCause());
                }
            }
        }
    }

    @Test
    void wrappingRejectsABlockThatLeavesACheckedExceptionUnhandled(@TempDir final Path work) throws IOException
    {
        // The check the issue asked for: the README once called Files-reading code without handling IOException.
        final String block = "import java.nio.file.Files;\nimport java.nio.file.Path;\n\nFiles.readString(Path.of(\"x\"));\n";
        final InMemoryCompiler.Result result = InMemoryCompiler.compile(Map.of("Unhandled.java", asClass("Unhandled", block)),
            work.resolve("classes"), List.of("-cp", System.getProperty("java.class.path") + File.pathSeparator));
        assertTrue(!result.succeeded() && result.diagnostics().contains("IOException"), result.diagnostics());
    }

    @Test
    void getItSnippetNamesTheBuildsVersion() throws IOException
    {
        final String version = System.getProperty("iova.project.version");
        assertNotNull(version, "system property iova.project.version is not set");
        final Matcher matcher = XML_VERSION.matcher(Files.readString(readme(), StandardCharsets.UTF_8));
        assertTrue(matcher.find(), "README.md has no <dependency> snippet for allocator-core with a <version>");
        assertEquals(version, matcher.group(1), "the version README.md's Get it snippet names");
    }
}
