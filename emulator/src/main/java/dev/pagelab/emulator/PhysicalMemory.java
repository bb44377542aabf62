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
 * <p>Bad physical addresses are a kernel bug, not a guest error: they throw
 * {@link IndexOutOfBoundsException} with the address.
 */
public final class PhysicalMemory implements AutoCloseable {
    public static final int PAGE_SIZE = 4096;
    public static final int PAGE_SHIFT = 12;

    private static final VarHandle LONG_HANDLE = JAVA_LONG.varHandle();

    private final Arena arena; // owns the segment
    private final MemorySegment ram; // immutable reference; contents shared with the engines

    public PhysicalMemory(long bytes) {
        if (bytes <= 0 || bytes % PAGE_SIZE != 0) {
            throw new IllegalArgumentException("PhysicalMemory: size must be a positive multiple of 4096: " + bytes);
        }
        this.arena = Arena.ofShared();
        this.ram = arena.allocate(bytes, PAGE_SIZE);
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
    public void close() {
        arena.close();
    }
}
