package dev.pagelab.kernel.mm;

import dev.pagelab.emulator.Pte;
import dev.pagelab.kernel.KernelConfig;

/**
 * The reverse map for file pages (Linux: mm/rmap.c): from a page-cache page to every pte that maps
 * it, through its file's i_mmap. One walker, {@link #rmapWalk}, serves {@link #pageMkclean} and
 * {@link #pageReferenced}, as in Linux.
 *
 * <p>Lock ordering (as at the top of Linux's rmap.c):
 * <pre>
 *   page lock (the callers of page_mkclean hold it with R3)
 *     i_mmap_lock (the baton here)
 *       mm.ptl (page_check_address takes it)
 * </pre>
 */
public final class Rmap {
    /** What to do at each mapping of the page (Linux: struct rmap_walk_control). */
    public interface RmapWalkControl {
        /** rmap_one: visits one mapping; returns false to stop the walk. */
        boolean rmapOne(Page page, MmStruct mm, Vma vma, long address);

        /** invalid_vma: true to skip a mapping without visiting it. */
        default boolean invalidVma(Vma vma) {
            return false;
        }
    }

    /** A pte found and locked by {@link #pageCheckAddress}; the caller must unlock ptl. */
    public record LockedPte(MmStruct mm, long ptep) {}

    private final KernelConfig config; // immutable
    private final Tlb tlb; // immutable reference

    public Rmap(KernelConfig config, Tlb tlb, PageWriteback writeback) {
        this.config = config;
        this.tlb = tlb;
        writeback.setRmap(this);
    }

    /** rmap_walk (rmap_walk_file): every mapping of a file page that covers its index. */
    public void rmapWalk(Page page, RmapWalkControl rwc) {
        AddressSpace mapping = page.mapping();
        if (mapping == null) {
            return;
        }
        for (AddressSpace.Mapping m : mapping.iMmap()) {
            Vma vma = m.vma();
            long address = vmaAddress(page, vma);
            if (address < 0 || rwc.invalidVma(vma)) {
                continue;
            }
            if (!rwc.rmapOne(page, m.mm(), vma, address)) {
                return;
            }
        }
    }

    /** vma_address: where {@code page} appears in {@code vma}, or -1 if outside it. */
    static long vmaAddress(Page page, Vma vma) {
        long address = vma.start() + ((page.index() - vma.pgoff()) << 12);
        return address >= vma.start() && address < vma.end() ? address : -1;
    }

    /**
     * page_check_address: the pte mapping {@code page} at {@code address}, locked, or null.
     * With {@code sync} false it first peeks at the pte without the lock and gives up if it is
     * not present, a shortcut that is fine for page_referenced and try_to_unmap but (seed 004)
     * not for page_mkclean: a pte can be transiently non-present while another CPU rewrites it
     * under the lock, and comes back writable and dirty. The hunk of seed 004:
     * <pre>
     *   pte = pte_offset_map(pmd, address);
     *   /* Make a quick check before getting the lock *&#47;
     * - if (!pte_present(*pte)) {
     * + if (!synch &amp;&amp; !pte_present(*pte)) {
     *       pte_unmap(pte);
     *       return NULL;
     *   }
     * </pre>
     * with page_mkclean_one passing {@code synch = 1} (the R4 switch) and page_referenced and
     * try_to_unmap 0.
     */
    public LockedPte pageCheckAddress(Page page, MmStruct mm, long address, boolean sync) {
        PageTables pt = mm.pageTables();
        long ptep = pt.pteOffset(address);
        if (ptep < 0) {
            return null;
        }
        if (!sync && !pt.ptepGet(ptep).present()) {
            return null; // the lockless peek
        }
        mm.ptl.lock();
        Pte pte = pt.ptepGet(ptep);
        if (pte.present() && pte.frame() == page.frame()) {
            return new LockedPte(mm, ptep);
        }
        mm.ptl.unlock();
        return null;
    }

    /**
     * page_mkclean: write-protects and cleans every shared pte of {@code page}; returns true if
     * any was writable or dirty (the page may have been written since it was last cleaned).
     */
    public boolean pageMkclean(Page page) {
        boolean[] cleaned = {false};
        rmapWalk(page, new RmapWalkControl() {
            @Override
            public boolean rmapOne(Page p, MmStruct mm, Vma vma, long address) {
                cleaned[0] |= pageMkcleanOne(p, mm, vma, address);
                return true;
            }

            @Override
            public boolean invalidVma(Vma vma) {
                return !vma.shared();
            }
        });
        return cleaned[0];
    }

    /**
     * page_mkclean_one: {@code ptep_clear_flush} (so no CPU keeps a writable translation),
     * then write-protect and clean. R4 decides whether page_check_address may peek.
     */
    boolean pageMkcleanOne(Page page, MmStruct mm, Vma vma, long address) {
        LockedPte locked = pageCheckAddress(page, mm, address, config.r4());
        if (locked == null) {
            return false;
        }
        PageTables pt = mm.pageTables();
        boolean ret = false;
        try {
            Pte entry = pt.peek(locked.ptep());
            if (entry.writable() || entry.dirty()) {
                // ptep_clear_flush: the value the exchange returned, with any D bit a CPU set up to then
                entry = pt.ptepGetAndClear(locked.ptep());
                tlb.flushTlbMm(mm);
                pt.setPteAt(locked.ptep(), entry.wrprotect().mkclean());
                ret = true;
            }
        } finally {
            mm.ptl.unlock();
        }
        return ret;
    }

    /**
     * Whether a shared pte of {@code page} has its D bit set (a lockless look, no Linux
     * counterpart: the durability oracle asks it on 2.6.5, where such stores are not yet known to
     * the kernel).
     */
    public boolean anyDirtyPte(Page page) {
        boolean[] dirty = {false};
        rmapWalk(page, new RmapWalkControl() {
            @Override
            public boolean rmapOne(Page p, MmStruct mm, Vma vma, long address) {
                long ptep = mm.pageTables().pteOffset(address);
                if (ptep >= 0) {
                    Pte pte = mm.pageTables().peek(ptep);
                    dirty[0] |= pte.present() && pte.dirty() && pte.frame() == p.frame();
                }
                return !dirty[0];
            }

            @Override
            public boolean invalidVma(Vma vma) {
                return !vma.shared();
            }
        });
        return dirty[0];
    }

    /** page_referenced: counts and clears the young (Accessed) bits of the page's ptes. */
    public int pageReferenced(Page page) {
        int[] referenced = {0};
        rmapWalk(page, (p, mm, vma, address) -> {
            LockedPte locked = pageCheckAddress(p, mm, address, false);
            if (locked != null) {
                try {
                    if (mm.pageTables().peek(locked.ptep()).accessed()
                            && mm.pageTables().ptepTestAndClearYoung(locked.ptep())) {
                        tlb.flushTlbMm(mm);
                        referenced[0]++;
                    }
                } finally {
                    mm.ptl.unlock();
                }
            }
            return true;
        });
        return referenced[0];
    }
}
