package dev.iova.bench.trace;

/**
 * A whole iova-trace v1 file, parsed into primitive arrays (one slot per entry, no object per
 * operation), so that a replay spends its time in the allocator and not in parsing.
 *
 * <h2>Entries</h2>
 * Every {@code reserve}, {@code alloc} and {@code free} line is one entry, in file order; the
 * header, the domain line, comments and blank lines are not entries. Each entry has a
 * {@link #kind(int)}, the {@link #line(int)} it came from and the fields of its kind:
 * <ul>
 *   <li>{@link #ALLOC}: {@link #id(int)}, {@link #pages(int)}, {@link #limitPfn(int)};</li>
 *   <li>{@link #FREE}: {@link #id(int)};</li>
 *   <li>{@link #RESERVE}: {@link #loPfn(int)}, {@link #hiPfn(int)} (inclusive).</li>
 * </ul>
 * Unsigned values above {@code Long.MAX_VALUE} (pages, limits, reserve bounds) are clamped to
 * {@code Long.MAX_VALUE}, which no domain reaches; ids keep all 64 bits.
 *
 * <h2>Links</h2>
 * The parser resolves ids to entries once, so that a replay needs no map: a {@code free} links
 * to the {@code alloc} whose range it releases ({@link #NO_LINK} when the id is not bound by
 * any earlier {@code alloc}: an error of the trace), and an {@code alloc} links to the earlier
 * {@code alloc} of the same id that no {@code free} has released yet ({@link #NO_LINK} if none).
 * Such an earlier alloc is legal only when it failed, which only a replay can tell.
 *
 * <p>A trace is immutable and may be replayed any number of times, from any thread.
 */
public final class Trace
{
    /** Entry kind of a {@code reserve LO HI} line. */
    public static final byte RESERVE = 1;

    /** Entry kind of an {@code alloc ID PAGES LIMIT} line. */
    public static final byte ALLOC = 2;

    /** Entry kind of a {@code free ID} line. */
    public static final byte FREE = 3;

    /** {@link #link(int)} of a free whose id is not bound, or of an alloc with no pending alloc of its id. */
    public static final int NO_LINK = -1;

    private final String name;
    private final long granuleBytes;
    private final long startPfn;
    private final int domainLine;
    private final int entries;
    private final long ops;
    final byte[] kinds;
    final long[] ids;
    final long[] pagesOrLoPfns;
    final long[] limitOrHiPfns;
    final int[] links;
    final int[] lines;

    Trace(
        final String name,
        final long granuleBytes,
        final long startPfn,
        final int domainLine,
        final int entries,
        final byte[] kinds,
        final long[] ids,
        final long[] pagesOrLoPfns,
        final long[] limitOrHiPfns,
        final int[] links,
        final int[] lines)
    {
        this.name = name;
        this.granuleBytes = granuleBytes;
        this.startPfn = startPfn;
        this.domainLine = domainLine;
        this.entries = entries;
        this.kinds = kinds;
        this.ids = ids;
        this.pagesOrLoPfns = pagesOrLoPfns;
        this.limitOrHiPfns = limitOrHiPfns;
        this.links = links;
        this.lines = lines;
        long opCount = 0;
        for (int i = 0; i < entries; i++)
        {
            if (kinds[i] != RESERVE)
            {
                opCount++;
            }
        }
        this.ops = opCount;
    }

    /** @return the file name (or label) the trace was read from, as used in error messages. */
    public String name()
    {
        return name;
    }

    /** @return the page size of the domain line, a power of two. */
    public long granuleBytes()
    {
        return granuleBytes;
    }

    /** @return the lowest allocatable pfn of the domain line. */
    public long startPfn()
    {
        return startPfn;
    }

    /** @return the line number of the domain line. */
    public int domainLine()
    {
        return domainLine;
    }

    /** @return how many entries ({@code reserve}, {@code alloc} and {@code free} lines) there are. */
    public int entries()
    {
        return entries;
    }

    /** @return how many operations ({@code alloc} and {@code free} lines; reserves are not operations). */
    public long ops()
    {
        return ops;
    }

    /**
     * @param entry an entry index in {@code [0, entries())}.
     * @return {@link #RESERVE}, {@link #ALLOC} or {@link #FREE}.
     */
    public byte kind(final int entry)
    {
        return kinds[entry];
    }

    /**
     * @param entry an entry index.
     * @return the line of the file the entry came from (1-based).
     */
    public int line(final int entry)
    {
        return lines[entry];
    }

    /**
     * @param entry an {@link #ALLOC} or {@link #FREE} entry.
     * @return its id, all 64 bits (print with {@link Long#toUnsignedString(long)}).
     */
    public long id(final int entry)
    {
        checkKind(entry, ALLOC, FREE);
        return ids[entry];
    }

    /**
     * @param entry an {@link #ALLOC} entry.
     * @return the pages it asks for, at least 1.
     */
    public long pages(final int entry)
    {
        checkKind(entry, ALLOC, ALLOC);
        return pagesOrLoPfns[entry];
    }

    /**
     * @param entry an {@link #ALLOC} entry.
     * @return the highest pfn it may use (inclusive).
     */
    public long limitPfn(final int entry)
    {
        checkKind(entry, ALLOC, ALLOC);
        return limitOrHiPfns[entry];
    }

    /**
     * @param entry a {@link #RESERVE} entry.
     * @return its first pfn.
     */
    public long loPfn(final int entry)
    {
        checkKind(entry, RESERVE, RESERVE);
        return pagesOrLoPfns[entry];
    }

    /**
     * @param entry a {@link #RESERVE} entry.
     * @return its last pfn (inclusive), at least {@link #loPfn(int)}.
     */
    public long hiPfn(final int entry)
    {
        checkKind(entry, RESERVE, RESERVE);
        return limitOrHiPfns[entry];
    }

    /**
     * @param entry an {@link #ALLOC} or {@link #FREE} entry.
     * @return the entry it links to (see the class comment), or {@link #NO_LINK}.
     */
    public int link(final int entry)
    {
        checkKind(entry, ALLOC, FREE);
        return links[entry];
    }

    /**
     * @param entry  the entry the problem is at.
     * @param reason what is wrong.
     * @return an exception naming this trace and the entry's line.
     */
    TraceFormatException error(final int entry, final String reason)
    {
        return new TraceFormatException(name, lines[entry], reason);
    }

    private void checkKind(final int entry, final byte kind, final byte otherKind)
    {
        final byte actual = kinds[entry];
        if (actual != kind && actual != otherKind)
        {
            throw new IllegalArgumentException("entry " + entry + " (line " + lines[entry] + ") is " + kindName(actual) +
                ", not " + kindName(kind) + (kind == otherKind ? "" : " or " + kindName(otherKind)));
        }
    }

    /**
     * @param kind an entry kind.
     * @return the op word of the kind, as written in a trace ({@code "alloc"}).
     */
    public static String kindName(final byte kind)
    {
        switch (kind)
        {
            case RESERVE:
                return "reserve";
            case ALLOC:
                return "alloc";
            case FREE:
                return "free";
            default:
                return "kind " + kind;
        }
    }

    @Override
    public String toString()
    {
        return "Trace{" + name + ", granuleBytes=" + granuleBytes + ", startPfn=0x" + Long.toHexString(startPfn) +
            ", entries=" + entries + ", ops=" + ops + "}";
    }
}
