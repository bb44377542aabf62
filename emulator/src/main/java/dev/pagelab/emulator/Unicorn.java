package dev.pagelab.emulator;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * One libunicorn engine ({@code uc_engine *}): the thin FFM binding. Every {@code uc_err} other
 * than {@code UC_ERR_OK} becomes a {@link UnicornException} carrying {@code uc_strerror}'s text.
 *
 * <p>This class and {@link UnicornLibrary} are the only places in pagelab that touch
 * {@code java.lang.foreign} for libunicorn. Hooks are upcall stubs; a Java exception thrown by a
 * hook never unwinds through native frames (that would kill the JVM): it is caught, the engine is
 * stopped, and {@link #emuStart} rethrows it.
 *
 * <p>Not thread-safe: one engine is driven by one thread at a time.
 */
public final class Unicorn implements AutoCloseable {
    /** Receives {@code UC_HOOK_INTR}: the interrupt or exception vector. */
    @FunctionalInterface
    public interface InterruptHook {
        void onInterrupt(int vector);
    }

    /** Receives {@code UC_HOOK_CODE}: the address and size of the instruction about to run. */
    @FunctionalInterface
    public interface CodeHook {
        void onCode(long address, int size);
    }

    /** Receives {@code UC_HOOK_MEM_*}: access type, address, size and (for writes) value. */
    @FunctionalInterface
    public interface MemoryHook {
        /** @return true to continue (only meaningful for invalid-access hooks) */
        boolean onAccess(int type, long address, int size, long value);
    }

    private static final MethodHandle INTR_TARGET, INSN_TARGET, CODE_TARGET, MEM_TARGET, VOID_TARGET;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            INTR_TARGET = l.findVirtual(Unicorn.class, "intrUpcall",
                    MethodType.methodType(void.class, InterruptHook.class, MemorySegment.class, int.class,
                            MemorySegment.class));
            INSN_TARGET = l.findVirtual(Unicorn.class, "insnUpcall",
                    MethodType.methodType(void.class, Runnable.class, MemorySegment.class, MemorySegment.class));
            CODE_TARGET = l.findVirtual(Unicorn.class, "codeUpcall",
                    MethodType.methodType(void.class, CodeHook.class, MemorySegment.class, long.class, int.class,
                            MemorySegment.class));
            MEM_TARGET = l.findVirtual(Unicorn.class, "memUpcall",
                    MethodType.methodType(boolean.class, MemoryHook.class, MemorySegment.class, int.class,
                            long.class, int.class, long.class, MemorySegment.class));
            VOID_TARGET = l.findVirtual(Unicorn.class, "voidUpcall", MethodType.methodType(void.class, Runnable.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final UnicornLibrary lib; // immutable
    private final Arena arena; // owns upcall stubs and scratch buffers; closed by close()
    private final MemorySegment uc; // immutable: the uc_engine pointer
    private final MemorySegment scratch; // 64 bytes for out-parameters; single-threaded use
    private final java.util.List<Context> contexts = new java.util.ArrayList<>(); // freed by close()
    private Throwable hookFailure; // set by an upcall that threw; consumed by emuStart
    private boolean closed;

    private Unicorn(UnicornLibrary lib, Arena arena, MemorySegment uc) {
        this.lib = lib;
        this.arena = arena;
        this.uc = uc;
        this.scratch = arena.allocate(64, 16);
    }

    /**
     * Size of each engine's buffer of translated code. libunicorn's default is 1 GiB, and every
     * translation-cache flush zeroes the whole buffer (measured: 0.3 s and 1 GiB resident per
     * flush); 32 MiB holds far more code than any guest here translates.
     */
    static final int CODE_BUFFER_BYTES = 32 << 20;

    /** {@code uc_open(UC_ARCH_X86, UC_MODE_64)}, with a {@link #CODE_BUFFER_BYTES} code buffer. */
    public static Unicorn openX86_64() {
        UnicornLibrary lib = UnicornLibrary.get();
        Arena arena = Arena.ofShared();
        try {
            MemorySegment out = arena.allocate(ADDRESS);
            lib.check("uc_open", (int) lib.ucOpen.invokeExact(UcConst.UC_ARCH_X86, UcConst.UC_MODE_64, out));
            MemorySegment engine = out.get(ADDRESS, 0);
            int err = (int) lib.ucCtlInt.invokeExact(engine, UcConst.UC_CTL_TCG_BUFFER_SIZE_WRITE, CODE_BUFFER_BYTES);
            if (err != UcConst.UC_ERR_OK) {
                int ignored = (int) lib.ucClose.invokeExact(engine);
                lib.check("uc_ctl(UC_CTL_TCG_BUFFER_SIZE)", err);
            }
            return new Unicorn(lib, arena, engine);
        } catch (Throwable t) {
            arena.close();
            throw UnicornLibrary.rethrow(t);
        }
    }

    /** The {@code uc_engine *} itself, for pagelab's own native code ({@link NativeRunLoop}). */
    MemorySegment engine() {
        return uc;
    }

    /** {@code uc_version()} of the loaded library, e.g. 0x020101ff for 2.1.1. */
    public static int version() {
        return UnicornLibrary.get().version;
    }

    /** "2.1.1". */
    public static String versionString() {
        return UnicornLibrary.format(version());
    }

    /** Where the loaded libunicorn came from. */
    public static String libraryPath() {
        return UnicornLibrary.get().path;
    }

    /** {@code uc_strerror(code)}. */
    public static String strerror(int code) {
        return UnicornLibrary.get().strerror(code);
    }

    // ---- registers ---------------------------------------------------------------------------

    /** {@code uc_reg_read} of a 64-bit (or narrower, zero-extended) register. */
    public long regRead(int regId) {
        scratch.set(JAVA_LONG, 0, 0L);
        call("uc_reg_read", lib.ucRegRead, regId, scratch);
        return scratch.get(JAVA_LONG, 0);
    }

    /** {@code uc_reg_write} of a 64-bit register. */
    public void regWrite(int regId, long value) {
        scratch.set(JAVA_LONG, 0, value);
        call("uc_reg_write", lib.ucRegWrite, regId, scratch);
    }

    /** {@code uc_reg_read_batch}: values of {@code batch}'s registers into {@code out}. */
    public void regReadBatch(RegisterBatch batch, long[] out) {
        if (batch.slotLongs > 1) {
            batch.values.fill((byte) 0); // narrower registers leave the rest of their slot as it was
        }
        try {
            lib.check("uc_reg_read_batch",
                    (int) lib.ucRegReadBatch.invokeExact(uc, batch.ids, batch.pointers, batch.count));
        } catch (Throwable t) {
            throw UnicornLibrary.rethrow(t);
        }
        MemorySegment.copy(batch.values, JAVA_LONG, 0, out, 0, batch.count * batch.slotLongs);
    }

    /** {@code uc_reg_write_batch}: {@code values} into {@code batch}'s registers. */
    public void regWriteBatch(RegisterBatch batch, long[] values) {
        MemorySegment.copy(values, 0, batch.values, JAVA_LONG, 0, batch.count * batch.slotLongs);
        try {
            lib.check("uc_reg_write_batch",
                    (int) lib.ucRegWriteBatch.invokeExact(uc, batch.ids, batch.pointers, batch.count));
        } catch (Throwable t) {
            throw UnicornLibrary.rethrow(t);
        }
    }

    /** A preallocated list of register ids for the batch calls, one 8-byte slot each. */
    public RegisterBatch batch(int... regIds) {
        return new RegisterBatch(arena, 1, regIds);
    }

    /**
     * A batch of registers wider than 64 bits (x87 80-bit, XMM 128-bit) or mixed with narrower
     * ones: each gets a 16-byte slot, read and written as two longs (low, high); a register
     * narrower than its slot reads back zero-extended.
     */
    public RegisterBatch wideBatch(int... regIds) {
        return new RegisterBatch(arena, 2, regIds);
    }

    /** Native buffers for {@code uc_reg_*_batch}: ids, one slot each, and pointers to them. */
    public static final class RegisterBatch {
        final MemorySegment ids, values, pointers; // immutable
        final int count; // immutable
        final int slotLongs; // immutable: slot size in longs

        RegisterBatch(Arena arena, int slotLongs, int[] regIds) {
            this.count = regIds.length;
            this.slotLongs = slotLongs;
            ids = arena.allocateFrom(JAVA_INT, regIds);
            values = arena.allocate(JAVA_LONG, (long) count * slotLongs);
            pointers = arena.allocate(ADDRESS, count);
            long slotBytes = 8L * slotLongs;
            for (int i = 0; i < count; i++) {
                pointers.setAtIndex(ADDRESS, i, values.asSlice(slotBytes * i, slotBytes));
            }
        }

        /** The number of longs a read fills and a write takes. */
        public int longs() {
            return count * slotLongs;
        }
    }

    /** Writes a descriptor-table register (GDTR, IDTR): {@code uc_x86_mmr{selector, base, limit, flags}}. */
    public void writeTableRegister(int regId, long base, int limit) {
        scratch.fill((byte) 0);
        scratch.set(JAVA_SHORT, 0, (short) 0);
        scratch.set(JAVA_LONG, 8, base);
        scratch.set(JAVA_INT, 16, limit);
        scratch.set(JAVA_INT, 20, 0);
        call("uc_reg_write(mmr)", lib.ucRegWrite, regId, scratch);
    }

    /** Reads a descriptor-table register's base. */
    public long readTableRegisterBase(int regId) {
        scratch.fill((byte) 0);
        call("uc_reg_read(mmr)", lib.ucRegRead, regId, scratch);
        return scratch.get(JAVA_LONG, 8);
    }

    /** Writes a model-specific register: {@code uc_x86_msr{rid, value}}. */
    public void writeMsr(int msr, long value) {
        scratch.set(JAVA_INT, 0, msr);
        scratch.set(JAVA_LONG, 8, value);
        call("uc_reg_write(msr)", lib.ucRegWrite, UcConst.UC_X86_REG_MSR, scratch);
    }

    /** Reads a model-specific register. */
    public long readMsr(int msr) {
        scratch.set(JAVA_INT, 0, msr);
        scratch.set(JAVA_LONG, 8, 0L);
        call("uc_reg_read(msr)", lib.ucRegRead, UcConst.UC_X86_REG_MSR, scratch);
        return scratch.get(JAVA_LONG, 8);
    }

    // ---- memory ------------------------------------------------------------------------------

    /** {@code uc_mem_map_ptr}: maps host memory {@code backing} at guest physical {@code address}. */
    public void memMapPtr(long address, MemorySegment backing) {
        try {
            lib.check("uc_mem_map_ptr", (int) lib.ucMemMapPtr.invokeExact(uc, address, backing.byteSize(),
                    UcConst.UC_PROT_ALL, backing));
        } catch (Throwable t) {
            throw UnicornLibrary.rethrow(t);
        }
    }

    /** {@code uc_mem_read} of guest physical memory. */
    public byte[] memRead(long address, int length) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(length);
            lib.check("uc_mem_read", (int) lib.ucMemRead.invokeExact(uc, address, buf, (long) length));
            return buf.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        } catch (Throwable t) {
            throw UnicornLibrary.rethrow(t);
        }
    }

    /** {@code uc_mem_write} to guest physical memory. */
    public void memWrite(long address, byte[] data) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocateFrom(java.lang.foreign.ValueLayout.JAVA_BYTE, data);
            lib.check("uc_mem_write", (int) lib.ucMemWrite.invokeExact(uc, address, buf, (long) data.length));
        } catch (Throwable t) {
            throw UnicornLibrary.rethrow(t);
        }
    }

    // ---- running -----------------------------------------------------------------------------

    /**
     * {@code uc_emu_start(begin, until, timeoutMicros, count)}. Returns when the engine stops; if a
     * hook threw, that exception is rethrown here (wrapped when checked).
     */
    public void emuStart(long begin, long until, long timeoutMicros, long count) {
        int err;
        try {
            err = (int) lib.ucEmuStart.invokeExact(uc, begin, until, timeoutMicros, count);
        } catch (Throwable t) {
            throw UnicornLibrary.rethrow(t);
        }
        Throwable failure = hookFailure;
        hookFailure = null;
        if (failure != null) {
            throw failure instanceof RuntimeException re ? re : new IllegalStateException("hook failed", failure);
        }
        lib.check("uc_emu_start", err);
    }

    /** {@code uc_emu_stop}: safe to call from inside a hook. */
    public void emuStop() {
        try {
            lib.check("uc_emu_stop", (int) lib.ucEmuStop.invokeExact(uc));
        } catch (Throwable t) {
            throw UnicornLibrary.rethrow(t);
        }
    }

    /** {@code uc_ctl_flush_tlb}: drops every cached translation of this engine. */
    public void flushTlb() {
        ctl0("uc_ctl(UC_CTL_TLB_FLUSH)", UcConst.UC_CTL_TLB_FLUSH_WRITE);
    }

    /** {@code uc_ctl_flush_tb}: drops every translated code block (after the host rewrites code). */
    public void flushTranslationBlocks() {
        ctl0("uc_ctl(UC_CTL_TB_FLUSH)", UcConst.UC_CTL_TB_FLUSH_WRITE);
    }

    private void ctl0(String what, int control) {
        try {
            lib.check(what, (int) lib.ucCtl0.invokeExact(uc, control));
        } catch (Throwable t) {
            throw UnicornLibrary.rethrow(t);
        }
    }

    // ---- hooks -------------------------------------------------------------------------------

    /** {@code UC_HOOK_INTR} over all addresses. @return the hook handle */
    public long hookInterrupt(InterruptHook hook) {
        MemorySegment stub = Linker.nativeLinker().upcallStub(INTR_TARGET.bindTo(this).bindTo(hook),
                FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT, ADDRESS), arena);
        return hookAdd(UcConst.UC_HOOK_INTR, stub, 1, 0, 0);
    }

    /** {@code UC_HOOK_INSN} for {@code syscall}: the hook runs instead of the instruction. */
    public long hookSyscall(Runnable hook) {
        MemorySegment stub = Linker.nativeLinker().upcallStub(INSN_TARGET.bindTo(this).bindTo(hook),
                FunctionDescriptor.ofVoid(ADDRESS, ADDRESS), arena);
        return hookAdd(UcConst.UC_HOOK_INSN, stub, 1, 0, UcConst.UC_X86_INS_SYSCALL);
    }

    /** {@code UC_HOOK_CODE} for instructions in [begin, end] (begin > end: every address). */
    public long hookCode(long begin, long end, CodeHook hook) {
        MemorySegment stub = Linker.nativeLinker().upcallStub(CODE_TARGET.bindTo(this).bindTo(hook),
                FunctionDescriptor.ofVoid(ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS), arena);
        return hookAdd(UcConst.UC_HOOK_CODE, stub, begin, end, 0);
    }

    /** {@code UC_HOOK_MEM_*} of the given type mask over all addresses. */
    public long hookMemory(int typeMask, MemoryHook hook) {
        MemorySegment stub = Linker.nativeLinker().upcallStub(MEM_TARGET.bindTo(this).bindTo(hook),
                FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_BOOLEAN, ADDRESS, JAVA_INT, JAVA_LONG,
                        JAVA_INT, JAVA_LONG, ADDRESS), arena);
        return hookAdd(typeMask, stub, 1, 0, 0);
    }

    /**
     * A native hook from the tracing library ({@link UnicornLibrary#traceSymbol}) over all
     * addresses, with {@code userData} as its {@code user_data}. @return the hook handle
     */
    long hookTrace(int type, String function, MemorySegment userData) {
        return hookAdd(type, lib.traceSymbol(function), userData, 1, 0, 0);
    }

    /**
     * A {@code void (*)(void)} that native code may call during {@link #emuStart}; like a hook, a
     * throw stops the engine and is rethrown by {@code emuStart}. Lives as long as this engine.
     */
    MemorySegment voidFunction(Runnable body) {
        return Linker.nativeLinker().upcallStub(VOID_TARGET.bindTo(this).bindTo(body), FunctionDescriptor.ofVoid(),
                arena);
    }

    /** {@code uc_hook_del}. */
    public void hookDel(long handle) {
        try {
            lib.check("uc_hook_del", (int) lib.ucHookDel.invokeExact(uc, handle));
        } catch (Throwable t) {
            throw UnicornLibrary.rethrow(t);
        }
    }

    private long hookAdd(int type, MemorySegment stub, long begin, long end, int insn) {
        return hookAdd(type, stub, MemorySegment.NULL, begin, end, insn);
    }

    private long hookAdd(int type, MemorySegment callback, MemorySegment userData, long begin, long end, int insn) {
        MemorySegment out = arena.allocate(JAVA_LONG);
        try {
            lib.check("uc_hook_add", (int) lib.ucHookAdd.invokeExact(uc, out, type, callback, userData,
                    begin, end, insn));
        } catch (Throwable t) {
            throw UnicornLibrary.rethrow(t);
        }
        return out.get(JAVA_LONG, 0);
    }

    private void intrUpcall(InterruptHook hook, MemorySegment ucPtr, int intno, MemorySegment user) {
        try {
            hook.onInterrupt(intno);
        } catch (Throwable t) {
            failInHook(t);
        }
    }

    private void insnUpcall(Runnable hook, MemorySegment ucPtr, MemorySegment user) {
        try {
            hook.run();
        } catch (Throwable t) {
            failInHook(t);
        }
    }

    private void voidUpcall(Runnable body) {
        try {
            body.run();
        } catch (Throwable t) {
            failInHook(t);
        }
    }

    private void codeUpcall(CodeHook hook, MemorySegment ucPtr, long address, int size, MemorySegment user) {
        try {
            hook.onCode(address, size);
        } catch (Throwable t) {
            failInHook(t);
        }
    }

    private boolean memUpcall(MemoryHook hook, MemorySegment ucPtr, int type, long address, int size, long value,
                              MemorySegment user) {
        try {
            return hook.onAccess(type, address, size, value);
        } catch (Throwable t) {
            failInHook(t);
            return false;
        }
    }

    /** A hook threw: remember the first failure and stop the engine; never unwind into C. */
    private void failInHook(Throwable t) {
        if (hookFailure == null) {
            hookFailure = t;
        }
        try {
            emuStop();
        } catch (Throwable ignored) {
            // the failure is already recorded; emuStart reports it
        }
    }

    // ---- contexts ----------------------------------------------------------------------------

    /** {@code uc_context_alloc}: a context buffer for save/restore, freed by {@link #close}. */
    public Context newContext() {
        MemorySegment out = arena.allocate(ADDRESS);
        long size;
        try {
            lib.check("uc_context_alloc", (int) lib.ucContextAlloc.invokeExact(uc, out));
            size = (long) lib.ucContextSize.invokeExact(uc);
        } catch (Throwable t) {
            throw UnicornLibrary.rethrow(t);
        }
        Context context = new Context(out.get(ADDRESS, 0).reinterpret(size));
        contexts.add(context);
        return context;
    }

    /** A saved CPU state ({@code uc_context *}), readable and patchable as bytes. */
    public final class Context {
        private final MemorySegment bytes; // the whole uc_context allocation

        private Context(MemorySegment bytes) {
            this.bytes = bytes;
        }

        /** {@code uc_context_save}. */
        public void save() {
            try {
                lib.check("uc_context_save", (int) lib.ucContextSave.invokeExact(uc, bytes));
            } catch (Throwable t) {
                throw UnicornLibrary.rethrow(t);
            }
        }

        /** {@code uc_context_restore}. */
        public void restore() {
            try {
                lib.check("uc_context_restore", (int) lib.ucContextRestore.invokeExact(uc, bytes));
            } catch (Throwable t) {
                throw UnicornLibrary.rethrow(t);
            }
        }

        public long size() {
            return bytes.byteSize();
        }

        public int getInt(long offset) {
            return bytes.get(JAVA_INT, offset);
        }

        public void setInt(long offset, int value) {
            bytes.set(JAVA_INT, offset, value);
        }

        /** A copy of the saved bytes (for calibration diffs). */
        public int[] ints() {
            return bytes.asSlice(0, bytes.byteSize() & ~3L).toArray(JAVA_INT);
        }

        void free() {
            try {
                int ignored = (int) lib.ucContextFree.invokeExact(bytes);
            } catch (Throwable t) {
                // freeing at close: nothing useful to do
            }
        }
    }

    // ---- lifetime ----------------------------------------------------------------------------

    private void call(String what, MethodHandle handle, int regId, MemorySegment value) {
        try {
            lib.check(what, (int) handle.invokeExact(uc, regId, value));
        } catch (Throwable t) {
            throw UnicornLibrary.rethrow(t);
        }
    }

    /** {@code uc_close}, then frees the upcall stubs. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        contexts.forEach(Context::free);
        try {
            int ignored = (int) lib.ucClose.invokeExact(uc);
        } catch (Throwable t) {
            // closing: the engine is gone either way
        } finally {
            arena.close();
        }
    }
}
