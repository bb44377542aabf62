package dev.pagelab.kernel;

import dev.pagelab.emulator.Machine;
import dev.pagelab.emulator.Register;
import dev.pagelab.emulator.Vcpu;
import dev.pagelab.emulator.VmExit;
import dev.pagelab.kernel.fs.Console;
import dev.pagelab.kernel.fs.DiskFilesystem;
import dev.pagelab.kernel.fs.DurabilityOracle;
import dev.pagelab.kernel.fs.HostDirectory;
import dev.pagelab.kernel.fs.HostFile;
import dev.pagelab.kernel.mm.FaultResult;
import dev.pagelab.kernel.mm.FrameAllocator;
import dev.pagelab.kernel.mm.Memory;
import dev.pagelab.kernel.mm.PageLock;
import dev.pagelab.kernel.mm.PageWriteback;
import dev.pagelab.kernel.mm.Rmap;
import dev.pagelab.kernel.mm.MmStruct;
import dev.pagelab.kernel.mm.Tlb;
import dev.pagelab.kernel.mm.UserAccess;
import dev.pagelab.kernel.mm.Vma;
import dev.pagelab.kernel.proc.ElfException;
import dev.pagelab.kernel.proc.ElfFile;
import dev.pagelab.kernel.proc.Exec;
import dev.pagelab.kernel.proc.ExitStatus;
import dev.pagelab.kernel.proc.Process;
import dev.pagelab.kernel.proc.ProcessTable;
import dev.pagelab.kernel.proc.UserThread;
import dev.pagelab.kernel.sched.SchedPoint;
import dev.pagelab.kernel.sched.Scheduler;
import dev.pagelab.kernel.sched.Strategy;
import dev.pagelab.kernel.sched.Task;
import dev.pagelab.kernel.syscall.Syscalls;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The kernel: boots a machine, runs one program as process 1 until every thread has exited, and
 * reports how it ended. Each user thread is a scheduler {@link Task} whose loop runs guest code on
 * a virtual CPU and handles the exits, like the return-to-user loop of a real kernel.
 */
public final class Kernel implements Tlb, AutoCloseable {
    /** How to build and run the machine. Change one field with the {@code withX} methods. */
    public record Options(long memoryBytes, int cpus, long quantum, long maxInstructions, Path hostDir,
                          InputStream stdin, OutputStream stdout, OutputStream stderr, KernelConfig config,
                          Path disk, boolean checkDurability, long crashAtInstruction, boolean check,
                          Strategy strategy, DiskFilesystem.Tunables tunables) {
        public static Options defaults(InputStream in, OutputStream out, OutputStream err) {
            return new Options(256L << 20, 1, 200_000, 0, null, in, out, err, KernelConfig.LINUX_2_6_30, null, false,
                    0, false, Strategy.ROUND_ROBIN, DiskFilesystem.Tunables.DEFAULT);
        }

        /** The mutable twin of Options that the {@code withX} methods edit a copy of. */
        private static final class Change {
            long memoryBytes, quantum, maxInstructions, crashAtInstruction;
            int cpus;
            Path hostDir, disk;
            InputStream stdin;
            OutputStream stdout, stderr;
            KernelConfig config;
            boolean checkDurability, check;
            Strategy strategy;
            DiskFilesystem.Tunables tunables;
        }

        private Options with(java.util.function.Consumer<Change> edit) {
            Change c = new Change();
            c.memoryBytes = memoryBytes;
            c.cpus = cpus;
            c.quantum = quantum;
            c.maxInstructions = maxInstructions;
            c.hostDir = hostDir;
            c.stdin = stdin;
            c.stdout = stdout;
            c.stderr = stderr;
            c.config = config;
            c.disk = disk;
            c.checkDurability = checkDurability;
            c.crashAtInstruction = crashAtInstruction;
            c.check = check;
            c.strategy = strategy;
            c.tunables = tunables;
            edit.accept(c);
            return new Options(c.memoryBytes, c.cpus, c.quantum, c.maxInstructions, c.hostDir, c.stdin, c.stdout,
                    c.stderr, c.config, c.disk, c.checkDurability, c.crashAtInstruction, c.check, c.strategy,
                    c.tunables);
        }

        /** Virtual CPUs, each its own engine (and TLB) on the shared physical memory. */
        public Options withCpus(int n) {
            return with(c -> c.cpus = n);
        }

        /** Who runs next at each scheduling point (default: round-robin without kernel preemption). */
        public Options withStrategy(Strategy s) {
            return with(c -> c.strategy = s);
        }

        /** The periods of the flusher and the journal. */
        public Options withTunables(DiskFilesystem.Tunables t) {
            return with(c -> c.tunables = t);
        }

        /** The disk image to create or reuse (null: a fresh temporary image for this run). */
        public Options withDisk(Path image) {
            return with(c -> c.disk = image);
        }

        public Options withCheckDurability(boolean on) {
            return with(c -> c.checkDurability = on);
        }

        /** Run the end-of-run checks (end state, dirty accounting, fsck). */
        public Options withCheck(boolean on) {
            return with(c -> c.check = on);
        }

        /** Simulated power loss once this many instructions have retired (0: never). */
        public Options withCrashAt(long instruction) {
            return with(c -> c.crashAtInstruction = instruction);
        }

        public Options withHostDir(Path dir) {
            return with(c -> c.hostDir = dir);
        }

        public Options withMaxInstructions(long max) {
            return with(c -> c.maxInstructions = max);
        }

        public Options withQuantum(long q) {
            return with(c -> c.quantum = q);
        }

        public Options withMemory(long bytes) {
            return with(c -> c.memoryBytes = bytes);
        }

        public Options withConfig(KernelConfig kernelConfig) {
            return with(c -> c.config = kernelConfig);
        }

        /** The guest's stdin, stdout and stderr. */
        public Options withStreams(InputStream in, OutputStream out, OutputStream err) {
            return with(c -> {
                c.stdin = in;
                c.stdout = out;
                c.stderr = err;
            });
        }
    }

