package dev.pagelab.kernel.mm;

import dev.pagelab.emulator.Machine;
import dev.pagelab.kernel.sched.KLock;
import dev.pagelab.kernel.sched.RwSem;
import dev.pagelab.kernel.sched.Scheduler;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * An address space (Linux: struct mm_struct): the VMAs, the page tables, mmap_sem and the page
 * table lock. Shared by all threads of a process.
 *
 * <p>Unlike Linux (split pte locks with many CPUs), one page_table_lock guards every pte of the mm.
 */
public final class MmStruct {
    public static final long TASK_SIZE = 0x0000_7FFF_FFFF_F000L;
    public static final long STACK_TOP = 0x0000_7FFF_FFFF_E000L;
    public static final long STACK_SIZE = 8L << 20;
    public static final long MMAP_BASE = STACK_TOP - STACK_SIZE - (1L << 30);

    public final RwSem mmapSem; // immutable reference
    public final KLock ptl; // immutable reference: page_table_lock
    private final PageTables pageTables; // immutable reference
    private final TreeMap<Long, Vma> vmas = new TreeMap<>(); // by start; guarded by mmap_sem
    long startBrk, brk; // guarded by mmap_sem
    private long rss; // pages mapped; guarded by ptl

    public MmStruct(FrameAllocator frames, Machine machine, Scheduler scheduler) {
        this.mmapSem = new RwSem("mmap_sem", scheduler);
        this.ptl = new KLock("page_table_lock", scheduler);
        this.pageTables = new PageTables(frames, machine, scheduler);
    }

    public PageTables pageTables() {
        return pageTables;
    }

    /** find_vma: the VMA containing {@code addr}, or null. */
    public Vma findVma(long addr) {
        Map.Entry<Long, Vma> e = vmas.floorEntry(addr);
        return e != null && e.getValue().contains(addr) ? e.getValue() : null;
    }

    /** Inserts a VMA that overlaps none (callers unmap first). */
    public void insertVma(Vma vma) {
        if (vma.start >= vma.end || (vma.start & 0xfff) != 0 || (vma.end & 0xfff) != 0) {
            throw new IllegalArgumentException("insert_vm_struct: bad range " + vma);
        }
        if (overlaps(vma.start, vma.end)) {
            throw new IllegalStateException("insert_vm_struct: overlap with an existing VMA: " + vma);
        }
        link(vma);
    }

    /** vma_link: into the VMA list and, for a file VMA, its file's i_mmap. */
    private void link(Vma vma) {
        vmas.put(vma.start, vma);
        if (vma.file != null) {
            vma.file.mapping().linkVma(this, vma);
        }
    }

    private void unlink(Vma vma) {
        vmas.remove(vma.start);
        if (vma.file != null) {
            vma.file.mapping().unlinkVma(this, vma);
        }
    }

    /** True if any VMA intersects [start, end). */
    public boolean overlaps(long start, long end) {
        Map.Entry<Long, Vma> below = vmas.lowerEntry(end);
        return below != null && below.getValue().end > start;
    }

    /**
     * Removes [start, end) from the VMA list, splitting VMAs that straddle the edges (Linux:
     * split_vma + detach_vmas_to_be_unmapped). Returns the removed pieces, each exactly covering
     * its part of the range, so the caller can zap their ptes.
     */
    public List<Vma> detachRange(long start, long end) {
        List<Vma> removed = new ArrayList<>();
        for (Vma v : new ArrayList<>(vmas.subMap(vmas.floorKey(start) == null ? start : vmas.floorKey(start), end).values())) {
            if (v.end <= start || v.start >= end) {
                continue;
            }
            unlink(v);
            if (v.start < start) {
                link(piece(v, v.start, start));
            }
            if (v.end > end) {
                link(piece(v, end, v.end));
            }
            removed.add(piece(v, Math.max(v.start, start), Math.min(v.end, end)));
        }
        return removed;
    }

    private static Vma piece(Vma v, long start, long end) {
        return new Vma(start, end, v.flags, v.file, v.pgoff + ((start - v.start) >>> 12), v.name);
    }

    /** get_unmapped_area, top-down below the stack: the highest free gap of {@code length} bytes. */
    public long getUnmappedArea(long length) {
        long top = MMAP_BASE;
        for (Vma v : vmas.descendingMap().values()) {
            if (v.start >= top) {
                continue;
            }
            if (v.end <= top - length) {
                return top - length;
            }
            top = v.start;
        }
        return top - length > startBrk + (64L << 20) ? top - length : -1;
    }

    public List<Vma> vmas() {
        return List.copyOf(vmas.values());
    }

    public long startBrk() {
        return startBrk;
    }

    public long brk() {
        return brk;
    }

    public void setBrk(long startBrk, long brk) {
        this.startBrk = startBrk;
        this.brk = brk;
    }

    public long rss() {
        return rss;
    }

    void addRss(long delta) {
        rss += delta;
    }
}
