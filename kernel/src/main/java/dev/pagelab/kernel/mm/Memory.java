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
            pt.ptepSetAccessFlags(ptep, entry, young); // if the hardware got there first, the access retries
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
     * __do_fault (2.6.23+; do_no_page before): gets the page-cache page (filemap_fault). A write
     * to a private mapping copies it into a new anonymous page at once. A write to a shared
     * mapping tells the filesystem first if it has a ->page_mkwrite, installs a writable dirty pte,
     * and dirties the page (2.6.19 dirty tracking); a read of a shared mapping installs a
     * read-only pte so that the first store faults and dirties the page.
     *
     * <p>2.6.23-2.6.29 (R3 on, R5 off):
     * <pre>
     *   if (vma-&gt;vm_ops-&gt;page_mkwrite) {
     *       unlock_page(page);
     *       if (vma-&gt;vm_ops-&gt;page_mkwrite(vma, page) &lt; 0) ...
     *       lock_page(page);
     *       if (!page-&gt;mapping) { ret = 0; anon = 1; goto out; }   // retry
     *   }
     *   page_table = pte_offset_map_lock(mm, pmd, address, &amp;ptl);
     *   ... set_pte_at(mm, address, page_table, entry); ...
     * out:
     *   unlock_page(vmf.page);
     *   ... set_page_dirty_balance(dirty_page, page_mkwrite);
     * </pre>
     * 2.6.30 (R5, seed 001): ->page_mkwrite may return VM_FAULT_LOCKED, and at {@code out:} the
     * page is dirtied before it is unlocked ({@code set_page_dirty(dirty_page);
     * unlock_page(dirty_page);}). Before 2.6.23 (R3 off here: the R3 switch stands for this too)
     * do_no_page installed the pte without the page lock.
     *
     * <p>Without dirty tracking (2.6.5), a shared writable mapping gets a writable pte on any
     * fault (vm_page_prot is PAGE_SHARED), dirty if the access was a store; nothing is dirtied:
     * the pte's D bit is the only record, moved to the page by msync, munmap and exit.
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
        if (!config.dirtyTracking() && vma.shared()) {
            return installUntrackedShared(mm, vma, ptep, page, write);
        }
        boolean shared = write && vma.shared();
        boolean locked = false;
        if (shared && config.pageMkwrite()) {
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
        if (shared) {
            page.beginDirtyingFault();
        }
        pt.setPteAt(ptep, entry);
        mm.ptl.unlock();
        finishDirtyFault(shared ? page : null, locked ? page : null);
        return new FaultResult.Handled(shared ? Kind.FILE_WRITE : Kind.FILE_READ);
    }

    /**
     * 2.6.5's do_no_page for a shared mapping: {@code entry = mk_pte(new_page, vma->vm_page_prot);
     * if (write_access) entry = maybe_mkwrite(pte_mkdirty(entry), vma);} with vm_page_prot
     * writable for a shared writable VMA; no page lock, no set_page_dirty.
     */
    private FaultResult installUntrackedShared(MmStruct mm, Vma vma, long ptep, Page page, boolean write) {
        Pte entry = Pte.of(page.frame(), vma.pteFlags(true));
        if (write) {
            entry = entry.mkdirty();
        }
        PageTables pt = mm.pageTables();
        mm.ptl.lock();
        // Race: another thread installed a pte for this address while we read the page.
        if (!pt.peek(ptep).none()) {
            mm.ptl.unlock();
            frames.putPage(page);
            return new FaultResult.Handled(Kind.SPURIOUS);
        }
        page.addMap();
        mm.addRss(1);
        pt.setPteAt(ptep, entry);
        mm.ptl.unlock();
        return new FaultResult.Handled(write ? Kind.FILE_WRITE : Kind.FILE_READ);
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
            dirty.endDirtyingFault();
            pageLock.unlockPage(locked);
            return;
        }
        if (locked != null) {
            pageLock.unlockPage(locked);
        }
        if (dirty != null) {
            writeback.setPageDirty(dirty); // set_page_dirty_balance
            dirty.endDirtyingFault();
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
     * shared file mapping. Three histories:
     *
     * <p>No dirty tracking (2.6.5): shared ptes are always writable, so this happens only for a
     * pte mprotect made read-only and writable again; the pte just becomes writable and dirty.
     *
     * <p>No ->page_mkwrite (ext3, R1-R4's victims), 2.6.19-2.6.29: the pte lock is held from
     * handle_pte_fault's pte_same to the pte set, then dropped before the page is dirtied:
     * <pre>
     *   dirty_page = old_page; get_page(dirty_page); reuse = 1;
     *   ...
     *   entry = maybe_mkwrite(pte_mkdirty(pte_mkyoung(orig_pte)), vma);
     *   ptep_set_access_flags(vma, address, page_table, entry, 1);
     * unlock:
     *   pte_unmap_unlock(page_table, ptl);
     *   if (dirty_page) {
     *       wait_on_page_locked(dirty_page);        // R3, seed 000 ("Yes, Virginia")
     *       set_page_dirty_balance(dirty_page);
     *       put_page(dirty_page);
     *   }
     * </pre>
     * Writeback holding the page lock between page_mkclean and TestClearPageDirty is what the
     * wait excludes; without it the fault's set_page_dirty finds PG_dirty still set (a no-op) and
     * TestClearPageDirty then clears it under a writable dirty pte.
     *
     * <p>With ->page_mkwrite (DELALLOC): it runs without the pte lock; after re-taking it the pte
     * must be unchanged, else another CPU dealt with it and the store retries. Without R5 the
     * page is unlocked between page_mkwrite and set_page_dirty (writeback can clean and write it
     * there, seed 001); with R3 the fault then waits for any page lock holder before
     * set_page_dirty; with R5 the page stays locked (VM_FAULT_LOCKED) until it is dirty.
     *
     * <p>Preconditions: ptl held. Postconditions: ptl released.
     */
    private FaultResult doWpSharedAndUnlock(MmStruct mm, Vma vma, long ptep, Pte orig, Page old) {
        PageTables pt = mm.pageTables();
        if (!config.dirtyTracking()) {
            pt.setPteAt(ptep, orig.mkyoung().mkdirty().mkwrite());
            mm.ptl.unlock();
            return new FaultResult.Handled(Kind.FILE_WRITE);
        }
        frames.getPage(old);
        if (!config.pageMkwrite()) {
            old.beginDirtyingFault();
            pt.setPteAt(ptep, orig.mkyoung().mkdirty().mkwrite()); // ptep_set_access_flags: reuse
            mm.ptl.unlock();
            dirtyAfterWpFault(old);
            frames.putPage(old);
            return new FaultResult.Handled(Kind.FILE_WRITE);
        }
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
        old.beginDirtyingFault();
        pt.setPteAt(ptep, orig.mkyoung().mkdirty().mkwrite()); // ptep_set_access_flags: reuse
        mm.ptl.unlock();
        if (locked) {
            finishDirtyFault(old, old);
        } else {
            dirtyAfterWpFault(old);
        }
        frames.putPage(old);
        return new FaultResult.Handled(Kind.FILE_WRITE);
    }

    /** do_wp_page's {@code if (dirty_page)} tail without a locked page. */
    private void dirtyAfterWpFault(Page page) {
        if (config.r3()) {
            // "Yes, Virginia, this is actually required to prevent a race with
            // clear_page_dirty_for_io() from clearing the page dirty bit after it clear all dirty
            // ptes, but before a racing do_wp_page installs a dirty pte." (seed 000)
            pageLock.waitOnPageLocked(page);
        }
        writeback.setPageDirty(page); // set_page_dirty_balance
        page.endDirtyingFault();
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
     * change_protection (2.6.27 mm/mprotect.c change_pte_range): EVERY present pte of
     * [start, end) is rewritten under the pte lock as a clear-then-set, whether or not its bits
     * change:
     * <pre>
     *   if (pte_present(oldpte)) {
     *       ptent = ptep_modify_prot_start(mm, addr, pte);   // get-and-clear: not present now
     *       ptent = pte_modify(ptent, newprot);
     *       /* Avoid taking write faults for pages we know to be dirty. *&#47;
     *       if (dirty_accountable &amp;&amp; pte_dirty(ptent))
     *           ptent = pte_mkwrite(ptent);
     *       ptep_modify_prot_commit(mm, addr, pte, ptent);
     *   }
     * </pre>
     * The not-present moment in between is the window seed 004's lockless page_check_address
     * fell into. newprot for a shared writable file mapping under dirty tracking has no write
     * permission (vma_wants_writenotify), so only its dirty ptes stay writable. Without dirty
     * tracking (2.6.5) a shared writable VMA's ptes are writable. Unlike Linux, a private
     * writable pte keeps the write permission it had (Linux drops it and lets do_wp_page give it
     * back on the next store; nothing the races depend on).
     */
    public void changeProtection(MmStruct mm, Vma vma, long start, long end) {
        PageTables pt = mm.pageTables();
        mm.ptl.lock();
        pt.forEachPte(start, end, (va, ptep) -> {
            if (!pt.peek(ptep).present()) {
                return;
            }
            Pte ptent = pt.ptepGetAndClear(ptep); // ptep_modify_prot_start
            pt.setPteAt(ptep, new Pte(ptePermissions(vma, ptent))); // ptep_modify_prot_commit
        });
        mm.ptl.unlock();
        tlb.flushTlbMm(mm);
    }

    /** pte_modify(ptent, newprot) plus change_pte_range's dirty_accountable rule. */
    private long ptePermissions(Vma vma, Pte ptent) {
        long v = ptent.value() & ~Pte.RW;
        boolean write;
        if (!vma.writable()) {
            write = false;
        } else if (!vma.shared()) {
            write = ptent.writable(); // see the Javadoc: kept as it was
        } else if (vma.anonymous() || !config.dirtyTracking()) {
            write = true;
        } else {
            write = ptent.dirty(); // dirty_accountable && pte_dirty(ptent)
        }
        if (write) {
            v |= Pte.RW;
        }
        return vma.executable() ? v & ~Pte.NX : v | Pte.NX;
    }

    /**
     * 2.6.5's filemap_sync (msync before 2.6.19): moves the dirty bit of every pte of a shared
     * mapping in [start, end) to its page:
     * <pre>
     *   if (!PageReserved(page) &amp;&amp; ptep_test_and_clear_dirty(ptep)) {
     *       flush_tlb_page(vma, address);
     *       set_page_dirty(page);
     *   }
     * </pre>
     * With dirty tracking there is nothing to move (faults dirty the pages) and this is not called.
     */
    public void filemapSync(MmStruct mm, Vma vma, long start, long end) {
        PageTables pt = mm.pageTables();
        mm.ptl.lock();
        try {
            pt.forEachPte(start, end, (va, ptep) -> {
                if (!pt.peek(ptep).present() || !pt.peek(ptep).dirty()) {
                    return;
                }
                Pte pte = pt.ptepTestAndClearDirty(ptep);
                tlb.flushTlbMm(mm);
                Page page = frames.pageOf(pte.frame());
                if (page != null && !page.anonymous()) {
                    writeback.setPageDirty(page);
                }
            });
        } finally {
            mm.ptl.unlock();
        }
    }

    /**
     * The quiescence oracle (not Linux code): with mmap_sem held for writing no fault of
     * {@code mm} is in flight, so every shared file pte that is dirty, or writable (the CPU may
     * set D without telling anyone), must have PG_dirty on its page: otherwise the page was
     * cleaned under a writable pte (R3's and R4's end state) and stores through it reach neither
     * msync nor writeback. Checked at munmap and exit_mmap before the ptes are zapped (zapping
     * moves pte dirty bits to the page and heals the state). Without dirty tracking (2.6.5) the
     * pte's D bit is the only record by design, and nothing is checked.
     */
    public void checkDirtyPtes(MmStruct mm, Vma vma, long start, long end, String where) {
        if (!config.dirtyTracking() || !vma.shared() || vma.anonymous()) {
            return;
        }
        PageTables pt = mm.pageTables();
        pt.forEachPte(start, end, (va, ptep) -> {
            Pte pte = pt.peek(ptep);
            if (!pte.present() || !(pte.dirty() || pte.writable())) {
                return;
            }
            Page page = frames.pageOf(pte.frame());
            if (page != null && page.mapping() != null && !page.test(Page.PG_DIRTY)) {
                writeback.reportDirtyPteCleanPage(String.format(
                        "dirty pte without PG_dirty: %s page %d (pte%s%s, page %s) at %s",
                        vma.file().name(), page.index(), pte.writable() ? " writable" : "",
                        pte.dirty() ? " dirty" : "", page.flagNames().isEmpty() ? "clean" : page.flagNames(), where));
            }
        });
    }
}