    /**
     * The end of a run: how the program ended, what it did, the oracles' violations (broken
     * durability promises, filesystem invariants) and the end-of-run check problems.
     */
    public record Result(ExitStatus status, Stats stats, List<DurabilityOracle.Violation> violations,
                         List<String> problems) {
        public boolean clean() {
            return violations.isEmpty() && problems.isEmpty();
        }
    }

    /** What one kernel entry (system call or page fault) costs of a thread's time slice, in ns. */
    static final long KERNEL_ENTRY_COST = 1_000;

    private final Options options; // immutable
    private final Machine machine; // owned unless borrowed
    private final boolean borrowedMachine; // immutable: the machine outlives this kernel (exploration)
    private final FrameAllocator frames; // immutable reference
    private final Scheduler scheduler; // immutable reference
    private final Memory memory; // immutable reference
    private final PageLock pageLock; // immutable reference
    private final PageWriteback writeback; // immutable reference
    private final Rmap rmap; // immutable reference
    private final UserAccess uaccess; // immutable reference
    private final List<Vcpu> cpus = new ArrayList<>(); // immutable after construction
    private final UserThread[] cpuOwner; // whose registers each CPU holds; guarded by the baton
    private final HostDirectory hostDirectory; // immutable reference
    private final Syscalls syscalls; // immutable reference
    private final Storage storage; // owned: the disk and its filesystem
    private long instructions; // retired by all CPUs; guarded by the baton
    private final long[] lastCount; // each CPU's count when last accounted; guarded by the baton
    private int nextId = 1; // pids and tids; guarded by the baton
    private final ProcessTable processes = new ProcessTable(); // immutable reference
    private boolean keepTranslatedCode; // see keepTranslatedCode(); guarded by the baton
    private java.util.function.LongUnaryOperator budgetHook = q -> q; // set before run(); guarded by the baton

    public Kernel(Options options) throws BootException {
        this(options, null);
    }

