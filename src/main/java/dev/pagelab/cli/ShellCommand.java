package dev.pagelab.cli;

import dev.pagelab.kernel.Kernel;
import dev.pagelab.kernel.KernelConfig;
import dev.pagelab.shell.Interactive;
import dev.pagelab.shell.Shell;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code pagelab shell [OPTIONS] [PROGRAM [ARGS]]}: the interactive emulator shell (a jline line
 * editor on a terminal), or the same commands from {@code -c "CMD; CMD"}, {@code --batch FILE}, or
 * stdin when it is not a terminal.
 */
@Command(name = "shell", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Stop a guest and look inside the machine: breakpoints on guest addresses, syscalls, page "
                + "faults and kernel points; registers, memory, page tables, struct page, rmap, the page cache, "
                + "the disk.",
            "Interactive on a terminal (history in ~/.pagelab_history, Tab completes, Ctrl-C stops the guest); "
                    + "-c or --batch run commands without one. Type help inside for the commands."})
final class ShellCommand implements Callable<Integer> {
    @Parameters(index = "0", arity = "0..1", paramLabel = "PROGRAM", description = "Program to load (as run).")
    String program;

    @Parameters(index = "1..*", paramLabel = "ARGS", description = "Its arguments.")
    List<String> args = new ArrayList<>();

    @Option(names = "-c", paramLabel = "COMMANDS", description = "Run these commands (separated by ';') and exit.")
    String commands;

    @Option(names = "--batch", paramLabel = "FILE", description = "Run the commands in FILE (one a line) and exit.")
    Path batch;

    @Option(names = "--kernel", paramLabel = "RELEASE", defaultValue = "2.6.30",
            description = "Kernel preset: 2.6.5 2.6.19 2.6.20 2.6.22 2.6.27 2.6.30. Default: ${DEFAULT-VALUE}.")
    String kernelPreset;

    @Option(names = "--cpus", paramLabel = "N", defaultValue = "1", description = "Virtual CPUs. Default: 1.")
    int cpus;

    @Option(names = "--disk", paramLabel = "FILE", description = "Disk image to create or reuse (default: a fresh "
            + "temporary image for each run).")
    Path disk;

    @Option(names = "--memory", paramLabel = "MiB", defaultValue = "256", description = "Guest RAM. Default: 256.")
    long memoryMiB;

    @Option(names = "--host-dir", paramLabel = "DIR", description = "Read-only host directory for the guest.")
    Path hostDir;

    @Option(names = "--env", paramLabel = "NAME=VALUE", description = "Add to the guest's environment.")
    List<String> env = new ArrayList<>();

    @Option(names = "--quantum", paramLabel = "N", defaultValue = "200000",
            description = "Instructions a thread runs before the scheduler may switch. Default: ${DEFAULT-VALUE}.")
    long quantum;

    @Option(names = "--check-durability", description = "Check every fsync/msync's promise (see run).")
    boolean checkDurability;

    @Override
    public Integer call() throws IOException {
        validate();
        String script = script();
        boolean interactive = script == null && System.console() != null && System.console().isTerminal();
        if (!interactive) {
            PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
            Shell shell = new Shell(settings(out), out);
            if (program != null && !shell.loadAtStart(program, args)) {
                return 2;
            }
            return shell.runBatch(script != null ? script : new String(System.in.readAllBytes(),
                    StandardCharsets.UTF_8));
        }
        try (Terminal terminal = TerminalBuilder.builder().system(true).build()) {
            PrintStream out = new PrintStream(terminal.output(), true, StandardCharsets.UTF_8);
            Shell shell = new Shell(settings(out), out);
            out.println("pagelab shell " + Main.VERSION + " (help lists the commands, quit or Ctrl-D leaves)");
            if (program != null) {
                shell.loadAtStart(program, args);
            }
            return Interactive.run(shell, terminal, historyFile());
        }
    }

    /** ~/.pagelab_history, home being $HOME (as for any shell), else Java's user.home. */
    private static Path historyFile() {
        String home = System.getenv("HOME");
        return Path.of(home != null && !home.isEmpty() ? home : System.getProperty("user.home"), ".pagelab_history");
    }

    private String script() throws IOException {
        if (commands != null && batch != null) {
            throw new UserError("shell: give -c or --batch, not both");
        }
        if (batch != null) {
            if (!Files.isRegularFile(batch)) {
                throw new UserError("shell: --batch " + batch + ": no such file");
            }
            return Files.readString(batch);
        }
        return commands;
    }

    private Shell.Settings settings(OutputStream out) {
        KernelConfig config;
        try {
            config = KernelConfig.preset(kernelPreset);
        } catch (IllegalArgumentException e) {
            throw new UserError("shell: " + e.getMessage());
        }
        Kernel.Options options = Kernel.Options.defaults(InputStream.nullInputStream(), out, out)
                .withHostDir(hostDir).withQuantum(quantum).withMemory(memoryMiB << 20).withDisk(disk)
                .withCheck(true).withCheckDurability(checkDurability).withConfig(config).withCpus(cpus);
        return new Shell.Settings(options, env, Programs::resolve, disk,
                RunCommand::printStats, Programs.names());
    }

    private void validate() {
        if (quantum < 1 || memoryMiB < 4 || memoryMiB > 16384 || cpus < 1 || cpus > 64) {
            throw new UserError("shell: need --quantum >= 1, 4 <= --memory <= 16384, 1 <= --cpus <= 64");
        }
        if (hostDir != null && !Files.isDirectory(hostDir)) {
            throw new UserError("shell: --host-dir " + hostDir + " is not a directory");
        }
        for (String e : env) {
            if (!e.contains("=")) {
                throw new UserError("shell: --env needs NAME=VALUE, got '" + e + "'");
            }
        }
    }
}
