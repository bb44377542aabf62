package dev.pagelab.cli;

import dev.pagelab.explore.Scenario;
import dev.pagelab.kernel.KernelConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The program, machine and oracles of {@code explore} (a picocli mixin): what a schedule runs. */
final class ScenarioOptions {
    @Parameters(index = "0", paramLabel = "PROGRAM", description = "ELF path or guest program name.")
    String program;

    @Parameters(index = "1..*", paramLabel = "ARGS", description = "Arguments passed to the guest.")
    List<String> args = new ArrayList<>();

    @Option(names = "--cpus", paramLabel = "N", defaultValue = "2",
            description = "Virtual CPUs, each with its own TLB. Default: ${DEFAULT-VALUE}.")
    int cpus;

    @Option(names = "--kernel", paramLabel = "RELEASE", defaultValue = "2.6.30",
            description = "Kernel preset: 2.6.5 2.6.19 2.6.20 2.6.22 2.6.27 2.6.30. Default: ${DEFAULT-VALUE}.")
    String kernelPreset;

    @Option(names = "--fixes", paramLabel = "R1,R2,...", description = "Instead of a preset: exactly these seed "
            + "fixes (any combination of R1..R5, or 'none').")
    String fixes;

    @Option(names = "--fs", paramLabel = "MODE",
            description = "Mount the disk as 'ordered' (ext3, no ->page_mkwrite) or 'delalloc' (->page_mkwrite "
                    + "reserves blocks). Default: the preset's.")
    String fsMode;

    @Option(names = "--quantum", paramLabel = "N", defaultValue = "200000",
            description = "A thread's time slice in instructions. Default: ${DEFAULT-VALUE}.")
    long quantum;

    @Option(names = "--memory", paramLabel = "MiB", defaultValue = "32",
            description = "Guest RAM. Default: ${DEFAULT-VALUE} MiB.")
    long memoryMiB;

    @Option(names = "--check", description = "Judge each run with the end-of-run checks (as run --check).")
    boolean check;

    @Option(names = "--check-durability", description = "Judge each run with the fsync/msync durability "
            + "oracle (as run --check-durability).")
    boolean checkDurability;

    @Option(names = "--expect-exit", paramLabel = "N", defaultValue = "0",
            description = "The guest's exit status in a passing run. Default: ${DEFAULT-VALUE}.")
    int expectExit;

    @Option(names = "--max-instructions", paramLabel = "N", defaultValue = "50000000",
            description = "Stop a run after N instructions (a hung schedule fails). Default: ${DEFAULT-VALUE}.")
    long maxInstructions;

    /** The scenario these options describe; bad values are a {@link UserError}. */
    Scenario scenario(String command) {
        if (cpus < 1 || cpus > 64 || quantum < 1 || memoryMiB < 4 || memoryMiB > 4096 || maxInstructions < 0) {
            throw new UserError(command + ": need 1 <= --cpus <= 64, --quantum >= 1, 4 <= --memory <= 4096, "
                    + "--max-instructions >= 0");
        }
        List<String> argv = new ArrayList<>();
        argv.add(program);
        argv.addAll(args);
        return new Scenario(Programs.resolve(program), argv, config(command), cpus, quantum, memoryMiB << 20, check,
                checkDurability, expectExit, maxInstructions, Scenario.EXPLORE_TUNABLES);
    }

    private KernelConfig config(String command) {
        try {
            KernelConfig c = fixes == null ? KernelConfig.preset(kernelPreset) : KernelConfig.withFixes(fixes);
            return fsMode == null ? c : c.withFs(KernelConfig.FsMode.parse(fsMode));
        } catch (IllegalArgumentException e) {
            throw new UserError(command + ": " + e.getMessage());
        }
    }

}
