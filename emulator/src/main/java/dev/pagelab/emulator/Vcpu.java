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

    /** Drops translated code: needed after the kernel itself rewrites a frame that held code. */
    void flushTranslationCache();

    @Override
    void close();
}