    /**
     * Boots on {@code reuse} if given: a machine of {@code options.memoryBytes()} that an earlier
     * kernel ran on and closed. Its engines keep their state (only the TLBs and translated code are
     * dropped) and its RAM is not cleared: every frame is zeroed or overwritten when it is
     * allocated, so nothing of the earlier run can be seen. What makes exploration cheap.
     */
    public Kernel(Options options, Machine reuse) throws BootException {
        if (options.cpus() < 1) {
            throw new IllegalArgumentException("Kernel: need at least one CPU");
        }
        if (reuse != null && reuse.memory().size() != options.memoryBytes()) {
            throw new IllegalArgumentException("Kernel: the machine to reuse has " + reuse.memory().size()
                    + " bytes of RAM, the options ask for " + options.memoryBytes());
        }
        this.options = options;
        this.borrowedMachine = reuse != null;
        this.machine = reuse != null ? reuse : new Machine(options.memoryBytes());
        this.frames = new FrameAllocator(machine.memory(), machine.firstFreeFrame());
        this.scheduler = new Scheduler(options.strategy());
        this.pageLock = new PageLock(scheduler);
        this.writeback = new PageWriteback(options.config(), scheduler, pageLock);
        this.rmap = new Rmap(options.config(), this, writeback);
        this.memory = new Memory(frames, this, writeback);
        this.uaccess = new UserAccess(memory);
        List<Vcpu> existing = machine.cpus();
        for (int i = 0; i < options.cpus(); i++) {
            cpus.add(i < existing.size() ? existing.get(i) : machine.createVcpu(true));
        }
        this.cpuOwner = new UserThread[options.cpus()];
        this.lastCount = new long[options.cpus()];
        for (Vcpu cpu : cpus) {
            lastCount[cpu.id()] = cpu.instructions();
            if (borrowedMachine) {
                cpu.setPageTableRoot(machine.idleRoot());
                cpu.flushTlb();
            }
        }
        this.hostDirectory = new HostDirectory(options.hostDir(), frames);
        try {
            this.storage = Storage.attach(options.disk(), scheduler, memory, options.config(), options.checkDurability(),
                    options.tunables());
        } catch (java.io.IOException e) {
            closeMachine();
            throw new BootException("disk image: " + e.getMessage());
        } catch (BootException e) {
            closeMachine();
            throw e;
        }
        this.syscalls = new Syscalls(this);
    }

    public Scheduler scheduler() { return scheduler; }
    public Memory memory() { return memory; }
    public PageWriteback writeback() { return writeback; }
    public PageLock pageLock() { return pageLock; }
    public Rmap rmap() { return rmap; }
    public UserAccess uaccess() { return uaccess; }
    public FrameAllocator frames() { return frames; }
    public HostDirectory hostDirectory() { return hostDirectory; }
    public Machine machine() { return machine; }
    public Options options() { return options; }
    public DiskFilesystem filesystem() { return storage.sb; }
    public Path diskImage() { return storage.image(); }
    public ProcessTable processes() { return processes; }
    public DurabilityOracle oracle() { return storage.oracle; }

    /**
     * A debugger's say over each guest run: {@code hook} gets the budget the kernel chose and
     * returns the one to use (the shell's {@code stepi N} runs exactly N instructions). Called by
     * the running task just before it enters guest code, with the machine otherwise stopped, so it
     * may block like a {@link dev.pagelab.kernel.sched.KernelEvents} observer. Set before {@link #run}.
     */
    public void setBudgetHook(java.util.function.LongUnaryOperator hook) {
        this.budgetHook = hook;
    }

    /** Loads {@code executable} as process 1, runs it to the end, and tears everything down. */
    public Result run(Path executable, List<String> argv, List<String> envp) throws ElfException, IOException {
        ElfFile elf = ElfFile.read(executable);
        HostFile exe = hostDirectory.inode(executable.toAbsolutePath().normalize());
        MmStruct mm = new MmStruct(frames, machine, scheduler);
        Process process = new Process(nextId++, executable.getFileName().toString(), mm, scheduler);
        processes.add(process);
        process.files().install(Console.input(options.stdin()));
        process.files().install(Console.output(options.stdout()));
        process.files().install(Console.output(options.stderr()));
        process.setExecutable(process.name(), exe, executable.toString(), mm);
        UserThread main = new UserThread(process.pid(), process, null);
        process.threads().add(main);
        main.setTask(scheduler.spawn(process.name(), () -> {
            Exec.Image image;
            try {
                image = Exec.loadElfBinary(mm, uaccess, elf, exe, argv, envp);
            } catch (UserAccess.Efault e) {
                process.beginExit(ExitStatus.killed(ExitStatus.SIGKILL, "killed: exec failed: " + e.getMessage()));
                exitThread(main);
                return;
            }
            main.saveRegisters(UserThread.initialRegisters(image.entry(), image.stackPointer()));
            userLoop(main);
        }));
        storage.sb.startThreads();
        scheduler.run();
        List<String> problems = new ArrayList<>();
        if (storage.crashed()) {
            problems.addAll(storage.afterCrashChecks());
        } else if (options.check()) {
            problems.addAll(storage.endOfRunChecks(writeback));
        }
        scheduler.hashEvent(process.exitStatus().shellStatus(), storage.oracle.violations().size(), problems.size());
        return new Result(process.exitStatus(), stats(), storage.oracle.violations(), problems);
    }

    /** A new pid (pids and tids share one counter). */
    public int allocPid() {
        return nextId++;
    }

