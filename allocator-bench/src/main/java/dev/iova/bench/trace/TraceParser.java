package dev.iova.bench.trace;

import org.agrona.collections.Long2LongHashMap;

import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads an iova-trace v1 or v2 file (see {@code trace-format.md}) into a {@link Trace}.
 *
 * <p>Everything that can be checked without replaying is checked here, and the first problem
 * stops the parse with a {@link TraceFormatException} whose message is {@code FILE:LINE: reason}:
 * a missing or wrong header, a missing, repeated or malformed domain line (the granule must be
 * a power of two in [1, 2^62], the start at least 1, because pfn 0 stands for a failed
 * allocation), an op before the domain line, an unknown op, missing or extra fields, a number
 * that is neither decimal nor {@code 0x} hex or does not fit in 64 bits, zero pages, a reserve
 * whose HI is below its LO.
 *
 * <p>The header fixes the version. A file headed {@code iova-trace v1} is read strictly as v1:
 * the v2 ops ({@code alloc-at}, {@code allow}, {@code unreserve}) and options ({@code end=},
 * {@code owner=}, {@code align=}, {@code fit=}) are errors in it, each saying it is a v2 word.
 * In v2, {@code align=} and {@code fit=} come in either order, each at most once; an align
 * that is not a power of two, an unknown fit word, an {@code end} below {@code start}, an empty
 * owner, and an {@code unreserve} of an owner that no earlier {@code reserve} line names are
 * errors. Whether an owner still has a reserve in force when its {@code unreserve} comes
 * (its reserves may all have been refused, or already removed) is for the replay to check.
 *
 * <p>Two rules are left to the replay because they depend on which allocations succeed: an
 * {@code alloc} of an id that is still bound, and a {@code free} of an id that is not bound
 * (a free right after a failed alloc of its id is skipped, not an error). The parser links the
 * entries for them (see {@link Trace}) so that the replay can check both without a map.
 *
 * <p>Lines end with {@code \n} ({@code \r\n} reads the same: the {@code \r} is a blank). A
 * line longer than {@value #MAX_LINE_CHARS} characters is an error of its own, found before the
 * line is held whole, so no input can exhaust the heap; {@link #parse(Path)} reads regular files
 * only (a FIFO or a device could block or never end).
 *
 * <p>Numbers are unsigned 64-bit; pages, limits and reserve bounds above {@code Long.MAX_VALUE}
 * are clamped to it, so that a limit of {@code 0xffffffffffffffff} means "anywhere".
 */
public final class TraceParser
{
    /** The header line of a v1 trace. */
    public static final String HEADER = "iova-trace v1";

    /** The header line of a v2 trace. */
    public static final String HEADER_V2 = "iova-trace v2";

    private static final String HEADER_WORD = "iova-trace";
    private static final int INITIAL_CAPACITY = 1024;
    private static final int MAX_ENTRIES = Integer.MAX_VALUE - 8;
    private static final long MAX_GRANULE_BYTES = 1L << 62;
    private static final int READ_BUFFER_CHARS = 1 << 16;

    /** The longest line read; a trace's lines are a few dozen characters, comments included. */
    public static final int MAX_LINE_CHARS = 4096;

    private final String name;
    private final String[] fields = new String[6];
    private final Long2LongHashMap pendingAllocByIds = new Long2LongHashMap(Trace.NO_LINK);
    private final Map<String, Integer> ownerIndexes = new HashMap<>();
    private final List<String> owners = new ArrayList<>();
    private int lineNumber;
    private int fieldCount;
    private int version;
    private int domainLine;
    private long granuleBytes;
    private long startPfn;
    private long endPfn = Trace.NO_END_PFN;

    private int entries;
    private byte[] kinds = new byte[INITIAL_CAPACITY];
    private long[] ids = new long[INITIAL_CAPACITY];
    private long[] pagesOrLoPfns = new long[INITIAL_CAPACITY];
    private long[] limitOrHiPfns = new long[INITIAL_CAPACITY];
    private int[] links = new int[INITIAL_CAPACITY];
    private int[] lines = new int[INITIAL_CAPACITY];
    private long[] alignOrOwners = new long[INITIAL_CAPACITY];
    private byte[] fits = new byte[INITIAL_CAPACITY];

    private TraceParser(final String name)
    {
        this.name = name;
    }

    /**
     * Parses a trace file, named in errors as {@code path} is written.
     *
     * @param path the trace file.
     * @return the parsed trace.
     * @throws IOException          when the file cannot be read.
     * @throws TraceFormatException at the first malformed line.
     */
    public static Trace parse(final Path path) throws IOException
    {
        if (Files.exists(path) && !Files.isRegularFile(path))
        {
            throw new FileSystemException(path.toString(), null,
                "not a regular file (a directory, FIFO, device or socket): a trace is a regular file");
        }
        try (Reader reader = new InputStreamReader(Files.newInputStream(path), StandardCharsets.UTF_8))
        {
            return parse(path.toString(), reader);
        }
    }

    /**
     * Parses a trace from a reader, which is read to the end but not closed.
     *
     * @param name   the name to give in error messages and {@link Trace#name()}.
     * @param reader the trace text.
     * @return the parsed trace.
     * @throws IOException          when the reader fails.
     * @throws TraceFormatException at the first malformed line.
     */
    public static Trace parse(final String name, final Reader reader) throws IOException
    {
        return new TraceParser(name).readAll(reader);
    }

    /**
     * Parses a trace held in a string (handy for tests and generated traces).
     *
     * @param name the name to give in error messages and {@link Trace#name()}.
     * @param text the trace text.
     * @return the parsed trace.
     * @throws TraceFormatException at the first malformed line.
     */
    public static Trace parseText(final String name, final String text)
    {
        try
        {
            return parse(name, new StringReader(text));
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("a StringReader failed", ex);
        }
    }

    private Trace readAll(final Reader reader) throws IOException
    {
        final char[] buffer = new char[READ_BUFFER_CHARS];
        final StringBuilder line = new StringBuilder();
        int read;
        while ((read = reader.read(buffer)) >= 0)
        {
            for (int i = 0; i < read; i++)
            {
                final char c = buffer[i];
                if (c == '\n')
                {
                    endLine(line);
                }
                else if (line.length() == MAX_LINE_CHARS)
                {
                    nextLineNumber();
                    throw error("line longer than " + MAX_LINE_CHARS + " characters: not an iova-trace file?");
                }
                else
                {
                    line.append(c);
                }
            }
        }
        if (line.length() > 0)
        {
            endLine(line);
        }
        if (version == 0)
        {
            lineNumber = Math.max(1, lineNumber);
            throw error("no '" + HEADER + "' header: the trace is empty");
        }
        if (domainLine == 0)
        {
            throw error("no domain line: a trace needs 'domain granule=BYTES start=PFN'");
        }
        return new Trace(name, version, granuleBytes, startPfn, endPfn, domainLine, entries,
            Arrays.copyOf(kinds, entries), Arrays.copyOf(ids, entries), Arrays.copyOf(pagesOrLoPfns, entries),
            Arrays.copyOf(limitOrHiPfns, entries), Arrays.copyOf(links, entries), Arrays.copyOf(lines, entries),
            Arrays.copyOf(alignOrOwners, entries), Arrays.copyOf(fits, entries), owners.toArray(new String[0]));
    }

    private void endLine(final StringBuilder line)
    {
        nextLineNumber();
        parseLine(line.toString());
        line.setLength(0);
    }

    private void nextLineNumber()
    {
        if (lineNumber == Integer.MAX_VALUE)
        {
            throw error("more than " + Integer.MAX_VALUE + " lines");
        }
        lineNumber++;
    }

    private void parseLine(final String text)
    {
        split(text);
        if (fieldCount == 0)
        {
            return;
        }
        final String op = fields[0];
        if (version == 0)
        {
            parseHeader(op);
            return;
        }
        switch (op)
        {
            case "domain":
                parseDomain();
                break;
            case "reserve":
                checkDomainSeen(op);
                if (version == 1 && fieldCount == 4 && fields[3].startsWith("owner="))
                {
                    throw v2Only("owner=", "an option");
                }
                checkFieldCount(op, version == 1 ? "LO HI" : "LO HI [owner=NAME]", 3, version == 1 ? 3 : 4);
                parseReserve();
                break;
            case "alloc":
                checkDomainSeen(op);
                if (version == 1 && fieldCount > 4 && fieldCount <= fields.length && firstOption(4) != null)
                {
                    throw v2Only(firstOption(4), "an option");
                }
                checkFieldCount(op, version == 1 ? "ID PAGES LIMIT" : "ID PAGES LIMIT [align=A] [fit=F]", 4, version == 1 ? 4 : 6);
                parseAlloc();
                break;
            case "free":
                checkDomainSeen(op);
                checkFieldCount(op, "ID", 2, 2);
                parseFree();
                break;
            case "alloc-at":
                checkV2(op);
                checkDomainSeen(op);
                checkFieldCount(op, "ID PFN PAGES", 4, 4);
                parseAllocAt();
                break;
            case "allow":
                checkV2(op);
                checkDomainSeen(op);
                checkFieldCount(op, "LO HI", 3, 3);
                parseAllow();
                break;
            case "unreserve":
                checkV2(op);
                checkDomainSeen(op);
                checkFieldCount(op, "NAME", 2, 2);
                parseUnreserve();
                break;
            case HEADER_WORD:
                throw error("the header is repeated: it belongs on the first line only");
            default:
                throw error("unknown op '" + op + "': expected " +
                    (version == 1 ? "domain, reserve, alloc or free" : "domain, allow, reserve, unreserve, alloc, alloc-at or free"));
        }
    }

    private void parseHeader(final String first)
    {
        if (fieldCount == 2 && HEADER_WORD.equals(first) && ("v1".equals(fields[1]) || "v2".equals(fields[1])))
        {
            version = "v1".equals(fields[1]) ? 1 : 2;
            return;
        }
        if (HEADER_WORD.equals(first) && fieldCount == 2)
        {
            throw error("unsupported version '" + fields[1] + "': this replayer reads " + HEADER + " and " + HEADER_V2);
        }
        throw error("expected the header '" + HEADER + "' first, found '" + joinedFields() + "'");
    }

    private void parseDomain()
    {
        if (domainLine != 0)
        {
            throw error("the domain line is repeated (first on line " + domainLine + ")");
        }
        final String usage = version == 1 ? "granule=BYTES start=PFN" : "granule=BYTES start=PFN [end=PFN]";
        if (version == 1 && fieldCount == 4 && fields[3].startsWith("end="))
        {
            throw v2Only("end=", "an option");
        }
        checkFieldCount("domain", usage, 3, version == 1 ? 3 : 4);
        long parsedGranuleBytes = 0;
        long parsedStartPfn = 0;
        long parsedEndPfn = Trace.NO_END_PFN;
        boolean sawGranule = false;
        boolean sawStart = false;
        for (int i = 1; i < fieldCount; i++)
        {
            final String field = fields[i];
            final int equalsAt = field.indexOf('=');
            final String key = equalsAt < 0 ? field : field.substring(0, equalsAt);
            if (equalsAt < 0 || !("granule".equals(key) || "start".equals(key) || (version == 2 && "end".equals(key))))
            {
                throw error("domain takes " + usage + ", found '" + field + "'");
            }
            final long value = parseNumber(field.substring(equalsAt + 1), key);
            if ("end".equals(key))
            {
                if (parsedEndPfn != Trace.NO_END_PFN)
                {
                    throw error("domain gives end twice");
                }
                parsedEndPfn = clampToLong(value);
            }
            else if ("granule".equals(key))
            {
                if (sawGranule)
                {
                    throw error("domain gives granule twice");
                }
                sawGranule = true;
                parsedGranuleBytes = value;
            }
            else
            {
                if (sawStart)
                {
                    throw error("domain gives start twice");
                }
                sawStart = true;
                parsedStartPfn = value;
            }
        }
        if (parsedGranuleBytes <= 0 || parsedGranuleBytes > MAX_GRANULE_BYTES || Long.bitCount(parsedGranuleBytes) != 1)
        {
            throw error("granule=" + Long.toUnsignedString(parsedGranuleBytes) + " is not a power of two in [1, 2^62]");
        }
        if (parsedStartPfn == 0)
        {
            throw error("start=0 is not supported: pfn 0 stands for a failed allocation, use start=1 or more");
        }
        if (parsedEndPfn != Trace.NO_END_PFN && parsedEndPfn < clampToLong(parsedStartPfn))
        {
            throw error("end=0x" + Long.toHexString(parsedEndPfn) + " is below start=0x" + Long.toHexString(parsedStartPfn));
        }
        granuleBytes = parsedGranuleBytes;
        startPfn = clampToLong(parsedStartPfn);
        endPfn = parsedEndPfn;
        domainLine = lineNumber;
    }

    private void parseReserve()
    {
        final long loPfn = parseNumber(fields[1], "LO");
        final long hiPfn = parseNumber(fields[2], "HI");
        if (Long.compareUnsigned(hiPfn, loPfn) < 0)
        {
            throw error("reserve HI=0x" + Long.toHexString(hiPfn) + " is below LO=0x" + Long.toHexString(loPfn));
        }
        int owner = Trace.UNOWNED;
        if (fieldCount == 4)
        {
            if (!fields[3].startsWith("owner="))
            {
                throw error("reserve takes LO HI [owner=NAME], found '" + fields[3] + "'");
            }
            owner = ownerIndex(fields[3].substring("owner=".length()), true);
        }
        add(Trace.RESERVE, 0, clampToLong(loPfn), clampToLong(hiPfn), Trace.NO_LINK);
        alignOrOwners[entries - 1] = owner;
    }

    private void parseUnreserve()
    {
        add(Trace.UNRESERVE, 0, 0, 0, Trace.NO_LINK);
        alignOrOwners[entries - 1] = ownerIndex(fields[1], false);
    }

    private int ownerIndex(final String owner, final boolean reserving)
    {
        if (owner.isEmpty())
        {
            throw error("owner= names no owner: give owner=NAME, or leave it out for an unowned reserve");
        }
        final Integer known = ownerIndexes.get(owner);
        if (known != null)
        {
            return known;
        }
        if (!reserving)
        {
            throw error("unreserve of owner '" + owner + "', which no earlier reserve line names");
        }
        owners.add(owner);
        ownerIndexes.put(owner, owners.size() - 1);
        return owners.size() - 1;
    }

    private void parseAllow()
    {
        final long loPfn = parseNumber(fields[1], "LO");
        final long hiPfn = parseNumber(fields[2], "HI");
        if (Long.compareUnsigned(hiPfn, loPfn) < 0)
        {
            throw error("allow HI=0x" + Long.toHexString(hiPfn) + " is below LO=0x" + Long.toHexString(loPfn));
        }
        add(Trace.ALLOW, 0, clampToLong(loPfn), clampToLong(hiPfn), Trace.NO_LINK);
    }

    private void parseAllocAt()
    {
        final long id = parseNumber(fields[1], "ID");
        final long pfn = parseNumber(fields[2], "PFN");
        final long pages = parseNumber(fields[3], "PAGES");
        if (pages == 0)
        {
            throw error("alloc-at of id " + Long.toUnsignedString(id) + " asks for PAGES=0: at least 1 page");
        }
        final int pendingAlloc = (int)pendingAllocByIds.put(id, entries);
        add(Trace.ALLOC_AT, id, clampToLong(pages), clampToLong(pfn), pendingAlloc);
    }

    private void parseAlloc()
    {
        final long id = parseNumber(fields[1], "ID");
        final long pages = parseNumber(fields[2], "PAGES");
        final long limitPfn = parseNumber(fields[3], "LIMIT");
        if (pages == 0)
        {
            throw error("alloc of id " + Long.toUnsignedString(id) + " asks for PAGES=0: at least 1 page");
        }
        long alignPages = Trace.NATURAL_ALIGN;
        byte fit = Trace.FIT_HIGHEST;
        boolean sawAlign = false;
        boolean sawFit = false;
        for (int i = 4; i < fieldCount; i++)
        {
            final String option = fields[i];
            if (option.startsWith("align="))
            {
                if (sawAlign)
                {
                    throw error("alloc gives align= twice");
                }
                sawAlign = true;
                final long align = parseNumber(option.substring("align=".length()), "align");
                if (Long.bitCount(align) != 1)
                {
                    throw error("align=" + Long.toUnsignedString(align) + " is not a power of two");
                }
                alignPages = align; // 2^63 reads as Trace.ALIGN_2_63
            }
            else if (option.startsWith("fit="))
            {
                if (sawFit)
                {
                    throw error("alloc gives fit= twice");
                }
                sawFit = true;
                fit = parseFit(option.substring("fit=".length()));
            }
            else
            {
                throw error("alloc takes ID PAGES LIMIT [align=A] [fit=F], found '" + option + "'");
            }
        }
        // The entry is added at index `entries`; remember it as the id's pending alloc.
        final int pendingAlloc = (int)pendingAllocByIds.put(id, entries);
        add(Trace.ALLOC, id, clampToLong(pages), clampToLong(limitPfn), pendingAlloc);
        alignOrOwners[entries - 1] = alignPages;
        fits[entries - 1] = fit;
    }

    private byte parseFit(final String word)
    {
        switch (word)
        {
            case "highest":
                return Trace.FIT_HIGHEST;
            case "lowest":
                return Trace.FIT_LOWEST;
            case "best":
                return Trace.FIT_BEST;
            default:
                throw error("unknown fit '" + word + "': expected highest, lowest or best");
        }
    }

    private void parseFree()
    {
        final long id = parseNumber(fields[1], "ID");
        final int alloc = (int)pendingAllocByIds.remove(id);
        add(Trace.FREE, id, 0, 0, alloc);
    }

    private void add(final byte kind, final long id, final long pagesOrLoPfn, final long limitOrHiPfn, final int link)
    {
        if (entries == kinds.length)
        {
            grow();
        }
        kinds[entries] = kind;
        ids[entries] = id;
        pagesOrLoPfns[entries] = pagesOrLoPfn;
        limitOrHiPfns[entries] = limitOrHiPfn;
        links[entries] = link;
        lines[entries] = lineNumber;
        alignOrOwners[entries] = 0;
        fits[entries] = Trace.FIT_HIGHEST;
        entries++;
    }

    private void grow()
    {
        if (entries >= MAX_ENTRIES)
        {
            throw error("more than " + MAX_ENTRIES + " op lines: split the trace");
        }
        final int capacity = (int)Math.min(MAX_ENTRIES, 2L * kinds.length);
        kinds = Arrays.copyOf(kinds, capacity);
        ids = Arrays.copyOf(ids, capacity);
        pagesOrLoPfns = Arrays.copyOf(pagesOrLoPfns, capacity);
        limitOrHiPfns = Arrays.copyOf(limitOrHiPfns, capacity);
        links = Arrays.copyOf(links, capacity);
        lines = Arrays.copyOf(lines, capacity);
        alignOrOwners = Arrays.copyOf(alignOrOwners, capacity);
        fits = Arrays.copyOf(fits, capacity);
    }

    /**
     * Parses an unsigned 64-bit number, decimal or {@code 0x} hex, into the bits of a long.
     */
    private long parseNumber(final String text, final String label)
    {
        final boolean hex = text.length() > 2 && text.charAt(0) == '0' && (text.charAt(1) == 'x' || text.charAt(1) == 'X');
        final int firstDigit = hex ? 2 : 0;
        if (text.length() == firstDigit)
        {
            throw notANumber(text, label);
        }
        for (int i = firstDigit; i < text.length(); i++)
        {
            if (!isDigit(text.charAt(i), hex))
            {
                throw notANumber(text, label);
            }
        }
        try
        {
            return Long.parseUnsignedLong(text.substring(firstDigit), hex ? 16 : 10);
        }
        catch (final NumberFormatException ex)
        {
            throw error(label + " '" + text + "' does not fit in 64 bits");
        }
    }

    private TraceFormatException notANumber(final String text, final String label)
    {
        return error(label + " '" + text + "' is not a number (decimal, or hexadecimal with 0x)");
    }

    private static long clampToLong(final long unsigned)
    {
        return unsigned < 0 ? Long.MAX_VALUE : unsigned;
    }

    private void checkDomainSeen(final String op)
    {
        if (domainLine == 0)
        {
            throw error(op + " before the domain line: 'domain granule=BYTES start=PFN" + (version == 1 ? "" : " [end=PFN]") +
                "' must come first");
        }
    }

    private void checkFieldCount(final String op, final String usage, final int minFields, final int maxFields)
    {
        if (fieldCount < minFields || fieldCount > maxFields)
        {
            final int operands = fieldCount - 1;
            throw error(op + " takes " + usage + ", found " + operands + (operands == 1 ? " field" : " fields") +
                (fieldCount > maxFields ? ": '" + joinedFields() + "'" : ""));
        }
    }

    private void checkV2(final String op)
    {
        if (version == 1)
        {
            throw v2Only(op, "an op");
        }
    }

    private TraceFormatException v2Only(final String word, final String what)
    {
        return error("'" + word + "' is " + what + " of iova-trace v2, and this file is headed '" + HEADER +
            "' (v1 is read strictly: head the file '" + HEADER_V2 + "' to use it)");
    }

    /** @return the first of fields[from..] that looks like an alloc option, or null. */
    private String firstOption(final int from)
    {
        for (int i = from; i < Math.min(fieldCount, fields.length); i++)
        {
            if (fields[i].startsWith("align="))
            {
                return "align=";
            }
            if (fields[i].startsWith("fit="))
            {
                return "fit=";
            }
        }
        return null;
    }

    /**
     * Splits the part of {@code text} before any {@code #} at blanks into {@link #fields},
     * keeping the first ones that fit and counting all of them in {@link #fieldCount}.
     */
    private void split(final String text)
    {
        final int commentAt = text.indexOf('#');
        final int end = commentAt < 0 ? text.length() : commentAt;
        fieldCount = 0;
        int i = 0;
        while (i < end)
        {
            while (i < end && isBlank(text.charAt(i)))
            {
                i++;
            }
            if (i == end)
            {
                break;
            }
            final int fieldStart = i;
            while (i < end && !isBlank(text.charAt(i)))
            {
                i++;
            }
            if (fieldCount < fields.length)
            {
                fields[fieldCount] = text.substring(fieldStart, i);
            }
            fieldCount++;
        }
    }

    private String joinedFields()
    {
        final StringBuilder joined = new StringBuilder();
        for (int i = 0; i < Math.min(fieldCount, fields.length); i++)
        {
            joined.append(i == 0 ? "" : " ").append(fields[i]);
        }
        return fieldCount > fields.length ? joined.append(" ...").toString() : joined.toString();
    }

    private static boolean isDigit(final char c, final boolean hex)
    {
        return (c >= '0' && c <= '9') || (hex && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')));
    }

    private static boolean isBlank(final char c)
    {
        return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\u000b';
    }

    private TraceFormatException error(final String reason)
    {
        return new TraceFormatException(name, lineNumber, reason);
    }
}
