package dev.iova.bench.trace.kernel;

import dev.iova.bench.trace.Trace;
import dev.iova.bench.trace.TraceFormatException;
import dev.iova.bench.trace.TraceParser;

import java.io.IOException;
import java.nio.file.Path;
import java.util.TreeSet;

/**
 * A trace file (an imported recording, or any iova-trace v1 file) stretched or cut to exactly
 * the number of operations a benchmark divides its time by: the JMH trace suite replays
 * {@code shape=file:PATH} through this, as it replays a generated shape of that many operations.
 *
 * <p>The file's operations are replayed in rounds: round {@code r} is the file's {@code alloc}
 * and {@code free} lines with every id raised by {@code r * (highest id + 1)}, followed by a
 * {@code free} of every id the round left bound (lowest first), so that each round starts from
 * what the file starts from. The text stops at exactly {@code ops} operations, which may cut a
 * round: a prefix of a valid trace is valid. The file's reserves come once, after the domain line.
 * The same file always gives the same text.
 */
public final class FileTraceWorkload
{
    /** The prefix of a {@code shape} value that names a trace file instead of a generated shape. */
    public static final String SHAPE_PREFIX = "file:";

    private FileTraceWorkload()
    {
    }

    /**
     * @param file a valid iova-trace v1 file with at least one operation.
     * @param ops  how many operations the text must have.
     * @return the trace text.
     * @throws IOException          when the file cannot be read.
     * @throws TraceFormatException when the file is not a valid trace, or has no operation.
     */
    public static String repeatToOps(final Path file, final long ops) throws IOException
    {
        return repeatToOps(TraceParser.parse(file), ops);
    }

    /**
     * @param trace a parsed trace with at least one operation.
     * @param ops   how many operations the text must have.
     * @return the trace text.
     */
    public static String repeatToOps(final Trace trace, final long ops)
    {
        if (trace.ops() == 0)
        {
            throw new TraceFormatException(trace.name(), trace.domainLine(), "the trace has no alloc or free line to repeat");
        }
        long highestId = 0;
        for (int e = 0; e < trace.entries(); e++)
        {
            if (trace.kind(e) != Trace.RESERVE && Long.compareUnsigned(trace.id(e), highestId) > 0)
            {
                highestId = trace.id(e);
            }
        }
        final long idSpan = highestId + 1;
        final StringBuilder text = new StringBuilder((int)Math.min(Integer.MAX_VALUE / 2, ops * 24 + 256));
        text.append(TraceParser.HEADER).append('\n');
        text.append("# ").append(trace.name()).append(", repeated to ").append(ops).append(" operations\n");
        text.append("domain granule=").append(trace.granuleBytes()).append(" start=0x").append(Long.toHexString(trace.startPfn())).append('\n');
        for (int e = 0; e < trace.entries(); e++)
        {
            if (trace.kind(e) == Trace.RESERVE)
            {
                text.append("reserve 0x").append(Long.toHexString(trace.loPfn(e))).append(" 0x").append(Long.toHexString(trace.hiPfn(e))).append('\n');
            }
        }
        long written = 0;
        final TreeSet<Long> bound = new TreeSet<>(Long::compareUnsigned);
        for (long round = 0; written < ops; round++)
        {
            final long offset;
            try
            {
                offset = Math.multiplyExact(round, idSpan);
            }
            catch (final ArithmeticException ex)
            {
                throw new TraceFormatException(trace.name(), trace.domainLine(), "ids up to " + Long.toUnsignedString(highestId) +
                    " leave no room to repeat the trace to " + ops + " operations");
            }
            bound.clear();
            for (int e = 0; e < trace.entries() && written < ops; e++)
            {
                if (trace.kind(e) == Trace.ALLOC)
                {
                    final long id = trace.id(e) + offset;
                    text.append("alloc ").append(Long.toUnsignedString(id)).append(' ').append(trace.pages(e))
                        .append(" 0x").append(Long.toHexString(trace.limitPfn(e))).append('\n');
                    bound.add(id);
                    written++;
                }
                else if (trace.kind(e) == Trace.FREE)
                {
                    final long id = trace.id(e) + offset;
                    text.append("free ").append(Long.toUnsignedString(id)).append('\n');
                    bound.remove(id);
                    written++;
                }
            }
            for (final long id : bound)
            {
                if (written == ops)
                {
                    break;
                }
                text.append("free ").append(Long.toUnsignedString(id)).append('\n');
                written++;
            }
        }
        return text.toString();
    }
}
