package dev.pagelab.kernel.mm;

import dev.pagelab.kernel.KernelConfig;
import dev.pagelab.kernel.sched.SchedPoint;
import dev.pagelab.kernel.sched.Scheduler;
import java.util.ArrayList;
import java.util.List;

/**
 * Dirty pages and their writeback (Linux: mm/page-writeback.c and mm/filemap.c):
 * {@link #setPageDirty}, {@link #clearPageDirtyForIo}, {@link #testSetPageWriteback},
 * {@link #endPageWriteback}, {@link #writeCachePages}, {@link #filemapFdatawrite},
 * {@link #filemapFdatawait}, and the dirty-page counter (NR_FILE_DIRTY).
 *
 * <p>The seed fixes R1-R4 each change one step here or in {@link Rmap}; {@link KernelConfig} says
 * which are present. Every page-flag change that a race needs between two steps is a
 * {@link SchedPoint#PAGE_FLAG} scheduling point.
 */
public final class PageWriteback {
    private final KernelConfig config; // immutable
    private final Scheduler scheduler; // immutable reference
    private final PageLock pageLock; // immutable reference
    private Rmap rmap; // set once at boot (the two refer to each other)
    private long nrFileDirty; // NR_FILE_DIRTY; guarded by the baton
    private long nrWriteback; // NR_WRITEBACK; guarded by the baton
    private final List<String> dirtyPteCleanPage = new ArrayList<>(); // the quiescence oracle's findings; guarded by the baton

    public PageWriteback(KernelConfig config, Scheduler scheduler, PageLock pageLock) {
        this.config = config;
        this.scheduler = scheduler;
        this.pageLock = pageLock;
    }

    void setRmap(Rmap rmap) {
        this.rmap = rmap;
    }

    public KernelConfig config() {
        return config;
    }

    public PageLock pageLock() {
        return pageLock;
    }

    /** NR_FILE_DIRTY: the dirty-page counter (compare with {@link #recountDirty}). */
    public long nrFileDirty() {
        return nrFileDirty;
    }

    public long nrWriteback() {
        return nrWriteback;
    }

    /** Records a finding of {@link Memory#checkDirtyPtes} (a dirty pte over a clean page). */
    void reportDirtyPteCleanPage(String finding) {
        dirtyPteCleanPage.add(finding);
    }

    /** What {@link Memory#checkDirtyPtes} found so far (part of the end-of-run checks). */
    public List<String> dirtyPteCleanPage() {
        return List.copyOf(dirtyPteCleanPage);
    }

    /**
     * set_page_dirty: through the filesystem's ->set_page_dirty for a page-cache page; anonymous
     * pages need nothing (they have no backing store to write).
     */
    public void setPageDirty(Page page) {
        AddressSpace mapping = page.mapping();
        if (mapping != null) {
            mapping.ops().setPageDirty(page);
        }
    }

    /**
     * __set_page_dirty_nobuffers: PG_dirty, the DIRTY tag, and the dirty counter. Returns true if
     * this call made the page dirty. Filesystems call it from their ->set_page_dirty.
     */
    public boolean setPageDirtyNobuffers(Page page) {
        scheduler.point(SchedPoint.PAGE_FLAG);
        if (page.testAndSet(Page.PG_DIRTY)) {
            return false;
        }
        AddressSpace mapping = page.mapping();
        if (mapping != null) {
            nrFileDirty++; // account_page_dirtied
            mapping.tagSet(page.index(), AddressSpace.Tag.DIRTY);
            if (mapping.dirtiedWhen() < 0) {
                mapping.setDirtiedWhen(scheduler.clock()); // __mark_inode_dirty
            }
        }
        return true;
    }

