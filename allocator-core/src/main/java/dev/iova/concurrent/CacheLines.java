package dev.iova.concurrent;

/**
 * The distance that keeps two independently written words from slowing each other down.
 *
 * <p>128 bytes, not the 64 of a cache line: Intel's adjacent-line prefetcher fetches lines in
 * aligned pairs, so two words 64 bytes apart still move between cores together. Every striped
 * structure of the caches and of the DMA layer places its stripes (lock words, counters, off-heap
 * stripe and depot records) this far apart, and keeps the first of them this far from a Java
 * array's header (whose length every bounds-checked access reads).
 */
public final class CacheLines
{
    /** Bytes between two words written by different threads: a pair of 64-byte lines. */
    public static final int PADDING_BYTES = 128;

    private CacheLines()
    {
    }
}
