package dev.iova.region;

import static dev.iova.region.RegionSamples.sample;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.iova.bench.cli.RegionsCommand;

import java.io.PrintWriter;
import java.io.StringWriter;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The {@code regions} command, run in process with its output captured. */
class RegionsCommandTest
{
    /** What one run printed and returned. */
    record Run(int exitCode, String out, String err)
    {
        String lastLine()
        {
            final String[] lines = out.strip().split("\n");
            return lines[lines.length - 1];
        }
    }

    private static Run run(final String... args)
    {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final CommandLine commandLine = new CommandLine(new RegionsCommand());
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        final int exitCode = commandLine.execute(args);
        return new Run(exitCode, out.toString(), err.toString());
    }

    @Test
    void shouldPrintMergedRegionsAndUsableRangesOfX86Host()
    {
        final String groups = sample("x86-host/iommu_groups").toString();

        final Run run = run(groups);

        assertEquals(0, run.exitCode(), run.err());
        assertEquals(String.join("\n",
            "reserved regions (5) from " + groups + ":",
            "  0x00000000000e8000 0x00000000000e8fff direct",
            "  0x00000000000f4000 0x00000000000f4fff direct",
            "  0x000000007b800000 0x000000007fffffff direct-relaxable",
            "  0x00000000bdf6e000 0x00000000bdf8efff direct",
            "  0x00000000fee00000 0x00000000feefffff msi",
            "usable ranges (5) within aperture 0x0000000000000000 0x0000ffffffffffff, policy vfio (every type but direct-relaxable reserved):",
            "  0x0000000000000000 0x00000000000e7fff",
            "  0x00000000000e9000 0x00000000000f3fff",
            "  0x00000000000f5000 0x00000000bdf6dfff",
            "  0x00000000bdf8f000 0x00000000fedfffff",
            "  0x00000000fef00000 0x0000ffffffffffff",
            ""), run.out().replace(System.lineSeparator(), "\n"));
        assertEquals("", run.err());
    }

    @Test
    void shouldPrintJsonObjectAsLastLine()
    {
        final Run run = run(sample("arm-host/iommu_groups").toString(), "--msi", "sw", "--aperture", "0x0:0xffffffff", "--json");

        assertEquals(0, run.exitCode(), run.err());
        assertJson("{\"regions\": ["
            + "{\"start\": \"0x0000000008000000\", \"end\": \"0x00000000080fffff\", \"type\": \"sw-msi\"}, "
            + "{\"start\": \"0x0000000040000000\", \"end\": \"0x000000005fffffff\", \"type\": \"reserved\"}, "
            + "{\"start\": \"0x0000008000000000\", \"end\": \"0x000000bfffffffff\", \"type\": \"reserved\"}], "
            + "\"policy\": \"vfio\", \"usable\": ["
            + "{\"start\": \"0x0000000000000000\", \"end\": \"0x0000000007ffffff\"}, "
            + "{\"start\": \"0x0000000008100000\", \"end\": \"0x000000003fffffff\"}, "
            + "{\"start\": \"0x0000000060000000\", \"end\": \"0x00000000ffffffff\"}]}", run.lastLine());
    }

