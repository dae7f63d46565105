package dev.iova.bench.trace.kernel;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * What an import read, wrote, skipped and why: the counts {@code import} prints, and the first
 * lines of every kind of problem ({@value #LINES_SHOWN} at most), so that a user can look at them.
 */
public final class ImportSummary
{
    /** How many lines of one kind of problem the summary names. */
    static final int LINES_SHOWN = 10;

    /** A count and the first lines it was seen on, with a reason for each. */
    public static final class Problem
    {
        private long count;
        private final List<String> firstLines = new ArrayList<>();

        void add(final long line, final String reason)
        {
            count++;
            if (firstLines.size() < LINES_SHOWN)
            {
                firstLines.add(reason == null ? Long.toString(line) : line + " (" + reason + ")");
            }
        }

        /** @return how many times it happened. */
        public long count()
        {
            return count;
        }

        /** @return the first lines it happened on, with their reasons where there is one. */
        public List<String> firstLines()
        {
            return Collections.unmodifiableList(firstLines);
        }

        /** @return {@code ": lines 3, 7, ..."}, or nothing when it never happened. */
        String where()
        {
            if (count == 0)
            {
                return "";
            }
            return ": line" + (count == 1 ? " " : "s ") + String.join(", ", firstLines) + (count > firstLines.size() ? ", ..." : "");
        }
    }

    // Read (the first pass over the recording).
    long lines;
    long headerLines;
    long otherEvents;
    final Map<String, Long> eventsByName = new TreeMap<>();
    final Map<String, Long> eventsByDevice = new TreeMap<>();
    final Problem malformed = new Problem();
    final Problem lostNotices = new Problem();
    long lostEvents;
    boolean lostEventsUnknown;

    // Chosen.
    String source;
    String device;
    long granuleBytes;
    long limitPfn;
    String limitRule;

    // Converted (the second pass).
    long allocs;
    long frees;
    long failedMaps;
    long syncEvents;
    long otherDeviceEvents;
    long ignoredIommuEvents;
    long aboveLimit;
    long liveAtEnd;
    final Problem overlappingMaps = new Problem();
    final Problem unmatchedUnmaps = new Problem();
    final Problem truncatedSgMaps = new Problem();
    final Problem zeroSizeMaps = new Problem();
    final Problem lateEvents = new Problem();

    ImportSummary()
    {
    }

    /** @return {@code alloc} lines written. */
    public long allocs()
    {
        return allocs;
    }

    /** @return {@code free} lines written. */
    public long frees()
    {
        return frees;
    }

    /** @return mappings still live when the recording ends. */
    public long liveAtEnd()
    {
        return liveAtEnd;
    }

    /** @return the limit of every {@code alloc}. */
    public long limitPfn()
    {
        return limitPfn;
    }

    /** @return the device imported, or null for {@code iommu:} events. */
    public String device()
    {
        return device;
    }

    /** @return lines that are not lines of a recording, or events whose fields could not be read. */
    public Problem malformed()
    {
        return malformed;
    }

    /** @return maps skipped because they overlap a live mapping. */
    public Problem overlappingMaps()
    {
        return overlappingMaps;
    }

    /** @return unmaps that overlap no live mapping. */
    public Problem unmatchedUnmaps()
    {
        return unmatchedUnmaps;
    }

    /** @return {@code dma_map_sg} events skipped because their segment list is truncated. */
    public Problem truncatedSgMaps()
    {
        return truncatedSgMaps;
    }

    /** @return lost-event notices. */
    public Problem lostNotices()
    {
        return lostNotices;
    }

    /** @return events that came later in the file than the reorder window could wait for. */
    public Problem lateEvents()
    {
        return lateEvents;
    }

    /** @return maps that failed in the kernel (nothing mapped). */
    public long failedMaps()
    {
        return failedMaps;
    }

    /** @return {@code iommu:} events not used because the recording has {@code dma:} events. */
    public long ignoredIommuEvents()
    {
        return ignoredIommuEvents;
    }

    /** @return {@code dma:} events of devices other than the one imported. */
    public long otherDeviceEvents()
    {
        return otherDeviceEvents;
    }

    /** @return event lines of events the import does not read. */
    public long otherEvents()
    {
        return otherEvents;
    }

    /** @return the events the import reads, by name as printed, over all devices. */
    public Map<String, Long> eventsByName()
    {
        return Collections.unmodifiableMap(eventsByName);
    }

    void countEvent(final String name)
    {
        eventsByName.merge(name, 1L, Long::sum);
    }

    /**
     * Prints the summary, one field per line.
     *
     * @param out     where to.
     * @param inName  the recording's name.
     * @param outName the trace's name.
     */
    public void print(final PrintWriter out, final String inName, final String outName)
    {
        line(out, "recording", inName);
        line(out, "lines", lines + " (" + headerLines + " headers and blank)");
        final StringBuilder read = new StringBuilder();
        for (final Map.Entry<String, Long> e : eventsByName.entrySet())
        {
            read.append(read.length() == 0 ? "" : ", ").append(e.getKey()).append(' ').append(e.getValue());
        }
        line(out, "events read", read.length() == 0 ? "none" : read.toString());
        line(out, "other events", otherEvents + " (events the import does not read)");
        line(out, "used", source);
        line(out, "granule", Long.toString(granuleBytes));
        line(out, "limit", "0x" + Long.toHexString(limitPfn) + " (" + limitRule + ")");
        line(out, "alloc lines", Long.toString(allocs));
        line(out, "free lines", Long.toString(frees));
        line(out, "live at end", Long.toString(liveAtEnd));
        line(out, "skipped", "(counted, not in the trace)");
        line(out, "  overlapping", overlappingMaps.count() + " maps overlapping a live mapping" + overlappingMaps.where());
        line(out, "  unmatched", unmatchedUnmaps.count() + " unmaps overlapping no live mapping" + unmatchedUnmaps.where());
        line(out, "  truncated sg", truncatedSgMaps.count() + " dma_map_sg of more than 128 segments" + truncatedSgMaps.where());
        line(out, "  zero size", zeroSizeMaps.count() + " maps of 0 bytes" + zeroSizeMaps.where());
        line(out, "  failed maps", failedMaps + " maps that failed in the kernel");
        line(out, "  syncs", syncEvents + " dma_sync_* events (no mapping changes)");
        line(out, "  other devices", otherDeviceEvents + " dma: events of other devices");
        line(out, "  iommu events", ignoredIommuEvents + " iommu: events" + (ignoredIommuEvents > 0 ? " (the dma: events are used: they name the device)" : ""));
        line(out, "  malformed", malformed.count() + " lines" + malformed.where());
        line(out, "lost notices", lostNotices.count() + " notices, " + (lostEventsUnknown ? "at least " : "") + lostEvents +
            " events lost" + lostNotices.where());
        line(out, "late", lateEvents.count() + " events further out of time order than the " + KernelTraceImporter.REORDER_WINDOW +
            "-event window" + lateEvents.where());
        if (aboveLimit > 0)
        {
            line(out, "above limit", aboveLimit + " maps were recorded above the limit");
        }
        line(out, "trace", outName);
        out.flush();
    }

    private static void line(final PrintWriter out, final String field, final String value)
    {
        out.printf(Locale.ROOT, "%-16s%s%n", field, value);
    }
}
