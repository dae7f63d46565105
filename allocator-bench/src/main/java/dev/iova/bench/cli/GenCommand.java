package dev.iova.bench.cli;

import dev.iova.bench.trace.TraceGenerator;
import dev.iova.bench.trace.TraceShape;
import picocli.CommandLine.Command;
import picocli.CommandLine.ExitCode;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code gen SHAPE --ops N [--seed S] [--out FILE]}: writes a synthetic trace of exactly N
 * operations; the same arguments always give the same text.
 */
@Command(
    name = "gen",
    mixinStandardHelpOptions = true,
    description = "Writes a synthetic iova-trace v1 file of exactly N alloc and free operations. " +
        "Shapes: network, storage, fragmenting, mixed, tight (iova-trace v1), placement (iova-trace v2). The same arguments give the same trace.")
final class GenCommand implements Callable<Integer>
{
    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "SHAPE", converter = ShapeConverter.class,
        description = "network, storage, fragmenting, mixed, tight or placement.")
    private TraceShape shape;

    @Option(names = "--ops", paramLabel = "N", required = true, description = "How many alloc and free lines.")
    private long ops;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "1", description = "Random seed (default: ${DEFAULT-VALUE}).")
    private long seed;

    @Option(names = "--out", paramLabel = "FILE", description = "Write the trace here instead of standard output.")
    private Path outPath;

    @Override
    public Integer call()
    {
        if (ops < 0)
        {
            throw new ParameterException(spec.commandLine(), "--ops=" + ops + " must be at least 0");
        }
        final PrintWriter err = spec.commandLine().getErr();
        if (outPath == null)
        {
            final PrintWriter out = spec.commandLine().getOut();
            try
            {
                TraceGenerator.generate(shape, ops, seed, out);
            }
            catch (final IOException ex)
            {
                err.println("cannot write the trace to standard output: " + Main.reasonOf(ex));
                return ExitCode.SOFTWARE;
            }
            if (out.checkError())
            {
                err.println("cannot write the trace to standard output");
                return ExitCode.SOFTWARE;
            }
            return ExitCode.OK;
        }
        try (Writer out = Files.newBufferedWriter(outPath))
        {
            TraceGenerator.generate(shape, ops, seed, out);
        }
        catch (final IOException ex)
        {
            err.println(outPath + ": cannot write the trace: " + Main.reasonOf(ex));
            return ExitCode.SOFTWARE;
        }
        return ExitCode.OK;
    }

    /** Reads a shape name in any case, and names the shapes there are when it is unknown. */
    static final class ShapeConverter implements ITypeConverter<TraceShape>
    {
        @Override
        public TraceShape convert(final String value)
        {
            try
            {
                return TraceShape.byName(value);
            }
            catch (final IllegalArgumentException ex)
            {
                throw new TypeConversionException(ex.getMessage());
            }
        }
    }
}
