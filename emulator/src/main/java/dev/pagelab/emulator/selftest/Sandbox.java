package dev.pagelab.emulator.selftest;

import dev.pagelab.emulator.Machine;
import dev.pagelab.emulator.PhysicalMemory;
import dev.pagelab.emulator.Pte;
import dev.pagelab.emulator.Register;
import dev.pagelab.emulator.Vcpu;
import dev.pagelab.emulator.X86Paging;

/**
 * A machine with one address space and a bump frame allocator: enough "kernel" for the self-test
 * and the benchmarks to place code and data at chosen virtual pages backed by chosen frames.
 */
public final class Sandbox implements AutoCloseable {
    public static final long USER_RWX = Pte.P | Pte.RW | Pte.US;
    public static final long USER_RX = Pte.P | Pte.US;
    public static final long USER_RW_NX = Pte.P | Pte.RW | Pte.US | Pte.NX;

    private final Machine machine; // owned
    private final long root; // immutable: physical address of the PML4
    private long nextFrame; // bump allocator

    public Sandbox(long memoryBytes) {
        this.machine = new Machine(memoryBytes);
        this.nextFrame = machine.firstFreeFrame();
        this.root = allocFrame() << PhysicalMemory.PAGE_SHIFT;
        machine.installFirmware(root);
    }

    public Machine machine() {
        return machine;
    }

    public PhysicalMemory memory() {
        return machine.memory();
    }

    public long root() {
        return root;
    }

    /** A zeroed frame. */
    public long allocFrame() {
        if (nextFrame >= machine.memory().frames()) {
            throw new IllegalStateException("Sandbox: out of frames");
        }
        long frame = nextFrame++;
        machine.memory().fill(frame << PhysicalMemory.PAGE_SHIFT, PhysicalMemory.PAGE_SIZE, (byte) 0);
        return frame;
    }

    /** Maps {@code vaddr} to a new zeroed frame with {@code flags}; returns the frame. */
    public long mapNew(long vaddr, long flags) {
        long frame = allocFrame();
        map(vaddr, frame, flags);
        return frame;
    }

    public void map(long vaddr, long frame, long flags) {
        X86Paging.map(machine.memory(), root, vaddr, frame, flags, this::allocFrame);
    }

    /** Physical address of the PTE for {@code vaddr} (creating tables if needed). */
    public long pteAddress(long vaddr) {
        return X86Paging.pteAddress(machine.memory(), root, vaddr, this::allocFrame);
    }

    public Pte pte(long vaddr) {
        return new Pte(machine.memory().readLongVolatile(pteAddress(vaddr)));
    }

    /** Maps a code page at {@code vaddr} (user, read+execute) holding {@code code}. */
    public long loadCode(long vaddr, byte[] code) {
        long frame = mapNew(vaddr, USER_RX);
        machine.memory().write(frame << PhysicalMemory.PAGE_SHIFT, code);
        return frame;
    }

    /** A new CPU on this machine, in this address space, about to run at {@code rip}. */
    public Vcpu cpu(long rip) {
        Vcpu cpu = machine.createVcpu();
        cpu.setPageTableRoot(root);
        cpu.set(Register.RIP, rip);
        cpu.set(Register.RSP, 0x7FFF_F000L);
        return cpu;
    }

    @Override
    public void close() {
        machine.close();
    }
}