    @Test
    void dmaPolicyKeepsDirectRelaxableOutAndLetsTheSoftwareMsiWindowIn()
    {
        final Run vfio = run(sample("x86-host/iommu_groups").toString(), "--group", "1", "--policy", "vfio", "--json");
        final Run dma = run(sample("x86-host/iommu_groups").toString(), "--group", "1", "--policy", "dma", "--json");

        assertEquals(0, dma.exitCode(), dma.err());
        final String regionsJson = "{\"regions\": ["
            + "{\"start\": \"0x000000007b800000\", \"end\": \"0x000000007fffffff\", \"type\": \"direct-relaxable\"}, "
            + "{\"start\": \"0x00000000fee00000\", \"end\": \"0x00000000feefffff\", \"type\": \"msi\"}], ";
        assertJson(regionsJson + "\"policy\": \"vfio\", \"usable\": ["
            + "{\"start\": \"0x0000000000000000\", \"end\": \"0x00000000fedfffff\"}, "
            + "{\"start\": \"0x00000000fef00000\", \"end\": \"0x0000ffffffffffff\"}]}", vfio.lastLine());
        assertJson(regionsJson + "\"policy\": \"dma\", \"usable\": ["
            + "{\"start\": \"0x0000000000000000\", \"end\": \"0x000000007b7fffff\"}, "
            + "{\"start\": \"0x0000000080000000\", \"end\": \"0x00000000fedfffff\"}, "
            + "{\"start\": \"0x00000000fef00000\", \"end\": \"0x0000ffffffffffff\"}]}", dma.lastLine());

        final Run arm = run(sample("arm-host/iommu_groups").toString(), "--msi", "sw", "--aperture", "0x0:0xffffffff", "--policy", "DMA");
        assertTrue(arm.out().contains("policy dma (every type but sw-msi reserved, direct ones identity-mapped):"), arm.out());
        assertTrue(arm.out().contains("  0x0000000000000000 0x000000003fffffff"), "the sw-msi window is usable to the DMA layer: " + arm.out());
    }

    @Test
    void unknownPolicyIsRefusedInOneSentence()
    {
        final Run run = run(sample("x86-host/iommu_groups").toString(), "--policy", "kvm");

        assertEquals(1, run.exitCode());
        assertEquals("regions: policy 'kvm' is neither dma (the DMA layer's) nor vfio (VFIO's and iommufd's).",
            run.err().strip());
    }

    @Test
    void shouldReadMsiAsHardwareByDefault()
    {
        final Run run = run(sample("arm-host/iommu_groups").toString(), "--json");

        assertTrue(run.lastLine().contains("\"type\":\"msi\""), run.out());
        assertFalse(run.lastLine().contains("sw-msi"), run.out());
    }

    @Test
    void shouldReadOneGroup()
    {
        final Run run = run(sample("x86-host/iommu_groups").toString(), "--group", "1", "--json");

        assertEquals(0, run.exitCode(), run.err());
        assertJson("{\"regions\": ["
            + "{\"start\": \"0x000000007b800000\", \"end\": \"0x000000007fffffff\", \"type\": \"direct-relaxable\"}, "
            + "{\"start\": \"0x00000000fee00000\", \"end\": \"0x00000000feefffff\", \"type\": \"msi\"}], "
            + "\"policy\": \"vfio\", \"usable\": ["
            + "{\"start\": \"0x0000000000000000\", \"end\": \"0x00000000fedfffff\"}, "
            + "{\"start\": \"0x00000000fef00000\", \"end\": \"0x0000ffffffffffff\"}]}", run.lastLine());
    }

    @Test
    void shouldPrintEmptyUsableListWhenRegionsCoverAperture()
    {
        final Run run = run(sample("x86-host/iommu_groups/0/reserved_regions").toString(),
            "--aperture", "0xfee00000:0xfeefffff", "--json");

        assertJson(
            "{\"regions\": [{\"start\": \"0x00000000fee00000\", \"end\": \"0x00000000feefffff\", \"type\": \"msi\"}], \"policy\": \"vfio\", \"usable\": []}",
            run.lastLine());
    }

    @Test
    void shouldReportMalformedLineInOneSentenceWithFileAndLine()
    {
        final String file = sample("malformed/start-after-end/reserved_regions").toString();

        final Run run = run(file);

        assertEquals(1, run.exitCode());
        assertEquals("", run.out());
        assertEquals("regions: " + file + ":3: first byte 0x00000000feefffff is above last byte 0x00000000fee00000.",
            run.err().strip());
    }

