package dev.pagelab.emulator;

import java.util.ArrayList;
import java.util.List;

/**
 * The emulated computer: RAM shared by every virtual CPU, the firmware page, and the CPUs.
 * Frames below {@link #firstFreeFrame()} belong to the machine (frame 0 is left unused so a null
 * physical address is never valid data; then the firmware; then an idle page-table root that maps
 * only the firmware, loaded into every new CPU).
 */
public final class Machine implements AutoCloseable {
    private static final long FIRMWARE_BASE_FRAME = 1;
    private static final long IDLE_ROOT_FRAME = FIRMWARE_BASE_FRAME + Firmware.FRAMES;
    private static final long FIRST_FREE_FRAME = IDLE_ROOT_FRAME + 1;

    private final PhysicalMemory memory; // immutable reference
    private final Firmware firmware; // immutable
    private final List<Vcpu> cpus = new ArrayList<>(); // guarded by this

    public Machine(long memoryBytes) {
        if (memoryBytes < (FIRST_FREE_FRAME + 1) * PhysicalMemory.PAGE_SIZE) {
            throw new IllegalArgumentException("Machine: memory too small: " + memoryBytes + " bytes");
        }
        this.memory = new PhysicalMemory(memoryBytes);
        this.firmware = new Firmware(memory, FIRMWARE_BASE_FRAME);
        long idleRoot = IDLE_ROOT_FRAME << PhysicalMemory.PAGE_SHIFT;
        memory.fill(idleRoot, PhysicalMemory.PAGE_SIZE, (byte) 0);
        installFirmware(idleRoot);
    }

    public PhysicalMemory memory() {
        return memory;
    }

    public Firmware firmware() {
        return firmware;
    }

    /** The first frame the kernel may allocate. */
    public long firstFreeFrame() {
        return FIRST_FREE_FRAME;
    }

    /** Physical address of the idle page-table root (maps only the firmware). */
    public long idleRoot() {
        return IDLE_ROOT_FRAME << PhysicalMemory.PAGE_SHIFT;
    }

    /** Makes the PML4 at physical {@code pml4} map the firmware page (every address space needs it). */
    public void installFirmware(long pml4) {
        memory.writeLongVolatile(pml4 + 8L * Firmware.PML4_SLOT, firmware.pml4Entry());
    }

    /** Creates the next virtual CPU: a libunicorn engine over this machine's RAM, in long mode. */
    public Vcpu createVcpu() {
        return createVcpu(false);
    }

    /**
     * Creates the next virtual CPU; with {@code countInstructions} it keeps an exact count of
     * retired instructions and enforces budgets exactly (a native call per translated block).
     */
    public synchronized Vcpu createVcpu(boolean countInstructions) {
        Vcpu cpu = new UnicornVcpu(cpus.size(), this, Calibration.offsets(), countInstructions);
        cpus.add(cpu);
        return cpu;
    }

    public synchronized List<Vcpu> cpus() {
        return List.copyOf(cpus);
    }

    @Override
    public synchronized void close() {
        cpus.forEach(Vcpu::close);
        cpus.clear();
        memory.close();
    }
}
