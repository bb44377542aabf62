package dev.pagelab.cli;

import dev.pagelab.kernel.BootException;
import dev.pagelab.kernel.Kernel;
import dev.pagelab.kernel.KernelConfig;
import dev.pagelab.kernel.fs.DurabilityOracle;
import dev.pagelab.kernel.Stats;
import dev.pagelab.kernel.mm.FaultResult;
import dev.pagelab.kernel.proc.ElfException;
import dev.pagelab.kernel.proc.ExitStatus;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code pagelab run PROGRAM [ARGS...]}: runs a static x86-64 Linux executable on the machine.
 * The exit status is the guest's, 128+signal when it was killed, 126 when PROGRAM cannot be
 * executed and 127 when it cannot be found.
 */
@Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false, versionProvider = Main.Version.class,
        description = {"Run a guest program: a path to a static x86-64 ELF executable, or the name of a built "
                + "guest program (hello, args, threads, ...).",
            "The guest's stdout and stderr are the host's; the exit status is the guest's (128+signal if killed).",
            "pagelab's options go before PROGRAM: everything after PROGRAM belongs to the guest."},
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
            "  N:the guest's exit status N",
            "128+S:the guest was killed by signal S: 139 SIGSEGV, 135 SIGBUS, 132 SIGILL, 136 SIGFPE, "
                    + "141 SIGPIPE (wrote to a closed pipe), 137 SIGKILL (--max-instructions reached, out of "
                    + "memory, or a deadlock: every thread blocked with nothing that can wake one)",
            "  2:bad usage, or a disk image that cannot be used (corrupt, locked by another pagelab, unwritable)",
            "  3:the guest succeeded but a check failed (--check, --check-durability)",
            " 70:an internal error of pagelab (a bug: please report it)",
            "126:PROGRAM cannot be executed (not a static x86-64 ELF, bad segments, exec failed)",
            "127:PROGRAM was not found"})
