package dev.pagelab.kernel.sched;

import dev.pagelab.emulator.VmExit;

/**
 * What the kernel reports to observers (tracing, the shell's breakpoints, the explorer's trace
 * hash). Every method is called by the task that holds the baton, with the machine stopped around
 * it, so an observer may read any kernel state and may block (a debugger pausing the machine).
 * Defaults do nothing; {@link #NONE} observes nothing.
 *
 * <p>Tasks are the scheduler's; a user thread's task has its {@code UserThread} as {@link Task#owner()}.
 */
public interface KernelEvents {
    KernelEvents NONE = new KernelEvents() { };

    /** The running task reached a scheduling point; the strategy decides next. */
    default void schedPoint(Task current, SchedPoint point) { }

    /** The CPU passed from {@code from} to {@code to} ({@code from} may be dead or blocked). */
    default void taskSwitch(Task from, Task to, SchedPoint reason) { }

    /** A user thread is about to run guest code on CPU {@code cpu} with this instruction budget. */
    default void guestEnter(Task task, int cpu, long budget) { }

    /** A user thread's guest code stopped with {@code exit} after {@code retired} instructions. */
    default void guestExit(Task task, int cpu, VmExit exit, long retired) { }

    /** A system call is entered (after the exit, before dispatch). */
    default void syscallEntry(Task task, int cpu, VmExit.Syscall call) { }

    /** A system call returns {@code result} (not called for calls that do not return). */
    default void syscallExit(Task task, int cpu, VmExit.Syscall call, long result) { }

    /** A user page fault is about to be handled. */
    default void pageFault(Task task, int cpu, VmExit.PageFault fault) { }

    /** A user page fault was handled; {@code outcome} is the FaultResult's simple name. */
    default void pageFaultDone(Task task, int cpu, VmExit.PageFault fault, String outcome) { }

    /** The kernel changed a pte: {@code ptep} is its physical address. */
    default void pteChange(long ptep, long oldValue, long newValue) { }

    /** CPU {@code cpu}'s TLB was flushed (a shootdown's per-CPU step). */
    default void tlbFlush(int cpu) { }

    /**
     * A strategy let time pass inside kernel code: {@code task}'s timer fires, the clock jumps
     * from {@code fromNs} to {@code toNs} (see {@link Strategy#pick}).
     */
    default void timerFired(Task task, long fromNs, long toNs) { }
}
