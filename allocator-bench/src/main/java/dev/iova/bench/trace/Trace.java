package dev.iova.bench.trace;

/**
 * A whole iova-trace v1 or v2 file, parsed into primitive arrays (one slot per entry, no object
 * per operation), so that a replay spends its time in the allocator and not in parsing.
 *
 * <h2>Entries</h2>
 * Every {@code reserve}, {@code alloc} and {@code free} line is one entry, in file order, and in
 * a v2 file every {@code alloc-at}, {@code allow} and {@code unreserve} line too; the header,
 * the domain line, comments and blank lines are not entries. Each entry has a
 * {@link #kind(int)}, the {@link #line(int)} it came from and the fields of its kind:
 * <ul>
 *   <li>{@link #ALLOC}: {@link #id(int)}, {@link #pages(int)}, {@link #limitPfn(int)}, and in v2
 *       {@link #alignPages(int)} and {@link #fit(int)} (v1: natural alignment, highest fit);</li>
 *   <li>{@link #ALLOC_AT}: {@link #id(int)}, {@link #pages(int)}, {@link #atPfn(int)};</li>
 *   <li>{@link #FREE}: {@link #id(int)};</li>
 *   <li>{@link #RESERVE}: {@link #loPfn(int)}, {@link #hiPfn(int)} (inclusive), and in v2
 *       {@link #owner(int)} (null: unowned);</li>
 *   <li>{@link #ALLOW}: {@link #loPfn(int)}, {@link #hiPfn(int)};</li>
 *   <li>{@link #UNRESERVE}: {@link #owner(int)}.</li>
 * </ul>
 * Owners are kept once each in a table, and an entry holds an index into it, so a replay passes
 * the same {@code String} for every line of one owner.
 * Unsigned values above {@code Long.MAX_VALUE} (pages, limits, reserve bounds) are clamped to
 * {@code Long.MAX_VALUE}, which no domain reaches; ids keep all 64 bits.
 *
 * <h2>Links</h2>
 * The parser resolves ids to entries once, so that a replay needs no map: a {@code free} links
 * to the {@code alloc} whose range it releases ({@link #NO_LINK} when the id is not bound by
 * any earlier {@code alloc}: an error of the trace), and an {@code alloc} links to the earlier
 * {@code alloc} of the same id that no {@code free} has released yet ({@link #NO_LINK} if none).
 * Such an earlier alloc is legal only when it failed, which only a replay can tell. An
 * {@code alloc-at} links exactly as an {@code alloc} does, and is freed the same way.
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

    /** Entry kind of an {@code alloc-at ID PFN PAGES} line (v2). */
    public static final byte ALLOC_AT = 4;

    /** Entry kind of an {@code allow LO HI} line (v2). */
    public static final byte ALLOW = 5;

    /** Entry kind of an {@code unreserve NAME} line (v2). */
    public static final byte UNRESERVE = 6;

    /** {@link #fit(int)} code of {@code fit=highest}, the default. */
    public static final byte FIT_HIGHEST = 0;

    /** {@link #fit(int)} code of {@code fit=lowest}. */
    public static final byte FIT_LOWEST = 1;

    /** {@link #fit(int)} code of {@code fit=best}. */
    public static final byte FIT_BEST = 2;

    /** {@link #alignPages(int)} of an alloc without {@code align=}: natural alignment, PAGES rounded up to a power of two. */
    public static final long NATURAL_ALIGN = 0;

    /** {@link #alignPages(int)} of {@code align=0x8000000000000000}, which no domain can satisfy. */
    public static final long ALIGN_2_63 = Long.MIN_VALUE;

    /** Index into the owner table of an unowned reserve. */
    static final int UNOWNED = -1;

    /** {@link #link(int)} of a free whose id is not bound, or of an alloc with no pending alloc of its id. */
    public static final int NO_LINK = -1;

    private final String name;
    private final int version;
    private final long granuleBytes;
    private final long startPfn;
    private final long endPfn;
    private final int domainLine;
    private final int entries;
    private final long ops;
    final byte[] kinds;
    final long[] ids;
    final long[] pagesOrLoPfns;
    final long[] limitOrHiPfns;
    final int[] links;
    final int[] lines;
    /** v2: align of an alloc ({@link #NATURAL_ALIGN} for none); owner index of a reserve or unreserve. */
    final long[] alignOrOwners;
    final byte[] fits;
    final String[] owners;

    Trace(
        final String name,
        final int version,
        final long granuleBytes,
        final long startPfn,
        final long endPfn,
        final int domainLine,
        final int entries,
        final byte[] kinds,
        final long[] ids,
        final long[] pagesOrLoPfns,
        final long[] limitOrHiPfns,
        final int[] links,
        final int[] lines,
        final long[] alignOrOwners,
        final byte[] fits,
        final String[] owners)
    {
        this.name = name;
        this.version = version;
        this.granuleBytes = granuleBytes;
        this.startPfn = startPfn;
        this.endPfn = endPfn;
        this.domainLine = domainLine;
        this.entries = entries;
        this.kinds = kinds;
        this.ids = ids;
        this.pagesOrLoPfns = pagesOrLoPfns;
        this.limitOrHiPfns = limitOrHiPfns;
        this.links = links;
        this.lines = lines;
        this.alignOrOwners = alignOrOwners;
        this.fits = fits;
        this.owners = owners;
        long opCount = 0;
        for (int i = 0; i < entries; i++)
        {
            if (kinds[i] == ALLOC || kinds[i] == ALLOC_AT || kinds[i] == FREE)
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

    /** @return 1 or 2, the version of the header. */
    public int version()
    {
        return version;
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

    /**
     * @return the {@code end=} pfn of a v2 domain line (inclusive), or {@link #NO_END_PFN} when
     * the line gives none (the allocator's own highest pfn).
     */
    public long endPfn()
    {
        return endPfn;
    }

    /** {@link #endPfn()} of a domain line without {@code end=}. */
    public static final long NO_END_PFN = -1;

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

    /** @return how many operations ({@code alloc}, {@code alloc-at} and {@code free} lines; nothing else is an operation). */
    public long ops()
    {
        return ops;
    }

    /**
     * @param entry an entry index in {@code [0, entries())}.
     * @return {@link #RESERVE}, {@link #ALLOC}, {@link #FREE}, {@link #ALLOC_AT}, {@link #ALLOW} or {@link #UNRESERVE}.
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
     * @param entry an {@link #ALLOC}, {@link #ALLOC_AT} or {@link #FREE} entry.
     * @return its id, all 64 bits (print with {@link Long#toUnsignedString(long)}).
     */
    public long id(final int entry)
    {
        if (kinds[entry] != ALLOC_AT)
        {
            checkKind(entry, ALLOC, FREE);
        }
        return ids[entry];
    }

    /**
     * @param entry an {@link #ALLOC} or {@link #ALLOC_AT} entry.
     * @return the pages it asks for, at least 1.
     */
    public long pages(final int entry)
    {
        checkKind(entry, ALLOC, ALLOC_AT);
        return pagesOrLoPfns[entry];
    }

    /**
     * @param entry an {@link #ALLOC_AT} entry.
     * @return the first pfn it asks for.
     */
    public long atPfn(final int entry)
    {
        checkKind(entry, ALLOC_AT, ALLOC_AT);
        return limitOrHiPfns[entry];
    }

    /**
     * @param entry an {@link #ALLOC} entry.
     * @return its {@code align=} (a power of two; {@link #ALIGN_2_63} for 2^63), or
     * {@link #NATURAL_ALIGN} when the line gives none.
     */
    public long alignPages(final int entry)
    {
        checkKind(entry, ALLOC, ALLOC);
        return alignOrOwners[entry];
    }

    /**
     * @param entry an {@link #ALLOC} entry.
     * @return {@link #FIT_HIGHEST}, {@link #FIT_LOWEST} or {@link #FIT_BEST}.
     */
    public byte fit(final int entry)
    {
        checkKind(entry, ALLOC, ALLOC);
        return fits[entry];
    }

    /**
     * @param entry a {@link #RESERVE} or {@link #UNRESERVE} entry.
     * @return its owner, or null for an unowned reserve.
     */
    public String owner(final int entry)
    {
        checkKind(entry, RESERVE, UNRESERVE);
        final int owner = (int)alignOrOwners[entry];
        return owner == UNOWNED ? null : owners[owner];
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
     * @param entry a {@link #RESERVE} or {@link #ALLOW} entry.
     * @return its first pfn.
     */
    public long loPfn(final int entry)
    {
        checkKind(entry, RESERVE, ALLOW);
        return pagesOrLoPfns[entry];
    }

    /**
     * @param entry a {@link #RESERVE} or {@link #ALLOW} entry.
     * @return its last pfn (inclusive), at least {@link #loPfn(int)}.
     */
    public long hiPfn(final int entry)
    {
        checkKind(entry, RESERVE, ALLOW);
        return limitOrHiPfns[entry];
    }

    /**
     * @param entry an {@link #ALLOC}, {@link #ALLOC_AT} or {@link #FREE} entry.
     * @return the entry it links to (see the class comment), or {@link #NO_LINK}.
     */
    public int link(final int entry)
    {
        if (kinds[entry] != ALLOC_AT)
        {
            checkKind(entry, ALLOC, FREE);
        }
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
     * @param fit a fit code.
     * @return its word in a trace ({@code "highest"}).
     */
    public static String fitName(final byte fit)
    {
        switch (fit)
        {
            case FIT_HIGHEST:
                return "highest";
            case FIT_LOWEST:
                return "lowest";
            case FIT_BEST:
                return "best";
            default:
                return "fit " + fit;
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
            case ALLOC_AT:
                return "alloc-at";
            case ALLOW:
                return "allow";
            case UNRESERVE:
                return "unreserve";
            default:
                return "kind " + kind;
        }
    }

    @Override
    public String toString()
    {
        return "Trace{" + name + ", v" + version + ", granuleBytes=" + granuleBytes + ", startPfn=0x" + Long.toHexString(startPfn) +
            ", entries=" + entries + ", ops=" + ops + "}";
    }
}
