package dev.iova.bench.cli;

import picocli.CommandLine.Model.CommandSpec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.stream.Collectors;

/**
 * What the commands that write a results folder share: the folder's default name and the command
 * line recorded in it.
 */
final class CliFolders
{
    private static final String SAFE_ARG = "[A-Za-z0-9._/=:,@%+-]+";

    private CliFolders()
    {
    }

    /**
     * @param prefix what goes before the date, such as {@code "gate-"}, or {@code ""}.
     * @param label  what follows the date; characters other than letters, digits, {@code ._-} become {@code -}.
     * @return {@code results/<prefix><date>-<label>}, with {@code -2}, {@code -3}, ... when a folder of that name exists.
     */
    static Path defaultFolder(final String prefix, final String label)
    {
        final String stem = prefix + LocalDate.now(ZoneOffset.UTC) + "-" + label.replaceAll("[^A-Za-z0-9._-]", "-");
        Path dir = Path.of("results", stem);
        for (int n = 2; Files.exists(dir); n++)
        {
            dir = Path.of("results", stem + "-" + n);
        }
        return dir;
    }

    /**
     * @param spec the running command's spec.
     * @return the command line as a user would type it again, arguments quoted for a POSIX shell where needed.
     */
    static String commandLine(final CommandSpec spec)
    {
        final List<String> args = spec.root().commandLine().getParseResult() != null ?
            spec.root().commandLine().getParseResult().originalArgs() : List.of();
        return "java -jar allocator-bench.jar " + args.stream()
            .map(arg -> arg.matches(SAFE_ARG) ? arg : "'" + arg.replace("'", "'\\''") + "'")
            .collect(Collectors.joining(" "));
    }
}
