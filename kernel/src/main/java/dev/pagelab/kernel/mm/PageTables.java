package dev.pagelab.kernel.mm;

import dev.pagelab.emulator.Machine;
import dev.pagelab.emulator.PhysicalMemory;
import dev.pagelab.emulator.Pte;
import dev.pagelab.emulator.X86Paging;
import dev.pagelab.kernel.sched.SchedPoint;
import dev.pagelab.kernel.sched.Scheduler;

/**
 * One address space's x86-64 page tables, built in guest physical memory where the emulated CPU
 * walks them (Linux: the pgd and the pud/pmd/pte pages below it). Slot 511 of the PML4 maps the
 * machine's firmware page, shared by every address space like the kernel half of a Linux pgd.
 *
 * <p>Every kernel read of a pte ({@link #ptepGet}) and write ({@link #setPteAt}) is a scheduling
 * point, so the explorer can interleave another CPU between them. Callers hold the mm's ptl for
 * writes (Linux: pte_offset_map_lock).
 */
public final class PageTables {
    private static final int USER_PML4_SLOTS = 256; // the lower canonical half

    private final FrameAllocator frames; // immutable reference
    private final PhysicalMemory memory; // immutable reference
    private final Scheduler scheduler; // immutable reference
    private final long pgd; // immutable: physical address of the PML4
    private long tablePages; // page-table frames in use below the PML4; guarded by ptl

    public PageTables(FrameAllocator frames, Machine machine, Scheduler scheduler) {
        this.frames = frames;
        this.memory = frames.memory();
        this.scheduler = scheduler;
        this.pgd = frames.allocZeroed() << PhysicalMemory.PAGE_SHIFT;
        machine.installFirmware(pgd);
    }

    /** Physical address of the PML4 (what CR3 holds). */
    public long pgd() {
        return pgd;
    }

    public long tablePages() {
        return tablePages;
    }

    /**
     * pte_offset_map: the physical address of {@code vaddr}'s pte, or -1 if a table above it is
     * missing. Never allocates.
     */
    public long pteOffset(long vaddr) {
        long table = pgd;
        for (int level = 0; level < X86Paging.LEVELS - 1; level++) {
            long entry = memory.readLongVolatile(table + 8L * X86Paging.index(vaddr, level));
            if ((entry & Pte.P) == 0) {
                return -1;
            }
            table = entry & Pte.FRAME_MASK;
        }
        return table + 8L * X86Paging.index(vaddr, X86Paging.LEVELS - 1);
    }

    /** pte_alloc_map (__pud_alloc, __pmd_alloc, __pte_alloc): allocates missing tables. */
    public long pteAlloc(long vaddr) {
        requireUser(vaddr);
        return X86Paging.pteAddress(memory, pgd, vaddr, this::newTable);
    }

    private long newTable() {
        tablePages++;
        return frames.allocZeroed();
    }

    /** ptep_get: reads a pte (a scheduling point). */
    public Pte ptepGet(long ptep) {
        scheduler.point(SchedPoint.PTE_READ);
        return new Pte(memory.readLongVolatile(ptep));
    }

    /** Reads a pte without a scheduling point (tools, recounts, the lockless peek's own read). */
    public Pte peek(long ptep) {
        return new Pte(memory.readLongVolatile(ptep));
    }

    /** set_pte_at: writes a pte (a scheduling point after the store). Caller holds ptl. */
    public void setPteAt(long ptep, Pte pte) {
        long old = memory.readLongVolatile(ptep);
        memory.writeLongVolatile(ptep, pte.value());
        scheduler.events().pteChange(ptep, old, pte.value());
        scheduler.point(SchedPoint.PTE_WRITE);
    }

    /**
     * ptep_get_and_clear: atomically reads and clears a pte (an exchange, so an A/D bit the
     * hardware set up to that instant is in the returned value). Caller holds ptl.
     */
    public Pte ptepGetAndClear(long ptep) {
        long old = memory.getAndSetLong(ptep, 0);
        scheduler.events().pteChange(ptep, old, 0);
        scheduler.point(SchedPoint.PTE_WRITE);
        return new Pte(old);
    }

