package dev.pagelab.emulator;

/**
 * One virtual CPU, as the kernel sees it (the KVM vcpu shape): load registers, {@link #run}, handle
 * the returned {@link VmExit}, repeat. The CPU always executes at CPL 3; the kernel runs in Java
 * between exits, never inside a native callback. Tests above the emulator may script this
 * interface without libunicorn.
 */
public interface Vcpu extends AutoCloseable {

    /** This CPU's number on its machine (0-based). */
    int id();

    /**
     * Runs guest code at CPL 3 from the current RIP until an exit.
     *
     * @param maxInstructions the instruction budget, or 0 for no limit
     */
    VmExit run(long maxInstructions);

    /**
     * Instructions this CPU has retired (a faulting instruction counts when it finally completes),
     * or -1 if this CPU was created without instruction counting.
     */
    long instructions();

    long get(Register register);

    void set(Register register, long value);

    /** All of {@link Register#USER_STATE}, in that order. */
    long[] saveUserState();

    /** Loads all of {@link Register#USER_STATE}, in that order. */
    void loadUserState(long[] state);

    /** Switches address space (CR3). Like hardware, this drops the TLB's non-global entries. */
    void setPageTableRoot(long cr3);

    long pageTableRoot();

    /** Drops every cached translation of this CPU (the shootdown's per-CPU step). */
    void flushTlb();

    /** Drops translated code: needed after the kernel itself rewrites a frame that held code. */
    void flushTranslationCache();

    /**
     * Starts recording every instruction this CPU begins (and, if asked, every data access) into
     * {@code options}' sink, or with null stops. Until then no trace hook is installed, so an
     * untraced CPU runs at full speed. See {@link TraceRecords} for what arrives.
     */
    default void setTrace(TraceRecords.Options options) {
        throw new UnsupportedOperationException("this CPU cannot be traced");
    }

    /**
     * Installs a debugger's stop check (breakpoints, single step, interrupt) on this CPU and
     * returns its control; until then no such hook exists.
     */
    default DebugControl attachDebugger() {
        throw new UnsupportedOperationException("this CPU cannot be debugged");
    }

    /**
     * Sets the debugger's watched physical ranges (see {@link DebugControl#setWatchpoints}) and
     * makes the CPU see its memory hook.
     */
    default void setWatchpoints(long[] lo, long[] hi, int[] type) {
        throw new UnsupportedOperationException("this CPU cannot be debugged");
    }

    /** Removes the debugger's stop check. */
    default void detachDebugger() {
    }

    @Override
    void close();
}
