package dev.pagelab.shell;

import dev.pagelab.emulator.Pte;
import dev.pagelab.emulator.Register;
import dev.pagelab.emulator.Vcpu;
import dev.pagelab.emulator.VmExit;
import dev.pagelab.kernel.Kernel;
import dev.pagelab.kernel.mm.Vma;
import dev.pagelab.kernel.proc.Process;
import dev.pagelab.kernel.proc.UserThread;
import dev.pagelab.kernel.sched.KernelEvents;
import dev.pagelab.kernel.sched.SchedPoint;
import dev.pagelab.kernel.sched.Task;
import dev.pagelab.kernel.syscall.Syscalls;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.function.LongFunction;
import java.util.function.LongUnaryOperator;

/**
 * Stops the machine for the shell. It is the kernel's {@link KernelEvents} observer and its budget
 * hook: every call comes from the one running task with the machine otherwise stopped, so to stop
 * the machine the observer just blocks (on {@link #resume}) after posting a {@link Outcome.Stopped}
 * to the shell; while it blocks, the shell thread reads any kernel state. {@link Kernel#run} runs on
 * its own Java thread and posts {@link Outcome.Finished} when the program is over.
 *
 * <p>Guarded by the stop handshake: the fields the shell writes ({@link #mode}, breakpoints, ...)
 * are written only while the machine is stopped or not started, and published by the semaphore
 * release that resumes it; volatile for {@link #interrupt}, which Ctrl-C sets at any time.
 */
final class Debugger implements KernelEvents, LongUnaryOperator {
    /** Kernel event kinds, for {@code step}, {@code until} and stop reports. */
    enum Event {
        SCHED("sched"), SWITCH("switch"), GUEST_EXIT("guest-exit"), SYSCALL("syscall"), SYSCALL_EXIT("sysret"),
        FAULT("fault"), FAULT_DONE("fault-done"), PTE("pte"), TLB("tlb");

        final String word; // immutable

        Event(String word) {
            this.word = word;
        }

        static Event byWord(String w) {
            for (Event e : values()) {
                if (e.word.equals(w)) {
                    return e;
                }
            }
            return null;
        }
    }

    /** How the machine runs until the next stop. */
    enum Mode { CONTINUE, STEP, UNTIL, STEPI, FREE }

    /** What the shell gets back when it lets the machine run. */
    sealed interface Outcome {
        /** The machine stopped; {@code report} says where and why. */
        record Stopped(String report) implements Outcome {}

        /** The program is over: its result, or why the kernel failed. */
        record Finished(Kernel.Result result, String failure) implements Outcome {}
    }

    private final Kernel kernel; // immutable reference
    private final LongFunction<String> symbolizer; // immutable: " <main+4>" or ""
    private final BlockingQueue<Outcome> outcomes = new LinkedBlockingQueue<>();
    private final Semaphore resume = new Semaphore(0); // the stopped task waits here
    private volatile boolean interrupt; // Ctrl-C: stop at the next event
    private volatile Mode mode = Mode.CONTINUE; // written by the shell while stopped
    private volatile Event until; // the event kind of Mode.UNTIL
    private volatile long stepiLeft; // instructions still to run in Mode.STEPI
    private volatile Task stepTask; // the task Mode.STEPI counts
    private volatile List<Breakpoint> breakpoints = List.of(); // replaced whole by the shell
    private volatile long[] guestBreaks = {}; // the GuestAddress breakpoints' addresses
    private volatile int guestBreaksVersion; // bumped when guestBreaks changes
    private final Map<Integer, Integer> cpuBreaksVersion = new HashMap<>(); // per CPU; running task only
    private Task skipTask; // do not re-stop this task at skipRip on its next guest entry; running task only
    private long skipRip; // running task only
    private final Map<String, Integer> insideCall = new HashMap<>(); // "task/function" -> frame depth of the last hit
    private final Map<Task, String> waitsIn = new ConcurrentHashMap<>(); // where blocked tasks last blocked
    private volatile Process process; // the user process, once a user thread has been seen
    private volatile Task stoppedTask; // the task that is blocked in stop(), or null
    private final Map<Integer, Long> lastFault = new ConcurrentHashMap<>(); // cpu -> last #PF address (CR2)

    Debugger(Kernel kernel, LongFunction<String> symbolizer) {
        this.kernel = kernel;
        this.symbolizer = symbolizer;
    }

    // ---- the shell's side ------------------------------------------------------------------------