    /**
     * A read-modify-write of a pte by compare-and-set: the new value is {@code change} applied to
     * what the pte holds at the instant of the write, retried if hardware or another CPU changed
     * it in between. Returns the value it replaced. Caller holds ptl. A scheduling point after.
     */
    public Pte ptepUpdate(long ptep, java.util.function.UnaryOperator<Pte> change) {
        while (true) {
            long old = memory.readLongVolatile(ptep);
            long next = change.apply(new Pte(old)).value();
            if (memory.compareAndSetLong(ptep, old, next)) {
                scheduler.events().pteChange(ptep, old, next);
                scheduler.point(SchedPoint.PTE_WRITE);
                return new Pte(old);
            }
        }
    }

    /** ptep_test_and_clear_young: clears A atomically; returns whether it was set. Caller holds ptl. */
    public boolean ptepTestAndClearYoung(long ptep) {
        return ptepUpdate(ptep, Pte::mkold).accessed();
    }

    /** ptep_test_and_clear_dirty: clears D atomically; returns the pte as it was. Caller holds ptl. */
    public Pte ptepTestAndClearDirty(long ptep) {
        return ptepUpdate(ptep, Pte::mkclean);
    }

    /**
     * ptep_set_access_flags: makes the pte {@code entry} (the faulting access's A/D/RW) if it still
     * is {@code orig}; false if hardware or another CPU changed it first (the fault then retries).
     * Caller holds ptl.
     */
    public boolean ptepSetAccessFlags(long ptep, Pte orig, Pte entry) {
        if (!memory.compareAndSetLong(ptep, orig.value(), entry.value())) {
            return false;
        }
        scheduler.events().pteChange(ptep, orig.value(), entry.value());
        scheduler.point(SchedPoint.PTE_WRITE);
        return true;
    }

    /** Visits every present-table pte slot in [start, end) (absent tables are skipped whole). */
    public void forEachPte(long start, long end, PteVisitor visitor) {
        for (long va = start; va < end; ) {
            long ptep = pteOffset(va);
            if (ptep < 0) {
                va = nextTableBoundary(va);
                continue;
            }
            visitor.visit(va, ptep);
            va += PhysicalMemory.PAGE_SIZE;
        }
    }

    /** Receives one pte slot: its virtual address and the slot's physical address. */
    @FunctionalInterface
    public interface PteVisitor {
        void visit(long vaddr, long ptep);
    }

    /** The start of the next 2 MiB region (the span of one page table). */
    private static long nextTableBoundary(long va) {
        return (va + (1L << 21)) & ~((1L << 21) - 1);
    }

    /**
     * free_pgtables: frees every table page of the user half and the PML4 itself. All ptes must
     * already have been zapped.
     */
    public void freeAll() {
        for (int i = 0; i < USER_PML4_SLOTS; i++) {
            long e = memory.readLongVolatile(pgd + 8L * i);
            if ((e & Pte.P) != 0) {
                freeTable(e & Pte.FRAME_MASK, 1);
            }
        }
        frames.freeFrame(pgd >>> PhysicalMemory.PAGE_SHIFT);
    }

    private void freeTable(long table, int level) {
        if (level < X86Paging.LEVELS - 1) {
            for (int i = 0; i < X86Paging.ENTRIES; i++) {
                long e = memory.readLongVolatile(table + 8L * i);
                if ((e & Pte.P) != 0) {
                    freeTable(e & Pte.FRAME_MASK, level + 1);
                }
            }
        } else {
            for (int i = 0; i < X86Paging.ENTRIES; i++) {
                if (memory.readLongVolatile(table + 8L * i) != 0) {
                    throw new IllegalStateException("free_pgtables: a pte is still set in table 0x" + Long.toHexString(table));
                }
            }
        }
        tablePages--;
        frames.freeFrame(table >>> PhysicalMemory.PAGE_SHIFT);
    }

    private static void requireUser(long vaddr) {
        if (vaddr < 0 || vaddr >= (1L << 47)) {
            throw new IllegalArgumentException(String.format("pte_alloc: 0x%x is not a user address", vaddr));
        }
    }
}