final class RunCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "PROGRAM", description = "ELF path or guest program name.")
    String program;

    @Parameters(index = "1..*", paramLabel = "ARGS", description = "Arguments passed to the guest.")
    List<String> args = new ArrayList<>();

    @Option(names = "--stats", description = "After the run, print instructions, faults by kind, syscalls by "
            + "name and frames to stderr.")
    boolean stats;

    @Option(names = "--max-instructions", paramLabel = "N", defaultValue = "0",
            description = "Stop the guest after N instructions (0 = no limit).")
    long maxInstructions;

    @Option(names = "--host-dir", paramLabel = "DIR",
            description = "Read-only host directory the guest's file names resolve in (default: none).")
    Path hostDir;

    @Option(names = "--env", paramLabel = "NAME=VALUE", description = "Add to the guest's environment "
            + "(it is empty otherwise, for reproducible runs).")
    List<String> env = new ArrayList<>();

    @Option(names = "--memory", paramLabel = "MiB", defaultValue = "256", description = "Guest RAM. Default: "
            + "${DEFAULT-VALUE} MiB.")
    long memoryMiB;

    @Option(names = "--disk", paramLabel = "FILE", description = "Disk image to create (16 MiB, mkfs) or reuse. "
            + "Default: a fresh temporary image for this run.")
    Path disk;

    @Option(names = "--check", description = "At the end: the disk (re-read through a fresh mount) must equal "
            + "the page cache for every file, NR_FILE_DIRTY must equal a recount, no shared pte may be dirty over "
            + "a clean page when unmapped, fsck must be clean.")
    boolean check;

    @Option(names = "--check-durability", description = "At every return of fsync, fdatasync and "
            + "msync(MS_SYNC), verify on the disk image that everything written before the call is there.")
    boolean checkDurability;

    @Option(names = "--kernel", paramLabel = "RELEASE", defaultValue = "2.6.30",
            description = "Kernel preset (which seed fixes are present): 2.6.5 2.6.19 2.6.20 2.6.22 2.6.27 2.6.30. "
                    + "Default: ${DEFAULT-VALUE}.")
    String kernelPreset;

    @Option(names = "--fs", paramLabel = "MODE",
            description = "Mount the disk as 'ordered' (ext3 data=ordered, no ->page_mkwrite: R1-R4's victims) or "
                    + "'delalloc' (->page_mkwrite reserves blocks: R5's victims). Default: the preset's "
                    + "(ordered up to 2.6.27, delalloc on 2.6.30).")
    String fsMode;

    @Option(names = "--isize-extended", description = "Carry 3.18's pagecache_isize_extended (outside the seed "
            + "races): when i_size grows past a mapped partial last page, write-protect it so the next store faults.")
    boolean isizeExtended;

    @Option(names = "--quantum", paramLabel = "N", defaultValue = "200000",
            description = "Instructions a thread runs before the scheduler may switch. Default: ${DEFAULT-VALUE}.")
    long quantum;

    @Option(names = "--cpus", paramLabel = "N", defaultValue = "1",
            description = "Virtual CPUs, each its own engine and TLB on the shared RAM; threads are placed on them "
                    + "by thread id. Default: ${DEFAULT-VALUE}.")
    int cpus;

    @picocli.CommandLine.Mixin
    TraceOptions trace = new TraceOptions();

    @picocli.CommandLine.Mixin
    GdbOptions gdb = new GdbOptions();

    @Override
    public Integer call() throws IOException {
        Path exe = Programs.resolve(program);
        validate();
        dev.pagelab.trace.Tracer.Options traceOptions = trace.parse("run");
        gdb.validate("run");
        OutputStream out = HostStdio.stdout();
        OutputStream err = HostStdio.stderr();
        KernelConfig config;
        try {
            config = KernelConfig.preset(kernelPreset);
            if (fsMode != null) {
                config = config.withFs(KernelConfig.FsMode.parse(fsMode));
            }
            config = config.withIsizeExtended(isizeExtended);
        } catch (IllegalArgumentException e) {
            throw new UserError("run: " + e.getMessage());
        }
        Kernel.Options options = Kernel.Options.defaults(HostStdio.stdin(), out, err)
                .withHostDir(hostDir).withMaxInstructions(maxInstructions).withQuantum(quantum)
                .withMemory(memoryMiB << 20).withCpus(cpus).withDisk(disk).withCheck(check).withCheckDurability(checkDurability)
                .withConfig(config);
        List<String> argv = RawArgs.guestArgv(program, args);
        Kernel.Result result;
        try (Kernel kernel = new Kernel(options);
             TraceOptions.Session traced = trace.start("run", kernel, traceOptions);
             dev.pagelab.gdb.GdbStub debugger = gdb.start("run", kernel, new PrintStream(err, true))) {
            kernel.scheduler().setEvents(dev.pagelab.kernel.sched.CompositeEvents.of(TraceOptions.events(traced),
                    debugger));
            result = kernel.run(exe, argv, env);
            if (debugger != null) {
                debugger.processExited(result.status());
            }
        } catch (ElfException e) {
            throw new UserError(program + ": cannot execute: " + e.getMessage(), 126);
        } catch (BootException e) {
            throw new UserError("run: " + e.getMessage(), 2);
        }
        PrintStream report = new PrintStream(err != null ? err : OutputStream.nullOutputStream(), true);
        if (result.status().report() != null && result.status().signal() != ExitStatus.SIGPIPE) {
            report.println(result.status().report()); // a shell says nothing for SIGPIPE either
        }
        if (stats) {
            printStats(report, result.stats());
        }
        return reportChecks(report, result);
    }

    /** Prints the oracles' findings; a broken promise makes the run fail (exit 3) even if the guest passed. */
    private int reportChecks(PrintStream report, Kernel.Result result) {
        for (DurabilityOracle.Violation v : result.violations()) {
            report.println("VIOLATION " + v);
        }
        for (String p : result.problems()) {
            report.println("CHECK FAILED " + p);
        }
        if ((check || checkDurability) && result.clean()) {
            report.println("checks passed" + (checkDurability ? " (durability verified at every fsync/msync return)" : "")
                    + (check ? " (end state, dirty accounting, fsck)" : ""));
        }
        int status = result.status().shellStatus();
        return status == 0 && !result.clean() ? 3 : status;
    }

    private void validate() {
        if (maxInstructions < 0 || quantum < 1 || memoryMiB < 4 || memoryMiB > 16384 || cpus < 1 || cpus > 64) {
            throw new UserError("run: need --max-instructions >= 0, --quantum >= 1, 4 <= --memory <= 16384, "
                    + "1 <= --cpus <= 64");
        }
        if (hostDir != null && !Files.isDirectory(hostDir)) {
            throw new UserError("run: --host-dir " + hostDir + " is not a directory");
        }
        for (String e : env) {
            if (!e.contains("=")) {
                throw new UserError("run: --env needs NAME=VALUE, got '" + e + "'");
            }
        }
    }

    static void printStats(PrintStream out, Stats s) {
        out.println("--- pagelab stats ---");
        out.printf("instructions      %,d%n", s.instructions());
        out.printf("page faults       %,d (%s)%n", s.totalFaults(), faultKinds(s.faults()));
        out.printf("syscalls          %s%n", s.syscalls().entrySet().stream()
                .map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", ")));
        out.printf("unknown syscalls  %s%n", s.unknownSyscalls().isEmpty() ? "none"
                : s.unknownSyscalls().stream().map(SyscallNames::describe).collect(Collectors.joining(", "))
                        + " (returned -ENOSYS)");
        out.printf("frames            peak %,d (%,d KiB), in use at exit %,d%n", s.framesPeak(), s.framesPeak() * 4,
                s.framesInUseAtExit());
        out.printf("task switches     %,d%n", s.taskSwitches());
        if (s.pagesReclaimed() > 0 || s.reclaimWrites() > 0) {
            out.printf("page reclaim      %,d pages freed, %,d written back first%n", s.pagesReclaimed(),
                    s.reclaimWrites());
        }
    }

    private static String faultKinds(Map<FaultResult.Kind, Long> faults) {
        StringBuilder b = new StringBuilder();
        for (FaultResult.Kind k : FaultResult.Kind.values()) {
            b.append(b.isEmpty() ? "" : ", ").append(k.name().toLowerCase().replace('_', ' ')).append(' ')
                    .append(faults.getOrDefault(k, 0L));
        }
        return b.toString();
    }
}
