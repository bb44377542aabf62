package dev.pagelab.kernel.mm;

import dev.pagelab.emulator.Pte;
import java.util.List;
import java.util.function.Supplier;

/**
 * Linux: mm/vmscan.c, direct reclaim of the page cache when frames run out (2.6's
 * shrink_page_list, without the LRU lists: the cached file pages are scanned in file and index
 * order). For each page, as Linux 2.6 does: a page whose hardware ptes were accessed since the last
 * scan ({@code page_referenced} through the rmap) gets a second chance; otherwise it is unmapped
 * from every pte ({@code try_to_unmap}, a dirty pte dirtying the page); a dirty page is written
 * ({@code pageout}: {@code clear_page_dirty_for_io}, then {@code ->writepage}, so reclaim follows
 * the same R1-R5 switches as every other writeback); a clean, unmapped, unreferenced page with no
 * busy buffers leaves the cache and its frame is freed. Anonymous memory is never reclaimed (there
 * is no swap): when only it is left, the allocation fails and the fault path's OOM kill follows.
 *
 * <p>Unlike Linux, reclaim runs only when an allocation finds no free frame (no kswapd, no
 * watermarks), and it waits for its own writeback to complete when that is all it can do.
 */
public final class Vmscan implements FrameAllocator.Reclaimer {
    private static final int MAX_PASSES = 64;

    private final FrameAllocator frames; // immutable reference
    private final Rmap rmap; // immutable reference
    private final PageWriteback writeback; // immutable reference
    private final Tlb tlb; // immutable reference
    private final Supplier<List<AddressSpace>> mappings; // immutable: the page cache's files
    private final java.util.function.BooleanSupplier inTask; // immutable: reclaim may block (a task runs)
    private long reclaimed, writtenBack; // statistics; guarded by the baton

    public Vmscan(FrameAllocator frames, Rmap rmap, PageWriteback writeback, Tlb tlb,
                  Supplier<List<AddressSpace>> mappings, java.util.function.BooleanSupplier inTask) {
        this.frames = frames;
        this.rmap = rmap;
        this.writeback = writeback;
        this.tlb = tlb;
        this.mappings = mappings;
        this.inTask = inTask;
    }

    /** try_to_free_pages: frees at least one frame if the page cache can give one; how many freed. */
    @Override
    public int reclaim(int wanted) {
        if (!inTask.getAsBoolean()) {
            return 0; // outside the run (boot, the end-of-run checks): nothing may block
        }
        int freed = 0;
        for (int pass = 0; pass < MAX_PASSES && freed == 0; pass++) {
            Page waitFor = null;
            boolean secondChances = false;
            for (AddressSpace mapping : mappings.get()) {
                for (Page page : mapping.pages()) {
                    if (freed >= wanted) {
                        return freed;
                    }
                    switch (shrinkPage(page)) {
                        case FREED -> freed++;
                        case WRITEBACK -> waitFor = waitFor == null ? page : waitFor;
                        case REFERENCED -> secondChances = true;
                        case KEEP -> { }
                    }
                }
            }
            if (freed == 0 && waitFor != null) {
                writeback.pageLock().waitOnPageWriteback(waitFor); // the disk thread runs meanwhile
            } else if (freed == 0 && !secondChances) {
                return 0; // nothing left to take from the page cache
            }
        }
        return freed;
    }

    private enum Outcome { FREED, WRITEBACK, REFERENCED, KEEP }

    /** shrink_page_list for one page. */
    private Outcome shrinkPage(Page page) {
        if (page.test(Page.PG_WRITEBACK)) {
            return Outcome.WRITEBACK;
        }
        if (page.test(Page.PG_LOCKED) || !writeback.pageLock().trylockPage(page)) {
            return Outcome.KEEP;
        }
        AddressSpace mapping = page.mapping();
        if (mapping == null || page.test(Page.PG_WRITEBACK)) {
            writeback.pageLock().unlockPage(page);
            return mapping == null ? Outcome.KEEP : Outcome.WRITEBACK;
        }
        if (page.mapcount() > 0) {
            if (rmap.pageReferenced(page) > 0) {
                writeback.pageLock().unlockPage(page);
                return Outcome.REFERENCED; // activate: the accessed bits are clear now
            }
            tryToUnmap(page);
            if (page.mapcount() > 0) {
                writeback.pageLock().unlockPage(page);
                return Outcome.KEEP;
            }
        }
        if (page.test(Page.PG_DIRTY)) {
            return pageout(page, mapping);
        }
        if (page.count() != 1 || !mapping.ops().releasePage(page)) {
            writeback.pageLock().unlockPage(page); // someone holds a reference, or a buffer is busy
            return Outcome.KEEP;
        }
        mapping.removePage(page); // __remove_mapping: the cache's reference was the last
        writeback.pageLock().unlockPage(page);
        reclaimed++;
        return Outcome.FREED;
    }

    /** pageout: clear_page_dirty_for_io and ->writepage (which unlocks the page). */
    private Outcome pageout(Page page, AddressSpace mapping) {
        if (!writeback.clearPageDirtyForIo(page)) {
            writeback.pageLock().unlockPage(page);
            return Outcome.KEEP;
        }
        writtenBack++;
        mapping.ops().writePage(page, WritebackControl.integrity("reclaim"));
        return page.test(Page.PG_WRITEBACK) ? Outcome.WRITEBACK : Outcome.KEEP;
    }

    /** try_to_unmap (try_to_unmap_one for each pte that maps this very page). */
    private void tryToUnmap(Page page) {
        rmap.rmapWalk(page, (p, mm, vma, address) -> {
            Rmap.LockedPte locked = rmap.pageCheckAddress(p, mm, address, false);
            if (locked == null) {
                return true;
            }
            Pte pte;
            try {
                pte = mm.pageTables().ptepGetAndClear(locked.ptep());
                if (pte.dirty()) {
                    writeback.setPageDirty(p); // the hardware dirty bit moves to the page
                }
                p.removeMap();
                mm.addRss(-1);
                frames.putPage(p);
            } finally {
                mm.ptl.unlock();
            }
            tlb.flushTlbMm(mm);
            if (!pte.noExecute()) {
                tlb.flushCodeCaches();
            }
            return true;
        });
    }

    /** Pages freed and pages written by reclaim so far. */
    public long reclaimed() {
        return reclaimed;
    }

    public long writtenBack() {
        return writtenBack;
    }
}
