package dev.pagelab.kernel.fs;

import dev.pagelab.kernel.mm.FrameAllocator;
import dev.pagelab.kernel.mm.Page;
import dev.pagelab.kernel.mm.WritebackControl;

/**
 * The memory behind a MAP_SHARED|MAP_ANONYMOUS mapping (Linux: mm/shmem.c, shmem_zero_setup): a
 * file with no backing store whose zero-filled pages live in its page cache, so that every mm
 * mapping it - the process and, after fork, its children - shares the same pages. A store marks a
 * page PG_dirty but neither tags it nor counts it (Linux: __set_page_dirty_no_writeback): there is
 * no swap here to write it to, so writeback never sees it. Reclaim must leave these pages alone.
 *
 * <p>Unlike Linux, the pages stay allocated until the run ends, even after the last munmap.
 */
public final class ShmemFile extends Inode {
    private static long nextIno = 1L << 40; // guarded by the baton: shmem inode numbers, apart from the disk's

    private final long size; // immutable: the mapping's length

    private ShmemFile(long ino, long size, FrameAllocator frames) {
        super(ino, "/dev/zero (deleted)", frames);
        this.size = size;
    }

    /** shmem_zero_setup: a new object of {@code size} bytes for one mmap call. */
    public static ShmemFile create(FrameAllocator frames, long size) {
        return new ShmemFile(nextIno++, size, frames);
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public boolean writable() {
        return true;
    }

    /** A first touch: nothing to read (shmem_getpage); read_cache_page's allocation is already zeroed. */
    @Override
    public void readPage(Page page) {
    }

    /** __set_page_dirty_no_writeback: PG_dirty only (no tag, no NR_FILE_DIRTY); nothing will write the page. */
    @Override
    public void setPageDirty(Page page) {
        page.set(Page.PG_DIRTY);
    }

    @Override
    public void writePage(Page page, WritebackControl wbc) {
        throw new IllegalStateException("writepage: shmem page " + page + " has no backing store to go to");
    }

    @Override
    public MkwriteResult pageMkwrite(Page page) {
        return MkwriteResult.OK;
    }
}
