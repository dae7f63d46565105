package dev.iova.bench.trace;

import java.io.IOException;
import java.io.Writer;

/**
 * Writes iova-trace v1 lines: ids and pages in decimal, pfns in {@code 0x} hex, one line per
 * call. It checks nothing: the caller keeps the trace valid (see {@link TraceGenerator}).
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

    /** @return how many {@code alloc} and {@code free} lines have been written. */
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
