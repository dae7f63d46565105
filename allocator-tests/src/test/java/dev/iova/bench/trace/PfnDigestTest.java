package dev.iova.bench.trace;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

class PfnDigestTest
{
    @Test
    void shouldBeTheOffsetBasisWhenNothingWasAllocated()
    {
        assertEquals(0xcbf29ce484222325L, PfnDigest.of());
        assertEquals("cbf29ce484222325", PfnDigest.toHex(PfnDigest.of()));
    }

    @Test
    void shouldMatchFnv1aOfEightZeroBytesForOneFailedAllocation()
    {
        // FNV-1a 64 of the bytes 00 00 00 00 00 00 00 00: eight rounds of hash = (hash ^ 0) * prime,
        // worked out separately (python: h = 0xcbf29ce484222325; 8 x h = h * 0x100000001b3 mod 2^64).
        assertEquals("a8c7f832281a39c5", PfnDigest.toHex(PfnDigest.of(0L)));
    }

    @Test
    void shouldFeedPfnsLittleEndian()
    {
        // 0x0102030405060708 goes in as the bytes 08 07 06 05 04 03 02 01.
        long bytewise = PfnDigest.OFFSET_BASIS;
        for (final int octet : new int[] {8, 7, 6, 5, 4, 3, 2, 1})
        {
            bytewise = (bytewise ^ octet) * PfnDigest.PRIME;
        }
        assertEquals(bytewise, PfnDigest.of(0x0102030405060708L));
        assertEquals("0c6d4496e17859d5", PfnDigest.toHex(bytewise));
    }

    @Test
    void shouldReproduceTheDigestOfTheHandWorkedTrace()
    {
        // small-hand.trace, worked by hand: 0xef, 0xec, 0xe8, 0xee, 0x10, fail, 0x1, fail.
        assertEquals("9bfcd77eec79fd31", PfnDigest.toHex(PfnDigest.of(0xef, 0xec, 0xe8, 0xee, 0x10, 0, 0x1, 0)));
    }

    @Test
    void shouldDependOnOrder()
    {
        assertEquals(PfnDigest.update(PfnDigest.update(PfnDigest.OFFSET_BASIS, 1), 2), PfnDigest.of(1, 2));
        assertNotEquals(PfnDigest.of(1, 2), PfnDigest.of(2, 1));
    }

    @Test
    void shouldPrintSixteenLowerCaseHexDigits()
    {
        assertEquals("0000000000000000", PfnDigest.toHex(0));
        assertEquals("00000000000000ab", PfnDigest.toHex(0xab));
        assertEquals("ffffffffffffffff", PfnDigest.toHex(-1L));
    }
}