    @Test
    void shouldReportMissingGroup()
    {
        final String groups = sample("x86-host/iommu_groups").toString();

        final Run run = run(groups, "--group", "7");

        assertEquals(1, run.exitCode());
        assertEquals("regions: " + groups + "/7: no iommu group 7 (groups here: 0, 1, 2, 3).", run.err().strip());
    }

    @Test
    void shouldReportMissingPath()
    {
        final Run run = run("/no/such/iommu_groups");

        assertEquals(1, run.exitCode());
        assertEquals("regions: /no/such/iommu_groups: no such file.", run.err().strip());
    }

    @Test
    void shouldRefuseADeviceInOneSentence()
    {
        final Run run = run("/dev/zero");

        assertEquals(1, run.exitCode());
        assertEquals("regions: /dev/zero: is not a regular file (a FIFO, device or socket?): reserved_regions files are regular files.",
            run.err().strip());
    }

    @Test
    void shouldReportBadApertureAndMsiKind()
    {
        final String groups = sample("x86-host/iommu_groups").toString();

        assertEquals("regions: --aperture '0x2000:0x1000' ends below its start.", run(groups, "--aperture", "0x2000:0x1000").err().strip());
        assertEquals("regions: --aperture '4096' is not LO:HI (for example 0x0:0xffffffffffff).", run(groups, "--aperture", "4096").err().strip());
        assertEquals("regions: --aperture '0x0:fff': 'fff' is not a hexadecimal address (0x and 1 to 16 hex digits).",
            run(groups, "--aperture", "0x0:fff").err().strip());
        assertEquals("regions: --msi 'its' is neither hw nor sw.", run(groups, "--msi", "its").err().strip());
        assertEquals("regions: --group 'x' is not a group number (decimal digits, no sign, no leading zero).",
            run(groups, "--group", "x").err().strip());
        for (final String group : new String[] {"+0", "-1", "01", " 1", ""})
        {
            assertEquals(1, run(groups, "--group", group).exitCode(), group);
        }
        assertEquals(1, run(groups, "--group", "x").exitCode());
        assertEquals(1, run(groups, "--msi", "its").exitCode());
    }

    @Test
    void shouldPrintNoStackTraceForAnyError()
    {
        for (final String relativePath : new String[] {
            "malformed/missing-type", "malformed/unknown-type", "malformed/bad-number", "malformed/no-hex-prefix",
            "malformed/number-too-long", "malformed/start-after-end", "malformed/too-many-fields",
            "malformed/bad-group/iommu_groups", "malformed/group-without-file/iommu_groups", "malformed/no-groups/iommu_groups"})
        {
            final Run run = run(sample(relativePath).toString());

            assertEquals(1, run.exitCode(), relativePath);
            assertEquals(1, run.err().strip().split("\n").length, relativePath + ": " + run.err());
            assertFalse(run.err().contains("\tat "), relativePath + ": " + run.err());
            assertTrue(run.err().startsWith("regions: " + sample(relativePath)), relativePath + ": " + run.err());
        }
    }

    @Test
    void shouldPrintUsageOnHelp()
    {
        final Run run = run("--help");

        assertEquals(0, run.exitCode());
        assertTrue(run.out().startsWith("Usage: regions "), run.out());
    }

    @Test
    void shouldRejectUnknownOptionWithNonZeroStatus()
    {
        assertNotEquals(0, run(sample("x86-host/iommu_groups").toString(), "--frobnicate").exitCode());
    }

    /** The command's JSON line against the expected text, compared as JSON (member order included, spacing not). */
    private static void assertJson(final String expected, final String actual)
    {
        try
        {
            final com.fasterxml.jackson.databind.ObjectMapper mapper = new com.fasterxml.jackson.databind.ObjectMapper();
            assertEquals(mapper.readTree(expected).toString(), mapper.readTree(actual).toString(), actual);
        }
        catch (final java.io.IOException ex)
        {
            throw new AssertionError("not JSON: " + actual, ex);
        }
    }
}
