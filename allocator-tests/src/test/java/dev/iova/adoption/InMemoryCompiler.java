package dev.iova.adoption;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

/**
 * Compiles Java sources held in strings with the JDK's compiler ({@code javax.tools}), into a folder.
 */
final class InMemoryCompiler
{
    private InMemoryCompiler()
    {
    }

    /** What javac said and whether it succeeded. */
    record Result(boolean succeeded, String diagnostics)
    {
    }

    /**
     * @param sources   file name relative to a source root (such as {@code demo/Main.java}) to its text.
     * @param outputDir where the classes go.
     * @param options   javac options, such as {@code -cp ...} or {@code --module-path ...}.
     * @return whether it compiled, and the diagnostics.
     * @throws IOException when the sources cannot be written.
     */
    static Result compile(final Map<String, String> sources, final Path outputDir, final List<String> options) throws IOException
    {
        final JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        if (compiler == null)
        {
            throw new IllegalStateException("no system Java compiler: run the tests on a JDK, not a JRE");
        }
        final Path sourceRoot = Files.createDirectories(outputDir.resolveSibling(outputDir.getFileName() + "-src"));
        final List<Path> files = new ArrayList<>();
        for (final Map.Entry<String, String> source : sources.entrySet())
        {
            final Path file = sourceRoot.resolve(source.getKey());
            Files.createDirectories(file.getParent());
            Files.writeString(file, source.getValue(), StandardCharsets.UTF_8);
            files.add(file);
        }
        Files.createDirectories(outputDir);
        final List<String> allOptions = new ArrayList<>(options);
        allOptions.addAll(List.of("-d", outputDir.toString(), "-Xlint:all", "-proc:none"));
        final StringWriter diagnostics = new StringWriter();
        try (StandardJavaFileManager fileManager = compiler.getStandardFileManager(null, null, StandardCharsets.UTF_8))
        {
            final Iterable<? extends JavaFileObject> units = fileManager.getJavaFileObjectsFromPaths(files);
            final boolean ok = compiler.getTask(diagnostics, fileManager, null, allOptions, null, units).call();
            return new Result(ok, diagnostics.toString());
        }
    }
}
