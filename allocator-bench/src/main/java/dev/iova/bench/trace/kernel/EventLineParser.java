package dev.iova.bench.trace.kernel;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads one line of a Linux trace as the kernel's tracefs ({@code trace}, {@code trace_pipe}),
 * {@code trace-cmd report} or {@code perf script} print it.
 *
 * <h2>Event lines</h2>
 * All four print an event as {@code TASK-PID [CPU] FLAGS TIMESTAMP: EVENT: FIELDS}, with small
 * differences this parser accepts:
 * <pre>
 *           fio-2817    [003] ..... 10452.123456: dma_map_page: 0000:01:00.0 dir=FROM_DEVICE ...   (tracefs, irq-info flags)
 *           fio-2817    [003] 10452.123456: dma_map_page:         0000:01:00.0 dir=...             (trace-cmd report, padded)
 *           fio  2817 [003] 10452.123456:        dma:dma_map_page: 0000:01:00.0 dir=...           (perf script: system:event)
 * </pre>
 * The task may hold blanks (perf prints {@code COMM PID}), a {@code (TGID)} may follow it, the
 * flags column is optional, the timestamp has any number of fraction digits (or none, for
 * counter clocks), and the event name may carry its system ({@code iommu:map}).
 *
 * <h2>Fields</h2>
 * The fields are the events' {@code TP_printk} formats ({@code include/trace/events/iommu.h} and
 * {@code dma.h}):
 * <pre>
 * map:   IOMMU: iova=0x%016llx - 0x%016llx paddr=0x%016llx size=%zu      (older kernels: no "- end")
 * unmap: IOMMU: iova=0x%016llx - 0x%016llx size=%zu unmapped_size=%zu    (older kernels: no "- end")
 * dma_map_page|_phys|_resource:    DEV dir=D dma_addr=%llx size=%zu phys_addr=%llx attrs=A
 * dma_unmap_page|_phys|_resource:  DEV dir=D dma_addr=%llx size=%zu attrs=A
 * dma_alloc|_pages, dma_free|_pages: DEV dir=D dma_addr=%llx size=%zu virt_addr=%p [flags=F] attrs=A
 * dma_alloc_sgt, dma_free_sgt:     DEV dir=D dma_addr=%llx size=%zu phys_addrs={...} ...
 * dma_map_sg:    DEV dir=D [nents=N/N ents=E/E[ [TRUNCATED]]] dma_addrs={0x..,..} sizes={0x..,..} phys_addrs={..} attrs=A
 * dma_unmap_sg:  DEV dir=D phys_addrs={0x..,..} attrs=A
 * </pre>
 * Only the fields the import needs are read; the others may be anything. Arrays are printed by
 * {@code __print_array} as {@code {0x1,0x2}}, every element in hex.
 *
 * <h2>Other lines</h2>
 * Blank lines and {@code #} comments (tracefs headers), {@code trace-cmd report}'s preamble
 * ({@code version = 6}, {@code cpus=8}, {@code CPU 2 is empty}) are {@link Type#HEADER}; the
 * lost-event notices of tracefs ({@code CPU:1 [LOST 120 EVENTS]}) and {@code trace-cmd}
 * ({@code CPU:1 [120 EVENTS DROPPED]}, {@code CPU:1 [EVENTS DROPPED]}) are {@link Type#LOST};
 * an event line of any other event is {@link Type#OTHER_EVENT}; anything else, or one of our
 * events whose fields cannot be read, is {@link Type#MALFORMED} with a reason.
 */
final class EventLineParser
{
    /**
     * What follows {@code TASK [CPU]}: {@code [FLAGS] TIMESTAMP: [PERIOD] [SYSTEM:]EVENT: FIELDS}.
     * Groups: 1 whole seconds (or counter), 2 fraction, 3 system or event, 4 event, 5 fields.
     */
    private static final Pattern AFTER_CPU = Pattern.compile(
        "\\s+(?:\\S+\\s+)?(\\d{1,18})(?:\\.(\\d{1,12}))?:\\s+(?:\\d+\\s+)?" +
        "([A-Za-z_]\\w*)(?::([A-Za-z_]\\w*))?:(?:\\s+(.*))?");

    private static final Pattern LOST = Pattern.compile("^CPU:\\s*\\d+ \\[(?:LOST (\\d+) EVENTS|(\\d+) EVENTS DROPPED|EVENTS DROPPED)\\]\\s*$");

    private static final Pattern TRACE_CMD_PREAMBLE = Pattern.compile("^(?:version = \\d+|cpus=\\d+|CPU \\d+ is empty)\\s*$");

    /** What a line is. */
    enum Type
    {
        /** Blank, a comment or a report preamble. */
        HEADER,
        /** A lost-event notice; {@link Line#lostEvents()} says how many, -1 when it does not say. */
        LOST,
        /** One of the events the import reads: {@link Line#event()}. */
        EVENT,
        /** An event line of another event: {@link Line#eventName()}. */
        OTHER_EVENT,
        /** Not a line of a recording, or unreadable fields: {@link Line#reason()}. */
        MALFORMED
    }

    /**
     * One line, read.
     *
     * @param type       what it is.
     * @param event      the event, for {@link Type#EVENT}.
     * @param eventName  the event's name as printed, for {@link Type#EVENT} and {@link Type#OTHER_EVENT}.
     * @param lostEvents for {@link Type#LOST}: how many events the notice says were lost, -1 if unknown.
     * @param reason     for {@link Type#MALFORMED}: why, one phrase naming the value at fault.
     */
    record Line(Type type, KernelEvent event, String eventName, long lostEvents, String reason)
    {
        static Line malformed(final String reason)
        {
            return new Line(Type.MALFORMED, null, null, 0, reason);
        }
    }

    private static final Line HEADER = new Line(Type.HEADER, null, null, 0, null);

    private EventLineParser()
    {
    }

    /**
     * @param text       the line, without its line end.
     * @param lineNumber its 1-based number, kept in the event.
     * @return what the line is.
     */
    static Line parse(final String text, final long lineNumber)
    {
        int first = 0;
        while (first < text.length() && Character.isWhitespace(text.charAt(first)))
        {
            first++;
        }
        if (first == text.length() || text.charAt(first) == '#')
        {
            return HEADER;
        }
        final char c = text.charAt(first);
        if ((c == 'v' || c == 'c' || c == 'C') && TRACE_CMD_PREAMBLE.matcher(text.strip()).matches())
        {
            return HEADER;
        }
        if (text.startsWith("CPU:", first))
        {
            final Matcher lost = LOST.matcher(text.strip());
            if (lost.matches())
            {
                final String count = lost.group(1) != null ? lost.group(1) : lost.group(2);
                return new Line(Type.LOST, null, null, count == null ? -1 : parseDecimalOrMax(count), null);
            }
        }
        final Matcher m = AFTER_CPU.matcher(text);
        if (!matchesAfterCpu(text, m))
        {
            return Line.malformed("not an event line (expected TASK-PID [CPU] TIMESTAMP: EVENT: FIELDS)");
        }
        final String system = m.group(4) != null ? m.group(3) : null;
        final String name = m.group(4) != null ? m.group(4) : m.group(3);
        final String printedName = system != null ? system + ":" + name : name;
        final String fields = m.group(5) != null ? m.group(5) : "";
        final long timestamp = timestamp(m.group(1), m.group(2));
        final boolean iommu = system == null || system.equals("iommu");
        final boolean dma = system == null || system.equals("dma");
        try
        {
            if (iommu && (name.equals("map") || name.equals("unmap")))
            {
                return event(IommuFields.parse(name, fields, lineNumber, timestamp), printedName);
            }
            if (dma && name.startsWith("dma_"))
            {
                final KernelEvent event = DmaFields.parse(name, fields, lineNumber, timestamp);
                if (event != null)
                {
                    return event(event, printedName);
                }
            }
        }
        catch (final BadField ex)
        {
            return Line.malformed(printedName + ": " + ex.getMessage());
        }
        return new Line(Type.OTHER_EVENT, null, printedName, 0, null);
    }

    /**
     * Finds the first {@code [CPU]} column (a bracket of 1 to 6 digits after a blank) after which
     * the rest of an event line follows, and leaves {@code m} matched on that rest.
     */
    private static boolean matchesAfterCpu(final String text, final Matcher m)
    {
        for (int open = text.indexOf('['); open >= 0; open = text.indexOf('[', open + 1))
        {
            int close = open + 1;
            while (close < text.length() && close - open <= 6 && text.charAt(close) >= '0' && text.charAt(close) <= '9')
            {
                close++;
            }
            if (close > open + 1 && close < text.length() && text.charAt(close) == ']' &&
                (open == 0 || Character.isWhitespace(text.charAt(open - 1))) && m.region(close + 1, text.length()).matches())
            {
                return true;
            }
        }
        return false;
    }

    private static Line event(final KernelEvent event, final String printedName)
    {
        return new Line(Type.EVENT, event, printedName, 0, null);
    }

    /** Seconds with a fraction become nanoseconds (a fraction past 9 digits is cut); an integer stays as printed. */
    private static long timestamp(final String whole, final String fraction)
    {
        final long value = Long.parseLong(whole);
        if (fraction == null)
        {
            return value;
        }
        if (value > Long.MAX_VALUE / 1_000_000_000L - 1)
        {
            return Long.MAX_VALUE; // past 292 years of uptime: keeps its place after every real time
        }
        final String nanos = fraction.length() >= 9 ? fraction.substring(0, 9) : fraction + "000000000".substring(fraction.length());
        return value * 1_000_000_000L + Long.parseLong(nanos);
    }

    private static long parseDecimalOrMax(final String digits)
    {
        try
        {
            return Long.parseLong(digits);
        }
        catch (final NumberFormatException ex)
        {
            return Long.MAX_VALUE;
        }
    }

    /** A field that is missing or cannot be read; the message names it and its value. */
    static final class BadField extends Exception
    {
        private static final long serialVersionUID = 1L;

        BadField(final String message)
        {
            super(message, null, false, false);
        }
    }
}
