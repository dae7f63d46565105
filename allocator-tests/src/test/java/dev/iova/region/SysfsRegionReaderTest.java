package dev.iova.region;

import static dev.iova.region.RegionSamples.sample;
import static dev.iova.region.RegionType.DIRECT;
import static dev.iova.region.RegionType.DIRECT_RELAXABLE;
import static dev.iova.region.RegionType.MSI;
import static dev.iova.region.RegionType.RESERVED;
import static dev.iova.region.RegionType.SW_MSI;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/** Reading Linux's {@code reserved_regions} format, good and malformed. */
class SysfsRegionReaderTest
{
    private static final String KNOWN = "(known: direct, direct-relaxable, reserved, msi, sw-msi)";

    private final SysfsRegionReader hardwareMsi = new SysfsRegionReader(MsiKind.HARDWARE);
    private final SysfsRegionReader softwareMsi = new SysfsRegionReader(MsiKind.SOFTWARE);

    private static ReservedRegion region(final long startByte, final long endByte, final RegionType type)
    {
        return ReservedRegion.of(startByte, endByte, type);
    }

    /** The x86 sample: four groups, MSI in each, RMRRs in groups 1 to 3. */
    static final List<ReservedRegion> X86_MERGED = List.of(
        region(0x00000000000e8000L, 0x00000000000e8fffL, DIRECT),
        region(0x00000000000f4000L, 0x00000000000f4fffL, DIRECT),
        region(0x000000007b800000L, 0x000000007fffffffL, DIRECT_RELAXABLE),
        region(0x00000000bdf6e000L, 0x00000000bdf8efffL, DIRECT),
        region(0x00000000fee00000L, 0x00000000feefffffL, MSI));

    @Test
    void shouldReadEveryX86GroupMergedAsOneList() throws IOException
    {
        assertEquals(X86_MERGED, hardwareMsi.readGroups(sample("x86-host/iommu_groups")).regions());
    }

    @Test
    void shouldReadIommuGroupsDirectoryByItsPath() throws IOException
    {
        assertEquals(X86_MERGED, hardwareMsi.read(sample("x86-host/iommu_groups")).regions());
    }

    @Test
    void shouldReadOneGroupByNumber() throws IOException
    {
        assertEquals(
            List.of(region(0x7b800000L, 0x7fffffffL, DIRECT_RELAXABLE), region(0xfee00000L, 0xfeefffffL, MSI)),
            hardwareMsi.readGroup(sample("x86-host/iommu_groups"), 1).regions());
    }

    @Test
    void shouldReadOneFileAndOneGroupDirectory() throws IOException
    {
        final List<ReservedRegion> expected = List.of(
            region(0xbdf7f000L, 0xbdf8efffL, DIRECT), region(0xfee00000L, 0xfeefffffL, MSI));

        assertEquals(expected, hardwareMsi.readFile(sample("x86-host/iommu_groups/3/reserved_regions")).regions());
        assertEquals(expected, hardwareMsi.read(sample("x86-host/iommu_groups/3/reserved_regions")).regions());
        assertEquals(expected, hardwareMsi.read(sample("x86-host/iommu_groups/3")).regions());
    }

    @Test
    void shouldMergeOverlappingAndTouchingArmPciWindowsAcrossGroups() throws IOException
    {
        assertEquals(List.of(
            region(0x0000000008000000L, 0x00000000080fffffL, MSI),
            region(0x0000000040000000L, 0x000000005fffffffL, RESERVED),
            region(0x0000008000000000L, 0x000000bfffffffffL, RESERVED)),
            hardwareMsi.read(sample("arm-host/iommu_groups")).regions());
    }

    @Test
    void shouldReadArmMsiAsSoftwareWhenToldSo() throws IOException
    {
        final ReservedRegionList list = softwareMsi.read(sample("arm-host/iommu_groups"));

        assertEquals(List.of(region(0x08000000L, 0x080fffffL, SW_MSI)), list.regionsOfType(SW_MSI));
        assertTrue(list.regionsOfType(MSI).isEmpty());
    }

    @Test
    void shouldAcceptSwMsiWordBesideKernelMsi() throws IOException
    {
        final Path file = sample("misc/sw-msi/reserved_regions");

        assertEquals(
            List.of(region(0x08000000L, 0x080fffffL, MSI), region(0x08000000L, 0x080fffffL, SW_MSI)),
            hardwareMsi.readFile(file).regions());
        assertEquals(List.of(region(0x08000000L, 0x080fffffL, SW_MSI)), softwareMsi.readFile(file).regions());
    }

