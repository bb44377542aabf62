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
 * The loaded libunicorn and one downcall handle per C function pagelab uses. Loaded once per
 * process; refuses libraries older than 2.1 (2.0's x86 softmmu forces an identity map).
 *
 * <p>Where the library comes from, first match wins: system property {@code pagelab.unicorn}
 * (a path), {@code $pagelab.home/.deps/unicorn/lib/libunicorn.so.2} (what
 * {@code scripts/setup-unicorn.sh} installs), then {@code libunicorn.so.2} on the system's library
 * path.
 */
final class UnicornLibrary {
    static final int MIN_VERSION = 0x0201_0000;

    final String path; // immutable
    private SymbolLookup traceLookup; // lazily loaded libpagelab-trace.so; guarded by this
    final int version; // immutable: uc_version(), 0xMMmmpp..
    final MethodHandle ucVersion, ucStrerror, ucOpen, ucClose, ucRegRead, ucRegWrite,
            ucRegReadBatch, ucRegWriteBatch, ucMemMapPtr, ucMemRead, ucMemWrite, ucEmuStart,
            ucEmuStop, ucHookAdd, ucHookDel, ucCtl0, ucCtlInt, ucContextAlloc, ucContextSave,
            ucContextRestore, ucContextSize, ucContextFree; // immutable

    private static volatile UnicornLibrary instance; // guarded by UnicornLibrary.class for writes

    /** The process-wide library; loads and checks it on first use. */
    static UnicornLibrary get() {
        UnicornLibrary lib = instance;
        if (lib == null) {
            synchronized (UnicornLibrary.class) {
                if (instance == null) {
                    instance = load();
                }
                lib = instance;
            }
        }
        return lib;
    }

    private static UnicornLibrary load() {
        String path = locate();
        SymbolLookup lookup;
        try {
            lookup = path.contains("/")
                    ? SymbolLookup.libraryLookup(Path.of(path), Arena.global())
                    : SymbolLookup.libraryLookup(path, Arena.global());
        } catch (IllegalArgumentException e) {
            throw new UnicornException("cannot load libunicorn from " + path + ": " + e.getMessage()
                    + " (run scripts/setup-unicorn.sh, or set -Dpagelab.unicorn=/path/libunicorn.so.2)");
        }
        UnicornLibrary lib = new UnicornLibrary(path, lookup);
        if (Integer.compareUnsigned(lib.version, MIN_VERSION) < 0) {
            throw new UnicornException("libunicorn at " + path + " is version " + format(lib.version)
                    + "; pagelab needs 2.1 or newer (2.0's x86 page walk forces an identity map)."
                    + " Run scripts/setup-unicorn.sh to install 2.1 into .deps/unicorn.");
        }
        return lib;
    }

    private static String locate() {
        String explicit = System.getProperty("pagelab.unicorn");
        if (explicit != null && !explicit.isBlank()) {
            return explicit;
        }
        String home = System.getProperty("pagelab.home");
        if (home != null) {
            Path deps = Path.of(home, ".deps", "unicorn", "lib", "libunicorn.so.2");
            if (Files.exists(deps)) {
                return deps.toString();
            }
        }
        return "libunicorn.so.2";
    }

    /** "2.1.1" from a {@code uc_version()} value. */
    static String format(int version) {
        return ((version >>> 24) & 0xff) + "." + ((version >>> 16) & 0xff) + "." + ((version >>> 8) & 0xff);
    }

    private UnicornLibrary(String path, SymbolLookup lookup) {
        this.path = path;
        Linker linker = Linker.nativeLinker();
        Linker.Option critical = Linker.Option.critical(false);
        ucVersion = handle(linker, lookup, "uc_version", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), critical);
        ucStrerror = handle(linker, lookup, "uc_strerror", FunctionDescriptor.of(ADDRESS, JAVA_INT), critical);
        ucOpen = handle(linker, lookup, "uc_open", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
        ucClose = handle(linker, lookup, "uc_close", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        ucRegRead = handle(linker, lookup, "uc_reg_read",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS), critical);
        ucRegWrite = handle(linker, lookup, "uc_reg_write",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS), critical);
        ucRegReadBatch = handle(linker, lookup, "uc_reg_read_batch",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT), critical);
        ucRegWriteBatch = handle(linker, lookup, "uc_reg_write_batch",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT), critical);
        ucMemMapPtr = handle(linker, lookup, "uc_mem_map_ptr",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS));
        ucMemRead = handle(linker, lookup, "uc_mem_read",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG), critical);
        ucMemWrite = handle(linker, lookup, "uc_mem_write",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG), critical);
        ucEmuStart = handle(linker, lookup, "uc_emu_start",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG));
        ucEmuStop = handle(linker, lookup, "uc_emu_stop", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        // uc_err uc_hook_add(uc, uc_hook *hh, int type, void *callback, void *user_data,
        //                    uint64_t begin, uint64_t end, ...): one variadic int (the insn id).
        ucHookAdd = handle(linker, lookup, "uc_hook_add",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG,
                        JAVA_LONG, JAVA_INT),
                Linker.Option.firstVariadicArg(7));
        ucHookDel = handle(linker, lookup, "uc_hook_del", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
        // uc_err uc_ctl(uc, uc_control_type control, ...): called here with no variadic argument.
        ucCtl0 = handle(linker, lookup, "uc_ctl", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT),
                Linker.Option.firstVariadicArg(2));
        ucCtlInt = handle(linker, lookup, "uc_ctl", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT),
                Linker.Option.firstVariadicArg(2));
        ucContextAlloc = handle(linker, lookup, "uc_context_alloc",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        ucContextSave = handle(linker, lookup, "uc_context_save",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), critical);
        ucContextRestore = handle(linker, lookup, "uc_context_restore",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS), critical);
        ucContextSize = handle(linker, lookup, "uc_context_size", FunctionDescriptor.of(JAVA_LONG, ADDRESS));
        ucContextFree = handle(linker, lookup, "uc_context_free", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        try {
            version = (int) ucVersion.invokeExact(MemorySegment.NULL, MemorySegment.NULL);
        } catch (Throwable t) {
            throw new UnicornException("uc_version failed: " + t);
        }
    }

    private static MethodHandle handle(Linker linker, SymbolLookup lookup, String name,
                                       FunctionDescriptor descriptor, Linker.Option... options) {
        MemorySegment symbol = lookup.find(name).orElseThrow(
                () -> new UnicornException("libunicorn has no symbol " + name + " (is it 2.1 or newer?)"));
        return linker.downcallHandle(symbol, descriptor, options);
    }

    /**
     * A function of the tracing hooks (emulator/src/main/c/pagelab_trace.c), from
     * {@code -Dpagelab.tracehooks} or {@code $pagelab.home/emulator/target/native/libpagelab-trace.so}.
     * Loaded only when a trace is first switched on.
     */
    synchronized MemorySegment traceSymbol(String name) {
        if (traceLookup == null) {
            String explicit = System.getProperty("pagelab.tracehooks");
            Path lib = explicit != null ? Path.of(explicit)
                    : Path.of(System.getProperty("pagelab.home", "."), "emulator", "target", "native",
                            "libpagelab-trace.so");
            if (!Files.exists(lib)) {
                throw new UnicornException("native trace library not found at " + lib
                        + " (build with ./mvnw -DskipTests package, or set -Dpagelab.tracehooks)");
            }
            traceLookup = SymbolLookup.libraryLookup(lib, Arena.global());
        }
        return traceLookup.find(name).orElseThrow(() -> new UnicornException("trace hooks have no " + name));
    }

    /** {@code uc_strerror(code)} as a Java string. */
    String strerror(int code) {
        try {
            MemorySegment text = (MemorySegment) ucStrerror.invokeExact(code);
            return text.reinterpret(4096).getString(0);
        } catch (Throwable t) {
            return "uc_err " + code;
        }
    }

    /** Throws a {@link UnicornException} with {@code uc_strerror}'s text unless {@code err} is OK. */
    void check(String operation, int err) {
        if (err != UcConst.UC_ERR_OK) {
            throw new UnicornException(operation, err, strerror(err));
        }
    }

    /** Rethrows what a downcall threw: runtime exceptions and errors as they are, others wrapped. */
    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException re) {
            return re;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new UnicornException("native call failed: " + t);
    }
}
