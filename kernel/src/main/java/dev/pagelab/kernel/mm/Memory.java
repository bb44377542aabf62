package dev.pagelab.kernel.mm;

import dev.pagelab.emulator.PhysicalMemory;
import dev.pagelab.emulator.Pte;
import dev.pagelab.kernel.mm.FaultResult.Handled;
import dev.pagelab.kernel.mm.FaultResult.Kind;
import java.util.EnumMap;
import java.util.Map;

/**
 * Page-fault handling and pte teardown (Linux: mm/memory.c). Method names follow Linux:
 * {@link #handleMmFault} -> {@link #handlePteFault} -> {@link #doAnonymousPage} /
 * {@link #doLinearFault} ({@code __do_fault}) / {@link #doWpPageAndUnlock}; {@link #zapPteRange}.
 *
 * <p>Preconditions: callers of {@link #handleMmFault} hold {@code mm.mmapSem} for reading (as
 * do_page_fault does). The pte lock ({@code mm.ptl}) is taken inside, and re-checks after
 * re-taking it are documented where they happen.
 */
public final class Memory {
    private final FrameAllocator frames; // immutable reference
    private final PhysicalMemory memory; // immutable reference
    private final Tlb tlb; // immutable reference
    private final Map<Kind, Long> faults = new EnumMap<>(Kind.class); // guarded by the baton

    public Memory(FrameAllocator frames, Tlb tlb) {
        this.frames = frames;
        this.memory = frames.memory();
        this.tlb = tlb;
    }

    public FrameAllocator frames() {
        return frames;
    }

    /** Faults handled so far, by kind. */
    public Map<Kind, Long> faultCounts() {
        return Map.copyOf(faults);
    }

    /**
     * handle_mm_fault, with do_page_fault's VMA lookup and access_error() check in front.
     *
     * @param write the access was a store (error code bit 1)
     * @param fetch the access was an instruction fetch (error code bit 4)
     */
    public FaultResult handleMmFault(MmStruct mm, long address, boolean write, boolean fetch) {
        Vma vma = mm.findVma(address);
        if (vma == null) {
            return new FaultResult.SigSegv(false, "no mapping at this address");
        }
        String denied = accessError(vma, write, fetch);
        if (denied != null) {
            return new FaultResult.SigSegv(true, denied);
        }
        long ptep;
        try {
            ptep = mm.pageTables().pteAlloc(address & ~0xfffL);
        } catch (FrameAllocator.OutOfMemory e) {
            return new FaultResult.Oom();
        }
        FaultResult r = handlePteFault(mm, vma, address & ~0xfffL, ptep, write);
        if (r instanceof Handled h) {
            faults.merge(h.kind(), 1L, Long::sum);
        }
        return r;
    }

    /** arch/x86/mm/fault.c access_error(): null if the VMA allows the access, else why not. */
    static String accessError(Vma vma, boolean write, boolean fetch) {
        if (write) {
            return vma.writable() ? null : "write to a mapping without PROT_WRITE";
        }
        if (fetch) {
            return vma.executable() ? null : "instruction fetch from a mapping without PROT_EXEC";
        }
        return vma.readable() || vma.writable() || vma.executable() ? null : "read of a PROT_NONE mapping";
    }

    /** handle_pte_fault. */
    FaultResult handlePteFault(MmStruct mm, Vma vma, long address, long ptep, boolean write) {
        PageTables pt = mm.pageTables();
        Pte entry = pt.ptepGet(ptep);
        if (!entry.present()) {
            return vma.anonymous() ? doAnonymousPage(mm, vma, address, ptep, write)
                    : doLinearFault(mm, vma, address, ptep, write);
        }
        mm.ptl.lock();
        // Race: another thread of this mm (or the kernel on another CPU) changed the pte since we
        // read it without the lock; its change is what we wanted, or the access will fault again.
        if (!pt.peek(ptep).equals(entry)) {
            mm.ptl.unlock();
            return new Handled(Kind.SPURIOUS);
        }
        if (write && !entry.writable()) {
            return doWpPageAndUnlock(mm, vma, address, ptep, entry);
        }
        Pte young = write ? entry.mkdirty().mkyoung() : entry.mkyoung();
        if (!young.equals(entry)) {
            pt.setPteAt(ptep, young); // ptep_set_access_flags
        }
        mm.ptl.unlock();
        return new Handled(Kind.SPURIOUS);
    }

