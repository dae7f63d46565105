package dev.iova.region;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.StringJoiner;
import java.util.stream.Stream;

/**
 * Reads reserved regions in the format Linux exposes them in
 * {@code /sys/kernel/iommu_groups/N/reserved_regions}.
 *
 * <h2>The format</h2>
 * One region a line, written by the kernel as {@code "0x%016llx 0x%016llx %s\n"}: first byte,
 * last byte (inclusive) and type word, for example
 * <pre>
 * 0x00000000fee00000 0x00000000feefffff msi
 * </pre>
 * The type words are {@code direct}, {@code direct-relaxable}, {@code reserved} and
 * {@code msi}; the kernel prints hardware and software MSI alike as {@code msi}, so the
 * reader is told which one the platform has ({@link MsiKind}), and also accepts
 * {@code sw-msi}. Addresses must be {@code 0x} and 1 to 16 hex digits (either case). The
 * reader takes the layout as the kernel writes it and nothing else: fields separated by one
 * space, lines ended by {@code \n} (the last one may lack it), no blank lines, no tabs, carriage
 * returns or other control characters, no byte above 0x7e; an empty file is a group without
 * reserved regions. A file is at most {@value #MAX_FILE_BYTES} bytes (sysfs writes one page) and
 * must be a regular file: a FIFO, device or socket is refused before it is opened, so nothing can
 * block the reader or make it read without end.
 * Direct regions read with {@link Protection#READ_WRITE}, since sysfs does not print the
 * protection and Linux gives RMRR and firmware regions read-write access.
 *
 * <h2>Files, groups and errors</h2>
 * {@link #readFile(Path)} reads one file; {@link #readGroups(Path)} reads every numbered group
 * under an {@code iommu_groups} directory and merges them into one list;
 * {@link #readGroup(Path, int)} reads one group; {@link #read(Path)} picks by what the path is.
 * Any malformed line, missing file or missing group, a file that is not a regular file or is
 * too large, an entry of an {@code iommu_groups} directory named by a number that is not a readable
 * directory (a symlink loop, say) or whose number has leading zeros, throws a
 * {@link RegionFormatException} naming the file and line: reading builds a new list and returns
 * it only when every line of every file is good, so an error leaves nothing half-read. Other I/O
 * failures (permission denied on a file or a group directory) are thrown as they come, as
 * {@link IOException}s naming the path.
 *
 * <p>A reader holds only its {@link MsiKind}: it is immutable and may be shared between threads.
 */
public final class SysfsRegionReader
{
    /** The name of the file Linux writes in each group's directory. */
    public static final String REGIONS_FILE_NAME = "reserved_regions";

    /** Hex digits a 64-bit address has at most. */
    private static final int MAX_HEX_DIGITS = 16;

    /** The largest file read: sysfs attributes hold one page; this leaves room and bounds the heap used. */
    public static final int MAX_FILE_BYTES = 1 << 20;

    /** The longest line: two 18-character addresses, the longest type word and two spaces take 54. */
    private static final int MAX_LINE_CHARS = 128;

    private final MsiKind msiKind;

    /**
     * @param msiKind what a sysfs {@code msi} line means on the platform the files come from.
     */
    public SysfsRegionReader(final MsiKind msiKind)
    {
        this.msiKind = Objects.requireNonNull(msiKind, "msiKind");
    }

    /** @return what a sysfs {@code msi} line reads as. */
    public MsiKind msiKind()
    {
        return msiKind;
    }

    /**
     * Reads whatever {@code path} is: a {@code reserved_regions} file, a group's directory
     * (holding a {@code reserved_regions} file), or an {@code iommu_groups} directory (every
     * group, merged).
     *
     * @param path a file or directory.
     * @return the regions read, merged.
     * @throws RegionFormatException when the path does not exist, holds no regions file or
     *                               group, or any line is malformed.
     * @throws IOException           when a file exists but cannot be read.
     */
    public ReservedRegionList read(final Path path) throws IOException
    {
        if (Files.isDirectory(path))
        {
            final Path regionsFile = path.resolve(REGIONS_FILE_NAME);
            return Files.exists(regionsFile) ? readFile(regionsFile) : readGroups(path);
        }
        return readFile(path);
    }

