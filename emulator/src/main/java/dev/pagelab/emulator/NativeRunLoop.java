package dev.pagelab.emulator;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The native run loop of a counting CPU ({@code emulator/src/main/c/pagelab_hooks.c}): one
 * {@code uc_emu_start} loop per {@link #run} with a block hook (not a per-instruction hook) that
 * keeps exact retired-instruction counts and budgets, and the interrupt and syscall hooks in C.
 * The C file explains the method; this class only calls it and reads its results.
 *
 * <p>Not thread-safe, like the engine it drives.
 */
final class NativeRunLoop implements AutoCloseable {
    /** Why {@link #run} returned: mirrors {@code enum pagelab_exit}. */
    static final int EXIT_BUDGET = 1, EXIT_SYSCALL = 2, EXIT_INTERRUPT = 3, EXIT_INVALID = 4, EXIT_HALT = 5,
            EXIT_BREAKPOINT = 6;
    /** PAGELAB_MAX_BREAKS of the C file. */
    static final int MAX_BREAKPOINTS = 32;

    // Offsets of struct pagelab_cpu's public head (the C file lists them).
    private static final long RETIRED = 0, REASON = 8, VECTOR = 12, CR2 = 16, ERROR_CODE = 24, FAILURE = 28,
            MISSES = 32, TAILS = 40, CORRECTIONS = 48, FLUSHES = 56, RIP = 64, HIT = 72, NBREAKS = 80, BREAKS = 88,
            HEAD_SIZE = BREAKS + 8L * MAX_BREAKPOINTS;

    private static final String[] FAILURES = {"none", "a libunicorn call failed",
        "the block hook is not called from translated code (another UC_HOOK_BLOCK hook?)",
        "the engine did not stop at the block it had to resolve",
        "instruction boundaries did not line up with the translated block",
        "an exception outside the last block entered", "a block kept missing after being resolved"};

    private final MemorySegment cpu; // owned: struct pagelab_cpu *, freed by close()
    private boolean closed; // confined to the thread that drives the engine

    /**
     * Creates the native state for {@code uc} and installs its hooks (block, interrupt, syscall);
     * the engine must get no other interrupt or syscall hook.
     */
    NativeRunLoop(Unicorn uc, ContextOffsets offsets, long until) {
        MemorySegment p;
        try {
            p = (MemorySegment) Functions.get().cpuNew.invokeExact(uc.engine(), offsets.oldException(),
                    offsets.errorCode(), until);
        } catch (Throwable t) {
            throw UnicornLibrary.rethrow(t);
        }
        if (p.equals(MemorySegment.NULL)) {
            throw new UnicornException("pagelab_cpu_new failed (hooks or context could not be set up)");
        }
        this.cpu = p.reinterpret(HEAD_SIZE);
    }

    /**
     * Runs from {@code begin} (0: from the current RIP) until an exit, retiring at most {@code limit} instructions (0: no
     * limit). Returns one of the {@code EXIT_} codes; the details are in the getters.
     */
    int run(long begin, long limit) {
        int failure;
        try {
            failure = (int) Functions.get().run.invokeExact(cpu, begin, limit);
        } catch (Throwable t) {
            throw UnicornLibrary.rethrow(t);
        }
        if (failure != 0) {
            String what = failure < FAILURES.length ? FAILURES[failure] : "failure " + failure;
            if (failure == 1) {
                throw new UnicornException("pagelab_run", vector(), Unicorn.strerror(vector()));
            }
            throw new UnicornException("pagelab_run: " + what);
        }
        return cpu.get(JAVA_INT, REASON);
    }

    /** RIP where the last run stopped. */
    long rip() {
        return cpu.get(JAVA_LONG, RIP);
    }

    long retired() {
        return cpu.get(JAVA_LONG, RETIRED);
    }

    int vector() {
        return cpu.get(JAVA_INT, VECTOR);
    }

    long cr2() {
        return cpu.get(JAVA_LONG, CR2);
    }

    int errorCode() {
        return cpu.get(JAVA_INT, ERROR_CODE);
    }

    /** The breakpoint the last run stopped before ({@link #EXIT_BREAKPOINT}), else 0. */
    long hit() {
        return cpu.get(JAVA_LONG, HIT);
    }

    /**
     * Replaces the guest breakpoints (user addresses, at most {@link #MAX_BREAKPOINTS}; empty: none).
     * While any are set, every block takes the C loop's slow path. Between runs only.
     */
    void setBreakpoints(long[] addresses) {
        if (addresses.length > MAX_BREAKPOINTS) {
            throw new IllegalArgumentException("setBreakpoints: at most " + MAX_BREAKPOINTS + " breakpoints");
        }
        cpu.set(JAVA_LONG, NBREAKS, 0L);
        for (int i = 0; i < addresses.length; i++) {
            cpu.set(JAVA_LONG, BREAKS + 8L * i, addresses[i]);
        }
        cpu.set(JAVA_LONG, NBREAKS, addresses.length);
    }

    /** Blocks whose count was asked from libunicorn (each translated block about once). */
    long misses() {
        return cpu.get(JAVA_LONG, MISSES);
    }

    /** Runs whose last instructions were single-stepped to end exactly on the budget. */
    long tails() {
        return cpu.get(JAVA_LONG, TAILS);
    }

    /** Exceptions that ended a block early and were counted up to the faulting instruction. */
    long corrections() {
        return cpu.get(JAVA_LONG, CORRECTIONS);
    }

    /** Times the loop flushed the translation cache itself before libunicorn's buffer filled. */
    long flushes() {
        return cpu.get(JAVA_LONG, FLUSHES);
    }

    /** Drops every translated block and the counts cached for them. */
    void flushTranslationBlocks() {
        int err;
        try {
            err = (int) Functions.get().flushTb.invokeExact(cpu);
        } catch (Throwable t) {
            throw UnicornLibrary.rethrow(t);
        }
        UnicornLibrary.get().check("uc_ctl(UC_CTL_TB_FLUSH)", err);
    }

    /** Frees the native state: call after the engine is closed (its hooks point here). */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            Functions.get().cpuFree.invokeExact(cpu);
        } catch (Throwable t) {
            // freeing at close: nothing useful to do
        }
    }

    /** Downcall handles into libpagelab-hooks.so, loaded once per process. */
    private static final class Functions {
        private static volatile Functions instance; // guarded by Functions.class for writes
        final MethodHandle cpuNew, cpuFree, run, flushTb; // immutable

        static Functions get() {
            Functions f = instance;
            if (f == null) {
                synchronized (Functions.class) {
                    if (instance == null) {
                        instance = new Functions(library());
                    }
                    f = instance;
                }
            }
            return f;
        }

        /** From {@code -Dpagelab.hooks} or {@code $pagelab.home/emulator/target/native/}. */
        private static SymbolLookup library() {
            UnicornLibrary.get(); // libunicorn first: the hooks library links against it
            String explicit = System.getProperty("pagelab.hooks");
            Path lib = explicit != null ? Path.of(explicit)
                    : Path.of(System.getProperty("pagelab.home", "."), "emulator", "target", "native",
                            "libpagelab-hooks.so");
            if (!Files.exists(lib)) {
                throw new UnicornException("native hook library not found at " + lib
                        + " (build with ./mvnw -DskipTests package, or set -Dpagelab.hooks)");
            }
            return SymbolLookup.libraryLookup(lib, Arena.global());
        }

        private Functions(SymbolLookup lookup) {
            Linker linker = Linker.nativeLinker();
            cpuNew = handle(linker, lookup, "pagelab_cpu_new",
                    FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, JAVA_LONG));
            cpuFree = handle(linker, lookup, "pagelab_cpu_free", FunctionDescriptor.ofVoid(ADDRESS));
            run = handle(linker, lookup, "pagelab_run", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
            flushTb = handle(linker, lookup, "pagelab_flush_tb", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        }

        private static MethodHandle handle(Linker linker, SymbolLookup lookup, String name, FunctionDescriptor d) {
            MemorySegment symbol = lookup.find(name)
                    .orElseThrow(() -> new UnicornException("libpagelab-hooks.so has no " + name));
            return linker.downcallHandle(symbol, d);
        }
    }
}
