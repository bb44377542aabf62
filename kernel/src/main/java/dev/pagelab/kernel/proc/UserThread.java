package dev.pagelab.kernel.proc;

import dev.pagelab.emulator.Register;
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

    public UserThread(int tid, Process process, long[] registers) {
        this.tid = tid;
        this.process = process;
        this.savedRegisters = registers;
    }

    public int tid() { return tid; }
    public Process process() { return process; }
    public Task task() { return task; }
    /** Binds the scheduler task; the task's {@link Task#owner()} becomes this thread (observers read it). */
    public void setTask(Task task) {
        this.task = task;
        task.setOwner(this);
    }
    public long clearChildTid() { return clearChildTid; }
    public void setClearChildTid(long addr) { this.clearChildTid = addr; }
    public long[] savedRegisters() { return savedRegisters; }
    public void saveRegisters(long[] regs) { this.savedRegisters = regs; }

    /** A fresh user state: everything zero but RIP, RSP and RFLAGS (IF and bit 1). */
    public static long[] initialRegisters(long rip, long rsp) {
        long[] r = new long[Register.USER_STATE.length];
        r[index(Register.RIP)] = rip;
        r[index(Register.RSP)] = rsp;
        r[index(Register.RFLAGS)] = 0x202;
        return r;
    }

    /** Position of {@code r} in {@link Register#USER_STATE}. */
    public static int index(Register r) {
        Register[] all = Register.USER_STATE;
        for (int i = 0; i < all.length; i++) {
            if (all[i] == r) {
                return i;
            }
        }
        throw new IllegalArgumentException(r + " is not part of the user state");
    }

    @Override
    public String toString() {
        return process.name() + "[" + process.pid() + "/" + tid + "]";
    }
}