    /** Starts {@code process}'s main thread (tid = pid) with {@code registers} (fork). */
    public UserThread spawnProcess(Process process, long[] registers) {
        UserThread t = new UserThread(process.pid(), process, registers);
        process.threads().add(t);
        t.setTask(scheduler.spawn(process.name(), () -> userLoop(t)));
        return t;
    }

    /** Creates a thread of {@code process} starting with {@code registers} (clone). */
    public UserThread spawnThread(Process process, long[] registers) {
        UserThread t = new UserThread(nextId++, process, registers);
        process.threads().add(t);
        t.setTask(scheduler.spawn(process.name() + "/" + t.tid(), () -> userLoop(t)));
        return t;
    }

    /** The return-to-user loop: run guest code, handle the exit, repeat until the thread exits. */
    private void userLoop(UserThread t) {
        Process p = t.process();
        while (!p.exiting()) {
            if (syscalls.doSignal(t)) {
                break;
            }
            Vcpu cpu = ensureOnCpu(t);
            long budget = scheduler.budget(budget(t));
            scheduler.events().guestEnter(t.task(), cpu.id(), budget);
            VmExit exit = cpu.run(budget);
            long retired = account(cpu);
            t.chargeSlice(retired);
            scheduler.events().guestExit(t.task(), cpu.id(), exit, retired);
            if (limitReached(p)) {
                break;
            }
            handleExit(t, exit);
        }
        exitThread(t);
    }

    /**
     * The most {@code t} may run now: what is left of its time slice, cut to the instruction limit
     * and the crash point. The strategy may choose less.
     */
    private long budget(UserThread t) {
        if (t.sliceLeft() <= 0) {
            t.refillSlice(options.quantum());
        }
        long q = t.sliceLeft();
        if (options.maxInstructions() > 0) {
            q = Math.min(q, Math.max(1, options.maxInstructions() - instructions));
        }
        if (options.crashAtInstruction() > 0 && !storage.crashed()) {
            q = Math.min(q, Math.max(1, options.crashAtInstruction() - instructions));
        }
        return Math.max(1, Math.min(q, budgetHook.applyAsLong(q)));
    }

    /** Adds what {@code cpu} retired since last time to the totals and the clock; returns it. */
    private long account(Vcpu cpu) {
        long now = cpu.instructions();
        long ran = now - lastCount[cpu.id()];
        lastCount[cpu.id()] = now;
        instructions += ran;
        scheduler.retired(ran);
        return ran;
    }

    private boolean limitReached(Process p) {
        if (options.crashAtInstruction() > 0 && storage.crashed()) {
            // another process's thread pulled the plug: every process stops with it
            p.beginExit(ExitStatus.killed(ExitStatus.SIGKILL, "crashed: simulated power loss"));
            return true;
        }
        if (options.crashAtInstruction() > 0 && instructions >= options.crashAtInstruction() && !storage.crashed()) {
            storage.crash();
            p.beginExit(ExitStatus.killed(ExitStatus.SIGKILL, "crashed: simulated power loss after "
                    + instructions + " instructions"));
            return true;
        }
        if (options.maxInstructions() > 0 && instructions >= options.maxInstructions()) {
            p.beginExit(ExitStatus.killed(ExitStatus.SIGKILL, "stopped: the instruction limit of "
                    + options.maxInstructions() + " was reached (--max-instructions)"));
            return true;
        }
        return false;
    }

    private void handleExit(UserThread t, VmExit exit) {
        switch (exit) {
            case VmExit.Syscall sc -> {
                int cpu = cpuOf(t);
                scheduler.events().syscallEntry(t.task(), cpu, sc);
                scheduler.point(SchedPoint.SYSCALL_ENTRY);
                long result = syscalls.dispatch(t, sc);
                scheduler.hashEvent(sc.number(), result, t.tid());
                if (result != Syscalls.NO_RETURN) {
                    scheduler.events().syscallExit(t.task(), cpu, sc, result);
                }
                if (result != Syscalls.NO_RETURN && !t.process().exiting()) {
                    ensureOnCpu(t).set(Register.RAX, result);
                }
                tickAfterKernelEntry(t);
            }
            case VmExit.PageFault pf -> {
                doPageFault(t, pf);
                tickAfterKernelEntry(t);
            }
            case VmExit.QuantumExpired q -> {
                scheduler.guestStoppedAt(q.rip());
                if (t.sliceLeft() <= 0) {
                    t.refillSlice(options.quantum());
                    scheduler.point(SchedPoint.QUANTUM_END);
                } else {
                    scheduler.point(SchedPoint.PREEMPT);
                }
            }
            case VmExit.CpuException ce -> fatalException(t, ce);
            case VmExit.Halt h -> kill(t, ExitStatus.SIGSEGV, String.format(
                    "killed: SIGSEGV (jumped into the machine's exit page at rip 0x%x)", h.rip()));
        }
    }

