package dev.iova.tree;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;

import org.agrona.BufferUtil;
import org.agrona.UnsafeApi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The undo of an update in place ({@code IntervalTree.undoShift}): whatever write the update's
 * shift stopped at, and whatever write the undo itself stopped at, once or twice, before it ran
 * again to the end, the leaf's ranges and header word are back as they were.
 *
 * <p>The update's writes are replayed here in the order {@code IntervalTree} makes them: an
 * insert at slot {@code j} copies slots {@code count-1} down to {@code j} one slot up, then writes
 * the new range at {@code j}; a removal at {@code j} copies slots {@code j+1} to {@code count-1}
 * one slot down; each slot first pfn first ({@code setEntry}), then the header word's count and
 * {@code second}. A {@link StackOverflowError} can stop either between any two of those writes.
 */
class UndoShiftTest
{
    private static final int CAPACITY = LeafDescriptor.CAPACITY;
    private static final long LO = LeafDescriptor.LO_PFN_OFFSET;
    private static final long HI = LeafDescriptor.HI_KIND_OFFSET;
    private static final long HEADER = 7L << 32 | 3; // any header word: second 7, count 3 (only its restoration is checked)

    private final ByteBuffer buffer = ByteBuffer.allocateDirect(LeafDescriptor.LEAF_LENGTH);
    private final long leaf = BufferUtil.address(buffer);
    private final long[] expected = new long[LeafDescriptor.LEAF_LENGTH / Long.BYTES];

    @AfterEach
    void free()
    {
        BufferUtil.free(buffer);
    }

    @Test
    void anInsertCutAtAnyWriteIsUndoneWhereverItsUndoIsCut()
    {
        int cases = 0;
        for (int count = 1; count < CAPACITY; count++)
        {
            for (int j = 0; j < count; j++)
            {
                for (final boolean staleCopy : new boolean[] {false, true})
                {
                    final long[][] writes = insertWrites(count, j);
                    for (int n = 0; n <= writes.length; n++)
                    {
                        cases += checkUndo(count, j, staleCopy, writes, n, true, newLo(j), 0);
                    }
                }
            }
        }
        assertTrue(cases > 100_000, "cases: " + cases);
    }

    @Test
    void aRemovalCutAtAnyWriteIsUndoneWhereverItsUndoIsCut()
    {
        int cases = 0;
        for (int count = 2; count <= CAPACITY; count++)
        {
            for (int j = 0; j < count - 1; j++)
            {
                final long[][] writes = removalWrites(count, j);
                for (int n = 0; n <= writes.length; n++)
                {
                    cases += checkUndo(count, j, false, writes, n, false, lo(j), hiKind(j));
                }
            }
        }
        assertTrue(cases > 100_000, "cases: " + cases);
    }

    @Test
    void anUndoneShiftStaysUndone()
    {
        final int count = 9;
        final int j = 4;
        setUp(count, false);
        apply(insertWrites(count, j), Integer.MAX_VALUE);
        assertTrue(IntervalTree.undoShift(leaf, j, count, HEADER, newLo(j), 0, true, Integer.MAX_VALUE));
        assertLeafAsBefore(count, "undone once");
        assertTrue(IntervalTree.undoShift(leaf, j, count, HEADER, newLo(j), 0, true, Integer.MAX_VALUE));
        assertLeafAsBefore(count, "undone twice");
        assertTrue(IntervalTree.undoShift(leaf, j, count, HEADER, lo(j), hiKind(j), false, Integer.MAX_VALUE));
        assertLeafAsBefore(count, "a removal's undo of a removal that had not begun");
    }

    /**
     * Sets the leaf up, applies the update's first {@code n} writes, then for every cut of the
     * undo, and every second cut after it, runs the undo to its end and checks the leaf.
     *
     * @return how many undo sequences were checked.
     */
    private int checkUndo(final int count, final int j, final boolean staleCopy, final long[][] writes, final int n,
        final boolean insert, final long loPfn, final long hiKind)
    {
        int checked = 0;
        for (int first = 0; ; first++)
        {
            boolean firstFinished = false;
            for (int second = 0; ; second++)
            {
                setUp(count, staleCopy);
                apply(writes, n);
                final String what = (insert ? "insert" : "removal") + " count=" + count + " j=" + j + " stale=" + staleCopy +
                    " cut after " + n + " writes, undo cut after " + first + " then " + second;
                firstFinished = IntervalTree.undoShift(leaf, j, count, HEADER, loPfn, hiKind, insert, first);
                final boolean secondFinished =
                    firstFinished || IntervalTree.undoShift(leaf, j, count, HEADER, loPfn, hiKind, insert, second);
                assertTrue(IntervalTree.undoShift(leaf, j, count, HEADER, loPfn, hiKind, insert, Integer.MAX_VALUE), what);
                assertLeafAsBefore(count, what);
                checked++;
                if (secondFinished)
                {
                    break;
                }
            }
            if (firstFinished)
            {
                return checked;
            }
        }
    }

