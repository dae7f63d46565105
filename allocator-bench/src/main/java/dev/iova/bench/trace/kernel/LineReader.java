package dev.iova.bench.trace.kernel;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Reads a recording one line at a time from a stream, holding one line in memory whatever the
 * size of the file, and refuses what is not text at the first line that shows it: a control
 * byte (anything below {@code 0x20} but tab and carriage return, and {@code 0x7f}), or a line
 * longer than {@link #MAX_LINE_BYTES} (a file with no line ends). Bytes from {@code 0x80} up
 * are let through (task names are arbitrary bytes) and decoded as UTF-8.
 */
final class LineReader
{
    /**
     * The longest line accepted, in bytes. The longest real event line is a {@code dma_map_sg}
     * of 128 segments: three arrays of up to 128 numbers of at most 18 characters, about 7 KiB.
     */
    static final int MAX_LINE_BYTES = 256 * 1024;

    private final InputStream in;
    private final String fileName;
    private final byte[] buffer = new byte[64 * 1024];
    private int bufferPos;
    private int bufferEnd;
    private byte[] line = new byte[1024];
    private long lineNumber;

    /**
     * @param in       the recording; read to its end, not closed.
     * @param fileName the recording's name, for errors.
     */
    LineReader(final InputStream in, final String fileName)
    {
        this.in = in;
        this.fileName = fileName;
    }

    /** @return the 1-based number of the line last returned by {@link #next()}. */
    long lineNumber()
    {
        return lineNumber;
    }

    /**
     * @return the next line without its line end, or null at the end of the stream.
     * @throws ImportException when the line is not text.
     * @throws IOException     when the stream fails.
     */
    String next() throws IOException
    {
        int length = 0;
        boolean sawAny = false;
        while (true)
        {
            if (bufferPos == bufferEnd)
            {
                bufferEnd = in.read(buffer, 0, buffer.length);
                bufferPos = 0;
                if (bufferEnd <= 0)
                {
                    bufferEnd = 0;
                    if (!sawAny)
                    {
                        return null;
                    }
                    break;
                }
            }
            final byte b = buffer[bufferPos++];
            if (!sawAny)
            {
                sawAny = true;
                lineNumber++;
            }
            if (b == '\n')
            {
                break;
            }
            if ((b >= 0 && b < 0x20 && b != '\t' && b != '\r') || b == 0x7f)
            {
                throw new ImportException(fileName, lineNumber, String.format(
                    "not a text recording: control byte 0x%02x at column %d", b & 0xff, length + 1));
            }
            if (length == MAX_LINE_BYTES)
            {
                throw new ImportException(fileName, lineNumber,
                    "not a text recording: the line is longer than " + MAX_LINE_BYTES + " bytes");
            }
            if (length == line.length)
            {
                line = java.util.Arrays.copyOf(line, Math.min(line.length * 2, MAX_LINE_BYTES));
            }
            line[length++] = b;
        }
        if (length > 0 && line[length - 1] == '\r')
        {
            length--;
        }
        return new String(line, 0, length, StandardCharsets.UTF_8);
    }
}
