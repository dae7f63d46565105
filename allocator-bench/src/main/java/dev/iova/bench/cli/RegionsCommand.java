package dev.iova.bench.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.iova.region.ByteRange;
import dev.iova.region.MsiKind;
import dev.iova.region.RegionPolicy;
import dev.iova.region.ReservedRegion;
import dev.iova.region.ReservedRegionList;
import dev.iova.region.SysfsRegionReader;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code regions PATH [--group N] [--aperture LO:HI] [--msi hw|sw] [--policy vfio|dma] [--json]}:
 * reads Linux's {@code reserved_regions} files and prints the merged regions and the usable
 * ranges of an aperture under a consumer's {@link RegionPolicy}: VFIO's (the default, every
 * type but direct-relaxable) or the DMA layer's (every type but software MSI). The output says
 * which.
 *
 * <p>PATH is a {@code reserved_regions} file, a group's directory, or an {@code iommu_groups}
 * directory (every group merged, or the one {@code --group} names): on a Linux host with an
 * IOMMU, {@code regions /sys/kernel/iommu_groups} reads the real thing.
 *
 * <p>Exit status: {@value #EXIT_OK} on success, {@value #EXIT_BAD_INPUT} when the input or an
 * option value is bad, with one sentence on standard error naming the file and line.
 */
@Command(
    name = "regions",
    description = "Reads Linux reserved_regions files (sysfs format) and prints the merged reserved regions and " +
        "the usable ranges within an aperture (inclusive, hexadecimal byte addresses).")
public final class RegionsCommand implements Callable<Integer>
{
    /** Exit status when everything was read and printed. */
    public static final int EXIT_OK = 0;

    /** Exit status when the input or an option value is bad. */
    public static final int EXIT_BAD_INPUT = 1;

    /** The aperture used when none is given: a 48-bit address space, what most IOMMUs translate. */
    public static final String DEFAULT_APERTURE = "0x0:0xffffffffffff";

    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    private CommandSpec spec;

    @Parameters(
        index = "0",
        paramLabel = "PATH",
        description = "A reserved_regions file, a group directory, or an iommu_groups directory such as /sys/kernel/iommu_groups.")
    private Path path;

    @Option(
        names = "--group",
        paramLabel = "N",
        description = "Read only group N of the iommu_groups directory PATH (default: every group, merged).")
    private String group;

    @Option(
        names = "--aperture",
        paramLabel = "LO:HI",
        defaultValue = DEFAULT_APERTURE,
        description = "First and last byte of the aperture, hexadecimal (default: ${DEFAULT-VALUE}).")
    private String aperture;

    @Option(
        names = "--msi",
        paramLabel = "hw|sw",
        defaultValue = "hw",
        description = "What a sysfs 'msi' line is: hw (hardware doorbell, x86) or sw (software-managed window, Arm SMMU). Default: ${DEFAULT-VALUE}.")
    private String msi;

    @Option(
        names = "--policy",
        paramLabel = "vfio|dma",
        defaultValue = "vfio",
        description = "Whose usable ranges: vfio (VFIO and iommufd: every type but direct-relaxable is reserved) or dma " +
            "(the DMA layer: every type but sw-msi). Default: ${DEFAULT-VALUE}.")
    private String policy;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    private boolean help;

    @Option(
        names = "--json",
        description = "Print one JSON object: {\"regions\": [...], \"policy\": \"vfio\", \"usable\": [...]}.")
    private boolean json;

    /** Creates the command; picocli fills in the options. */
    public RegionsCommand()
    {
    }

    /**
     * Reads, merges and prints.
     *
     * @return {@link #EXIT_OK}, or {@link #EXIT_BAD_INPUT} after one sentence on standard error.
     */
    @Override
    public Integer call()
    {
        final PrintWriter out = spec.commandLine().getOut();
        final PrintWriter err = spec.commandLine().getErr();
        try
        {
            final ByteRange apertureRange = parseAperture(aperture);
            final SysfsRegionReader reader = new SysfsRegionReader(parseMsiKind(msi));
            final ReservedRegionList regions = group == null ? reader.read(path) : reader.readGroup(path, parseGroup(group));
            final RegionPolicy regionPolicy = RegionPolicy.byWord(policy);
            final List<ByteRange> usable = regions.usableRanges(regionPolicy, apertureRange.startByte(), apertureRange.endByte());
            if (json)
            {
                out.println(toJson(regions, regionPolicy, usable));
            }
            else
            {
                printText(out, regions, apertureRange, regionPolicy, usable);
            }
            out.flush();
            return EXIT_OK;
        }
        catch (final IllegalArgumentException ex)
        {
            // RegionFormatException (file:line: reason) and bad option values alike.
            err.println("regions: " + ex.getMessage() + ".");
        }
        catch (final IOException ex)
        {
            err.println("regions: cannot read " + ex.getMessage() + " (" + ex.getClass().getSimpleName() + ").");
        }
        err.flush();
        return EXIT_BAD_INPUT;
    }

    /**
     * @param text {@code LO:HI}, each {@code 0x} and 1 to 16 hex digits.
     * @return the aperture.
     * @throws IllegalArgumentException naming the value, when it is malformed or HI is below LO.
     */
    static ByteRange parseAperture(final String text)
    {
        final int colon = text.indexOf(':');
        if (colon < 0 || colon != text.lastIndexOf(':'))
        {
            throw new IllegalArgumentException("--aperture '" + text + "' is not LO:HI (for example " + DEFAULT_APERTURE + ")");
        }
        final long startByte = parseHex(text.substring(0, colon), text);
        final long endByte = parseHex(text.substring(colon + 1), text);
        if (Long.compareUnsigned(endByte, startByte) < 0)
        {
            throw new IllegalArgumentException("--aperture '" + text + "' ends below its start");
        }
        return new ByteRange(startByte, endByte);
    }

    /**
     * @param text a group number in decimal, as the kernel writes it.
     * @return the number.
     * @throws IllegalArgumentException naming the value, when it is not a decimal number.
     */
    static int parseGroup(final String text)
    {
        // Digits only, as the kernel names groups: Integer.parseInt would take "+0" and "-1".
        final boolean digits = !text.isEmpty() && text.length() <= 9 && text.chars().allMatch(c -> c >= '0' && c <= '9');
        if (!digits || (text.length() > 1 && text.charAt(0) == '0'))
        {
            throw new IllegalArgumentException("--group '" + text + "' is not a group number (decimal digits, no sign, no leading zero)");
        }
        return Integer.parseInt(text);
    }

    /**
     * @param word {@code hw} or {@code sw}, in any case.
     * @return the MSI kind it names.
     * @throws IllegalArgumentException naming the word, when it is neither.
     */
    static MsiKind parseMsiKind(final String word)
    {
        switch (word.toLowerCase(Locale.ROOT))
        {
            case "hw":
                return MsiKind.HARDWARE;
            case "sw":
                return MsiKind.SOFTWARE;
            default:
                throw new IllegalArgumentException("--msi '" + word + "' is neither hw nor sw");
        }
    }

    /**
     * @param regions the merged regions.
     * @param policy  whose usable ranges they are.
     * @param usable  the usable ranges.
     * @return one line of JSON: {@code {"regions": [{"start", "end", "type"}...], "policy": "vfio", "usable": [{"start", "end"}...]}}.
     */
    static String toJson(final ReservedRegionList regions, final RegionPolicy policy, final List<ByteRange> usable)
    {
        final ObjectNode root = JSON.createObjectNode();
        final ArrayNode regionsNode = root.putArray("regions");
        for (final ReservedRegion region : regions.regions())
        {
            regionsNode.addObject().put("start", hex16(region.startByte())).put("end", hex16(region.endByte()))
                .put("type", region.type().sysfsWord());
        }
        root.put("policy", policy.word());
        final ArrayNode usableNode = root.putArray("usable");
        for (final ByteRange range : usable)
        {
            usableNode.addObject().put("start", hex16(range.startByte())).put("end", hex16(range.endByte()));
        }
        return root.toString();
    }

    private void printText(
        final PrintWriter out, final ReservedRegionList regions, final ByteRange apertureRange, final RegionPolicy policy,
        final List<ByteRange> usable)
    {
        out.println("reserved regions (" + regions.size() + ") from " + path + (group == null ? "" : ", group " + group) + ":");
        for (final ReservedRegion region : regions.regions())
        {
            out.println("  " + region.toSysfsLine());
        }
        out.println("usable ranges (" + usable.size() + ") within aperture " +
            hex16(apertureRange.startByte()) + " " + hex16(apertureRange.endByte()) + ", policy " + policy.word() + " (" +
            policy.summary() + "):");
        for (final ByteRange range : usable)
        {
            out.println("  " + hex16(range.startByte()) + " " + hex16(range.endByte()));
        }
    }

    private static long parseHex(final String field, final String text)
    {
        final boolean prefixed = field.startsWith("0x") || field.startsWith("0X");
        final String digits = prefixed ? field.substring(2) : "";
        if (digits.isEmpty() || digits.length() > 16 || !digits.chars().allMatch(RegionsCommand::isHexDigit))
        {
            throw new IllegalArgumentException("--aperture '" + text + "': '" + field +
                "' is not a hexadecimal address (0x and 1 to 16 hex digits)");
        }
        return Long.parseUnsignedLong(digits, 16);
    }

    private static boolean isHexDigit(final int c)
    {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    private static String hex16(final long byteAddress)
    {
        return String.format("0x%016x", byteAddress);
    }
}