    @Test
    void shouldReadEmptyFileAsGroupWithoutRegions() throws IOException
    {
        assertTrue(hardwareMsi.readFile(sample("misc/empty/reserved_regions")).isEmpty());
    }

    @Test
    void shouldReadAddressesAtTopOfAddressSpace() throws IOException
    {
        assertEquals(List.of(
            region(0x7ffffffffffff000L, 0x8000000000000fffL, RESERVED),
            region(0xfffffffffffff000L, 0xffffffffffffffffL, RESERVED)),
            hardwareMsi.readFile(sample("misc/top-of-address-space/reserved_regions")).regions());
    }

    @Test
    void shouldReadWhatItPrints() throws IOException
    {
        final ReservedRegionList list = hardwareMsi.read(sample("x86-host/iommu_groups"));

        assertEquals(list, hardwareMsi.parse(list.toSysfsText(), Path.of("printed")));
    }

    @Test
    void shouldAcceptUpperCaseHexShortAddressesAndAMissingFinalNewline()
    {
        final ReservedRegionList list = hardwareMsi.parse("0x00000000FEE00000 0x00000000FEEFFFFF msi\n0x1000 0x1fff reserved", Path.of("text"));

        assertEquals(List.of(region(0x1000, 0x1fff, RESERVED), region(0xfee00000L, 0xfeefffffL, MSI)), list.regions());
    }

    @Test
    void shouldRejectWhatTheKernelNeverWritesNamingLineAndColumn()
    {
        final String[][] cases = {
            {"0x1000\t0x1fff reserved\n", "1", "character 0x09 at column 7"},
            {"0x1000 0x1fff reserved\r\n", "1", "character 0x0d at column 23"},
            {"0x1000 0x1fff\rreserved\n", "1", "character 0x0d at column 14"},
            {"0x1000\u001c0x1fff reserved\n", "1", "character 0x1c at column 7"},
            {"0x1000\u001f0x1fff reserved\n", "1", "character 0x1f at column 7"},
            {"0x1000\u000b0x1fff reserved\n", "1", "character 0x0b at column 7"},
            {"0x1000\u000c0x1fff reserved\n", "1", "character 0x0c at column 7"},
            {"0x1000 0x1fff reserved \n", "1", "space at column 23"},
            {" 0x1000 0x1fff reserved\n", "1", "space at column 1"},
            {"0x1000  0x1fff reserved\n", "1", "space at column 8"},
            {"0x1000 0x1fff reserved\n\n0x2000 0x2fff reserved\n", "2", "empty line"},
            {"\n", "1", "empty line"},
            {"0x1000 0x1fff reserved\u00e9\n", "1", "character 0xe9 at column 23"},
        };
        for (final String[] c : cases)
        {
            final RegionFormatException ex = assertThrows(RegionFormatException.class, () -> hardwareMsi.parse(c[0], Path.of("text")), c[0]);

            assertEquals(Integer.parseInt(c[1]), ex.lineNumber(), c[0]);
            assertTrue(ex.reason().startsWith(c[2]), ex.getMessage());
        }
    }

    @Test
    void shouldRefuseAFifoWithoutOpeningIt() throws IOException, InterruptedException
    {
        final Path fifo = Files.createTempDirectory("regions").resolve("reserved_regions");
        assumeTrue(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor() == 0, "mkfifo");

        final RegionFormatException ex = assertThrows(RegionFormatException.class, () -> hardwareMsi.read(fifo));

        assertTrue(ex.reason().startsWith("is not a regular file"), ex.getMessage());
    }

    @Test
    void shouldRefuseADeviceAndAFileTooLarge() throws IOException
    {
        final Path zero = Path.of("/dev/zero");
        assumeTrue(Files.exists(zero));
        assertTrue(assertThrows(RegionFormatException.class, () -> hardwareMsi.readFile(zero)).reason().startsWith("is not a regular file"));

        final Path large = Files.createTempFile("reserved_regions", "");
        Files.write(large, new byte[SysfsRegionReader.MAX_FILE_BYTES + 1]);
        assertEquals("is larger than 1048576 bytes: not a reserved_regions file",
            assertThrows(RegionFormatException.class, () -> hardwareMsi.readFile(large)).reason());
    }

