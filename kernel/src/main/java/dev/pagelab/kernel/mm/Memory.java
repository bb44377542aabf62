package dev.pagelab.kernel.mm;

import dev.pagelab.emulator.PhysicalMemory;
import dev.pagelab.emulator.Pte;
import dev.pagelab.kernel.KernelConfig;
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
    private final PageWriteback writeback; // immutable reference
    private final PageLock pageLock; // immutable reference
    private final KernelConfig config; // immutable: which seed fixes the fault paths carry
    private final Map<Kind, Long> faults = new EnumMap<>(Kind.class); // guarded by the baton

    public Memory(FrameAllocator frames, Tlb tlb, PageWriteback writeback) {
        this.frames = frames;
        this.memory = frames.memory();
        this.tlb = tlb;
        this.writeback = writeback;
        this.pageLock = writeback.pageLock();
        this.config = writeback.config();
    }

    public PageWriteback writeback() {
        return writeback;
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
     * __do_fault: gets the page-cache page (filemap_fault). A write to a private mapping copies it
     * into a new anonymous page at once; a write to a shared mapping tells the filesystem first
     * (->page_mkwrite), installs a writable dirty pte, and dirties the page (2.6.19 dirty
     * tracking). A read of a shared mapping installs a read-only pte so that the first store
     * faults and dirties the page.
     *
     * <p>With R3 the page is locked while the pte is installed, so writeback (which holds the page
     * lock across page_mkclean and TestClearPageDirty) cannot run in between. With R5 it stays
     * locked until set_page_dirty.
     */
    FaultResult doFault(MmStruct mm, Vma vma, long address, long ptep, boolean write) {
        long index = vma.pageIndex(address);
        Page page = vma.file().getPage(index);
        if (page == null) {
            return new FaultResult.SigBus(String.format("access beyond the end of %s (page %d)", vma.file().name(), index));
        }
        if (write && !vma.shared()) {
            return installPrivateCopy(mm, vma, ptep, page);
        }
        boolean shared = write && vma.shared();
        boolean locked = false;
        if (shared) {
            AddressSpaceOps.MkwriteResult r = vma.file().mapping().ops().pageMkwrite(page);
            if (r == AddressSpaceOps.MkwriteResult.SIGBUS || r == AddressSpaceOps.MkwriteResult.RETRY) {
                frames.putPage(page);
                return r == AddressSpaceOps.MkwriteResult.SIGBUS
                        ? new FaultResult.SigBus("page_mkwrite refused (no space for " + vma.file().name() + ")")
                        : new FaultResult.Handled(Kind.SPURIOUS);
            }
            locked = r == AddressSpaceOps.MkwriteResult.LOCKED;
        }
        if (!locked && config.r3()) {
            pageLock.lockPage(page);
            locked = true;
        }
        // Race: truncation removed the page from its file while we did not hold its lock.
        if (locked && page.mapping() == null) {
            pageLock.unlockPage(page);
            frames.putPage(page);
            return new FaultResult.Handled(Kind.SPURIOUS);
        }
        Pte entry = Pte.of(page.frame(), vma.pteFlags(shared));
        if (shared) {
            entry = entry.mkdirty();
        }
        PageTables pt = mm.pageTables();
        mm.ptl.lock();
        // Race: another thread installed a pte for this address while we read the page.
        if (!pt.peek(ptep).none()) {
            mm.ptl.unlock();
            if (locked) {
                pageLock.unlockPage(page);
            }
            frames.putPage(page);
            return new FaultResult.Handled(Kind.SPURIOUS);
        }
        page.addMap(); // page_add_file_rmap; the pte keeps the reference from filemap_fault
        mm.addRss(1);
        pt.setPteAt(ptep, entry);
        mm.ptl.unlock();
        finishDirtyFault(shared ? page : null, locked ? page : null);
        return new FaultResult.Handled(shared ? Kind.FILE_WRITE : Kind.FILE_READ);
    }

    /**
     * The tail of __do_fault and do_wp_page: set_page_dirty for a page just made writable, and the
     * page lock's release. With R5 (2.6.30) the page is dirtied before it is unlocked; before, it
     * is unlocked first and dirtied after (the R5 window).
     *
     * @param dirty  the page to dirty, or null for a read fault
     * @param locked the page whose lock we hold, or null
     */
    private void finishDirtyFault(Page dirty, Page locked) {
        if (dirty != null && locked != null && config.r5()) {
            writeback.setPageDirty(dirty);
            pageLock.unlockPage(locked);
            return;
        }
        if (locked != null) {
            pageLock.unlockPage(locked);
        }
        if (dirty != null) {
            writeback.setPageDirty(dirty); // set_page_dirty_balance
        }
    }

    /** The write-to-private-mapping branch of __do_fault: copy the cache page at once. */
    private FaultResult installPrivateCopy(MmStruct mm, Vma vma, long ptep, Page page) {
        Page copy;
        try {
            copy = frames.allocPageUninitialized();
        } catch (FrameAllocator.OutOfMemory e) {
            frames.putPage(page);
            return new FaultResult.Oom();
        }
        memory.copyFrame(page.frame(), copy.frame()); // copy_user_highpage
        frames.putPage(page);
        Pte entry = Pte.of(copy.frame(), vma.pteFlags(true)).mkdirty();
        PageTables pt = mm.pageTables();
        mm.ptl.lock();
        // Race: another thread installed a pte for this address while we copied.
        if (!pt.peek(ptep).none()) {
            mm.ptl.unlock();
            frames.putPage(copy);
            return new FaultResult.Handled(Kind.SPURIOUS);
        }
        copy.addMap(); // page_add_new_anon_rmap
        mm.addRss(1);
        pt.setPteAt(ptep, entry);
        mm.ptl.unlock();
        return new FaultResult.Handled(Kind.COW);
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
            return doWpSharedAndUnlock(mm, vma, ptep, orig, old);
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
     * The shared branch of do_wp_page: the first store to a clean, write-protected page of a
     * shared file mapping. ->page_mkwrite runs without the pte lock; after re-taking it the pte
     * must be unchanged, else another CPU dealt with it and the store simply retries. Then the pte
     * becomes writable and dirty in place (ptep_set_access_flags), and the page dirty.
     *
     * <p>Without R5 the page is unlocked between page_mkwrite and set_page_dirty (writeback can
     * clean and write it there); with R3 the fault then waits for any page lock holder before
     * set_page_dirty ("Yes, Virginia"); without R3 it does not.
     *
     * <p>Preconditions: ptl held. Postconditions: ptl released.
     */
    private FaultResult doWpSharedAndUnlock(MmStruct mm, Vma vma, long ptep, Pte orig, Page old) {
        PageTables pt = mm.pageTables();
        frames.getPage(old);
        mm.ptl.unlock();
        AddressSpaceOps.MkwriteResult r = vma.file().mapping().ops().pageMkwrite(old);
        if (r == AddressSpaceOps.MkwriteResult.SIGBUS || r == AddressSpaceOps.MkwriteResult.RETRY) {
            frames.putPage(old);
            return r == AddressSpaceOps.MkwriteResult.SIGBUS
                    ? new FaultResult.SigBus("page_mkwrite refused (no space for " + vma.file().name() + ")")
                    : new FaultResult.Handled(Kind.SPURIOUS);
        }
        boolean locked = r == AddressSpaceOps.MkwriteResult.LOCKED;
        mm.ptl.lock();
        // Race: the pte changed while we ran page_mkwrite unlocked (another thread's fault, or
        // writeback's page_mkclean); if it was made writable, the store just works on retry.
        if (!pt.peek(ptep).equals(orig)) {
            mm.ptl.unlock();
            if (locked) {
                pageLock.unlockPage(old);
            }
            frames.putPage(old);
            return new FaultResult.Handled(Kind.SPURIOUS);
        }
        pt.setPteAt(ptep, orig.mkyoung().mkdirty().mkwrite()); // ptep_set_access_flags: reuse
        mm.ptl.unlock();
        if (locked) {
            finishDirtyFault(old, old);
        } else {
            if (config.r3()) {
                // "Yes, Virginia, this is actually required to prevent a race with
                // clear_page_dirty_for_io() ..." (seed 000)
                pageLock.waitOnPageLocked(old);
            }
            writeback.setPageDirty(old);
        }
        frames.putPage(old);
        return new FaultResult.Handled(Kind.FILE_WRITE);
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
                writeback.setPageDirty(page);
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
                // ptep_modify_prot_start (get-and-clear) ... commit: the pte is not present in
                // between, the window seed 004's lockless page_check_address fell into.
                Pte cleared = pt.ptepGetAndClear(ptep);
                pt.setPteAt(ptep, new Pte(v | (cleared.value() & (Pte.A | Pte.D))));
            }
        });
        mm.ptl.unlock();
        tlb.flushTlbMm(mm);
    }
}
