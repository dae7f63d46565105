package dev.iova.bench.trace.kernel;

import dev.iova.bench.trace.TraceParser;
import dev.iova.bench.trace.kernel.EventLineParser.Line;
import dev.iova.bench.trace.kernel.EventLineParser.Type;
import dev.iova.bench.trace.kernel.KernelEvent.Kind;
import dev.iova.bench.trace.kernel.LiveMappings.Mapping;
import dev.iova.bench.trace.kernel.LiveMappings.PhysKey;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * Turns what a Linux host recorded ({@code iommu:map}/{@code unmap} or {@code dma:} events, as
 * tracefs, {@code trace-cmd report} or {@code perf script} print them) into an iova-trace v1
 * file: one {@code alloc} per mapping, one {@code free} per mapping an unmap released.
 *
 * <h2>Two passes, one line in memory</h2>
 * The recording is read twice, as a stream, never whole. The first pass reads every line
 * (refusing binary input at the first line that shows it), counts events by name and device,
 * and finds what the trace needs before its first {@code alloc}: which events to use, which
 * device, and the default limit. The second pass converts, holding only the live mappings and a
 * reorder window of {@value #REORDER_WINDOW} events.
 *
 * <h2>Time order</h2>
 * Each CPU records into a buffer of its own, and a reader that merges them while they fill
 * ({@code trace_pipe}) can print an event after a later one of another CPU. Events are
 * converted in timestamp order (file order among equal timestamps) through a window of
 * {@value #REORDER_WINDOW} events: an event later in the file than that is converted where it
 * is and counted as late.
 *
 * <h2>Conversion rules</h2>
 * <ul>
 *   <li>A recording with {@code dma:} mapping events uses those (they name the device) and ignores
 *       {@code iommu:} events; one with several devices needs {@code --device}.</li>
 *   <li>A map covers pfns {@code addr >> shift} to {@code (addr + bytes - 1) >> shift}: the size
 *       plus the offset within the first page, rounded up to pages, as the DMA layer allocates
 *       them. A {@code dma_map_sg} covers all its segments' DMA addresses, lowest to highest.</li>
 *   <li>A map that overlaps a live mapping is skipped and counted.</li>
 *   <li>An unmap frees every live mapping it overlaps (one {@code free} each, lowest first); one
 *       that overlaps none is counted as unmatched. {@code dma_unmap_sg} frees the oldest live
 *       {@code dma_map_sg} with the same physical addresses.</li>
 *   <li>{@code dma_alloc}/{@code dma_free} are a map and an unmap.</li>
 *   <li>The limit is {@code --limit}, or from {@code --mask}, or the smallest {@code 2^k - 1} pfn
 *       covering the last byte of every recorded map of the device.</li>
 *   <li>Lost-event notices are counted, never errors. With {@code strict}, a malformed line, an
 *       overlapping map, an unmatched unmap or a truncated scatter-gather map stops the import.</li>
 * </ul>
 * The trace is {@code iova-trace v1}, {@code domain granule=G start=0x1}, no reserves; ids count
 * up from 1 and are never reused; each {@code alloc} ends with {@code # kernel PFN line N}: the
 * first pfn the kernel chose and the recording's line, which {@code compare} reads back, and the
 * trace ends with {@code # kernel failed maps N}, the maps that failed in the kernel. The same
 * recording and options always give the same bytes.
 */
public final class KernelTraceImporter
{
    /** How many events the conversion holds back to put them in timestamp order. */
    public static final int REORDER_WINDOW = 4096;

    /** The comment that ends every {@code alloc} line, before the kernel's pfn. */
    public static final String KERNEL_COMMENT = "# kernel ";

    /** Opens the recording from its start, once per pass. */
    @FunctionalInterface
    public interface Source
    {
        /**
         * @return a new stream over the whole recording; the importer closes it.
         * @throws IOException when it cannot be opened.
         */
        InputStream open() throws IOException;
    }

    /** What the first pass found. */
    private static final class Survey
    {
        boolean dmaEvents;
        boolean iommuEvents;
        long iommuMaxLastByte = -1;
        boolean iommuAnyMap;
        /** By device: the highest last byte of its maps, or null when it has none. */
        final Map<String, Long> dmaMaxLastByte = new java.util.TreeMap<>();
    }

    private final String fileName;
    private final Source source;
    private final ImportOptions options;
    private final ImportSummary summary = new ImportSummary();

    private KernelTraceImporter(final String fileName, final Source source, final ImportOptions options)
    {
        this.fileName = fileName;
        this.source = source;
        this.options = options;
    }

    /**
     * Imports a recording into a trace file. The trace is written to a temporary file beside
     * {@code out} and moved into place only when the import succeeds: a failed import writes nothing.
     *
     * @param recording the recording.
     * @param out       the trace to write (replaced if it exists).
     * @param options   the options.
     * @return what was read, written and skipped.
     * @throws ImportException when the recording cannot be imported (one sentence, with the line).
     * @throws IOException     when a file cannot be read or written.
     */
    public static ImportSummary importFile(final Path recording, final Path out, final ImportOptions options) throws IOException
    {
        final Path absolute = out.toAbsolutePath();
        // Not createTempFile, whose file is readable by its owner only: the trace gets the umask's permissions.
        final Path temp = absolute.resolveSibling("." + absolute.getFileName() + ".import-" + ProcessHandle.current().pid() + ".part");
        try
        {
            final ImportSummary summary;
            try (Writer writer = Files.newBufferedWriter(temp, StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE))
            {
                summary = new KernelTraceImporter(recording.toString(), () -> Files.newInputStream(recording), options).run(writer);
            }
            try
            {
                Files.move(temp, absolute, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
            catch (final AtomicMoveNotSupportedException ex)
            {
                Files.move(temp, absolute, StandardCopyOption.REPLACE_EXISTING);
            }
            return summary;
        }
        finally
        {
            Files.deleteIfExists(temp);
        }
    }

    /**
     * Imports a recording from any source into a writer. On an error, part of the trace may have
     * been written: {@link #importFile} is the form that writes nothing then.
     *
     * @param fileName the recording's name, for errors.
     * @param source   opens the recording; called twice.
     * @param options  the options.
     * @param out      where the trace goes; not closed.
     * @return what was read, written and skipped.
     * @throws ImportException when the recording cannot be imported.
     * @throws IOException     when the source or the writer fails.
     */
    public static ImportSummary importStream(final String fileName, final Source source, final ImportOptions options,
        final Writer out) throws IOException
    {
        return new KernelTraceImporter(fileName, source, options).run(out);
    }

    /**
     * Imports a recording held in a string: for tests and small tools.
     *
     * @return the trace text.
     * @throws ImportException when the recording cannot be imported.
     */
    public static String importText(final String fileName, final String recording, final ImportOptions options)
    {
        final byte[] bytes = recording.getBytes(StandardCharsets.UTF_8);
        final StringWriter out = new StringWriter();
        try
        {
            importStream(fileName, () -> new ByteArrayInputStream(bytes), options, out);
        }
        catch (final IOException ex)
        {
            throw new AssertionError("in-memory streams do not fail", ex);
        }
        return out.toString();
    }

    private ImportSummary run(final Writer out) throws IOException
    {
        final Survey survey = survey();
        choose(survey);
        convert(out);
        return summary;
    }

    /** The first pass: counts, devices, the highest byte of every device's maps. */
    private Survey survey() throws IOException
    {
        final Survey survey = new Survey();
        try (InputStream in = source.open())
        {
            final LineReader reader = new LineReader(in, fileName);
            for (String text = reader.next(); text != null; text = reader.next())
            {
                final long lineNumber = reader.lineNumber();
                final Line line = EventLineParser.parse(text, lineNumber);
                switch (line.type())
                {
                    case HEADER:
                        summary.headerLines++;
                        break;
                    case LOST:
                        summary.lostNotices.add(lineNumber, null);
                        if (line.lostEvents() < 0)
                        {
                            summary.lostEventsUnknown = true;
                        }
                        else
                        {
                            summary.lostEvents += line.lostEvents();
                        }
                        break;
                    case OTHER_EVENT:
                        summary.otherEvents++;
                        break;
                    case MALFORMED:
                        if (options.strict())
                        {
                            throw new ImportException(fileName, lineNumber, line.reason() + " (--strict)");
                        }
                        summary.malformed.add(lineNumber, line.reason());
                        break;
                    default:
                        summary.countEvent(line.eventName());
                        surveyEvent(survey, line.event());
                        break;
                }
            }
            summary.lines = reader.lineNumber();
        }
        return survey;
    }

    private static void surveyEvent(final Survey survey, final KernelEvent event)
    {
        if (!event.dma())
        {
            survey.iommuEvents = true;
            final boolean map = event.kind() == Kind.MAP && event.bytes() > 0;
            if (map && (!survey.iommuAnyMap || Long.compareUnsigned(event.lastByte(), survey.iommuMaxLastByte) > 0))
            {
                survey.iommuMaxLastByte = event.lastByte();
                survey.iommuAnyMap = true;
            }
            return;
        }
        if (event.kind() == Kind.SYNC)
        {
            return;
        }
        survey.dmaEvents = true;
        final Long current = survey.dmaMaxLastByte.get(event.device());
        final boolean map = (event.kind() == Kind.MAP || event.kind() == Kind.SG_MAP) && event.bytes() > 0;
        if (map && (current == null || Long.compareUnsigned(event.lastByte(), current) > 0))
        {
            survey.dmaMaxLastByte.put(event.device(), event.lastByte());
        }
        else if (current == null)
        {
            survey.dmaMaxLastByte.put(event.device(), null);
        }
    }

    /** Between the passes: which events, which device, what limit. */
    private void choose(final Survey survey)
    {
        summary.granuleBytes = options.granuleBytes();
        final long maxLastByte;
        if (survey.dmaEvents)
        {
            final String device = chooseDevice(survey);
            summary.device = device;
            summary.source = "dma: events of device " + device;
            final Long last = survey.dmaMaxLastByte.get(device);
            maxLastByte = last == null ? 0 : last;
        }
        else if (survey.iommuEvents)
        {
            if (options.device() != null)
            {
                throw new ImportException(fileName, ImportException.NO_LINE, "--device=" + options.device() +
                    ", but the recording has only iommu: events, which name no device");
            }
            summary.source = "iommu:map/unmap (no dma: events, so no device names)";
            maxLastByte = survey.iommuAnyMap ? survey.iommuMaxLastByte : 0;
        }
        else
        {
            throw new ImportException(fileName, ImportException.NO_LINE, "no iommu:map/unmap or dma: mapping events in " +
                summary.lines + " lines" + (summary.malformed.count() > 0 ? " (" + summary.malformed.count() + " malformed)" : "") +
                ": is this a recording of those events?");
        }
        final int shift = options.granuleShift();
        if (options.limitPfn() != ImportOptions.DEFAULT_LIMIT)
        {
            summary.limitPfn = options.limitPfn();
            summary.limitRule = "--limit";
        }
        else if (options.maskBits() != 0)
        {
            summary.limitPfn = -1L >>> (64 - options.maskBits()) >>> shift;
            summary.limitRule = "--mask " + options.maskBits();
        }
        else
        {
            final long maxPfn = Math.max(maxLastByte >>> shift, 1);
            summary.limitPfn = -1L >>> Long.numberOfLeadingZeros(maxPfn);
            summary.limitRule = "the smallest 2^k-1 covering every recorded range";
        }
    }

    private String chooseDevice(final Survey survey)
    {
        final Map<String, Long> devices = survey.dmaMaxLastByte;
        if (options.device() != null)
        {
            if (!devices.containsKey(options.device()))
            {
                throw new ImportException(fileName, ImportException.NO_LINE, "--device=" + options.device() +
                    " has no dma: mapping events; the recording has " + String.join(", ", devices.keySet()));
            }
            return options.device();
        }
        if (devices.size() > 1)
        {
            throw new ImportException(fileName, ImportException.NO_LINE, "the recording has dma: events of " + devices.size() +
                " devices (" + String.join(", ", devices.keySet()) + "): choose one with --device");
        }
        return devices.keySet().iterator().next();
    }

    /** The second pass: events of the chosen source and device, in time order, into the trace. */
    private void convert(final Writer out) throws IOException
    {
        final Conversion conversion = new Conversion(out);
        conversion.header();
        final PriorityQueue<KernelEvent> window = new PriorityQueue<>(REORDER_WINDOW + 1,
            Comparator.comparingLong(KernelEvent::timestamp).thenComparingLong(KernelEvent::line));
        try (InputStream in = source.open())
        {
            final LineReader reader = new LineReader(in, fileName);
            for (String text = reader.next(); text != null; text = reader.next())
            {
                final Line line = EventLineParser.parse(text, reader.lineNumber());
                if (line.type() != Type.EVENT || !selected(line.event()))
                {
                    continue;
                }
                window.add(line.event());
                if (window.size() > REORDER_WINDOW)
                {
                    conversion.accept(window.poll());
                }
            }
        }
        while (!window.isEmpty())
        {
            conversion.accept(window.poll());
        }
        summary.liveAtEnd = conversion.live.size();
        out.append(PlacementComparison.KERNEL_FAILED_COMMENT).append(Long.toString(summary.failedMaps)).append('\n');
        out.flush();
    }

    /** Counts the events the conversion does not use, and says whether to use this one. */
    private boolean selected(final KernelEvent event)
    {
        if (summary.device != null)
        {
            if (!event.dma())
            {
                summary.ignoredIommuEvents++;
                return false;
            }
            if (!event.device().equals(summary.device))
            {
                summary.otherDeviceEvents++;
                return false;
            }
        }
        else if (event.dma())
        {
            return false; // only syncs: a recording with dma: mapping events has a device
        }
        if (event.kind() == Kind.SYNC)
        {
            summary.syncEvents++;
            return false;
        }
        if (event.kind() == Kind.FAILED_MAP)
        {
            summary.failedMaps++;
            return false;
        }
        return true;
    }

    /** The state of the second pass. */
    private final class Conversion
    {
        private final Writer out;
        private final StringBuilder text = new StringBuilder(96);
        private final LiveMappings live = new LiveMappings();
        private final int shift = options.granuleShift();
        private long nextId = 1;
        private long lastTimestamp = Long.MIN_VALUE;

        Conversion(final Writer out)
        {
            this.out = out;
        }

        void header() throws IOException
        {
            text.setLength(0);
            text.append(TraceParser.HEADER).append('\n');
            text.append("# imported from a Linux kernel recording by allocator-bench import\n");
            text.append("# events: ").append(summary.source).append('\n');
            text.append("# limit 0x").append(Long.toHexString(summary.limitPfn)).append(": ").append(summary.limitRule).append('\n');
            text.append("# every alloc ends with the first pfn the kernel chose and the line of the recording\n");
            text.append("domain granule=").append(options.granuleBytes()).append(" start=0x1\n");
            out.append(text);
        }

        void accept(final KernelEvent event) throws IOException
        {
            if (event.timestamp() < lastTimestamp)
            {
                summary.lateEvents.add(event.line(), null);
            }
            else
            {
                lastTimestamp = event.timestamp();
            }
            switch (event.kind())
            {
                case MAP:
                case SG_MAP:
                    map(event);
                    break;
                case UNMAP:
                    unmap(event);
                    break;
                default:
                    unmapSg(event);
                    break;
            }
        }

        private void map(final KernelEvent event) throws IOException
        {
            if (event.bytes() == 0)
            {
                problem(summary.zeroSizeMaps, event, "a map of 0 bytes", false);
                return;
            }
            if (event.truncated())
            {
                problem(summary.truncatedSgMaps, event, "dma_map_sg of more than 128 segments: the line does not show its whole span", true);
                return;
            }
            final long loPfn = event.addr() >>> shift;
            final long hiPfn = event.lastByte() >>> shift;
            if (live.overlaps(loPfn, hiPfn))
            {
                problem(summary.overlappingMaps, event, "map of pfns " + range(loPfn, hiPfn) + " overlaps a live mapping", true);
                return;
            }
            if (Long.compareUnsigned(hiPfn, summary.limitPfn) > 0)
            {
                summary.aboveLimit++;
            }
            final long id = nextId++;
            final long pages = hiPfn - loPfn + 1;
            live.add(new Mapping(id, loPfn, hiPfn, event.kind() == Kind.SG_MAP ? new PhysKey(event.physAddrs()) : null));
            text.setLength(0);
            text.append("alloc ").append(id).append(' ').append(pages).append(" 0x").append(Long.toHexString(summary.limitPfn))
                .append("  ").append(KERNEL_COMMENT).append("0x").append(Long.toHexString(loPfn)).append(" line ").append(event.line())
                .append('\n');
            out.append(text);
            summary.allocs++;
        }

        private void unmap(final KernelEvent event) throws IOException
        {
            if (event.bytes() == 0)
            {
                problem(summary.unmatchedUnmaps, event, "unmap that cleared nothing (unmapped_size=0)", true);
                return;
            }
            final long loPfn = event.addr() >>> shift;
            final long hiPfn = event.lastByte() >>> shift;
            final List<Mapping> freed = live.removeOverlapping(loPfn, hiPfn);
            if (freed.isEmpty())
            {
                problem(summary.unmatchedUnmaps, event, "unmap of pfns " + range(loPfn, hiPfn) + " overlaps no live mapping", true);
                return;
            }
            for (final Mapping mapping : freed)
            {
                free(mapping);
            }
        }

        private void unmapSg(final KernelEvent event) throws IOException
        {
            final Mapping mapping = live.removeSg(new PhysKey(event.physAddrs()));
            if (mapping == null)
            {
                problem(summary.unmatchedUnmaps, event, "dma_unmap_sg of " + event.physAddrs().length +
                    " segments matches no live dma_map_sg by physical addresses", true);
                return;
            }
            free(mapping);
        }

        private void free(final Mapping mapping) throws IOException
        {
            text.setLength(0);
            text.append("free ").append(mapping.id).append('\n');
            out.append(text);
            summary.frees++;
        }

        private void problem(final ImportSummary.Problem problem, final KernelEvent event, final String reason,
            final boolean strictError)
        {
            if (strictError && options.strict())
            {
                throw new ImportException(fileName, event.line(), event.name() + ": " + reason + " (--strict)");
            }
            problem.add(event.line(), null);
        }

        private String range(final long loPfn, final long hiPfn)
        {
            return "0x" + Long.toHexString(loPfn) + "..0x" + Long.toHexString(hiPfn);
        }
    }
}
