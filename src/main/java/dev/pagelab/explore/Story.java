package dev.pagelab.explore;

import dev.pagelab.emulator.VmExit;
import dev.pagelab.kernel.sched.KernelEvents;
import dev.pagelab.kernel.sched.KernelFunction;
import dev.pagelab.kernel.sched.SchedPoint;
import dev.pagelab.kernel.sched.Task;
import dev.pagelab.kernel.syscall.Syscalls;
import java.util.ArrayList;
import java.util.List;

/**
 * A run told as a story in kernel terms, for {@code replay --explain}: which task had the CPU
 * (and on which CPU a user thread ran), where each switch happened (scheduling point and kernel
 * function), the system calls with their results, the page faults with their outcomes. Guest
 * runs between two kernel events are folded into one line.
 */
public final class Story implements KernelEvents {
    private final List<String> lines = new ArrayList<>(); // guarded by the baton
    private long guestInstructions; // retired since the last line; guarded by the baton
    private Task guestTask; // whose guest run is being folded; guarded by the baton

    private final List<Integer> marked = new ArrayList<>(); // lines that are preemptions; guarded by the baton

    public List<String> lines() {
        return List.copyOf(lines);
    }

    /**
     * The story cut to what matters: a few lines around every preemption and the end of the run,
     * "..." where lines were left out.
     */
    public List<String> excerpt(int around, int tail) {
        boolean[] keep = new boolean[lines.size()];
        for (int m : marked) {
            for (int i = Math.max(0, m - around); i <= Math.min(lines.size() - 1, m + around); i++) {
                keep[i] = true;
            }
        }
        for (int i = Math.max(0, lines.size() - tail); i < lines.size(); i++) {
            keep[i] = true;
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (keep[i]) {
                out.add(lines.get(i));
            } else if (out.isEmpty() || !out.get(out.size() - 1).equals("...")) {
                out.add("...");
            }
        }
        return out;
    }

    @Override
    public void taskSwitch(Task from, Task to, SchedPoint reason) {
        flushGuest();
        String how = from.state() == Task.State.RUNNABLE ? "is preempted at "
                : from.state() == Task.State.DEAD ? "exits" : "sleeps at ";
        boolean deviation = isPreemption(from, reason);
        if (deviation) {
            marked.add(lines.size());
        }
        lines.add(String.format("%-14s %s%s -> %s runs%s", from.name(), how, from.state() == Task.State.DEAD ? ""
                : where(reason), to.name(), deviation ? "   <== preemption" : ""));
    }

    /** Whether the switch away from {@code from} at {@code reason} is a preemption (not round-robin's). */
    static boolean isPreemption(Task from, SchedPoint reason) {
        return from.state() == Task.State.RUNNABLE && !reason.roundRobinSwitch();
    }

    /** "PREEMPT", or "LOCK_ACQUIRE in write_page": the point and, in kernel code, the function. */
    static String where(SchedPoint reason) {
        return reason.inGuestCode() ? reason.name() : reason + " in " + KernelFunction.caller();
    }

    @Override
    public void timerFired(Task task, long fromNs, long toNs) {
        flushGuest();
        lines.add(String.format("%-14s timer fires early: the kernel work so far took until %,d ns (+%,d ns)",
                task.name(), toNs, toNs - fromNs));
    }

    @Override
    public void guestExit(Task task, int cpu, VmExit exit, long retired) {
        if (guestTask != task) {
            flushGuest();
            guestTask = task;
        }
        guestInstructions += retired;
    }

    @Override
    public void syscallEntry(Task task, int cpu, VmExit.Syscall call) {
        flushGuest();
        lines.add(String.format("%-14s CPU%d %s(0x%x, 0x%x, 0x%x)", task.name(), cpu, Syscalls.name(call.number()),
                call.arg1(), call.arg2(), call.arg3()));
    }

    @Override
    public void syscallExit(Task task, int cpu, VmExit.Syscall call, long result) {
        lines.add(String.format("%-14s CPU%d %s returns %d", task.name(), cpu, Syscalls.name(call.number()), result));
    }

    @Override
    public void pageFault(Task task, int cpu, VmExit.PageFault fault) {
        flushGuest();
        lines.add(String.format("%-14s CPU%d page fault at 0x%x (%s, rip 0x%x)", task.name(), cpu, fault.address(),
                fault.write() ? "write" : fault.fetch() ? "fetch" : "read", fault.rip()));
    }

    @Override
    public void pageFaultDone(Task task, int cpu, VmExit.PageFault fault, String outcome) {
        lines.add(String.format("%-14s CPU%d page fault at 0x%x handled: %s", task.name(), cpu, fault.address(),
                outcome));
    }

    private void flushGuest() {
        if (guestTask != null && guestInstructions > 0) {
            lines.add(String.format("%-14s runs %,d guest instructions", guestTask.name(), guestInstructions));
        }
        guestTask = null;
        guestInstructions = 0;
    }
}
