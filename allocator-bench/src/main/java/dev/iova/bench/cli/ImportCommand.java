package dev.iova.bench.cli;

import dev.iova.bench.trace.kernel.ImportException;
import dev.iova.bench.trace.kernel.ImportOptions;
import dev.iova.bench.trace.kernel.ImportSummary;
import dev.iova.bench.trace.kernel.KernelTraceImporter;
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
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code import RECORDING --out FILE.trace [--device NAME] [--limit PFN | --mask BITS]
 * [--granule BYTES] [--strict]}: turns the iommu:/dma: events a Linux host recorded into an
 * iova-trace v1 file ({@link KernelTraceImporter}) and prints what it read, wrote and skipped.
 */
@Command(
    name = "import",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
        "Turns a Linux kernel recording of DMA mappings into an iova-trace v1 file that replay, compare and the JMH " +
            "trace suite can run.",
        "",
        "RECORDING is the text of /sys/kernel/tracing/trace or trace_pipe, of 'trace-cmd report' or of 'perf script', " +
            "holding iommu:map/iommu:unmap events (old and new formats) or dma: events (dma_map_page/_phys/_resource, " +
            "dma_unmap_*, dma_map_sg, dma_unmap_sg, dma_alloc*, dma_free*). dma: events name the device and are used " +
            "when present (iommu: events are then ignored).",
        "",
        "Each map becomes an alloc of its pages (size plus offset in the first page, rounded up); each unmap frees every " +
            "live mapping it overlaps; dma_unmap_sg is matched by physical addresses. Overlapping maps, unmatched " +
            "unmaps and malformed lines are counted with their line numbers (--strict: the first one is an error and " +
            "nothing is written). Lost-event notices are counted. Every alloc line ends with '# kernel PFN line N': where " +
            "the kernel put it. The same recording always gives the same trace. See docs/kernel-traces.md.",
        ""
    })
final class ImportCommand implements Callable<Integer>
{
    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "RECORDING", description = "The recorded text (read twice, as a stream).")
    private Path recording;

    @Option(names = "--out", paramLabel = "FILE", required = true,
        description = "The trace to write; replaced only when the import succeeds.")
    private Path outPath;

    @Option(names = "--device", paramLabel = "NAME",
        description = "The device whose dma: events to import (as the events print it, e.g. 0000:01:00.0). " +
            "Needed when the recording has several.")
    private String device;

    @Option(names = "--limit", paramLabel = "PFN", converter = PfnConverter.class,
        description = "Highest pfn (inclusive) of every alloc, decimal or 0x hex. Default: the smallest 2^k-1 pfn " +
            "covering the last byte of every recorded map of the device.")
    private Long limitPfn;

    @Option(names = "--mask", paramLabel = "BITS",
        description = "The device's DMA mask in bits: the limit is (2^BITS - 1) / granule. Not with --limit.")
    private Integer maskBits;

    @Option(names = "--granule", paramLabel = "BYTES", defaultValue = "4096",
        description = "The IOMMU page size, a power of two (default: ${DEFAULT-VALUE}).")
    private long granuleBytes;

    @Option(names = "--strict",
        description = "Stop at the first malformed line, overlapping map, unmatched unmap or truncated dma_map_sg.")
    private boolean strict;

    @Override
    public Integer call()
    {
        final ImportOptions options;
        try
        {
            options = new ImportOptions(device, limitPfn == null ? ImportOptions.DEFAULT_LIMIT : limitPfn,
                maskBits == null ? 0 : maskBits, granuleBytes, strict);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new ParameterException(spec.commandLine(), ex.getMessage());
        }
        final PrintWriter err = spec.commandLine().getErr();
        final ImportSummary summary;
        try
        {
            summary = KernelTraceImporter.importFile(recording, outPath, options);
        }
        catch (final ImportException ex)
        {
            err.println(ex.getMessage());
            return ExitCode.SOFTWARE;
        }
        catch (final IOException ex)
        {
            final boolean reading = ex instanceof FileSystemException && recording.toString().equals(((FileSystemException)ex).getFile());
            err.println(reading ? recording + ": cannot read the recording: " + Main.reasonOf(ex) :
                outPath + ": cannot write the trace: " + Main.reasonOf(ex));
            return ExitCode.SOFTWARE;
        }
        summary.print(spec.commandLine().getOut(), recording.toString(), outPath.toString());
        return ExitCode.OK;
    }

    /** An unsigned pfn, decimal or 0x hex, at most {@code Long.MAX_VALUE}. */
    static final class PfnConverter implements ITypeConverter<Long>
    {
        @Override
        public Long convert(final String value)
        {
            try
            {
                final long pfn = value.startsWith("0x") || value.startsWith("0X") ?
                    Long.parseLong(value.substring(2), 16) : Long.parseLong(value);
                if (pfn < 1)
                {
                    throw new TypeConversionException("'" + value + "' must be at least 1");
                }
                return pfn;
            }
            catch (final NumberFormatException ex)
            {
                throw new TypeConversionException("'" + value + "' is not a pfn (decimal or 0x hex, at most 0x7fffffffffffffff)");
            }
        }
    }
}