    /** Starts {@code body} (the machine) on its own thread; returns the first outcome. */
    Outcome start(Body body) {
        Thread t = new Thread(() -> {
            try {
                outcomes.add(new Outcome.Finished(body.run(), null));
            } catch (ShellError e) {
                outcomes.add(new Outcome.Finished(null, e.getMessage()));
            } catch (Throwable e) {
                outcomes.add(new Outcome.Finished(null, "kernel failure: " + e));
            }
        }, "pagelab-machine");
        t.setDaemon(true);
        t.start();
        return awaitOutcome();
    }

    /** The machine's body: runs the program to its end. */
    @FunctionalInterface
    interface Body {
        Kernel.Result run() throws Exception;
    }

    /** Resumes the stopped machine in {@code newMode} and waits for the next outcome. */
    Outcome resume(Mode newMode, Event untilEvent, long instructions) {
        mode = newMode;
        until = untilEvent;
        stepiLeft = instructions;
        stepTask = stoppedTask;
        interrupt = false;
        stoppedTask = null;
        resume.release();
        return awaitOutcome();
    }

    private Outcome awaitOutcome() {
        while (true) {
            try {
                return outcomes.take();
            } catch (InterruptedException e) {
                interrupt = true; // the shell thread was interrupted: treat as Ctrl-C
            }
        }
    }

    /** Ctrl-C: the machine stops at its next kernel event (at the latest when the quantum ends). */
    void interrupt() {
        interrupt = true;
    }

    void setBreakpoints(List<Breakpoint> all) {
        breakpoints = List.copyOf(all);
        guestBreaks = all.stream().filter(b -> b instanceof Breakpoint.GuestAddress)
                .mapToLong(b -> ((Breakpoint.GuestAddress) b).address()).distinct().toArray();
        guestBreaksVersion++;
    }

    /** The task that is stopped (null if the machine stopped on no task or is running). */
    Task stoppedTask() {
        return stoppedTask;
    }

    /** The user process (null until its first thread has run). */
    Process process() {
        return process;
    }

    /**
     * CR2 of {@code cpu}: the address of its last page fault (the emulated CR2 register is not
     * kept by libunicorn once the kernel has taken the fault), or -1 if it has had none.
     */
    long lastFaultAddress(int cpu) {
        return lastFault.getOrDefault(cpu, -1L);
    }

    /** Where a blocked task went to sleep ("lock_page"), or null. */
    String waitsIn(Task t) {
        return waitsIn.get(t);
    }

    // ---- the machine's side: the budget hook -------------------------------------------------------

    /** Kernel budget hook: guest breakpoints at entry, {@code stepi}'s exact budget. */
    @Override
    public long applyAsLong(long quantum) {
        Task t = kernel.scheduler().current();
        if (!(t.owner() instanceof UserThread u)) {
            return quantum;
        }
        Vcpu cpu = kernel.cpus().get(kernel.cpuOf(u));
        syncGuestBreaks(cpu);
        if (mode == Mode.FREE) {
            return quantum;
        }
        long rip = cpu.get(Register.RIP);
        boolean skip = skipTask == t && skipRip == rip;
        skipTask = null;
        if (!skip) {
            Breakpoint b = guestBreakAt(rip);
            if (b != null) {
                stop(t, "Breakpoint " + b.id() + ": " + who(t) + " at 0x" + Long.toHexString(rip)
                        + symbolizer.apply(rip));
            } else if (interrupt) {
                stop(t, "interrupted: " + who(t) + " about to run guest code at 0x" + Long.toHexString(rip)
                        + symbolizer.apply(rip));
            }
        }
        if (mode == Mode.STEPI && stepTask == t) {
            return Math.max(1, Math.min(quantum, stepiLeft));
        }
        return quantum;
    }

    private void syncGuestBreaks(Vcpu cpu) {
        int version = guestBreaksVersion;
        if (cpuBreaksVersion.getOrDefault(cpu.id(), 0) != version) {
            cpu.setBreakpoints(mode == Mode.FREE ? new long[0] : guestBreaks);
            cpuBreaksVersion.put(cpu.id(), version);
        }
    }

    private Breakpoint guestBreakAt(long rip) {
        for (Breakpoint b : breakpoints) {
            if (b instanceof Breakpoint.GuestAddress g && g.address() == rip) {
                return b;
            }
        }
        return null;
    }

    // ---- the machine's side: kernel events -------------------------------------------------------

