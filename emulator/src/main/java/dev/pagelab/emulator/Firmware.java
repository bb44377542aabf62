package dev.pagelab.emulator;

/**
 * The machine's firmware page: a supervisor-only page mapped at the top of every address space,
 * holding the GDT and the {@code iretq} trampoline through which each virtual CPU enters CPL 3.
 *
 * <p>Why: libunicorn 2.1 accepts writes to CS/SS through {@code uc_reg_write} but leaves the CPL
 * at 0; only a real {@code iretq} to a DPL-3 code segment drops the CPU to user mode (see
 * hardware-facts.md section 3). The GDT follows Linux's x86-64 layout so selectors look familiar:
 * kernel CS 0x10, kernel DS 0x18, user DS 0x2b, user CS 0x33.
 *
 * <p>The <em>exit page</em> just below it holds the address given to {@code uc_emu_start} as
 * "until". libunicorn translates that address through the MMU on every start, at the current
 * CPL; if the translation faults, the swallowed fault leaves QEMU's {@code old_exception} set and
 * the guest's next #PF becomes a double fault. So the exit page is readable (never writable) from
 * CPL 3, and filled with {@code ud2} so that a wild jump into it still ends as #UD.
 *
 * <p>Layout: frames {@code base+0..2} hold the PDPT, PD and PT that map the page at
 * {@link #VIRTUAL_BASE} (PML4 slot 511); frame {@code base+3} is the page: GDT at +0x000,
 * trampoline at +0x100, one 64-byte iret frame per CPU from +0x400; frame {@code base+4} is the
 * exit page at {@link #EXIT_PAGE}. Every address space shares
 * these tables by copying {@link #pml4Entry()} into its PML4 slot 511, as Linux shares the kernel
 * half of every pgd.
 */
public final class Firmware {
    public static final long VIRTUAL_BASE = 0xFFFF_FFFF_FFFF_F000L;
    public static final int PML4_SLOT = 511;
    public static final long EXIT_PAGE = VIRTUAL_BASE - PhysicalMemory.PAGE_SIZE;
    public static final int FRAMES = 5;
    public static final int MAX_CPUS = 48;

    public static final int KERNEL_CS = 0x10;
    public static final int KERNEL_DS = 0x18;
    public static final int USER_DS = 0x2b;
    public static final int USER_CS = 0x33;
    /** User RFLAGS at entry: IF and the always-one bit 1. */
    public static final long USER_RFLAGS = 0x202;

    static final int GDT_OFFSET = 0x000;
    static final int TRAMPOLINE_OFFSET = 0x100;
    static final int FRAME_AREA_OFFSET = 0x400;
    static final int FRAME_SLOT = 64;

    private static final long[] GDT = {
        0L,                     // 0x00 null
        0x00CF_9A00_0000_FFFFL, // 0x08 kernel code, 32-bit
        0x00AF_9A00_0000_FFFFL, // 0x10 kernel code, 64-bit (L=1), DPL 0
        0x00CF_9200_0000_FFFFL, // 0x18 kernel data, DPL 0
        0x00CF_FA00_0000_FFFFL, // 0x23 user code, 32-bit, DPL 3
        0x00CF_F200_0000_FFFFL, // 0x2b user data, DPL 3
        0x00AF_FA00_0000_FFFFL, // 0x33 user code, 64-bit (L=1), DPL 3
    };

    private final PhysicalMemory memory; // immutable reference
    private final long pdptFrame, pageFrame, exitFrame; // immutable

    /** Builds the firmware into frames {@code baseFrame .. baseFrame+3}. */
    Firmware(PhysicalMemory memory, long baseFrame) {
        this.memory = memory;
        this.pdptFrame = baseFrame;
        long pdFrame = baseFrame + 1;
        long ptFrame = baseFrame + 2;
        this.pageFrame = baseFrame + 3;
        this.exitFrame = baseFrame + 4;
        memory.fill(baseFrame << PhysicalMemory.PAGE_SHIFT, (long) FRAMES * PhysicalMemory.PAGE_SIZE, (byte) 0);
        long supervisor = Pte.P | Pte.RW; // no US: CPL 3 cannot touch any of this
        memory.writeLong(tableSlot(pdptFrame, 1), Pte.of(pdFrame, supervisor).value());
        memory.writeLong(tableSlot(pdFrame, 2), Pte.of(ptFrame, supervisor).value());
        memory.writeLong(tableSlot(ptFrame, 3), Pte.of(pageFrame, supervisor | Pte.G).value());
        long exitPte = (ptFrame << PhysicalMemory.PAGE_SHIFT) + 8L * X86Paging.index(EXIT_PAGE, 3);
        memory.writeLong(exitPte, Pte.of(exitFrame, Pte.P | Pte.US | Pte.G).value());
        byte[] ud2s = new byte[PhysicalMemory.PAGE_SIZE];
        for (int i = 0; i < ud2s.length; i += 2) {
            ud2s[i] = 0x0F;
            ud2s[i + 1] = 0x0B;
        }
        memory.write(exitFrame << PhysicalMemory.PAGE_SHIFT, ud2s);
        long page = pageFrame << PhysicalMemory.PAGE_SHIFT;
        for (int i = 0; i < GDT.length; i++) {
            memory.writeLong(page + GDT_OFFSET + 8L * i, GDT[i]);
        }
        memory.write(page + TRAMPOLINE_OFFSET, new byte[] {0x48, (byte) 0xCF}); // iretq
    }

    private static long tableSlot(long tableFrame, int level) {
        return (tableFrame << PhysicalMemory.PAGE_SHIFT) + 8L * X86Paging.index(VIRTUAL_BASE, level);
    }

    /** The value every PML4 stores in slot {@link #PML4_SLOT} to map the firmware page. */
    public long pml4Entry() {
        return Pte.of(pdptFrame, Pte.P | Pte.RW).value();
    }

    /** The physical frame of the firmware page itself. */
    public long pageFrame() {
        return pageFrame;
    }

    long gdtVirtual() {
        return VIRTUAL_BASE + GDT_OFFSET;
    }

    int gdtLimit() {
        return GDT.length * 8 - 1;
    }

    /** The "until" address for {@code uc_emu_start}: inside the exit page, never executed. */
    long untilAddress() {
        return EXIT_PAGE + PhysicalMemory.PAGE_SIZE / 2;
    }

    long trampolineVirtual() {
        return VIRTUAL_BASE + TRAMPOLINE_OFFSET;
    }

    /**
     * Writes CPU {@code cpu}'s iret frame (RIP, CS, RFLAGS, RSP, SS) and returns the kernel stack
     * pointer that makes {@code iretq} pop it.
     */
    long writeIretFrame(int cpu, long rip, long rflags, long rsp) {
        if (cpu < 0 || cpu >= MAX_CPUS) {
            throw new IllegalArgumentException("Firmware: cpu id out of range: " + cpu);
        }
        long slot = FRAME_AREA_OFFSET + (long) FRAME_SLOT * cpu;
        long p = (pageFrame << PhysicalMemory.PAGE_SHIFT) + slot;
        memory.writeLong(p, rip);
        memory.writeLong(p + 8, USER_CS);
        memory.writeLong(p + 16, rflags);
        memory.writeLong(p + 24, rsp);
        memory.writeLong(p + 32, USER_DS);
        return VIRTUAL_BASE + slot;
    }
}