    /**
     * The timer tick as seen on return to user mode: kernel work is charged to the thread's slice
     * (a flat {@link #KERNEL_ENTRY_COST} per entry; unlike Linux, kernel time is not measured), so a
     * thread that makes many system calls still loses the CPU when its slice is used up.
     */
    private void tickAfterKernelEntry(UserThread t) {
        if (t.process().exiting()) {
            return;
        }
        t.chargeSlice(KERNEL_ENTRY_COST);
        if (t.sliceLeft() <= 0) {
            t.refillSlice(options.quantum());
            scheduler.point(SchedPoint.QUANTUM_END);
        }
    }

    /** do_page_fault for a user-mode fault: mmap_sem for reading around handle_mm_fault. */
    private void doPageFault(UserThread t, VmExit.PageFault pf) {
        MmStruct mm = t.process().mm();
        int cpu = cpuOf(t);
        scheduler.events().pageFault(t.task(), cpu, pf);
        mm.mmapSem.downRead();
        FaultResult r;
        try {
            r = memory.handleMmFault(mm, pf.address(), pf.write(), pf.fetch());
        } finally {
            mm.mmapSem.upRead();
        }
        scheduler.events().pageFaultDone(t.task(), cpu, pf, r.getClass().getSimpleName());
        scheduler.hashEvent(pf.address(), pf.errorCode(), r.getClass().getSimpleName().hashCode());
        switch (r) {
            case FaultResult.Handled h -> { }
            case FaultResult.SigSegv s -> kill(t, ExitStatus.SIGSEGV, String.format(
                    "killed: SIGSEGV at 0x%x (rip 0x%x, error code 0x%x)", pf.address(), pf.rip(), pf.errorCode()));
            case FaultResult.SigBus b -> kill(t, ExitStatus.SIGBUS, String.format(
                    "killed: SIGBUS at 0x%x (rip 0x%x): %s", pf.address(), pf.rip(), b.reason()));
            case FaultResult.Oom o -> kill(t, ExitStatus.SIGKILL, String.format(
                    "killed: out of memory (page fault at 0x%x, rip 0x%x)", pf.address(), pf.rip()));
        }
    }

    private void fatalException(UserThread t, VmExit.CpuException ce) {
        int signal = switch (ce.vector()) {
            case 0 -> ExitStatus.SIGFPE;
            case 6 -> ExitStatus.SIGILL;
            case 3 -> 5; // SIGTRAP
            default -> ExitStatus.SIGSEGV;
        };
        kill(t, signal, String.format("killed: %s (%s) at rip 0x%x", signalName(signal), ce.mnemonic(), ce.rip()));
    }

    /** A fatal signal: the whole process dies with this report. */
    private void kill(UserThread t, int signal, String report) {
        t.process().beginExit(ExitStatus.killed(signal, report));
    }

    public static String signalName(int signal) {
        return switch (signal) {
            case ExitStatus.SIGILL -> "SIGILL";
            case ExitStatus.SIGBUS -> "SIGBUS";
            case ExitStatus.SIGFPE -> "SIGFPE";
            case ExitStatus.SIGKILL -> "SIGKILL";
            case ExitStatus.SIGSEGV -> "SIGSEGV";
            case 5 -> "SIGTRAP";
            default -> "signal " + signal;
        };
    }

    /**
     * Makes {@code t}'s registers and address space the ones on its CPU, saving the previous
     * owner's registers (a context switch, done lazily when the CPU is next needed).
     */
    public Vcpu ensureOnCpu(UserThread t) {
        int id = cpuOf(t);
        Vcpu cpu = cpus.get(id);
        UserThread owner = cpuOwner[id];
        if (owner != t) {
            if (owner != null) {
                owner.saveRegisters(cpu.saveUserState());
            }
            cpu.loadUserState(t.savedRegisters());
            long pgd = t.process().mm().pageTables().pgd();
            if (cpu.pageTableRoot() != pgd) {
                cpu.setPageTableRoot(pgd);
            }
            cpuOwner[id] = t;
        }
        return cpu;
    }

    /** The CPU that runs {@code t}. */
    public int cpuOf(UserThread t) {
        return t.tid() % cpus.size();
    }