    /**
     * do_anonymous_page: a zeroed page for a first touch of anonymous memory. Unlike Linux 2.6, a
     * read fault gets its own page too instead of the shared ZERO_PAGE (one fault, not two, for
     * read-then-write; nothing the races depend on).
     */
    FaultResult doAnonymousPage(MmStruct mm, Vma vma, long address, long ptep, boolean write) {
        Page page;
        try {
            page = frames.allocPage();
        } catch (FrameAllocator.OutOfMemory e) {
            return new FaultResult.Oom();
        }
        Pte entry = Pte.of(page.frame(), vma.pteFlags(true));
        if (write) {
            entry = entry.mkdirty();
        }
        PageTables pt = mm.pageTables();
        mm.ptl.lock();
        // Race: another thread faulted the same page in while we allocated; keep its page.
        if (!pt.peek(ptep).none()) {
            mm.ptl.unlock();
            frames.putPage(page);
            return new Handled(Kind.SPURIOUS);
        }
        page.addMap(); // page_add_new_anon_rmap
        mm.addRss(1);
        pt.setPteAt(ptep, entry);
        mm.ptl.unlock();
        return new Handled(Kind.ANONYMOUS);
    }

    /** do_linear_fault: the file-backed path. */
    FaultResult doLinearFault(MmStruct mm, Vma vma, long address, long ptep, boolean write) {
        return doFault(mm, vma, address, ptep, write);
    }

    /**
     * __do_fault: gets the page-cache page (filemap_fault); a write to a private mapping copies
     * it into a new anonymous page at once (copy-on-write without a second fault).
     */
    FaultResult doFault(MmStruct mm, Vma vma, long address, long ptep, boolean write) {
        long index = vma.pageIndex(address);
        Page page = vma.file().getPage(index);
        if (page == null) {
            return new FaultResult.SigBus(String.format("access beyond the end of %s (page %d)", vma.file().name(), index));
        }
        boolean cow = write && !vma.shared();
        if (write && vma.shared()) {
            frames.putPage(page);
            throw new IllegalStateException("__do_fault: shared write fault on " + vma.file().name()
                    + " (shared writable mappings need the filesystem's page_mkwrite)");
        }
        if (cow) {
            Page copy;
            try {
                copy = frames.allocPageUninitialized();
            } catch (FrameAllocator.OutOfMemory e) {
                frames.putPage(page);
                return new FaultResult.Oom();
            }
            memory.copyFrame(page.frame(), copy.frame()); // copy_user_highpage
            frames.putPage(page);
            page = copy;
        }
        Pte entry = Pte.of(page.frame(), vma.pteFlags(cow));
        if (cow) {
            entry = entry.mkdirty();
        }
        PageTables pt = mm.pageTables();
        mm.ptl.lock();
        // Race: another thread installed a pte for this address while we read the page.
        if (!pt.peek(ptep).none()) {
            mm.ptl.unlock();
            frames.putPage(page);
            return new Handled(Kind.SPURIOUS);
        }
        page.addMap(); // page_add_file_rmap / page_add_new_anon_rmap
        mm.addRss(1);
        pt.setPteAt(ptep, entry);
        mm.ptl.unlock();
        return new Handled(cow ? Kind.COW : Kind.FILE_READ);
    }