    /**
     * clear_page_dirty_for_io: the page is about to be written; clear PG_dirty so that stores
     * made from now on dirty it again. Returns true if it was dirty.
     *
     * <p>With R2 (2.6.20) the ptes are cleaned first and a dirty pte re-dirties the page through
     * ->set_page_dirty (which dirties every buffer): without it the news that a pte re-dirtied
     * the page is thrown away. With R3 (2.6.22) the caller must hold the page lock, which the fault
     * path waits on before set_page_dirty. Without R1 (before 2.6.6) the DIRTY tag is cleared here
     * too (test_clear_page_dirty), so an integrity walk that comes now does not see the page.
     * Without dirty tracking (2.6.5) the ptes are not touched at all.
     *
     * <p>2.6.22 (seeds 002 and 000), what the fixed path does:
     * <pre>
     *   BUG_ON(!PageLocked(page));                       // R3
     *   if (mapping &amp;&amp; mapping_cap_account_dirty(mapping)) {
     *       if (page_mkclean(page))                      // R2
     *           set_page_dirty(page);
     *       if (TestClearPageDirty(page)) {
     *           dec_zone_page_state(page, NR_FILE_DIRTY);
     *           return 1;
     *       }
     *       return 0;
     *   }
     *   return TestClearPageDirty(page);
     * </pre>
     * 2.6.19 (before seed 002): {@code if (TestClearPageDirty(page)) { if (...) page_mkclean(page);
     * dec ...; return 1; }}. The FIXME seed 000 deleted: "if somebody adds the page back to the
     * page tables in between the page_mkclean() and the TestClearPageDirty(), we might have it
     * mapped without the dirty bit set" (R3's window, closed on the fault side).
     *
     * <p>Preconditions: page locked (required when R3 is present).
     */
    public boolean clearPageDirtyForIo(Page page) {
        if (config.r3() && !page.test(Page.PG_LOCKED)) {
            throw new IllegalStateException("clear_page_dirty_for_io: page not locked");
        }
        AddressSpace mapping = page.mapping();
        if (mapping == null) {
            return testClearPageDirty(page, false);
        }
        if (!config.dirtyTracking()) {
            // 2.6.5 (test_clear_page_dirty, or seed 003's clear_page_dirty_for_io): the ptes are
            // not touched; their D bits reach the page through msync, munmap and exit.
            return testClearPageDirty(page, !config.r1());
        }
        if (config.r2()) {
            if (rmap.pageMkclean(page)) {
                setPageDirty(page);
            }
            return testClearPageDirty(page, !config.r1());
        }
        // Before 2.6.20: forget PG_dirty first, then write-protect the ptes. A pte dirtied since
        // is cleaned without anyone re-dirtying the page (seed 002).
        boolean wasDirty = testClearPageDirty(page, !config.r1());
        if (wasDirty) {
            rmap.pageMkclean(page);
        }
        return wasDirty;
    }

    /**
     * Whether stores through a mapping have changed {@code page} without the kernel knowing: only
     * by design on 2.6.5 (no dirty tracking: a clean page with a dirty pte, until msync's
     * filemap_sync, munmap or exit moves the bit). fsync does not promise such stores.
     */
    public boolean dirtyOnlyInPtes(Page page) {
        return !config.dirtyTracking() && !page.test(Page.PG_DIRTY) && rmap.anyDirtyPte(page);
    }

    /** page_mkclean, for filesystem code that must write-protect a page (pagecache_isize_extended). */
    public boolean pageMkclean(Page page) {
        return rmap.pageMkclean(page);
    }

    /** TestClearPageDirty (+ dec NR_FILE_DIRTY); {@code clearTag}: also drop the DIRTY tag. */
    private boolean testClearPageDirty(Page page, boolean clearTag) {
        scheduler.point(SchedPoint.PAGE_FLAG);
        if (!page.testAndClear(Page.PG_DIRTY)) {
            return false;
        }
        AddressSpace mapping = page.mapping();
        if (mapping != null) {
            nrFileDirty--;
            if (clearTag) {
                mapping.tagClear(page.index(), AddressSpace.Tag.DIRTY);
            }
        }
        return true;
    }

    /**
     * test_set_page_writeback: PG_writeback and its tag; the DIRTY tag is dropped here only if
     * the page is still clean (R1: a page re-dirtied meanwhile keeps it).
     */
    public boolean testSetPageWriteback(Page page) {
        scheduler.point(SchedPoint.PAGE_FLAG);
        boolean was = page.testAndSet(Page.PG_WRITEBACK);
        AddressSpace mapping = page.mapping();
        if (!was) {
            nrWriteback++;
            if (mapping != null) {
                mapping.tagSet(page.index(), AddressSpace.Tag.WRITEBACK);
            }
        }
        if (mapping != null && !page.test(Page.PG_DIRTY)) {
            mapping.tagClear(page.index(), AddressSpace.Tag.DIRTY);
        }
        return was;
    }

