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

    /** The user state in the layout of {@link UserState}: integer registers, then x87/SSE. */
    long[] saveUserState();

    /** Loads a user state in the layout of {@link UserState} ({@link UserState#LENGTH} longs). */
    void loadUserState(long[] state);

    /** Switches address space (CR3). Like hardware, this drops the TLB's non-global entries. */
    void setPageTableRoot(long cr3);

    long pageTableRoot();

    /** Drops every cached translation of this CPU (the shootdown's per-CPU step). */
    void flushTlb();

    /**
     * Debugger breakpoints on user addresses: a run stops before executing an instruction at one
     * of them and returns {@link VmExit.QuantumExpired} with that RIP (to the kernel it looks like
     * the end of a quantum). The first user instruction of each run never stops, so a run resumed
     * at a breakpoint goes past it. An empty array removes them all.
     *
     * @throws UnsupportedOperationException if this CPU cannot (it does not count instructions)
     */
    default void setBreakpoints(long[] addresses) {
        if (addresses.length > 0) {
            throw new UnsupportedOperationException("setBreakpoints: this CPU does not count instructions");
        }
    }

    /** The EFER model-specific register's number. */
    int MSR_EFER = 0xC000_0080;

    /** Reads a model-specific register (debuggers: EFER). */
    default long readMsr(int msr) {
        throw new UnsupportedOperationException("readMsr: not supported by this CPU");
    }

    /** The breakpoint address the last {@link #run} stopped before, or 0 if it did not. */
    default long breakpointHit() {
        return 0;
    }

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
