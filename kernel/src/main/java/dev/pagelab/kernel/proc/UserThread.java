package dev.pagelab.kernel.proc;

import dev.pagelab.emulator.Register;
import dev.pagelab.emulator.UserState;
import dev.pagelab.kernel.sched.Task;

/**
 * A user thread (Linux: a task_struct of a thread group): its id, its process, its saved user
 * registers while it is off its CPU, and clear_child_tid. Fields are guarded by the baton.
 */
public final class UserThread {
    private final int tid; // immutable
    private final Process process; // immutable reference
    private Task task; // set once when the scheduler task is created
    long[] savedRegisters; // user state while another thread owns the CPU, else stale
    private long clearChildTid; // set_tid_address / CLONE_CHILD_CLEARTID
    private long blocked; // the signal mask (bit signal-1); guarded by the baton
    private long pending; // signals sent to this thread (tkill/tgkill, faults); guarded by the baton
    private long savedSigmask = -1; // sigsuspend's mask to restore (TIF_RESTORE_SIGMASK), -1 = none; guarded by the baton
    private long sliceLeft; // virtual ns left of the time slice (the timer tick at 0)

    public UserThread(int tid, Process process, long[] registers) {
        this.tid = tid;
        this.process = process;
        this.savedRegisters = registers;
    }

    public int tid() { return tid; }
    public Process process() { return process; }
    public Task task() { return task; }
    /** Ties this thread to its scheduler task (which then names it as its owner). */
    public void setTask(Task task) {
        this.task = task;
        task.setOwner(this);
    }
    public long clearChildTid() { return clearChildTid; }
    public void setClearChildTid(long addr) { this.clearChildTid = addr; }
    public long[] savedRegisters() { return savedRegisters; }
    public long blocked() { return blocked; }
    /** sigprocmask's store: SIGKILL and SIGSTOP can never be blocked. */
    public void setBlocked(long mask) { this.blocked = mask & ~Signals.UNBLOCKABLE; }
    public long pending() { return pending; }
    public long savedSigmask() { return savedSigmask; }
    public void setSavedSigmask(long mask) { this.savedSigmask = mask; }
    public void addPending(int signal) { this.pending |= Signals.bit(signal); }
    public void clearPending(int signal) { this.pending &= ~Signals.bit(signal); }
    public long sliceLeft() { return sliceLeft; }
    public void chargeSlice(long ns) { sliceLeft -= ns; }
    public void refillSlice(long ns) { sliceLeft = ns; }
    public void saveRegisters(long[] regs) { this.savedRegisters = regs; }

    /** A fresh user state as Linux's start_thread leaves it: see {@link UserState#initial}. */
    public static long[] initialRegisters(long rip, long rsp) {
        return UserState.initial(rip, rsp);
    }

    /** Position of {@code r} in a saved user state. */
    public static int index(Register r) {
        return UserState.index(r);
    }

    @Override
    public String toString() {
        return process.name() + "[" + process.pid() + "/" + tid + "]";
    }
}
