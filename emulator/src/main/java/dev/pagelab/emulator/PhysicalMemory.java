package dev.pagelab.emulator;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

/**
 * The machine's RAM: one host memory segment, mapped at guest physical address 0 into every
 * virtual CPU's engine, so every CPU sees every other's stores and the A/D bits their page walks
 * set. Frames are 4 KiB. Page-table entries are read and written with 64-bit atomic accesses.
 *
 * <p>RAM is reserved, not filled: it is an anonymous private mapping of the host (mmap with
 * MAP_NORESERVE), which the host zero-fills one page at a time when it is first touched, so
 * {@code --memory 16384} costs only the frames the guest uses.
 *
 * <p>Bad physical addresses are a kernel bug, not a guest error: they throw
 * {@link IndexOutOfBoundsException} with the address.
 */
public final class PhysicalMemory implements AutoCloseable {
    public static final int PAGE_SIZE = 4096;
    public static final int PAGE_SHIFT = 12;

    private static final VarHandle LONG_HANDLE = JAVA_LONG.varHandle();

    private static final int PROT_READ = 1, PROT_WRITE = 2, MAP_PRIVATE = 2, MAP_ANONYMOUS = 0x20,
            MAP_NORESERVE = 0x4000;
    private static final java.lang.invoke.MethodHandle MMAP = libc("mmap", java.lang.foreign.FunctionDescriptor.of(
            java.lang.foreign.ValueLayout.ADDRESS, java.lang.foreign.ValueLayout.ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT,
            JAVA_INT, JAVA_LONG));
    private static final java.lang.invoke.MethodHandle MUNMAP = libc("munmap", java.lang.foreign.FunctionDescriptor.of(
            JAVA_INT, java.lang.foreign.ValueLayout.ADDRESS, JAVA_LONG));

    private final Arena arena; // the segment's lifetime
    private final MemorySegment ram; // immutable reference; contents shared with the engines
    private boolean closed; // guarded by this

    public PhysicalMemory(long bytes) {
        if (bytes <= 0 || bytes % PAGE_SIZE != 0) {
            throw new IllegalArgumentException("PhysicalMemory: size must be a positive multiple of 4096: " + bytes);
        }
        this.arena = Arena.ofShared();
        this.ram = reserve(bytes).reinterpret(bytes, arena, null);
    }

    private static java.lang.invoke.MethodHandle libc(String name, java.lang.foreign.FunctionDescriptor fd) {
        java.lang.foreign.Linker linker = java.lang.foreign.Linker.nativeLinker();
        return linker.downcallHandle(linker.defaultLookup().find(name).orElseThrow(), fd);
    }

    /** mmap(NULL, bytes, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE, -1, 0). */
    private static MemorySegment reserve(long bytes) {
        MemorySegment p;
        try {
            p = (MemorySegment) MMAP.invokeExact(MemorySegment.NULL, bytes, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0L);
        } catch (Throwable t) {
            throw new IllegalStateException("PhysicalMemory: mmap failed", t);
        }
        if (p.address() == -1L || p.address() == 0) {
            throw new OutOfMemoryError("PhysicalMemory: the host cannot reserve " + bytes + " bytes of guest RAM");
        }
        return p;
    }

    /** The backing segment, for mapping into an engine (emulator-internal). */
    MemorySegment segment() {
        return ram;
    }

    public long size() {
        return ram.byteSize();
    }

    public long frames() {
        return ram.byteSize() / PAGE_SIZE;
    }

    public long readLong(long paddr) {
        return ram.get(JAVA_LONG, checked(paddr, 8));
    }

    public void writeLong(long paddr, long value) {
        ram.set(JAVA_LONG, checked(paddr, 8), value);
    }

    /** A 64-bit atomic exchange; returns the old value (ptep_get_and_clear). */
    public long getAndSetLong(long paddr, long value) {
        return (long) LONG_HANDLE.getAndSet(ram, checked(paddr, 8), value);
    }

    /** A 64-bit load with volatile semantics: how page-table entries are read. */
    public long readLongVolatile(long paddr) {
        return (long) LONG_HANDLE.getVolatile(ram, checked(paddr, 8));
    }

    /** A 64-bit store with volatile semantics: how page-table entries are written. */
    public void writeLongVolatile(long paddr, long value) {
        LONG_HANDLE.setVolatile(ram, checked(paddr, 8), value);
    }

    /** Atomic compare-and-set of an aligned 64-bit word (e.g. {@code ptep_get_and_clear}). */
    public boolean compareAndSetLong(long paddr, long expected, long value) {
        return LONG_HANDLE.compareAndSet(ram, checked(paddr, 8), expected, value);
    }

    public int readInt(long paddr) {
        return ram.get(JAVA_INT, checked(paddr, 4));
    }

    public void writeInt(long paddr, int value) {
        ram.set(JAVA_INT, checked(paddr, 4), value);
    }

    public byte readByte(long paddr) {
        return ram.get(JAVA_BYTE, checked(paddr, 1));
    }

    public void writeByte(long paddr, byte value) {
        ram.set(JAVA_BYTE, checked(paddr, 1), value);
    }

    public void read(long paddr, byte[] dst, int offset, int length) {
        MemorySegment.copy(ram, JAVA_BYTE, checked(paddr, length), dst, offset, length);
    }

    public void write(long paddr, byte[] src, int offset, int length) {
        MemorySegment.copy(src, offset, ram, JAVA_BYTE, checked(paddr, length), length);
    }

    public void write(long paddr, byte[] src) {
        write(paddr, src, 0, src.length);
    }

    public void fill(long paddr, long length, byte value) {
        ram.asSlice(checked(paddr, length), length).fill(value);
    }

    /** Copies one 4 KiB frame to another (copy-on-write). */
    public void copyFrame(long fromFrame, long toFrame) {
        MemorySegment.copy(ram, checked(fromFrame << PAGE_SHIFT, PAGE_SIZE), ram,
                checked(toFrame << PAGE_SHIFT, PAGE_SIZE), PAGE_SIZE);
    }

    private long checked(long paddr, long length) {
        if (paddr < 0 || length < 0 || paddr + length > ram.byteSize()) {
            throw new IndexOutOfBoundsException(String.format(
                    "PhysicalMemory: access [0x%x, +%d) outside RAM of %d bytes", paddr, length, ram.byteSize()));
        }
        return paddr;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        arena.close();
        try {
            int r = (int) MUNMAP.invokeExact(MemorySegment.ofAddress(ram.address()), ram.byteSize());
            if (r != 0) {
                throw new IllegalStateException("PhysicalMemory: munmap failed");
            }
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("PhysicalMemory: munmap failed", t);
        }
    }
}
