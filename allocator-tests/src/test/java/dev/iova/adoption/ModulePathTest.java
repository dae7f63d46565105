package dev.iova.adoption;

import java.io.File;
import java.io.IOException;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import dev.iova.IovaDomain;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * allocator-core is a JPMS module, {@code dev.iova}: its descriptor, read from the built classes with
 * {@link ModuleFinder}, exports the API packages and not {@code dev.iova.internal}; a small program
 * of its own module compiles and runs against it on the module path with the option the README and
 * the library's error message name ({@code --add-exports java.base/jdk.internal.misc=org.agrona}),
 * is told that option when it is missing, and cannot compile against the internal package.
 * The tests themselves run on the class path (allocator-tests has no module-info).
 */
class ModulePathTest
{
    private static final Set<String> API_PACKAGES =
        Set.of("dev.iova", "dev.iova.cache", "dev.iova.concurrent", "dev.iova.dma", "dev.iova.region", "dev.iova.snapshot", "dev.iova.tree");

    private static Path locationOf(final Class<?> type) throws URISyntaxException
    {
        return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    private static String modulePath(final Path... entries)
    {
        return java.util.Arrays.stream(entries).map(Path::toString).collect(Collectors.joining(File.pathSeparator));
    }

    @Test
    void descriptorExportsTheApiPackagesAndNotTheInternalOne() throws URISyntaxException
    {
        final ModuleReference core = ModuleFinder.of(locationOf(IovaDomain.class)).find("dev.iova")
            .orElseThrow(() -> new AssertionError("no module dev.iova in " + IovaDomain.class.getProtectionDomain().getCodeSource()));
        final ModuleDescriptor descriptor = core.descriptor();

        assertFalse(descriptor.isAutomatic(), "dev.iova is an explicit module, with a module-info");
        final Set<String> exported = descriptor.exports().stream()
            .filter(export -> !export.isQualified()).map(ModuleDescriptor.Exports::source).collect(Collectors.toCollection(TreeSet::new));
        assertEquals(new TreeSet<>(API_PACKAGES), exported, "packages dev.iova exports");
        assertTrue(descriptor.packages().contains("dev.iova.internal"), "the internal package is in the module");
        assertTrue(descriptor.requires().stream().anyMatch(requires -> requires.name().equals("org.agrona")), "requires org.agrona");
    }

    @Test
    void programOnTheModulePathRunsWithTheOptionTheLibraryNames(@TempDir final Path work) throws Exception
    {
        final Path core = locationOf(IovaDomain.class);
        final Path agrona = locationOf(UnsafeBuffer.class);
        final Path demo = work.resolve("demo");
        final InMemoryCompiler.Result compiled = InMemoryCompiler.compile(Map.of(
            "module-info.java", "module demo { requires dev.iova; }\n",
            "demo/Main.java", """
                package demo;

                import dev.iova.IovaDomain;

                public final class Main
                {
                    public static void main(final String[] args)
                    {
                        try (IovaDomain domain = IovaDomain.builder().granuleBytes(4096).startPfn(1).lastPfn(0xfffffL).build())
                        {
                            final long pfn = domain.alloc(8, 0xfffffL, true);
                            domain.free(pfn, 8);
                            System.out.println("allocated pfn 0x" + Long.toHexString(pfn));
                        }
                        catch (final IllegalStateException ex)
                        {
                            System.out.println(ex.getMessage());
                        }
                    }
                }
                """), demo, List.of("--module-path", modulePath(core, agrona), "-cp", work.toString()));
        assertTrue(compiled.succeeded(), compiled.diagnostics());

        final String withOption = runDemo(modulePath(core, agrona, demo), "--add-exports=java.base/jdk.internal.misc=org.agrona");
        assertEquals("allocated pfn 0xffff8", withOption.strip(), "output with the module-path option");

        final String withoutOption = runDemo(modulePath(core, agrona, demo));
        assertTrue(withoutOption.contains("needs the JVM option --add-exports java.base/jdk.internal.misc=org.agrona "), withoutOption);

        // The class-path form of the option does not open the package to a named module: the library says which one does.
        final String withClassPathOption = runDemo(modulePath(core, agrona, demo), "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED");
        assertTrue(withClassPathOption.contains("=org.agrona "), withClassPathOption);
    }

    @Test
    void moduleCannotCompileAgainstTheInternalPackage(@TempDir final Path work) throws Exception
    {
        final InMemoryCompiler.Result compiled = InMemoryCompiler.compile(Map.of(
            "module-info.java", "module sneaky { requires dev.iova; }\n",
            "sneaky/Main.java", "package sneaky;\n\npublic final class Main\n{\n    static final Class<?> ACCESS = dev.iova.internal.DomainAccess.class;\n}\n"),
            work.resolve("sneaky"), List.of("--module-path", modulePath(locationOf(IovaDomain.class), locationOf(UnsafeBuffer.class)),
                // Only the module path: javac in this JVM would otherwise search the tests' class path too.
                "-cp", work.toString()));
        assertFalse(compiled.succeeded(), "a module compiled against dev.iova.internal");
        assertTrue(compiled.diagnostics().contains("declared in module dev.iova, which does not export it"), compiled.diagnostics());
    }

    private static String runDemo(final String modulePath, final String... options) throws IOException, InterruptedException
    {
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of(options));
        command.addAll(List.of("--module-path", modulePath, "-m", "demo/demo.Main"));
        final Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(child.waitFor(60, TimeUnit.SECONDS), "the demo did not finish: " + output);
        assertEquals(0, child.exitValue(), output);
        return output;
    }
}
