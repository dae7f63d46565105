package dev.iova.bench.trace;

import java.io.IOException;
import java.io.Writer;

/**
 * Writes iova-trace v1 and v2 lines: ids and pages in decimal, pfns in {@code 0x} hex, one line
 * per call. It checks nothing: the caller keeps the trace valid (see {@link TraceGenerator}),
 * and uses the v2 lines only after {@link #headerV2()}.
 */
public final class TraceWriter
{
    private final Writer out;
    private final StringBuilder line = new StringBuilder(64);
    private long ops;

    /**
     * @param out where the lines go; not closed or flushed by this writer.
     */
    public TraceWriter(final Writer out)
    {
        this.out = out;
    }

    /** @return how many {@code alloc}, {@code alloc-at} and {@code free} lines have been written. */
    public long ops()
    {
        return ops;
    }

    /**
     * Writes the {@code iova-trace v1} header.
     *
     * @throws IOException when the output fails.
     */
    public void header() throws IOException
    {
        line.setLength(0);
        line.append(TraceParser.HEADER);
        flushLine();
    }

    /**
     * Writes the {@code iova-trace v2} header.
     *
     * @throws IOException when the output fails.
     */
    public void headerV2() throws IOException
    {
        line.setLength(0);
        line.append(TraceParser.HEADER_V2);
        flushLine();
    }

    /**
     * Writes a v2 domain line with an {@code end}.
     *
     * @param granuleBytes page size, a power of two.
     * @param startPfn     lowest allocatable pfn.
     * @param endPfn       highest allocatable pfn.
     * @throws IOException when the output fails.
     */
    public void domain(final long granuleBytes, final long startPfn, final long endPfn) throws IOException
    {
        line.setLength(0);
        line.append("domain granule=").append(granuleBytes).append(" start=");
        appendHex(startPfn);
        line.append(" end=");
        appendHex(endPfn);
        flushLine();
    }

    /**
     * Writes a v2 reserve line with an owner.
     *
     * @param loPfn   first pfn.
     * @param hiPfn   last pfn (inclusive).
     * @param owner   the owner, a word without blanks or {@code #}.
     * @param comment what the range is, or null for none.
     * @throws IOException when the output fails.
     */
    public void reserve(final long loPfn, final long hiPfn, final String owner, final String comment) throws IOException
    {
        line.setLength(0);
        line.append("reserve ");
        appendHex(loPfn);
        line.append(' ');
        appendHex(hiPfn);
        line.append(" owner=").append(owner);
        if (comment != null)
        {
            line.append("  # ").append(comment);
        }
        flushLine();
    }

    /**
     * Writes a v2 unreserve line.
     *
     * @param owner an owner with a reserve in force.
     * @throws IOException when the output fails.
     */
    public void unreserve(final String owner) throws IOException
    {
        line.setLength(0);
        line.append("unreserve ").append(owner);
        flushLine();
    }

    /**
     * Writes a v2 allow line.
     *
     * @param loPfn   first pfn.
     * @param hiPfn   last pfn (inclusive).
     * @param comment what the range is, or null for none.
     * @throws IOException when the output fails.
     */
    public void allow(final long loPfn, final long hiPfn, final String comment) throws IOException
    {
        line.setLength(0);
        line.append("allow ");
        appendHex(loPfn);
        line.append(' ');
        appendHex(hiPfn);
        if (comment != null)
        {
            line.append("  # ").append(comment);
        }
        flushLine();
    }

    /**
     * Writes a v2 alloc line with options.
     *
     * @param id         the id that names the result.
     * @param pages      pages asked for.
     * @param limitPfn   highest pfn the range may use (inclusive).
     * @param alignPages a power of two, or {@link Trace#NATURAL_ALIGN} to leave {@code align=} out.
     * @param fit        {@link Trace#FIT_HIGHEST} (left out), {@link Trace#FIT_LOWEST} or {@link Trace#FIT_BEST}.
     * @throws IOException when the output fails.
     */
    public void alloc(final long id, final long pages, final long limitPfn, final long alignPages, final byte fit) throws IOException
    {
        line.setLength(0);
        line.append("alloc ").append(id).append(' ').append(pages).append(' ');
        appendHex(limitPfn);
        if (alignPages != Trace.NATURAL_ALIGN)
        {
            line.append(" align=").append(Long.toUnsignedString(alignPages));
        }
        if (fit != Trace.FIT_HIGHEST)
        {
            line.append(" fit=").append(Trace.fitName(fit));
        }
        flushLine();
        ops++;
    }

    /**
     * Writes a v2 alloc-at line.
     *
     * @param id    the id that names the result.
     * @param pfn   the first pfn asked for.
     * @param pages pages asked for.
     * @throws IOException when the output fails.
     */
    public void allocAt(final long id, final long pfn, final long pages) throws IOException
    {
        line.setLength(0);
        line.append("alloc-at ").append(id).append(' ');
        appendHex(pfn);
        line.append(' ').append(pages);
        flushLine();
        ops++;
    }

    /**
     * Writes a comment line.
     *
     * @param text the comment, without {@code #}, on one line.
     * @throws IOException when the output fails.
     */
    public void comment(final String text) throws IOException
    {
        line.setLength(0);
        line.append("# ").append(text);
        flushLine();
    }

    /**
     * Writes the domain line.
     *
     * @param granuleBytes page size, a power of two.
     * @param startPfn     lowest allocatable pfn.
     * @throws IOException when the output fails.
     */
    public void domain(final long granuleBytes, final long startPfn) throws IOException
    {
        line.setLength(0);
        line.append("domain granule=").append(granuleBytes).append(" start=");
        appendHex(startPfn);
        flushLine();
    }

    /**
     * Writes a reserve line.
     *
     * @param loPfn   first pfn.
     * @param hiPfn   last pfn (inclusive).
     * @param comment what the range is, or null for none.
     * @throws IOException when the output fails.
     */
    public void reserve(final long loPfn, final long hiPfn, final String comment) throws IOException
    {
        line.setLength(0);
        line.append("reserve ");
        appendHex(loPfn);
        line.append(' ');
        appendHex(hiPfn);
        if (comment != null)
        {
            line.append("  # ").append(comment);
        }
        flushLine();
    }

    /**
     * Writes an alloc line.
     *
     * @param id       the id that names the result.
     * @param pages    pages asked for.
     * @param limitPfn highest pfn the range may use (inclusive).
     * @throws IOException when the output fails.
     */
    public void alloc(final long id, final long pages, final long limitPfn) throws IOException
    {
        line.setLength(0);
        line.append("alloc ").append(id).append(' ').append(pages).append(' ');
        appendHex(limitPfn);
        flushLine();
        ops++;
    }

    /**
     * Writes a free line.
     *
     * @param id the id to free.
     * @throws IOException when the output fails.
     */
    public void free(final long id) throws IOException
    {
        line.setLength(0);
        line.append("free ").append(id);
        flushLine();
        ops++;
    }

    private void appendHex(final long value)
    {
        line.append("0x").append(Long.toHexString(value));
    }

    private void flushLine() throws IOException
    {
        line.append('\n');
        out.append(line);
    }
}
