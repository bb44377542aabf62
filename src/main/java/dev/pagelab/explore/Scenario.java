package dev.pagelab.explore;

import dev.pagelab.emulator.Machine;
import dev.pagelab.kernel.BootException;
import dev.pagelab.kernel.Kernel;
import dev.pagelab.kernel.KernelConfig;
import dev.pagelab.kernel.fs.DiskFilesystem;
import dev.pagelab.kernel.fs.DurabilityOracle;
import dev.pagelab.kernel.proc.ElfException;
import dev.pagelab.kernel.proc.ElfFile;
import dev.pagelab.kernel.sched.Deviation;
import dev.pagelab.kernel.sched.KernelEvents;
import dev.pagelab.kernel.sched.Scheduler;
import dev.pagelab.kernel.sched.Strategy;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * What an exploration runs again and again: one program with its arguments on one machine
 * configuration, with the oracles that judge it. Every run gets a fresh kernel and a fresh
 * temporary disk, so runs are independent; the strategy is the only thing that differs.
 *
 * @param expectExit the exit status of a passing run
 * @param tunables   the flusher's and journal's periods
 */
public record Scenario(Path program, List<String> argv, KernelConfig config, int cpus, long quantum, long memoryBytes,
                       boolean check, boolean checkDurability, int expectExit, long maxInstructions,
                       DiskFilesystem.Tunables tunables) {

    /** The journal and flusher wake often, so that writeback overlaps even short programs. */
    public static final DiskFilesystem.Tunables EXPLORE_TUNABLES = new DiskFilesystem.Tunables(20_000, 10_000, 5_000);

    /** What one run did. */
    public record Outcome(Failure failure, List<Deviation> deviations, long traceHash, long decisions,
                          long instructions, long preemptions, List<Scheduler.DecisionRecord> decisionLog,
                          String output, int replayMismatches, List<String> taskNames) {
        /** "flusher (task 2)". */
        public String taskName(int id) {
            return (id < taskNames.size() ? taskNames.get(id) : "?") + " (task " + id + ")";
        }
    }

    /**
     * How much to observe of a run. {@code attach}, if given, is called with the booted kernel before
     * the run and returns one more observer (a tracer that hooks the kernel's CPUs).
     */
    public record Observe(boolean decisionLog, boolean labelPoints, KernelEvents events,
                          java.util.function.Function<Kernel, KernelEvents> attach) {
        public static final Observe NOTHING = new Observe(false, false, KernelEvents.NONE);

        public Observe(boolean decisionLog, boolean labelPoints, KernelEvents events) {
            this(decisionLog, labelPoints, events, null);
        }
    }

    /** Checks that the program is a loadable ELF (once, before a campaign). */
    public void validate() throws ElfException, IOException {
        ElfFile.read(program);
    }

    /** A worker thread's machine and the program whose code its engines have translated. */
    private static final class Kept {
        Machine machine;
        Path program;
    }

    /** Each worker thread's machine, kept between runs (engines, translated code, RAM). */
    private static final ThreadLocal<Kept> MACHINES = ThreadLocal.withInitial(Kept::new);

    /**
     * A machine for this thread's next run: its previous one if it fits. Translated code is kept
     * between runs of one program only (see Kernel.keepTranslatedCode): another program's code
     * may sit in the same frames at the same addresses, so a change of program flushes it.
     */
    private Machine machine() {
        Kept k = MACHINES.get();
        if (k.machine != null && (k.machine.memory().size() != memoryBytes || k.machine.cpus().size() < cpus)) {
            k.machine.close();
            k.machine = null;
        }
        if (k.machine == null) {
            k.machine = new Machine(memoryBytes);
        } else if (!program.equals(k.program)) {
            k.machine.cpus().forEach(dev.pagelab.emulator.Vcpu::flushTranslationCache);
        }
        k.program = program;
        return k.machine;
    }

    /** Runs the scenario once under {@code strategy}. Never throws for a failing guest or kernel. */
    public Outcome run(Strategy strategy, Observe observe) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Kernel.Options options = Kernel.Options.defaults(new ByteArrayInputStream(new byte[0]), out, out)
                .withMemory(memoryBytes).withCpus(cpus).withQuantum(quantum).withConfig(config).withCheck(check)
                .withCheckDurability(checkDurability).withStrategy(strategy).withTunables(tunables)
                .withMaxInstructions(maxInstructions);
        Kernel kernel;
        try {
            kernel = new Kernel(options, machine());
        } catch (BootException e) {
            throw new IllegalStateException("explore: cannot boot the machine: " + e.getMessage(), e);
        }
        try (kernel) {
            kernel.keepTranslatedCode();
            Scheduler s = kernel.scheduler();
            if (observe.decisionLog()) {
                s.keepDecisionLog();
            }
            if (observe.labelPoints()) {
                s.labelPoints();
            }
            s.setEvents(observe.attach() == null ? observe.events()
                    : dev.pagelab.kernel.sched.CompositeEvents.of(observe.events(), observe.attach().apply(kernel)));
            Failure failure;
            try {
                Kernel.Result r = kernel.run(program, argv, List.of());
                failure = judge(r);
            } catch (ElfException | IOException e) {
                throw new IllegalStateException("explore: " + program + ": " + e.getMessage(), e);
            } catch (RuntimeException | Error e) {
                failure = kernelFailure(e);
            }
            int mismatches = strategy instanceof dev.pagelab.kernel.sched.Replay r ? r.mismatches() : 0;
            List<Deviation> devs = s.deviations();
            long preemptions = devs.stream().filter(Deviation::preemption).count();
            return new Outcome(failure, devs, s.traceHash(), s.decisions(), kernel.instructions(), preemptions,
                    s.decisionLog(), out.toString(StandardCharsets.UTF_8), mismatches, s.taskNames());
        }
    }

    /** The failure a finished run shows, in order: oracle violations, checks, signals, status. */
    Failure judge(Kernel.Result r) {
        if (!r.violations().isEmpty()) {
            DurabilityOracle.Violation v = r.violations().get(0);
            return new Failure("oracle:" + v.kind(), v.toString());
        }
        if (!r.problems().isEmpty()) {
            String p = r.problems().get(0);
            int colon = p.indexOf(':');
            return new Failure("check:" + (colon > 0 ? p.substring(0, colon) : "end"), p);
        }
        if (r.status().killed()) {
            return new Failure("signal:" + Kernel.signalName(r.status().signal()), r.status().report());
        }
        if (r.status().shellStatus() != expectExit) {
            return new Failure("exit:" + r.status().shellStatus(), "exit status " + r.status().shellStatus()
                    + " (expected " + expectExit + ")");
        }
        return Failure.NONE;
    }

    private static Failure kernelFailure(Throwable e) {
        String m = String.valueOf(e.getMessage());
        if (m.startsWith("deadlock")) {
            return new Failure("deadlock", m);
        }
        return new Failure("kernel-bug", m);
    }

    /** The same scenario with another kernel configuration (the fixed preset for a found race). */
    public Scenario withConfig(KernelConfig c) {
        return new Scenario(program, argv, c, cpus, quantum, memoryBytes, check, checkDurability, expectExit,
                maxInstructions, tunables);
    }
}
