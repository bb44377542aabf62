package dev.pagelab.emulator;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

/**
 * A debugger's hold on one {@link Vcpu}: the native stop check of pagelab_trace.c
 * ({@code pagelab_debug_insn}) and its settings. Installed by {@link Vcpu#attachDebugger}, so a
 * CPU without a debugger has no such hook. A run that this check stopped returns
 * {@link VmExit.QuantumExpired} with RIP at the instruction it stopped before (not executed, not
 * counted), and {@link #stopReason()} says why.
 *
 * <p>Settings are written by the thread that runs the CPU, between runs; only
 * {@link #requestStop()} may be called from any thread.
 */
public final class DebugControl {
    public static final int MAX_BREAKPOINTS = 64, MAX_WATCHES = 16;
    /** {@link #stopReason()} values. */
    public static final int NONE = 0, BREAKPOINT = 1, STEP = 2, INTERRUPT = 3, WATCHPOINT = 4;
    /** Watchpoint kinds (gdb's Z2, Z3, Z4). */
    public static final int WATCH_WRITE = 2, WATCH_READ = 3, WATCH_ACCESS = 4;

    // struct pagelab_debug offsets
    private static final long INDEX = 0, SKIP = 8, STEP_FLAG = 16, RESUME_RIP = 24, STOP_NOW = 32, STOPPED = 40,
            STOPPED_INDEX = 48, COUNT = 56, ADDRS = 64, WATCH_COUNT = ADDRS + 8L * MAX_BREAKPOINTS,
            WATCH_HIT = WATCH_COUNT + 8, WATCH_PA = WATCH_HIT + 8, WATCHES = WATCH_PA + 8,
            SIZE = WATCHES + 24L * MAX_WATCHES;

    private final Arena arena = Arena.ofShared(); // owns the struct; closed by close()
    private final MemorySegment struct; // shared with the native hook
    private final Unicorn uc; // the engine, not owned
    final long hook; // the code hook's handle
    long memHook; // the watchpoints' memory hook, or 0 while there are none

    DebugControl(Unicorn uc) {
        this.uc = uc;
        this.struct = arena.allocate(SIZE, 16);
        struct.set(JAVA_LONG, RESUME_RIP, -1L);
        this.hook = uc.hookTrace(UcConst.UC_HOOK_CODE, "pagelab_debug_insn", struct);
    }

    /** Breakpoint addresses (at most {@link #MAX_BREAKPOINTS}), replacing the previous set. */
    public void setBreakpoints(long[] addresses) {
        if (addresses.length > MAX_BREAKPOINTS) {
            throw new IllegalArgumentException("at most " + MAX_BREAKPOINTS + " breakpoints");
        }
        for (int i = 0; i < addresses.length; i++) {
            struct.set(JAVA_LONG, ADDRS + 8L * i, addresses[i]);
        }
        struct.set(JAVA_LONG, COUNT, addresses.length);
    }

    /**
     * Watched physical ranges {@code [lo[i], hi[i])} of kind {@code type[i]}, replacing the
     * previous set. The memory hook exists only while there are some (it slows every access).
     *
     * @return whether the memory hook was added (the caller must drop cached translations)
     */
    public boolean setWatchpoints(long[] lo, long[] hi, int[] type) {
        if (lo.length > MAX_WATCHES || hi.length != lo.length || type.length != lo.length) {
            throw new IllegalArgumentException("setWatchpoints: at most " + MAX_WATCHES + " ranges, one kind each");
        }
        for (int i = 0; i < lo.length; i++) {
            long at = WATCHES + 24L * i;
            struct.set(JAVA_LONG, at, lo[i]);
            struct.set(JAVA_LONG, at + 8, hi[i]);
            struct.set(JAVA_LONG, at + 16, type[i]);
        }
        struct.set(JAVA_LONG, WATCH_COUNT, lo.length);
        if (lo.length > 0 && memHook == 0) {
            memHook = uc.hookTrace(UcConst.UC_HOOK_MEM_READ_AFTER | UcConst.UC_HOOK_MEM_WRITE, "pagelab_debug_mem",
                    struct);
            return true;
        }
        if (lo.length == 0 && memHook != 0) {
            uc.hookDel(memHook);
            memHook = 0;
        }
        return false;
    }

    /** The index of the watched range the last run's access hit, or -1. */
    public int watchHit() {
        return (int) struct.get(JAVA_LONG, WATCH_HIT) - 1;
    }

    /** The physical address of that access (clipped to the range). */
    public long watchPhysical() {
        return struct.get(JAVA_LONG, WATCH_PA);
    }

    /** With {@code on}, the next run stops before its second instruction. */
    public void setStep(boolean on) {
        struct.set(JAVA_LONG, STEP_FLAG, on ? 1L : 0L);
    }

    /** The next run does not stop at a breakpoint at {@code rip} as its first instruction (-1: none). */
    public void setResumeRip(long rip) {
        struct.set(JAVA_LONG, RESUME_RIP, rip);
    }

    /** Stops the CPU before its next instruction (Ctrl-C); any thread. Cleared by the next {@link #clearStop()}. */
    public void requestStop() {
        struct.set(JAVA_LONG, STOP_NOW, 1L);
        VarHandle.fullFence();
    }

    public void clearStop() {
        struct.set(JAVA_LONG, STOP_NOW, 0L);
    }

    /** Why the last run stopped, if this check stopped it. */
    public int stopReason() {
        return (int) struct.get(JAVA_LONG, STOPPED);
    }

    void beginRun(int skip) {
        struct.set(JAVA_LONG, INDEX, 0L);
        struct.set(JAVA_LONG, SKIP, skip);
        struct.set(JAVA_LONG, STOPPED, 0L);
        struct.set(JAVA_LONG, WATCH_HIT, 0L);
    }

    /** The index (as in {@link TraceRecords#index}) of the instruction the last run stopped before. */
    long stoppedIndex() {
        return struct.get(JAVA_LONG, STOPPED_INDEX);
    }

    void close() {
        arena.close();
    }
}