    @Override
    public void schedPoint(Task current, SchedPoint point) {
        if (mode == Mode.FREE) {
            return;
        }
        note(current);
        Breakpoint hit = null;
        for (Breakpoint b : breakpoints) {
            if (b instanceof Breakpoint.KernelPoint k && k.point() == point) {
                hit = b;
            } else if (b instanceof Breakpoint.KernelFunction f && insideNewCall(current, f)) {
                hit = b;
            }
            if (hit != null) {
                break;
            }
        }
        boolean wanted = hit != null || generic(Event.SCHED, current);
        if (wanted) {
            String where = KernelFunctions.innermost();
            String inside = hit instanceof Breakpoint.KernelFunction f && !f.linuxName().equals(where)
                    ? " inside " + f.linuxName() + "()" : "";
            report(current, hit, Event.SCHED, "kernel point " + point.name().toLowerCase(Locale.ROOT)
                    + (where == null ? "" : " in " + where + "()") + inside);
        }
    }

    /** True at the first scheduling point of each call of {@code f} made by {@code t}. */
    private boolean insideNewCall(Task t, Breakpoint.KernelFunction f) {
        int depth = KernelFunctions.depthOf(f.javaName());
        String key = t.id() + "/" + f.javaName();
        Integer last = insideCall.get(key);
        if (depth < 0) {
            insideCall.remove(key);
            return false;
        }
        if (last != null && last == depth) {
            return false;
        }
        insideCall.put(key, depth);
        return true;
    }

    @Override
    public void taskSwitch(Task from, Task to, SchedPoint reason) {
        if (mode == Mode.FREE) {
            return;
        }
        if (from.state() == Task.State.BLOCKED) {
            String where = KernelFunctions.innermost();
            waitsIn.put(from, where == null ? "?" : where);
        } else {
            waitsIn.remove(from);
        }
        if (generic(Event.SWITCH, from)) {
            report(from, null, Event.SWITCH, "task switch " + who(from) + " -> " + who(to) + " ("
                    + reason.name().toLowerCase(Locale.ROOT) + ")");
        }
    }

    @Override
    public void guestExit(Task task, int cpu, VmExit exit, long retired) {
        if (mode == Mode.FREE) {
            return;
        }
        note(task);
        long hit = exit instanceof VmExit.QuantumExpired ? kernel.cpus().get(cpu).breakpointHit() : 0;
        boolean stepping = mode == Mode.STEPI && stepTask == task;
        if (stepping) {
            stepiLeft -= retired;
        }
        if (hit != 0) {
            skip(task, hit);
            Breakpoint b = guestBreakAt(hit);
            stop(task, "Breakpoint " + (b == null ? "?" : b.id()) + ": " + who(task) + " at 0x"
                    + Long.toHexString(hit) + symbolizer.apply(hit));
            return;
        }
        long rip = kernel.cpus().get(cpu).get(Register.RIP);
        if (stepping && stepiLeft <= 0) {
            skip(task, rip);
            stop(task, "stepped: " + who(task) + " at 0x" + Long.toHexString(rip) + symbolizer.apply(rip)
                    + exitNote(exit));
            return;
        }
        if (generic(Event.GUEST_EXIT, task)) {
            report(task, null, Event.GUEST_EXIT, "guest exit on cpu " + cpu + " after " + retired
                    + " instructions: " + exitText(exit));
        }
    }

    private void skip(Task task, long rip) {
        skipTask = task;
        skipRip = rip;
    }

    private static String exitNote(VmExit exit) {
        return exit instanceof VmExit.QuantumExpired ? "" : " (then " + exitText(exit) + ")";
    }

    private static String exitText(VmExit exit) {
        return switch (exit) {
            case VmExit.Syscall s -> "syscall " + syscallName(s.number());
            case VmExit.PageFault pf -> String.format("page fault at 0x%x (%s)", pf.address(),
                    VmExit.PageFault.describe(pf.errorCode()));
            case VmExit.QuantumExpired q -> "budget used";
            default -> exit.toString();
        };
    }

    static String syscallName(long nr) {
        String n = Syscalls.name(nr);
        return n == null ? "#" + nr : n;
    }