    /**
     * Reads one {@code reserved_regions} file.
     *
     * @param file the file.
     * @return its regions, merged.
     * @throws RegionFormatException when the file does not exist or any line is malformed.
     * @throws IOException           when the file exists but cannot be read.
     */
    public ReservedRegionList readFile(final Path file) throws IOException
    {
        final BasicFileAttributes attributes;
        try
        {
            attributes = Files.readAttributes(file, BasicFileAttributes.class);
        }
        catch (final NoSuchFileException ex)
        {
            throw new RegionFormatException(file, RegionFormatException.NO_LINE, "no such file");
        }
        if (attributes.isDirectory())
        {
            throw new RegionFormatException(file, RegionFormatException.NO_LINE,
                "is a directory without a " + REGIONS_FILE_NAME + " file");
        }
        if (!attributes.isRegularFile())
        {
            throw new RegionFormatException(file, RegionFormatException.NO_LINE,
                "is not a regular file (a FIFO, device or socket?): " + REGIONS_FILE_NAME + " files are regular files");
        }
        final byte[] bytes;
        try (InputStream in = Files.newInputStream(file))
        {
            bytes = in.readNBytes(MAX_FILE_BYTES + 1);
        }
        if (bytes.length > MAX_FILE_BYTES)
        {
            throw new RegionFormatException(file, RegionFormatException.NO_LINE,
                "is larger than " + MAX_FILE_BYTES + " bytes: not a " + REGIONS_FILE_NAME + " file");
        }
        // ISO-8859-1 decodes any byte, so stray bytes reach the parser and are reported with their line.
        return parse(new String(bytes, StandardCharsets.ISO_8859_1), file);
    }

