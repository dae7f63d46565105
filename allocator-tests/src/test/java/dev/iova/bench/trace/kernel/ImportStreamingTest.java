package dev.iova.bench.trace.kernel;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A recording is streamed, never read whole: a long one passes through a bounded amount of
 * memory, and input with no line ends or with binary bytes is refused early.
 */
class ImportStreamingTest
{
    /** Lines {@code map, unmap, map, unmap, ...} of one page, made on the fly: nothing holds them all. */
    private static final class GeneratedRecording extends InputStream
    {
        private final long pairs;
        private long pair;
        private byte[] current = new byte[0];
        private int pos;
        long bytesRead;

        GeneratedRecording(final long pairs)
        {
            this.pairs = pairs;
        }

        @Override
        public int read()
        {
            if (pos == current.length && !refill())
            {
                return -1;
            }
            bytesRead++;
            return current[pos++] & 0xff;
        }

        @Override
        public int read(final byte[] b, final int off, final int len)
        {
            if (pos == current.length && !refill())
            {
                return -1;
            }
            final int n = Math.min(len, current.length - pos);
            System.arraycopy(current, pos, b, off, n);
            pos += n;
            bytesRead += n;
            return n;
        }

        private boolean refill()
        {
            if (pair == pairs)
            {
                return false;
            }
            final long us = pair * 10;
            final long addr = 0xfff00000L + (pair % 256) * 4096;
            current = String.format("fio-1 [000] ..... %d.%06d: dma_map_page: nvme0 dir=TO_DEVICE dma_addr=%x size=4096 phys_addr=1000 attrs=%n" +
                "<idle>-0 [001] d.h1. %d.%06d: dma_unmap_page: nvme0 dir=TO_DEVICE dma_addr=%x size=4096 attrs=%n",
                us / 1_000_000, us % 1_000_000, addr, (us + 5) / 1_000_000, (us + 5) % 1_000_000, addr).getBytes(StandardCharsets.US_ASCII);
            pos = 0;
            pair++;
            return true;
        }
    }

    /** Counts what it is given and keeps nothing. */
    private static final class CountingWriter extends Writer
    {
        long chars;

        @Override
        public void write(final char[] cbuf, final int off, final int len)
        {
            chars += len;
        }

        @Override
        public void flush()
        {
        }

        @Override
        public void close()
        {
        }
    }

    @Test
    void aLongRecordingIsStreamedTwiceThroughBoundedMemory() throws IOException
    {
        final long pairs = 3_000; // 6,000 lines, about 700 KB read twice (the endless line below shows the memory bound)
        final CountingWriter out = new CountingWriter();
        final GeneratedRecording[] opened = new GeneratedRecording[2];
        final int[] opens = {0};
        final ImportSummary summary = KernelTraceImporter.importStream("generated", () -> opened[opens[0]++] = new GeneratedRecording(pairs),
            ImportOptions.defaults(), out);

        assertEquals(2, opens[0], "one stream per pass");
        assertEquals(pairs, summary.allocs());
        assertEquals(pairs, summary.frees());
        assertEquals(0, summary.liveAtEnd());
        assertEquals(opened[0].bytesRead, opened[1].bytesRead);
        assertTrue(opened[0].bytesRead > 600_000L, "the recording is larger than the trace: " + opened[0].bytesRead);
    }

    @Test
    void aFileWithoutLineEndsIsRefusedAfterOneLongLine()
    {
        final long[] served = {0};
        final InputStream endless = new InputStream()
        {
            @Override
            public int read()
            {
                served[0]++;
                return 'a';
            }
        };
        final ImportException ex = assertThrows(ImportException.class, () -> KernelTraceImporter.importStream("huge.txt", () -> endless,
            ImportOptions.defaults(), new CountingWriter()));
        assertEquals("huge.txt:1: not a text recording: the line is longer than 262144 bytes", ex.getMessage());
        assertTrue(served[0] < 2 * LineReader.MAX_LINE_BYTES, "stopped after " + served[0] + " bytes");
    }

    @Test
    void binaryBytesAreRefusedOnTheLineTheyAreOn()
    {
        final byte[] recording = ("fio-1 [000] 1.0: dma_map_page: nvme0 dir=TO_DEVICE dma_addr=1000 size=1 phys_addr=1 attrs=\n" +
            "fio-1 [000] 1.1: dma_unmap_page: nvme0 dir=TO_DEVICE dma_addr=1000 size=1 attrs=\n" +
            "\u007fELF\n").getBytes(StandardCharsets.UTF_8);
        final ImportException ex = assertThrows(ImportException.class, () -> KernelTraceImporter.importStream("rec.bin",
            () -> new java.io.ByteArrayInputStream(recording), ImportOptions.defaults(), new CountingWriter()));
        assertEquals("rec.bin:3: not a text recording: control byte 0x7f at column 1", ex.getMessage());
    }

    @Test
    void lineEndsOfWindowsAndAMissingLastLineEndAreRead()
    {
        final String trace = KernelTraceImporter.importText("crlf.txt",
            "fio-1 [000] 1.0: dma_map_page: nvme0 dir=TO_DEVICE dma_addr=1000 size=1 phys_addr=1 attrs=\r\n" +
            "fio-1 [000] 1.1: dma_unmap_page: nvme0 dir=TO_DEVICE dma_addr=1000 size=1 attrs=", ImportOptions.defaults());
        assertTrue(trace.contains("alloc 1 1 0x1  # kernel 0x1 line 1\nfree 1\n"), trace);
    }
}