    @Override
    public void syscallEntry(Task task, int cpu, VmExit.Syscall call) {
        if (mode == Mode.FREE) {
            return;
        }
        note(task);
        Breakpoint hit = null;
        for (Breakpoint b : breakpoints) {
            if (b instanceof Breakpoint.Syscall s && s.number() == call.number()) {
                hit = b;
                break;
            }
        }
        if (hit != null || generic(Event.SYSCALL, task)) {
            report(task, hit, Event.SYSCALL, String.format("syscall %s(0x%x, 0x%x, 0x%x, 0x%x, 0x%x, 0x%x)",
                    syscallName(call.number()), call.arg1(), call.arg2(), call.arg3(), call.arg4(), call.arg5(),
                    call.arg6()));
        }
    }

    @Override
    public void syscallExit(Task task, int cpu, VmExit.Syscall call, long result) {
        if (mode != Mode.FREE && generic(Event.SYSCALL_EXIT, task)) {
            report(task, null, Event.SYSCALL_EXIT, "syscall " + syscallName(call.number()) + " returns "
                    + (result < 0 && result > -4096 ? Long.toString(result) : "0x" + Long.toHexString(result)));
        }
    }

    @Override
    public void pageFault(Task task, int cpu, VmExit.PageFault fault) {
        lastFault.put(cpu, fault.address());
        if (mode == Mode.FREE) {
            return;
        }
        note(task);
        Breakpoint hit = null;
        String vma = vmaName(fault.address());
        for (Breakpoint b : breakpoints) {
            if (b instanceof Breakpoint.Fault f && f.matches(fault.address(), vma)) {
                hit = b;
                break;
            }
        }
        if (hit != null || generic(Event.FAULT, task)) {
            report(task, hit, Event.FAULT, faultText(fault) + " rip 0x" + Long.toHexString(fault.rip())
                    + symbolizer.apply(fault.rip()));
        }
    }

    private static String faultText(VmExit.PageFault f) {
        return String.format("page fault at 0x%x (%s, error 0x%x)", f.address(),
                VmExit.PageFault.describe(f.errorCode()), f.errorCode());
    }

    private String vmaName(long address) {
        Process p = process;
        if (p == null) {
            return "";
        }
        Vma v = p.mm().findVma(address);
        return v == null ? "" : v.name();
    }

    @Override
    public void pageFaultDone(Task task, int cpu, VmExit.PageFault fault, String outcome) {
        if (mode != Mode.FREE && generic(Event.FAULT_DONE, task)) {
            report(task, null, Event.FAULT_DONE, faultText(fault) + " done: " + outcome);
        }
    }

    @Override
    public void pteChange(long ptep, long oldValue, long newValue) {
        if (mode != Mode.FREE && generic(Event.PTE, kernel.scheduler().current())) {
            report(kernel.scheduler().current(), null, Event.PTE, String.format("pte at pa 0x%x: 0x%x [%s] -> 0x%x [%s]",
                    ptep, oldValue, new Pte(oldValue).flagNames(), newValue, new Pte(newValue).flagNames()));
        }
    }

    @Override
    public void tlbFlush(int cpu) {
        if (mode != Mode.FREE && generic(Event.TLB, kernel.scheduler().current())) {
            report(kernel.scheduler().current(), null, Event.TLB, "tlb flush on cpu " + cpu);
        }
    }

    /**
     * Whether the mode (step, until) or Ctrl-C wants a stop at an event of this kind in {@code t}.
     * Ctrl-C waits for a user thread's event (the kernel threads' are between its quanta).
     */
    private boolean generic(Event e, Task t) {
        return interrupt && t != null && t.owner() instanceof UserThread || mode == Mode.STEP
                || mode == Mode.UNTIL && until == e;
    }

    private void report(Task task, Breakpoint hit, Event e, String text) {
        String head = hit != null ? "Breakpoint " + hit.id() + ": " : interrupt && hit == null ? "interrupted: " : "";
        stop(task, head + who(task) + ": " + text);
    }

    /** Stops the machine in a task the shell made (sync), unless it is winding down. */
    void stopHere(Task task, String report) {
        if (mode != Mode.FREE) {
            stop(task, report);
        }
    }

    /** Blocks the running task (so the whole machine) until the shell resumes it. */
    private void stop(Task task, String report) {
        interrupt = false;
        stoppedTask = task;
        outcomes.add(new Outcome.Stopped(report));
        resume.acquireUninterruptibly();
    }

    private void note(Task t) {
        if (process == null && t.owner() instanceof UserThread u) {
            process = u.process();
        }
    }

    /** "mapwriter[1/1]" for a user thread, the name for a kernel thread. */
    static String who(Task t) {
        if (t == null) {
            return "(no task)";
        }
        return t.owner() instanceof UserThread u ? u.toString() : t.name();
    }
}
