package dev.iova.region;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The value types: {@link ReservedRegion}, {@link ByteRange}, {@link RegionType}, {@link Protection}. */
class ReservedRegionTest
{
    @Test
    void shouldRejectRegionEndingBelowItsStartNamingBoth()
    {
        final IllegalArgumentException ex = assertThrows(
            IllegalArgumentException.class, () -> ReservedRegion.of(0x200, 0x1ff, RegionType.RESERVED));

        assertEquals("endByte=0x1ff is below startByte=0x200 (type reserved)", ex.getMessage());
    }

    @Test
    void shouldCompareRegionBoundsUnsigned()
    {
        final ReservedRegion region = ReservedRegion.of(0x7fffffffffffffffL, 0x8000000000000000L, RegionType.MSI);

        assertEquals(0x8000000000000000L, region.endByte());
        assertThrows(IllegalArgumentException.class, () -> ReservedRegion.of(0x8000000000000000L, 0x7fffffffffffffffL, RegionType.MSI));
    }

    @Test
    void shouldAcceptOneByteRegionAndWholeAddressSpace()
    {
        assertEquals(0x1000, ReservedRegion.of(0x1000, 0x1000, RegionType.MSI).endByte());
        assertEquals(-1L, ReservedRegion.of(0x0, 0xffffffffffffffffL, RegionType.RESERVED).endByte());
    }

    @Test
    void shouldGiveDirectRegionsReadWriteAndOthersNoMapByDefault()
    {
        for (final RegionType type : RegionType.values())
        {
            final Protection expected = type == RegionType.DIRECT || type == RegionType.DIRECT_RELAXABLE ?
                Protection.READ_WRITE : Protection.NO_MAP;

            assertEquals(expected, ReservedRegion.of(0x0, 0xfff, type).protection(), type.sysfsWord());
        }
    }

    @Test
    void shouldRejectDirectRegionThatMapsNothing()
    {
        final IllegalArgumentException ex = assertThrows(
            IllegalArgumentException.class, () -> new ReservedRegion(0x1000, 0x1fff, RegionType.DIRECT, Protection.NO_MAP));

        assertEquals("protection=NO_MAP does not suit type direct [0x1000, 0x1fff]: a direct region must allow reads or writes",
            ex.getMessage());
    }

    @Test
    void shouldRejectMappableMsiRegion()
    {
        final IllegalArgumentException ex = assertThrows(
            IllegalArgumentException.class, () -> new ReservedRegion(0x1000, 0x1fff, RegionType.MSI, Protection.READ));

        assertEquals("protection=READ does not suit type msi [0x1000, 0x1fff]: only direct regions may be mapped", ex.getMessage());
    }

    @Test
    void shouldRejectNullTypeAndProtection()
    {
        assertThrows(NullPointerException.class, () -> new ReservedRegion(0x0, 0x1, null, Protection.NO_MAP));
        assertThrows(NullPointerException.class, () -> new ReservedRegion(0x0, 0x1, RegionType.MSI, null));
    }

    @Test
    void shouldPrintAsKernelDoes()
    {
        assertEquals("0x00000000fee00000 0x00000000feefffff msi",
            ReservedRegion.of(0xfee00000L, 0xfeefffffL, RegionType.MSI).toSysfsLine());
        assertEquals("0xffffffffffff0000 0xffffffffffffffff direct-relaxable",
            ReservedRegion.of(0xffffffffffff0000L, -1L, RegionType.DIRECT_RELAXABLE).toSysfsLine());
        assertEquals("0x0000000000001000 0x0000000000001fff direct READ",
            new ReservedRegion(0x1000, 0x1fff, RegionType.DIRECT, Protection.READ).toString());
    }

    @Test
    void shouldTellOverlapOfRegionsWhateverTheirType()
    {
        final ReservedRegion window = ReservedRegion.of(0x1000, 0x1fff, RegionType.RESERVED);

        assertTrue(window.overlaps(ReservedRegion.of(0x1fff, 0x2fff, RegionType.MSI)));
        assertFalse(window.overlaps(ReservedRegion.of(0x2000, 0x2fff, RegionType.RESERVED)));
        assertEquals(new ByteRange(0x1000, 0x1fff), window.range());
    }

    @Test
    void shouldRejectByteRangeEndingBelowItsStart()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> new ByteRange(0xffffffffffffffffL, 0x0));

        assertEquals("endByte=0x0 is below startByte=0xffffffffffffffff", ex.getMessage());
    }

    @Test
    void shouldTellWhetherByteRangeContainsAddressUnsigned()
    {
        final ByteRange high = new ByteRange(0x8000000000000000L, 0xffffffffffffffffL);

        assertTrue(high.contains(0xfffffffffffff000L));
        assertFalse(high.contains(0x1000));
        assertTrue(high.overlaps(0x0, 0x8000000000000000L));
        assertEquals("[0x8000000000000000, 0xffffffffffffffff]", high.toString());
    }

    @Test
    void shouldReadKernelTypeWords()
    {
        assertEquals(RegionType.DIRECT, RegionType.fromSysfsWord("direct", MsiKind.HARDWARE));
        assertEquals(RegionType.DIRECT_RELAXABLE, RegionType.fromSysfsWord("direct-relaxable", MsiKind.HARDWARE));
        assertEquals(RegionType.RESERVED, RegionType.fromSysfsWord("reserved", MsiKind.SOFTWARE));
    }

    @Test
    void shouldReadMsiAsTheKindThePlatformHas()
    {
        assertEquals(RegionType.MSI, RegionType.fromSysfsWord("msi", MsiKind.HARDWARE));
        assertEquals(RegionType.SW_MSI, RegionType.fromSysfsWord("msi", MsiKind.SOFTWARE));
        assertEquals(RegionType.SW_MSI, RegionType.fromSysfsWord("sw-msi", MsiKind.HARDWARE));
    }

    @Test
    void shouldRejectUnknownTypeWordNamingKnownOnes()
    {
        final IllegalArgumentException ex = assertThrows(
            IllegalArgumentException.class, () -> RegionType.fromSysfsWord("MSI", MsiKind.HARDWARE));

        assertEquals("unknown region type 'MSI' (known: direct, direct-relaxable, reserved, msi, sw-msi)", ex.getMessage());
    }

    @Test
    void shouldKeepLinuxTypeOrder()
    {
        assertEquals("DIRECT, DIRECT_RELAXABLE, RESERVED, MSI, SW_MSI",
            String.join(", ", java.util.Arrays.stream(RegionType.values()).map(Enum::name).toArray(String[]::new)));
    }

    @Test
    void shouldUnionProtections()
    {
        assertSame(Protection.READ_WRITE, Protection.READ.union(Protection.WRITE));
        assertSame(Protection.READ, Protection.READ.union(Protection.NO_MAP));
        assertSame(Protection.NO_MAP, Protection.NO_MAP.union(Protection.NO_MAP));
        assertTrue(Protection.READ_WRITE.canRead() && Protection.READ_WRITE.canWrite());
        assertFalse(Protection.WRITE.canRead());
    }
}
