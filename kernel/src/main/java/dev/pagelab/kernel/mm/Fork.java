package dev.pagelab.kernel.mm;

import dev.pagelab.emulator.Machine;
import dev.pagelab.emulator.Pte;
import dev.pagelab.kernel.sched.Scheduler;

/**
 * fork's half of memory management (Linux: kernel/fork.c dup_mm/dup_mmap and mm/memory.c
 * copy_page_range/copy_one_pte): the child gets a copy of every VMA; private memory is shared
 * copy-on-write, the other half of {@link Memory#doWpPageAndUnlock}.
 *
 * <p>As in Linux 2.6, a VMA without anonymous pages is not copied pte by pte ("Don't copy ptes
 * where a page fault will fill them correctly"): a shared file mapping's ptes are left for the
 * child to fault in. Every other present pte is copied: the page gains a reference and a
 * mapping (get_page + page_dup_rmap), and in a private writable VMA a writable pte is
 * write-protected on both sides (ptep_set_wrprotect), so the first store of either process
 * takes the do_wp_page copy-on-write fault. The parent's TLBs are flushed at the end
 * (flush_tlb_mm), since its ptes lost RW.
 * MAP_SHARED|MAP_ANONYMOUS memory is a shared mapping of a shmem file (fs.ShmemFile), so it
 * stays shared the same way.
 */
public final class Fork {
    private Fork() {}

    /**
     * dup_mm: a new mm holding copies of {@code oldMm}'s VMAs, its brk and its mapped pages.
     *
     * <p>Preconditions: no lock held. Takes oldMm.mmapSem for writing, then both ptls.
     */
    public static MmStruct dupMm(MmStruct oldMm, FrameAllocator frames, Machine machine, Scheduler scheduler,
                                 Tlb tlb) {
        MmStruct mm = new MmStruct(frames, machine, scheduler);
        oldMm.mmapSem.downWrite();
        try {
            mm.setBrk(oldMm.startBrk(), oldMm.brk());
            for (Vma v : oldMm.vmas()) {
                Vma copy = new Vma(v.start, v.end, v.flags, v.file, v.pgoff, v.name);
                mm.insertVma(copy);
                if (!v.shared() || v.anonymous()) {
                    copyPageRange(mm, oldMm, copy, frames);
                }
            }
        } finally {
            oldMm.mmapSem.upWrite();
        }
        tlb.flushTlbMm(oldMm);
        return mm;
    }

    /** copy_page_range for one VMA: every present pte of the parent's range. */
    static void copyPageRange(MmStruct dst, MmStruct src, Vma vma, FrameAllocator frames) {
        PageTables spt = src.pageTables();
        src.ptl.lock();
        dst.ptl.lock();
        try {
            spt.forEachPte(vma.start, vma.end, (va, sptep) -> {
                Pte pte = spt.peek(sptep);
                if (pte.present()) {
                    copyOnePte(dst, src, vma, va, sptep, pte, frames);
                }
            });
        } finally {
            dst.ptl.unlock();
            src.ptl.unlock();
        }
    }

    /**
     * copy_one_pte: COW mappings (private and writable) lose RW on both sides; the child's pte is
     * old (not accessed), and clean in a shared mapping (the parent keeps the dirty bit that
     * page_mkclean will find).
     *
     * <p>Preconditions: both ptls held.
     */
    static void copyOnePte(MmStruct dst, MmStruct src, Vma vma, long va, long sptep, Pte pte, FrameAllocator frames) {
        Page page = frames.pageOf(pte.frame());
        if (page == null) {
            throw new IllegalStateException("copy_one_pte: pte maps frame 0x" + Long.toHexString(pte.frame())
                    + " which has no page");
        }
        Pte child = pte;
        if (isCowMapping(vma) && pte.writable()) {
            src.pageTables().setPteAt(sptep, pte.wrprotect()); // ptep_set_wrprotect
            child = child.wrprotect();
        }
        if (vma.shared()) {
            child = child.mkclean();
        }
        child = child.mkold();
        frames.getPage(page);
        page.addMap(); // page_dup_rmap
        long dptep;
        try {
            dptep = dst.pageTables().pteAlloc(va);
        } catch (FrameAllocator.OutOfMemory e) {
            page.removeMap();
            frames.putPage(page);
            throw e;
        }
        dst.pageTables().setPteAt(dptep, child);
        dst.addRss(1);
    }

    /** is_cow_mapping: private and writable (VM_MAYWRITE in Linux; pagelab has no mprotect-up of a private read-only file mapping that matters here). */
    static boolean isCowMapping(Vma vma) {
        return !vma.shared() && vma.writable();
    }
}