    /** The user thread whose registers CPU {@code cpu} holds (null: none); the others' are saved. */
    public UserThread cpuOwner(int cpu) {
        return cpuOwner[cpu];
    }

    /** The virtual CPUs, by number. */
    public List<Vcpu> cpus() {
        return List.copyOf(cpus);
    }

    /**
     * do_exit for one thread: clear_child_tid (store 0, futex wake), then, for the last thread,
     * the process's exit_mmap and file close. Ends the task.
     */
    public void exitThread(UserThread t) {
        Process p = t.process();
        if (t.clearChildTid() != 0) {
            try {
                uaccess.putUserInt(p.mm(), t.clearChildTid(), 0);
                p.futexQueue(t.clearChildTid()).wake(1);
            } catch (UserAccess.Efault ignored) {
                // Linux ignores a bad clear_child_tid too
            }
        }
        p.threads().remove(t);
        for (int i = 0; i < cpuOwner.length; i++) {
            if (cpuOwner[i] == t) {
                cpuOwner[i] = null;
            }
        }
        if (p.threads().isEmpty()) {
            if (!p.exiting()) {
                p.beginExit(ExitStatus.exited(0));
            }
            exitMmap(p.mm());
            p.files().closeAll();
            syscalls.exitNotify(p);
            if (processes.live() == 0) {
                if (!storage.crashed()) {
                    storage.sb.syncAll();
                }
                storage.sb.shutdownThreads();
            }
        }
        scheduler.exit();
    }

    /** exit_mmap: zaps every VMA and frees the page tables (exit, and exec's old mm). */
    public void exitMmap(MmStruct mm) {
        mm.mmapSem.downWrite();
        try {
            for (Vma v : mm.vmas()) {
                memory.checkDirtyPtes(mm, v, v.start(), v.end(), "exit_mmap");
                memory.zapPteRange(mm, v, v.start(), v.end());
                mm.detachRange(v.start(), v.end());
            }
            for (Vcpu cpu : cpus) {
                if (cpu.pageTableRoot() == mm.pageTables().pgd()) {
                    cpu.setPageTableRoot(machine.idleRoot());
                }
            }
            mm.pageTables().freeAll();
        } finally {
            mm.mmapSem.upWrite();
        }
    }

    @Override
    public void flushTlbMm(MmStruct mm) {
        long pgd = mm.pageTables().pgd();
        for (Vcpu cpu : cpus) {
            if (cpu.pageTableRoot() == pgd) {
                cpu.flushTlb();
                scheduler.events().tlbFlush(cpu.id());
            }
        }
    }

    /**
     * Exploration re-runs one static program on one machine many times: its code pages hold the
     * same bytes at the same virtual addresses in every run, so code translated in one run is
     * right in the next, and the engines keep it (a translation flush costs milliseconds per CPU,
     * more than a whole run of a small scenario). Unlike plain runs, freeing a code frame then
     * does not flush translated code. Only for programs that never map other code.
     */
    public void keepTranslatedCode() {
        keepTranslatedCode = true;
    }

    /**
     * execve is loading another program: code at the same addresses may now differ, so translated
     * code is dropped from here on as in a plain run (and once now), whatever keepTranslatedCode said.
     */
    public void execStarted() {
        if (keepTranslatedCode) {
            keepTranslatedCode = false;
            flushCodeCaches();
        }
    }

    @Override
    public void flushCodeCaches() {
        if (keepTranslatedCode) {
            return;
        }
        for (Vcpu cpu : cpus) {
            cpu.flushTranslationCache();
        }
    }

    public long instructions() {
        return instructions;
    }

    public Stats stats() {
        return new Stats(instructions, memory.faultCounts(), syscalls.counts(), syscalls.unknown(), frames.peak(),
                frames.inUse(), scheduler.switches(), scheduler.clock());
    }

    /** Drops every page cache (so a test can check that no frame leaked). */
    public void dropCaches() {
        hostDirectory.dropCaches();
    }

    /** Simulated power loss now (tests): every write not completed is lost. */
    public void crash() {
        storage.crash();
    }

    @Override
    public void close() {
        storage.close();
        closeMachine();
    }

    /** Closes the machine, or hands a borrowed one back idle (CPUs on the idle page tables). */
    private void closeMachine() {
        if (!borrowedMachine) {
            machine.close();
            return;
        }
        for (Vcpu cpu : cpus) {
            cpu.setPageTableRoot(machine.idleRoot());
        }
    }
}