    /**
     * Reads one group's {@code reserved_regions}: {@code groupsDirectory/group/reserved_regions}.
     *
     * @param groupsDirectory an {@code iommu_groups} directory, such as {@code /sys/kernel/iommu_groups}.
     * @param group           the group number, at least 0.
     * @return the group's regions, merged.
     * @throws RegionFormatException when {@code groupsDirectory} is not a directory, the group
     *                               or its file does not exist, or any line is malformed.
     * @throws IOException           when a file exists but cannot be read.
     */
    public ReservedRegionList readGroup(final Path groupsDirectory, final int group) throws IOException
    {
        checkGroupsDirectory(groupsDirectory);
        if (group < 0)
        {
            throw new RegionFormatException(groupsDirectory, RegionFormatException.NO_LINE,
                "group=" + group + " is not a group number (0 or more)");
        }
        final Path groupDirectory = groupsDirectory.resolve(Integer.toString(group));
        if (Files.exists(groupDirectory, java.nio.file.LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(groupDirectory))
        {
            throw notADirectory(groupDirectory);
        }
        if (!Files.isDirectory(groupDirectory))
        {
            throw new RegionFormatException(groupDirectory, RegionFormatException.NO_LINE,
                "no iommu group " + group + " (groups here: " + describe(groupNumbers(groupsDirectory)) + ")");
        }
        return readFile(groupDirectory.resolve(REGIONS_FILE_NAME));
    }

    /**
     * Reads every group under an {@code iommu_groups} directory (the subdirectories named by
     * a number) and merges their regions into one list, as a domain shared by all of them
     * would need.
     *
     * @param groupsDirectory an {@code iommu_groups} directory, such as {@code /sys/kernel/iommu_groups}.
     * @return the regions of every group, merged.
     * @throws RegionFormatException when {@code groupsDirectory} is not a directory or holds no
     *                               group, a group lacks its file, or any line is malformed.
     * @throws IOException           when a directory or file exists but cannot be read.
     */
    public ReservedRegionList readGroups(final Path groupsDirectory) throws IOException
    {
        checkGroupsDirectory(groupsDirectory);
        final List<Integer> groups = groupNumbers(groupsDirectory);
        if (groups.isEmpty())
        {
            throw new RegionFormatException(groupsDirectory, RegionFormatException.NO_LINE,
                "holds neither a " + REGIONS_FILE_NAME + " file nor any iommu group directory (0, 1, ...)");
        }
        ReservedRegionList merged = ReservedRegionList.empty();
        for (final int group : groups)
        {
            // readFile stats the file: an unreadable group directory throws AccessDeniedException, not "no such file".
            merged = merged.withAll(readFile(groupsDirectory.resolve(Integer.toString(group)).resolve(REGIONS_FILE_NAME)));
        }
        return merged;
    }

    /**
     * Parses {@code reserved_regions} text held in memory.
     *
     * @param text   the text: lines ended by {@code \n}, the last one possibly not.
     * @param source the file it came from, named in error messages.
     * @return its regions, merged.
     * @throws RegionFormatException when any line is malformed.
     */
    public ReservedRegionList parse(final String text, final Path source)
    {
        final List<ReservedRegion> regions = new ArrayList<>();
        int lineNumber = 0;
        int start = 0;
        while (start < text.length())
        {
            lineNumber++;
            final int newline = text.indexOf('\n', start);
            final int end = newline < 0 ? text.length() : newline;
            regions.add(parseLine(text.substring(start, end), source, lineNumber));
            start = end + 1;
        }
        return ReservedRegionList.of(regions);
    }

    /**
     * Parses one line: {@code FIRST LAST TYPE}.
     *
     * @param line       the line, without its line terminator.
     * @param source     the file it came from, named in error messages.
     * @param lineNumber its 1-based number, named in error messages.
     * @return the region.
     * @throws RegionFormatException when the line is empty or malformed, or not laid out as the
     *                               kernel writes it (one space between fields, nothing else).
     */
    public ReservedRegion parseLine(final String line, final Path source, final int lineNumber)
    {
        checkLayout(line, source, lineNumber);
        final String[] fields = line.split(" ");
        if (fields.length != 3)
        {
            throw new RegionFormatException(source, lineNumber, fields.length == 2 ?
                "missing the region type after the last byte in '" + line + "'" :
                "expected three fields FIRST LAST TYPE, found " + fields.length + " in '" + line + "'");
        }
        final long startByte = parseAddress(fields[0], "first byte", source, lineNumber);
        final long endByte = parseAddress(fields[1], "last byte", source, lineNumber);
        if (Long.compareUnsigned(startByte, endByte) > 0)
        {
            throw new RegionFormatException(source, lineNumber,
                "first byte " + fields[0] + " is above last byte " + fields[1]);
        }
        final RegionType type;
        try
        {
            type = RegionType.fromSysfsWord(fields[2], msiKind);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new RegionFormatException(source, lineNumber, ex.getMessage());
        }
        return ReservedRegion.of(startByte, endByte, type);
    }

    /**
     * Checks the line is printable ASCII with single spaces between fields, as the kernel's
     * {@code "0x%016llx 0x%016llx %s\n"} makes it; says where it is not.
     */
    private static void checkLayout(final String line, final Path source, final int lineNumber)
    {
        if (line.isEmpty())
        {
            throw new RegionFormatException(source, lineNumber, "empty line: the kernel writes one region a line and no blank lines");
        }
        if (line.length() > MAX_LINE_CHARS)
        {
            throw new RegionFormatException(source, lineNumber, "line of " + line.length() + " characters: a region line has at most " +
                MAX_LINE_CHARS);
        }
        for (int i = 0; i < line.length(); i++)
        {
            final char c = line.charAt(i);
            if (c == ' ')
            {
                if (i == 0 || i == line.length() - 1 || line.charAt(i - 1) == ' ')
                {
                    throw new RegionFormatException(source, lineNumber, "space at column " + (i + 1) + " of '" + line +
                        "': fields are separated by single spaces, with none before or after, as the kernel writes them");
                }
            }
            else if (c < 0x21 || c > 0x7e)
            {
                throw new RegionFormatException(source, lineNumber, String.format("character 0x%02x at column %d: a line holds " +
                    "printable ASCII and single spaces, ended by \\n, as the kernel writes it", (int)c, i + 1));
            }
        }
    }

    private static long parseAddress(final String field, final String what, final Path source, final int lineNumber)
    {
        final boolean wellFormed = field.length() > 2 && field.length() <= 2 + MAX_HEX_DIGITS &&
            field.charAt(0) == '0' && (field.charAt(1) == 'x' || field.charAt(1) == 'X') && isHex(field, 2);
        if (!wellFormed)
        {
            throw new RegionFormatException(source, lineNumber,
                what + " '" + field + "' is not a hexadecimal address (0x and 1 to " + MAX_HEX_DIGITS + " hex digits)");
        }
        return Long.parseUnsignedLong(field, 2, field.length(), 16);
    }

    private static boolean isHex(final String text, final int fromIndex)
    {
        for (int i = fromIndex; i < text.length(); i++)
        {
            final char c = text.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            {
                return false;
            }
        }
        return true;
    }

    private static void checkGroupsDirectory(final Path groupsDirectory)
    {
        if (!Files.isDirectory(groupsDirectory))
        {
            throw new RegionFormatException(groupsDirectory, RegionFormatException.NO_LINE,
                Files.exists(groupsDirectory) ? "is not a directory of iommu groups" : "no such directory");
        }
    }

    /**
     * The numbers of the group directories under {@code groupsDirectory}, ascending. Entries not
     * named by digits are not groups and are passed over; one named by digits must be a group as
     * the kernel makes it: a readable directory (symlinks followed) whose name has no leading zero.
     */
    private static List<Integer> groupNumbers(final Path groupsDirectory) throws IOException
    {
        final List<Integer> groups = new ArrayList<>();
        final List<Path> entries;
        try (Stream<Path> listing = Files.list(groupsDirectory))
        {
            entries = listing.sorted().toList();
        }
        for (final Path entry : entries)
        {
            final String name = entry.getFileName().toString();
            if (!isDigits(name))
            {
                continue;
            }
            if ((name.length() > 1 && name.charAt(0) == '0') || name.length() > 9)
            {
                throw new RegionFormatException(entry, RegionFormatException.NO_LINE,
                    "'" + name + "' is not a group number as the kernel names them (no leading zero, at most 9 digits)");
            }
            if (!Files.isDirectory(entry))
            {
                throw notADirectory(entry);
            }
            groups.add(Integer.valueOf(name));
        }
        groups.sort(null);
        return groups;
    }

    private static RegionFormatException notADirectory(final Path entry)
    {
        String why;
        try
        {
            Files.readAttributes(entry, BasicFileAttributes.class);
            why = "is not a directory";
        }
        catch (final IOException ex)
        {
            why = "cannot be followed to a directory (" + (ex.getMessage() == null ? ex.getClass().getSimpleName() :
                ex.getClass().getSimpleName() + ": " + ex.getMessage()) + ")";
        }
        return new RegionFormatException(entry, RegionFormatException.NO_LINE, "is named as an iommu group but " + why);
    }

    private static boolean isDigits(final String name)
    {
        if (name.isEmpty())
        {
            return false;
        }
        for (int i = 0; i < name.length(); i++)
        {
            if (name.charAt(i) < '0' || name.charAt(i) > '9')
            {
                return false;
            }
        }
        return true;
    }

    private static String describe(final List<Integer> groups)
    {
        if (groups.isEmpty())
        {
            return "none";
        }
        final StringJoiner joiner = new StringJoiner(", ");
        for (final Integer group : groups)
        {
            joiner.add(group.toString());
        }
        return joiner.toString();
    }
}
