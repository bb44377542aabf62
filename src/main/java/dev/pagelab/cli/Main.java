package dev.pagelab.cli;

import dev.pagelab.emulator.Unicorn;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code pagelab}: the command line. Every failure a user can cause ends as one line on stderr and
 * a non-zero exit status, never a Java stack trace (set PAGELAB_DEBUG=1 to see one).
 */
@Command(name = "pagelab", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "An emulated x86-64 machine and a Linux-like mini-kernel for reproducing the dirty-page "
                + "races of Linux 2.6.",
        subcommands = {RunCommand.class, RacesCommand.class, ExploreCommand.class, ReplayCommand.class, ShrinkCommand.class,
            ShellCommand.class, SelfTestCommand.class, BenchCommand.class, DiskCommand.class,
            CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    public static final String VERSION = "0.1.0";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command line and returns its exit status (for tests and {@link #main}). */
    public static int execute(String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler(Main::reportFailure);
        // `pagelab run fsx -N 100000 --check`: options pagelab does not know belong to the guest
        // (after `--`, everything does).
        cli.getSubcommands().get("run").setUnmatchedOptionsArePositionalParams(true);
        cli.getSubcommands().get("explore").setUnmatchedOptionsArePositionalParams(true);
        return cli.execute(args);
    }

    private static int reportFailure(Exception e, CommandLine cli, CommandLine.ParseResult parsed) {
        PrintWriter err = cli.getErr();
        String message = e.getMessage() != null ? e.getMessage() : e.toString();
        if (e instanceof UserError) {
            err.println("pagelab: " + message);
        } else {
            err.println("pagelab: internal error: " + e.getClass().getSimpleName() + ": " + message);
        }
        if (System.getenv("PAGELAB_DEBUG") != null) {
            e.printStackTrace(err);
        }
        err.flush();
        return e instanceof UserError u ? u.exitCode() : 70;
    }

    /** "pagelab 0.1.0" and the libunicorn it loads. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String unicorn;
            try {
                unicorn = "libunicorn " + Unicorn.versionString() + " (" + Unicorn.libraryPath() + ")";
            } catch (RuntimeException e) {
                unicorn = "libunicorn: not loadable: " + e.getMessage();
            }
            return new String[] {"pagelab " + VERSION, unicorn,
                "Java " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ")"};
        }
    }
}
