package dev.pagelab.emulator;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * An x86-64 disassembler: libcapstone 5 (Debian's {@code libcapstone5}, installed into
 * {@code .deps/capstone} by {@code scripts/setup-capstone.sh}) through FFM, the way the emulator
 * binds libunicorn (it lives here because nothing FFM-specific leaves the emulator). One
 * instruction per call, in AT&T or Intel syntax.
 *
 * <p>Where the library comes from, first match wins: system property {@code pagelab.capstone},
 * {@code $pagelab.home/.deps/capstone/lib/libcapstone.so.5}, then {@code libcapstone.so.5} on the
 * system's library path. Not thread-safe: one handle, one scratch buffer.
 */
public final class Capstone implements AutoCloseable {
    /** Assembler syntax of the output. */
    public enum Syntax { ATT, INTEL }

    /** One decoded instruction: its length in bytes and its text ("mov %rsp, %rbp"). */
    public record Insn(int size, String mnemonic, String operands) {
        public String text() {
            return operands.isEmpty() ? mnemonic : mnemonic + " " + operands;
        }
    }

    private static final int CS_ARCH_X86 = 3, CS_MODE_64 = 1 << 3, CS_OPT_SYNTAX = 1;
    private static final long CS_OPT_SYNTAX_INTEL = 1, CS_OPT_SYNTAX_ATT = 2;
    // cs_insn (capstone 5): id u32 @0, address u64 @8, size u16 @16, bytes[24] @18, mnemonic[32] @42, op_str[160] @74
    private static final long INSN_SIZE = 16, INSN_MNEMONIC = 42, INSN_OPS = 74;

    private static volatile Library library; // loaded once; guarded by Capstone.class for writes

    private final Library lib; // immutable
    private final Arena arena = Arena.ofShared(); // the handle cell and the code buffer (tasks take turns)
    private final long handle; // csh
    private final MemorySegment code, insnOut; // scratch: up to 16 code bytes, the cs_insn** out-parameter

    /** Opens a 64-bit x86 handle with {@code syntax}; fails with a clear message if libcapstone is missing. */
    public Capstone(Syntax syntax) {
        this.lib = Library.get();
        MemorySegment cell = arena.allocate(JAVA_LONG);
        try {
            check("cs_open", (int) lib.csOpen.invokeExact(CS_ARCH_X86, CS_MODE_64, cell));
            this.handle = cell.get(JAVA_LONG, 0);
            check("cs_option", (int) lib.csOption.invokeExact(handle, CS_OPT_SYNTAX,
                    syntax == Syntax.ATT ? CS_OPT_SYNTAX_ATT : CS_OPT_SYNTAX_INTEL));
        } catch (Throwable t) {
            arena.close();
            throw rethrow(t);
        }
        this.code = arena.allocate(16);
        this.insnOut = arena.allocate(ADDRESS);
    }

    /** "5.0" (from {@code cs_version}). */
    public static String version() {
        return Library.get().version;
    }