    /** end_page_writeback: clears PG_writeback and its tag, wakes waiters. */
    public void endPageWriteback(Page page) {
        if (!page.testAndClear(Page.PG_WRITEBACK)) {
            throw new IllegalStateException("end_page_writeback: page not under writeback " + page);
        }
        nrWriteback--;
        AddressSpace mapping = page.mapping();
        if (mapping != null) {
            mapping.tagClear(page.index(), AddressSpace.Tag.WRITEBACK);
            if (!mapping.hasTagged(AddressSpace.Tag.DIRTY)) {
                mapping.setDirtiedWhen(-1);
            }
        }
        pageLock.wake(page);
        scheduler.point(SchedPoint.PAGE_FLAG);
    }

    /**
     * redirty_page_for_writepage: ->writepage could not write the page now (a buffer is locked by
     * someone else during background writeback); it stays dirty for a later pass.
     */
    public void redirtyPageForWritepage(Page page) {
        setPageDirtyNobuffers(page);
    }

    /**
     * write_cache_pages: writes the DIRTY-tagged pages of {@code mapping} through ->writepage.
     * Integrity writeback waits for pages already under writeback; background writeback skips
     * them.
     */
    public void writeCachePages(AddressSpace mapping, WritebackControl wbc) {
        List<Long> dirty = mapping.taggedIndexes(AddressSpace.Tag.DIRTY);
        for (long index : dirty) {
            Page page = mapping.findGetPage(index);
            if (page == null) {
                continue;
            }
            try {
                writeOnePage(mapping, page, wbc);
            } finally {
                mapping.frames().putPage(page);
            }
        }
    }

    private void writeOnePage(AddressSpace mapping, Page page, WritebackControl wbc) {
        pageLock.lockPage(page);
        // Race: the page was truncated while we slept on its lock.
        if (page.mapping() != mapping) {
            pageLock.unlockPage(page);
            return;
        }
        if (page.test(Page.PG_WRITEBACK)) {
            if (!wbc.syncAll()) {
                pageLock.unlockPage(page);
                return;
            }
            pageLock.waitOnPageWriteback(page);
        }
        if (!clearPageDirtyForIo(page)) {
            pageLock.unlockPage(page);
            return;
        }
        mapping.ops().writePage(page, wbc);
    }

    /** filemap_fdatawrite: starts integrity writeback of every dirty page of the file. */
    public void filemapFdatawrite(AddressSpace mapping, String who) {
        writeCachePages(mapping, WritebackControl.integrity(who));
    }

    /** filemap_fdatawait (wait_on_page_writeback_range): waits for the WRITEBACK-tagged pages. */
    public void filemapFdatawait(AddressSpace mapping) {
        for (long index : mapping.taggedIndexes(AddressSpace.Tag.WRITEBACK)) {
            Page page = mapping.findGetPage(index);
            if (page != null) {
                pageLock.waitOnPageWriteback(page);
                mapping.frames().putPage(page);
            }
        }
    }

    /**
     * cancel_dirty_page (truncation): the page's contents no longer matter; clear PG_dirty and its
     * accounting without writing it.
     */
    public void cancelDirtyPage(Page page) {
        if (page.testAndClear(Page.PG_DIRTY)) {
            nrFileDirty--;
            AddressSpace mapping = page.mapping();
            if (mapping != null) {
                mapping.tagClear(page.index(), AddressSpace.Tag.DIRTY);
            }
        }
    }

    /** Counts the PG_dirty pages of {@code mappings} (the check for NR_FILE_DIRTY). */
    public static long recountDirty(Iterable<AddressSpace> mappings) {
        long n = 0;
        for (AddressSpace m : mappings) {
            for (Page p : m.pages()) {
                if (p.test(Page.PG_DIRTY)) {
                    n++;
                }
            }
        }
        return n;
    }
}