    private static long lo(final int i)
    {
        return 1_000 + 100L * i;
    }

    /** Range {@code i} spans 10 pages; every third is cached, to carry kind bits. */
    private static long hiKind(final int i)
    {
        return lo(i) + 9 | (i % 3 == 0 ? LeafDescriptor.KIND_CACHED : 0);
    }

    /** A range in gap {@code j}, below range {@code j} and above range {@code j - 1}. */
    private static long newLo(final int j)
    {
        return lo(j) - 40;
    }

    private void setUp(final int count, final boolean staleCopy)
    {
        for (int w = 0; w < expected.length; w++)
        {
            UnsafeApi.putLong(leaf + (long)w * Long.BYTES, 0x5a5a_5a5a_5a5a_5a5aL + w);
        }
        UnsafeApi.putLong(leaf, HEADER);
        for (int i = 0; i < count; i++)
        {
            UnsafeApi.putLong(leaf + LO + 8L * i, lo(i));
            UnsafeApi.putLong(leaf + HI + 8L * i, hiKind(i));
        }
        if (staleCopy && count < CAPACITY)
        {
            // What a removal leaves beyond the ranges: a copy of the last one.
            UnsafeApi.putLong(leaf + LO + 8L * count, lo(count - 1));
            UnsafeApi.putLong(leaf + HI + 8L * count, hiKind(count - 1));
        }
        for (int w = 0; w < expected.length; w++)
        {
            expected[w] = UnsafeApi.getLong(leaf + (long)w * Long.BYTES);
        }
    }

    /** The insert's writes as {address, value} pairs, computed from the leaf as it was. */
    private long[][] insertWrites(final int count, final int j)
    {
        final long[][] writes = new long[2 * (count - j) + 4][];
        int w = 0;
        for (int i = count; i > j; i--)
        {
            writes[w++] = new long[] {leaf + LO + 8L * i, lo(i - 1)};
            writes[w++] = new long[] {leaf + HI + 8L * i, hiKind(i - 1)};
        }
        writes[w++] = new long[] {leaf + LO + 8L * j, newLo(j)};
        writes[w++] = new long[] {leaf + HI + 8L * j, newLo(j) + 4};
        writes[w++] = new long[] {leaf, HEADER & ~0xffff_ffffL | count + 1};
        writes[w++] = new long[] {leaf, 123L << 32 | count + 1};
        return writes;
    }

    private long[][] removalWrites(final int count, final int j)
    {
        final long[][] writes = new long[2 * (count - 1 - j) + 2][];
        int w = 0;
        for (int i = j; i < count - 1; i++)
        {
            writes[w++] = new long[] {leaf + LO + 8L * i, lo(i + 1)};
            writes[w++] = new long[] {leaf + HI + 8L * i, hiKind(i + 1)};
        }
        writes[w++] = new long[] {leaf, HEADER & ~0xffff_ffffL | count - 1};
        writes[w++] = new long[] {leaf, 456L << 32 | count - 1};
        return writes;
    }

    private static void apply(final long[][] writes, final int n)
    {
        for (int w = 0; w < Math.min(n, writes.length); w++)
        {
            UnsafeApi.putLong(writes[w][0], writes[w][1]);
        }
    }

    /** The header word and every slot of the ranges as before; slots beyond them may differ. */
    private void assertLeafAsBefore(final int count, final String what)
    {
        assertEquals(expected[0], UnsafeApi.getLong(leaf), what + ": header word");
        assertEquals(expected[1], UnsafeApi.getLong(leaf + LeafDescriptor.GAP_LO_PFN_OFFSET), what + ": gapLoPfn");
        for (int i = 0; i < count; i++)
        {
            assertEquals(expected[(int)((LO >> 3) + i)], UnsafeApi.getLong(leaf + LO + 8L * i), what + ": first pfn of slot " + i);
            assertEquals(expected[(int)((HI >> 3) + i)], UnsafeApi.getLong(leaf + HI + 8L * i), what + ": hiKind of slot " + i);
        }
    }
}