    /**
     * Decodes the instruction at the start of {@code bytes} (at most 16 bytes used), as if at
     * {@code address} (branch targets are absolute). Returns null for bytes that do not decode.
     */
    public Insn disassemble(byte[] bytes, int length, long address) {
        int n = Math.min(length, 16);
        MemorySegment.copy(bytes, 0, code, JAVA_BYTE, 0, n);
        long count;
        try {
            count = (long) lib.csDisasm.invokeExact(handle, code, (long) n, address, 1L, insnOut);
        } catch (Throwable t) {
            throw rethrow(t);
        }
        if (count < 1) {
            return null;
        }
        MemorySegment insn = insnOut.get(ADDRESS, 0).reinterpret(256);
        try {
            int size = insn.get(JAVA_SHORT, INSN_SIZE) & 0xffff;
            return new Insn(size, cString(insn, INSN_MNEMONIC, 32), cString(insn, INSN_OPS, 160));
        } finally {
            try {
                lib.csFree.invokeExact(insnOut.get(ADDRESS, 0), count);
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }
    }

    private static String cString(MemorySegment s, long offset, int max) {
        int len = 0;
        while (len < max && s.get(JAVA_BYTE, offset + len) != 0) {
            len++;
        }
        byte[] b = new byte[len];
        MemorySegment.copy(s, JAVA_BYTE, offset, b, 0, len);
        return new String(b, StandardCharsets.US_ASCII);
    }

    @Override
    public void close() {
        MemorySegment cell = arena.allocate(JAVA_LONG);
        cell.set(JAVA_LONG, 0, handle);
        try {
            int ignored = (int) lib.csClose.invokeExact(cell);
        } catch (Throwable t) {
            // closing: nothing useful to do
        } finally {
            arena.close();
        }
    }

    private void check(String what, int err) {
        if (err != 0) {
            throw new IllegalStateException(what + " failed: " + lib.strerror(err));
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException re) {
            return re;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException("libcapstone call failed: " + t);
    }

    /** The loaded libcapstone and its downcall handles. */
    private static final class Library {
        final MethodHandle csOpen, csOption, csDisasm, csFree, csClose, csStrerror; // immutable
        final String version; // immutable

        static Library get() {
            Library l = library;
            if (l == null) {
                synchronized (Capstone.class) {
                    if (library == null) {
                        library = new Library(locate());
                    }
                    l = library;
                }
            }
            return l;
        }

        private static String locate() {
            String explicit = System.getProperty("pagelab.capstone");
            if (explicit != null && !explicit.isBlank()) {
                return explicit;
            }
            Path deps = Path.of(System.getProperty("pagelab.home", "."), ".deps", "capstone", "lib",
                    "libcapstone.so.5");
            return Files.exists(deps) ? deps.toString() : "libcapstone.so.5";
        }

        private Library(String path) {
            SymbolLookup lookup;
            try {
                lookup = path.contains("/") ? SymbolLookup.libraryLookup(Path.of(path), Arena.global())
                        : SymbolLookup.libraryLookup(path, Arena.global());
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException("cannot load libcapstone from " + path
                        + " (run scripts/setup-capstone.sh, or set -Dpagelab.capstone=/path/libcapstone.so.5)");
            }
            Linker linker = Linker.nativeLinker();
            csOpen = handle(linker, lookup, "cs_open", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
            csOption = handle(linker, lookup, "cs_option",
                    FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_LONG));
            csDisasm = handle(linker, lookup, "cs_disasm", FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, ADDRESS,
                    JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS));
            csFree = handle(linker, lookup, "cs_free", FunctionDescriptor.ofVoid(ADDRESS, JAVA_LONG));
            csClose = handle(linker, lookup, "cs_close", FunctionDescriptor.of(JAVA_INT, ADDRESS));
            csStrerror = handle(linker, lookup, "cs_strerror", FunctionDescriptor.of(ADDRESS, JAVA_INT));
            MethodHandle csVersion = handle(linker, lookup, "cs_version",
                    FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
            try (Arena a = Arena.ofConfined()) {
                MemorySegment major = a.allocate(JAVA_INT), minor = a.allocate(JAVA_INT);
                int ignored = (int) csVersion.invokeExact(major, minor);
                version = major.get(JAVA_INT, 0) + "." + minor.get(JAVA_INT, 0);
            } catch (Throwable t) {
                throw rethrow(t);
            }
            if (!version.startsWith("5.")) {
                throw new IllegalStateException("libcapstone at " + path + " is " + version + "; pagelab needs 5.x"
                        + " (run scripts/setup-capstone.sh)");
            }
        }

        String strerror(int err) {
            try {
                return ((MemorySegment) csStrerror.invokeExact(err)).reinterpret(256).getString(0);
            } catch (Throwable t) {
                return "cs_err " + err;
            }
        }

        private static MethodHandle handle(Linker linker, SymbolLookup lookup, String name, FunctionDescriptor d) {
            return linker.downcallHandle(lookup.find(name).orElseThrow(
                    () -> new IllegalStateException("libcapstone has no symbol " + name)), d);
        }
    }
}
