package dev.iova.bench.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ExitCode;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;

/**
 * The {@code allocator-bench} command: runs the JMH suites, reports on them and gates
 * regressions, replays and generates allocation traces, reads reserved regions.
 *
 * <pre>
 * java -jar allocator-bench/target/allocator-bench.jar run [--profile quick|full] [--include REGEX] [--label L | --out DIR]
 * java -jar allocator-bench/target/allocator-bench.jar report DIR [CANDIDATE_DIR]
 * java -jar allocator-bench/target/allocator-bench.jar gate --baseline RUN --candidate RUN
 * java -jar allocator-bench/target/allocator-bench.jar gate --ab REV [--suite REGEX] [--rounds N] [--dry-run]
 * java -jar allocator-bench/target/allocator-bench.jar replay TRACE [--cache] [--json] [--verify] [--repeat K]
 * java -jar allocator-bench/target/allocator-bench.jar gen SHAPE --ops N [--seed S] [--out FILE]
 * </pre>
 *
 * Errors are one sentence on standard error and a non-zero exit code: 1 when the work failed
 * (a bad trace, a file that cannot be read, a broken invariant), 2 for a bad command line. The
 * {@code gate} command has exit codes of its own: 0 no regression, 1 a regression, 2 a bad
 * command line or inputs that cannot be compared.
 * There is no stack trace, not even for an unexpected exception: its class and message are
 * printed instead.
 */
@Command(
    name = "allocator-bench",
    mixinStandardHelpOptions = true,
    versionProvider = Main.VersionProvider.class,
    description = "Runs the JMH suites, reports on them and gates regressions; replays and generates IOVA allocation " +
        "traces (iova-trace v1); reads reserved regions.",
    subcommands = {
        ReplayCommand.class,
        GenCommand.class,
        ImportCommand.class,
        CompareCommand.class,
        RegionsCommand.class,
        WorkloadsCommand.class,
        RunCommand.class,
        ReportCommand.class,
        GateCommand.class,
    })
public final class Main implements Runnable
{
    @Spec
    private CommandSpec spec;

    /**
     * Runs the command line and exits with its code.
     *
     * @param args the command-line arguments.
     */
    public static void main(final String[] args)
    {
        System.exit(newCommandLine().execute(args));
    }

    /**
     * The command line as {@link #main(String[])} runs it: exceptions that escape a subcommand
     * and bad arguments are reported in one line, without a stack trace or the usage help.
     *
     * @return a new command line, writing to {@code System.out} and {@code System.err} unless told otherwise.
     */
    public static CommandLine newCommandLine()
    {
        final CommandLine commandLine = new CommandLine(new Main());
        commandLine.setExecutionExceptionHandler(Main::handleExecutionException);
        commandLine.setParameterExceptionHandler(Main::handleParameterException);
        return commandLine;
    }

    /** Without a subcommand there is nothing to do: say which there are. */
    @Override
    public void run()
    {
        throw new ParameterException(spec.commandLine(), "missing subcommand: run, report, gate, replay, gen, import, compare, regions or workloads");
    }

    /**
     * Reports an exception that escaped a subcommand. The one expected here is the
     * {@link IllegalStateException} the library throws when the JVM lacks
     * {@code --add-exports java.base/jdk.internal.misc=ALL-UNNAMED}; its message says what to do.
     */
    private static int handleExecutionException(final Exception ex, final CommandLine commandLine, final ParseResult parsed)
    {
        final String message = ex.getMessage();
        if (ex instanceof IllegalStateException && message != null)
        {
            commandLine.getErr().println("allocator-bench: " + message);
        }
        else
        {
            commandLine.getErr().println("allocator-bench: unexpected " + ex.getClass().getName() + (message == null ? "" : ": " + message));
        }
        return ExitCode.SOFTWARE;
    }

    private static int handleParameterException(final ParameterException ex, final String[] args)
    {
        final CommandLine commandLine = ex.getCommandLine();
        commandLine.getErr().println(commandLine.getCommandSpec().qualifiedName() + ": " + ex.getMessage() +
            " (see --help)");
        return ExitCode.USAGE;
    }

    /**
     * @param ex an I/O failure.
     * @return why it failed, in a few words ({@code "no such file"}), without the file name.
     */
    static String reasonOf(final IOException ex)
    {
        if (ex instanceof NoSuchFileException)
        {
            return "no such file";
        }
        if (ex instanceof AccessDeniedException)
        {
            return "permission denied";
        }
        if (ex instanceof FileSystemException && ((FileSystemException)ex).getReason() != null)
        {
            return ((FileSystemException)ex).getReason();
        }
        return ex.getMessage() != null ? ex.getMessage() : ex.getClass().getSimpleName();
    }

    /** The version from the jar manifest, or a note that this is not the packaged jar. */
    static final class VersionProvider implements IVersionProvider
    {
        @Override
        public String[] getVersion()
        {
            final String version = Main.class.getPackage().getImplementationVersion();
            return new String[] {"allocator-bench " + (version != null ? version : "(development build)")};
        }
    }
}