    /**
     * do_wp_page: a store to a present, read-only pte in a writable private VMA. Reuses the page
     * when this mm holds the only reference to an anonymous page; otherwise copies it.
     *
     * <p>Preconditions: ptl held. Postconditions: ptl released.
     */
    FaultResult doWpPageAndUnlock(MmStruct mm, Vma vma, long address, long ptep, Pte orig) {
        PageTables pt = mm.pageTables();
        Page old = frames.pageOf(orig.frame());
        if (vma.shared()) {
            mm.ptl.unlock();
            throw new IllegalStateException("do_wp_page: write-protect fault in a shared mapping of "
                    + vma.file().name() + " (needs the filesystem's page_mkwrite)");
        }
        if (old != null && old.anonymous() && old.mapcount() == 1 && old.count() == 1) {
            pt.setPteAt(ptep, orig.mkyoung().mkdirty().mkwrite()); // reuse: we are the only user
            mm.ptl.unlock();
            return new Handled(Kind.WRITE_PROTECT);
        }
        frames.getPage(old);
        mm.ptl.unlock();
        Page copy;
        try {
            copy = frames.allocPageUninitialized();
        } catch (FrameAllocator.OutOfMemory e) {
            frames.putPage(old);
            return new FaultResult.Oom();
        }
        memory.copyFrame(old.frame(), copy.frame()); // cow_user_page
        mm.ptl.lock();
        // Race: another thread of this mm took the same COW fault while we copied (the pte is no
        // longer the read-only one we saw); its copy stands and ours is dropped.
        boolean same = pt.peek(ptep).equals(orig);
        if (same) {
            old.removeMap(); // page_remove_rmap
            pt.ptepGetAndClear(ptep); // ptep_clear_flush: no CPU may keep the old translation
            tlb.flushTlbMm(mm);
            copy.addMap();
            pt.setPteAt(ptep, Pte.of(copy.frame(), vma.pteFlags(true)).mkdirty().mkyoung());
            frames.putPage(old); // the old mapping's reference
        }
        mm.ptl.unlock();
        if (!same) {
            frames.putPage(copy);
        }
        frames.putPage(old); // ours, from get_page above
        return new Handled(Kind.COW);
    }

    /**
     * zap_pte_range: clears the ptes of [start, end) in {@code vma}, moving each pte's dirty bit
     * to its file page (set_page_dirty) and dropping the mapping's page references; then flushes
     * the TLB of every CPU running the mm.
     *
     * <p>Preconditions: mmap_sem held for writing (munmap, exit) and ptl not held.
     */
    public void zapPteRange(MmStruct mm, Vma vma, long start, long end) {
        PageTables pt = mm.pageTables();
        boolean[] freedCode = {false};
        mm.ptl.lock();
        pt.forEachPte(start, end, (va, ptep) -> {
            Pte pte = pt.peek(ptep);
            if (pte.none()) {
                return;
            }
            pt.ptepGetAndClear(ptep);
            Page page = frames.pageOf(pte.frame());
            if (page == null) {
                throw new IllegalStateException("zap_pte_range: pte maps frame 0x" + Long.toHexString(pte.frame())
                        + " which has no page");
            }
            if (pte.dirty() && !page.anonymous()) {
                vma.file().setPageDirty(page);
            }
            page.removeMap();
            mm.addRss(-1);
            boolean last = page.count() == 1;
            frames.putPage(page);
            freedCode[0] |= last && !pte.noExecute();
        });
        mm.ptl.unlock();
        tlb.flushTlbMm(mm);
        if (freedCode[0]) {
            tlb.flushCodeCaches();
        }
    }

    /**
     * change_protection: makes the present ptes of [start, end) agree with {@code vma}'s new
     * protection. Write permission is only ever removed here (a later write faults and is granted
     * by the fault path); NX follows VM_EXEC.
     */
    public void changeProtection(MmStruct mm, Vma vma, long start, long end) {
        PageTables pt = mm.pageTables();
        mm.ptl.lock();
        pt.forEachPte(start, end, (va, ptep) -> {
            Pte pte = pt.peek(ptep);
            if (!pte.present()) {
                return;
            }
            long v = pte.value();
            if (!vma.writable()) {
                v &= ~Pte.RW;
            }
            v = vma.executable() ? v & ~Pte.NX : v | Pte.NX;
            if (v != pte.value()) {
                pt.setPteAt(ptep, new Pte(v));
            }
        });
        mm.ptl.unlock();
        tlb.flushTlbMm(mm);
    }
}