    @Test
    void shouldRefuseAGroupNamedWithALeadingZeroAndASymlinkLoop() throws IOException
    {
        final Path groups = Files.createTempDirectory("iommu_groups");
        Files.createDirectories(groups.resolve("0"));
        Files.writeString(groups.resolve("0/reserved_regions"), "0x1000 0x1fff reserved\n");
        Files.createDirectories(groups.resolve("00"));
        Files.writeString(groups.resolve("00/reserved_regions"), "0x2000 0x2fff reserved\n");

        final RegionFormatException leadingZero = assertThrows(RegionFormatException.class, () -> hardwareMsi.readGroups(groups));
        assertEquals(groups.resolve("00") + ": '00' is not a group number as the kernel names them (no leading zero, at most 9 digits)",
            leadingZero.getMessage());

        Files.delete(groups.resolve("00/reserved_regions"));
        Files.delete(groups.resolve("00"));
        Files.createSymbolicLink(groups.resolve("1"), groups.resolve("1"));
        final RegionFormatException loop = assertThrows(RegionFormatException.class, () -> hardwareMsi.readGroups(groups));
        assertEquals(groups.resolve("1"), loop.file());
        assertTrue(loop.reason().startsWith("is named as an iommu group but cannot be followed to a directory"), loop.getMessage());
    }

    @Test
    void shouldRejectLineWithoutTypeNamingFileAndLine()
    {
        final Path file = sample("malformed/missing-type/reserved_regions");

        final RegionFormatException ex = assertThrows(RegionFormatException.class, () -> hardwareMsi.readFile(file));

        assertEquals(file + ":2: missing the region type after the last byte in '0x00000000fee00000 0x00000000feefffff'",
            ex.getMessage());
        assertEquals(file, ex.file());
        assertEquals(2, ex.lineNumber());
    }

    @Test
    void shouldRejectUnknownType()
    {
        final Path file = sample("malformed/unknown-type/reserved_regions");

        final RegionFormatException ex = assertThrows(RegionFormatException.class, () -> hardwareMsi.readFile(file));

        assertEquals(file + ":2: unknown region type 'doorbell' " + KNOWN, ex.getMessage());
    }

    @Test
    void shouldRejectNumberWithNonHexDigit()
    {
        final Path file = sample("malformed/bad-number/reserved_regions");

        final RegionFormatException ex = assertThrows(RegionFormatException.class, () -> hardwareMsi.readFile(file));

        assertEquals(file + ":2: first byte '0x00000000fee0000g' is not a hexadecimal address (0x and 1 to 16 hex digits)",
            ex.getMessage());
    }

    @Test
    void shouldRejectNumberWithoutHexPrefix()
    {
        final Path file = sample("malformed/no-hex-prefix/reserved_regions");

        final RegionFormatException ex = assertThrows(RegionFormatException.class, () -> hardwareMsi.readFile(file));

        assertEquals(file + ":2: last byte 'feefffff' is not a hexadecimal address (0x and 1 to 16 hex digits)", ex.getMessage());
    }

    @Test
    void shouldRejectNumberBeyondSixtyFourBits()
    {
        final Path file = sample("malformed/number-too-long/reserved_regions");

        final RegionFormatException ex = assertThrows(RegionFormatException.class, () -> hardwareMsi.readFile(file));

        assertEquals(file + ":2: last byte '0x1ffffffffffffffff' is not a hexadecimal address (0x and 1 to 16 hex digits)",
            ex.getMessage());
    }

    @Test
    void shouldRejectSignedOrEmptyNumbers()
    {
        for (final String field : new String[] {"+0x1000", "0x+1000", "-0x1000", "0x", "0x-1", "0x 1000"})
        {
            final String text = field + " 0x2000 reserved\n";

            final RegionFormatException ex = assertThrows(RegionFormatException.class,
                () -> hardwareMsi.parse(text, Path.of("text")), text);

            assertEquals(1, ex.lineNumber(), text);
        }
    }

    @Test
    void shouldRejectStartAfterEnd()
    {
        final Path file = sample("malformed/start-after-end/reserved_regions");

        final RegionFormatException ex = assertThrows(RegionFormatException.class, () -> hardwareMsi.readFile(file));

        assertEquals(file + ":3: first byte 0x00000000feefffff is above last byte 0x00000000fee00000", ex.getMessage());
    }

