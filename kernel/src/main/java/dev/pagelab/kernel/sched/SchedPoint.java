package dev.pagelab.kernel.sched;

/**
 * The named places where the running task may lose the CPU. Nothing else switches tasks: a run is
 * a pure function of the program, the kernel configuration and the choices made at these points.
 */
public enum SchedPoint {
    /** A user thread used up its time slice (the timer tick): round-robin moves on. */
    QUANTUM_END,
    /**
     * A user thread's guest run ended where the strategy's budget said, before its slice was
     * used up: the strategy may preempt it here (round-robin lets it go on).
     */
    PREEMPT,
    /** Entry to a system call. */
    SYSCALL_ENTRY,
    /** Before taking a lock (mmap_sem, page-table lock, page lock, ...). */
    LOCK_ACQUIRE,
    /** After releasing a lock. */
    LOCK_RELEASE,
    /** Before the kernel reads a page-table entry. */
    PTE_READ,
    /** After the kernel writes a page-table entry. */
    PTE_WRITE,
    /** Around a test-and-set or clear of a page flag (PG_dirty, PG_writeback ...). */
    PAGE_FLAG,
    /** A disk write is submitted. */
    IO_SUBMIT,
    /** A disk write completes. */
    IO_COMPLETE,
    /** sched_yield() or a kernel thread's voluntary yield. */
    YIELD;

    /**
     * Where round-robin moves on from a task that could go on (the tick, a yield). Anywhere else,
     * switching away from a runnable task is a preemption, a deviation from round-robin.
     */
    public boolean roundRobinSwitch() {
        return this == QUANTUM_END || this == YIELD;
    }

    /** Reached in guest code (a guest run cut short or its slice used up), not in a kernel function. */
    public boolean inGuestCode() {
        return this == PREEMPT || this == QUANTUM_END;
    }
}
