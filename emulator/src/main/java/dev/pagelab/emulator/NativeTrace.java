package dev.pagelab.emulator;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The trace of one {@link UnicornVcpu}: the native hooks of pagelab_trace.c and their
 * {@code struct pagelab_trace}, plus the Java drain that hands records to the sink. Exists only
 * while tracing is on; an untraced CPU has no trace hook at all.
 */
final class NativeTrace {
    private static final int CAPACITY_WORDS = 1 << 16;
    /** Words kept free after an instruction record for its memory records. */
    private static final int RESERVE_WORDS = 64 * TraceRecords.MEM_WORDS;
    // struct pagelab_trace offsets
    private static final long RECORDS = 0, CAPACITY = 8, USED = 16, INDEX = 24, LO = 32, HI = 40, RAM = 48,
            RAM_SIZE = 56, CR3 = 64, DRAIN = 72, SKIP = 80, RESERVE = 88, SIZE = 96;

    private final Unicorn uc; // the engine, not owned
    private final int cpu; // immutable
    private final TraceRecords.Sink sink; // immutable
    private final Arena arena = Arena.ofShared(); // owns struct and buffer; closed by stop()
    private final MemorySegment struct, buffer; // the native state and records
    private final long[] words = new long[CAPACITY_WORDS]; // scratch for the sink; run() thread only
    private final long codeHook, memHook; // hook handles (memHook 0 when memory is off)
    private final PhysicalMemory ram; // the machine's RAM
    private long cr3; // the root the engine runs on
    private ReverseMap reverse; // frame -> virtual page under cr3, built on demand; null when stale

    NativeTrace(Unicorn uc, int cpu, PhysicalMemory ram, long cr3, TraceRecords.Options options) {
        this.uc = uc;
        this.cpu = cpu;
        this.sink = options.sink();
        this.ram = ram;
        this.buffer = arena.allocate(8L * CAPACITY_WORDS, 16);
        this.struct = arena.allocate(SIZE, 16);
        struct.set(ADDRESS, RECORDS, buffer);
        struct.set(JAVA_LONG, CAPACITY, CAPACITY_WORDS);
        struct.set(JAVA_LONG, LO, options.lo());
        struct.set(JAVA_LONG, HI, options.hi());
        struct.set(ADDRESS, RAM, ram.segment());
        struct.set(JAVA_LONG, RAM_SIZE, ram.segment().byteSize());
        struct.set(ADDRESS, DRAIN, uc.voidFunction(this::drain));
        struct.set(JAVA_LONG, RESERVE, options.memory() ? RESERVE_WORDS : 0);
        setRoot(cr3);
        this.codeHook = uc.hookTrace(UcConst.UC_HOOK_CODE, "pagelab_trace_insn", struct);
        this.memHook = options.memory() ? uc.hookTrace(UcConst.UC_HOOK_MEM_READ_AFTER | UcConst.UC_HOOK_MEM_WRITE,
                "pagelab_trace_mem", struct) : 0;
    }

    void setRoot(long cr3) {
        struct.set(JAVA_LONG, CR3, cr3);
        this.cr3 = cr3;
        this.reverse = null;
    }

    /** Before a run: index from 0, the first {@code skip} instructions (the iretq) unrecorded. */
    void beginRun(int skip) {
        reverse = null; // the kernel may have changed the page tables since the last run
        struct.set(JAVA_LONG, INDEX, 0L);
        struct.set(JAVA_LONG, SKIP, skip);
    }

    /** Hands the recorded words to the sink and empties the buffer (native upcall and end of run). */
    void drain() {
        int used = (int) struct.get(JAVA_LONG, USED);
        if (used == 0) {
            return;
        }
        MemorySegment.copy(buffer, JAVA_LONG, 0, words, 0, used);
        struct.set(JAVA_LONG, USED, 0L);
        if (memHook != 0) {
            nameVirtualAddresses(used);
        }
        sink.records(cpu, words, used);
    }

    /**
     * Takes back the record of the instruction with {@code index} if it is the last one recorded
     * (a debugger's check stopped before it, after this trace's hook saw it).
     */
    void dropInstruction(long index) {
        int used = (int) struct.get(JAVA_LONG, USED);
        if (used >= TraceRecords.INSN_WORDS) {
            long h = buffer.get(JAVA_LONG, 8L * (used - TraceRecords.INSN_WORDS));
            if (TraceRecords.kind(h) == TraceRecords.INSN && TraceRecords.index(h) == index) {
                struct.set(JAVA_LONG, USED, used - TraceRecords.INSN_WORDS);
            }
        }
    }

    /**
     * libunicorn's memory hooks report the physical address (word 1 of a memory record, as the C
     * hook stored it): move it to word 2 and put the virtual address that maps it in word 1.
     */
    private void nameVirtualAddresses(int used) {
        for (int i = 0; i < used; i += TraceRecords.words(words[i])) {
            if (TraceRecords.kind(words[i]) != TraceRecords.INSN) {
                if (reverse == null) {
                    reverse = new ReverseMap(ram, cr3);
                }
                long pa = words[i + 1];
                words[i + 2] = pa;
                words[i + 1] = reverse.virtualOf(pa);
            }
        }
    }

    /** Removes the hooks and frees the buffer (the engine stays usable). */
    void stop() {
        uc.hookDel(codeHook);
        if (memHook != 0) {
            uc.hookDel(memHook);
        }
        arena.close();
    }
}