    @Test
    void shouldRejectExtraField()
    {
        final Path file = sample("malformed/too-many-fields/reserved_regions");

        final RegionFormatException ex = assertThrows(RegionFormatException.class, () -> hardwareMsi.readFile(file));

        assertEquals(file + ":2: expected three fields FIRST LAST TYPE, found 4 in '0x00000000fee00000 0x00000000feefffff msi extra'",
            ex.getMessage());
    }

    @Test
    void shouldRejectLineWithOneField()
    {
        final RegionFormatException ex = assertThrows(RegionFormatException.class,
            () -> hardwareMsi.parse("0x1000\n", Path.of("text")));

        assertEquals("text:1: expected three fields FIRST LAST TYPE, found 1 in '0x1000'", ex.getMessage());
    }

    @Test
    void shouldRejectWholeDirectoryWhenOneGroupIsMalformed()
    {
        final Path groups = sample("malformed/bad-group/iommu_groups");

        final RegionFormatException ex = assertThrows(RegionFormatException.class, () -> hardwareMsi.read(groups));

        assertEquals(groups.resolve("1/reserved_regions") + ":2: unknown region type 'rmrr' " + KNOWN, ex.getMessage());
    }

    @Test
    void shouldReadGoodGroupOfDirectoryWithMalformedOne() throws IOException
    {
        assertEquals(
            List.of(region(0xfee00000L, 0xfeefffffL, MSI)),
            hardwareMsi.readGroup(sample("malformed/bad-group/iommu_groups"), 0).regions());
    }

    @Test
    void shouldRejectMissingFile()
    {
        final Path file = sample("misc/empty/no_such_file");

        final RegionFormatException ex = assertThrows(RegionFormatException.class, () -> hardwareMsi.read(file));

        assertEquals(file + ": no such file", ex.getMessage());
        assertEquals(RegionFormatException.NO_LINE, ex.lineNumber());
    }

    @Test
    void shouldRejectGroupWithoutRegionsFile()
    {
        final Path groups = sample("malformed/group-without-file/iommu_groups");

        final RegionFormatException ex = assertThrows(RegionFormatException.class, () -> hardwareMsi.readGroups(groups));

        assertEquals(groups.resolve("1/reserved_regions") + ": no such file", ex.getMessage());
    }

    @Test
    void shouldRejectMissingGroupNamingTheGroupsThereAre()
    {
        final Path groups = sample("x86-host/iommu_groups");

        final RegionFormatException ex = assertThrows(RegionFormatException.class, () -> hardwareMsi.readGroup(groups, 9));

        assertEquals(groups.resolve("9") + ": no iommu group 9 (groups here: 0, 1, 2, 3)", ex.getMessage());
    }

    @Test
    void shouldRejectNegativeGroup()
    {
        final Path groups = sample("x86-host/iommu_groups");

        final RegionFormatException ex = assertThrows(RegionFormatException.class, () -> hardwareMsi.readGroup(groups, -1));

        assertEquals(groups + ": group=-1 is not a group number (0 or more)", ex.getMessage());
    }

    @Test
    void shouldRejectGroupOfAFile()
    {
        final Path file = sample("x86-host/iommu_groups/0/reserved_regions");

        final RegionFormatException ex = assertThrows(RegionFormatException.class, () -> hardwareMsi.readGroup(file, 0));

        assertEquals(file + ": is not a directory of iommu groups", ex.getMessage());
    }

    @Test
    void shouldRejectDirectoryWithoutGroups()
    {
        final Path groups = sample("malformed/no-groups/iommu_groups");

        final RegionFormatException ex = assertThrows(RegionFormatException.class, () -> hardwareMsi.read(groups));

        assertEquals(groups + ": holds neither a reserved_regions file nor any iommu group directory (0, 1, ...)", ex.getMessage());
    }

    @Test
    void shouldReadThisHostsIommuGroupsWhenThereAreAny() throws IOException
    {
        final Path groups = Path.of("/sys/kernel/iommu_groups");
        assumeTrue(Files.isDirectory(groups), "no /sys/kernel/iommu_groups on this host");
        try (Stream<Path> entries = Files.list(groups))
        {
            assumeTrue(entries.findAny().isPresent(), "this host has no IOMMU groups");
        }

        final ReservedRegionList list = hardwareMsi.read(groups);

        assertEquals(list, hardwareMsi.parse(list.toSysfsText(), groups));
    }
}
