package dev.iova.tree;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The gap-length classes best fit prunes by: one bit per class, and a range of lengths as the union of theirs. */
class GapLengthClassTest
{
    @Test
    void classesAreTheDocumentedOnes()
    {
        assertEquals(0, InnerDescriptor.gapLengthClass(0));
        for (int length = 1; length <= 8; length++)
        {
            assertEquals(1 << (length - 1), InnerDescriptor.gapLengthClass(length), "length " + length);
        }
        assertEquals(1 << 8, InnerDescriptor.gapLengthClass(9));
        assertEquals(1 << 8, InnerDescriptor.gapLengthClass(15));
        assertEquals(1 << 9, InnerDescriptor.gapLengthClass(16));
        assertEquals(1 << 9, InnerDescriptor.gapLengthClass(31));
        assertEquals(1 << 14, InnerDescriptor.gapLengthClass(512));
        assertEquals(1 << 14, InnerDescriptor.gapLengthClass(1023));
        assertEquals(1 << 15, InnerDescriptor.gapLengthClass(1024));
        assertEquals(1 << 15, InnerDescriptor.gapLengthClass(1L << 56));
    }

    @Test
    void aRangeOfLengthsHasTheUnionOfTheirClasses()
    {
        for (long from = 1; from <= 1100; from += 7)
        {
            int union = 0;
            for (long to = from; to <= 2100; to++)
            {
                union |= InnerDescriptor.gapLengthClass(to);
                assertEquals(union, InnerDescriptor.gapLengthClasses(from, to), "[" + from + ", " + to + "]");
            }
            assertEquals(0, InnerDescriptor.gapLengthClasses(from, from - 1));
        }
        assertEquals(0xffff, InnerDescriptor.gapLengthClasses(1, Long.MAX_VALUE));
    }
}
