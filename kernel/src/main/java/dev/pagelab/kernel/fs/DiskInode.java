package dev.pagelab.kernel.fs;

import dev.pagelab.emulator.PhysicalMemory;
import dev.pagelab.kernel.Errno;
import dev.pagelab.kernel.fs.disk.FsException;
import dev.pagelab.kernel.mm.AddressSpace;
import dev.pagelab.kernel.mm.Page;
import dev.pagelab.kernel.mm.WritebackControl;

/**
 * A file of the disk filesystem, as the kernel sees it: page-cache pages split into four 1 KiB
 * buffers, delayed allocation (holes get a block reservation when they are dirtied, and a block
 * when they are written), and writeback with Linux's block_write_full_page rules.
 *
 * <p>Metadata (size, block pointers, the bitmap) is written synchronously by the on-disk layer;
 * only file data goes through the page cache and writeback.
 */
public final class DiskInode extends Inode {
    private final DiskFilesystem sb; // immutable reference: the mounted filesystem (super_block)
    private long size; // i_size; guarded by the baton (i_mutex)
    // Indirect blocks promised to reserved holes (PagelabFs.missingIndirects keys): each holds one
    // block of the reservation until writeback builds it. Guarded by the baton.
    private final java.util.Set<Long> metaReserved = new java.util.HashSet<>();
    int openCount; // open files referring to this inode; guarded by the baton
    boolean unlinked; // the name is gone; blocks are freed at the last close
    private final java.util.List<Long> shrinks = new java.util.ArrayList<>(); // new sizes of every truncate down; guarded by the baton
    // [pos, end) of every write() into this file that has not returned yet (for the durability
    // oracle: a sync call does not promise them). Guarded by the baton.
    private final java.util.List<long[]> writesInProgress = new java.util.ArrayList<>();

    DiskInode(int ino, String name, long size, DiskFilesystem sb) {
        super(ino, name, sb.frames());
        this.sb = sb;
        this.size = size;
    }

    public int diskIno() {
        return (int) ino();
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public boolean writable() {
        return true;
    }

    @Override
    public long maxBytes() {
        return sb.maxFileSize();
    }

    // ---- reading ---------------------------------------------------------------------------

    /** ->readpage (block_read_full_page): each buffer from its block, holes and EOF as zeros. */
    @Override
    public void readPage(Page page) {
        BufferHead[] bhs = Buffers.pageBuffers(page);
        byte[] block = new byte[BufferHead.SIZE];
        for (BufferHead bh : bhs) {
            long blk = bh.fileOffset() < size ? sb.fs().bmap(diskIno(), bh.fileBlock()) : 0;
            if (blk != 0) {
                sb.disk().read(blk, block, 0);
                frames.memory().write(page.physicalAddress() + bh.slot() * BufferHead.SIZE, block);
                bh.map(blk);
            }
            bh.set(BufferHead.BH_UPTODATE);
        }
    }

    // ---- writing through write(2) --------------------------------------------------------------

    /**
     * generic_perform_write with block_write_begin/__block_commit_write: copies into the cache
     * page under its lock and marks only the written buffers dirty (mark_buffer_dirty), which is
     * what an ordered-mode journal tracks; holes get a reservation first. A chunk that extends the
     * file sets i_size before the page is unlocked, as generic_write_end does.
     */
    public int write(long pos, byte[] data, int off, int len) {
        if (pos < 0 || pos >= sb.maxFileSize()) {
            throw new Errno(Errno.EFBIG); // generic_write_checks
        }
        len = (int) Math.min(len, sb.maxFileSize() - pos); // a short write up to s_maxbytes

        long[] range = {pos, pos + len};
        writesInProgress.add(range);
        try {
            return writePages(pos, data, off, len);
        } finally {
            writesInProgress.remove(range);
        }
    }

    private int writePages(long pos, byte[] data, int off, int len) {
        int done = 0;
        while (done < len) {
            long p = pos + done;
            int inPage = (int) (p & 0xfff);
            int chunk = Math.min(len - done, PhysicalMemory.PAGE_SIZE - inPage);
            try {
                writeChunk(p >>> 12, inPage, data, off + done, chunk);
            } catch (Errno e) {
                if (done > 0) {
                    return done; // a short write: what was accepted is reserved
                }
                throw e;
            }
            done += chunk;
        }
        return done;
    }

    /**
     * The bytes of the write() calls into this file that have not returned yet, as they are now
     * (a snapshot): a sync call that begins now does not promise them (POSIX: data written before
     * the call; Linux's filemap_fdatawrite runs without i_mutex, unordered with a write in
     * progress, which may not even have dirtied its page yet).
     */
    java.util.function.LongPredicate writesInProgress() {
        java.util.List<long[]> now = java.util.List.copyOf(writesInProgress);
        return off -> now.stream().anyMatch(r -> off >= r[0] && off < r[1]);
    }

    /**
     * One page of a write: write_begin, the copy, write_end. i_size grows inside, while the page
     * is still locked (generic_write_end: "it's important to update i_size while still holding
     * page lock: page writeout could otherwise come in and zero beyond i_size"). Race: with i_size
     * grown after unlock_page, background writeback that takes the page in between finds its
     * dirty buffers past EOF, drops them as block_write_full_page does, and the page goes clean
     * with its data never written (found by exploring race1fsync once timers could fire inside
     * system calls; and by exploring fsx2 on 2.6.30, where the other thread's msync came in
     * between).
     */
    private void writeChunk(long index, int inPage, byte[] data, int off, int len) {
        long end = (index << 12) + inPage + len;
        if (end > size && sb.config().isizeExtended()) {
            pagecacheIsizeExtended(size, end); // before the page lock: it may lock the old last page
        }
        Page page = mapping().readCachePage(index);
        sb.pageLock().lockPage(page);
        try {
            BufferHead[] bhs = Buffers.pageBuffers(page);
            for (BufferHead bh : bhs) {
                int start = bh.slot() * BufferHead.SIZE;
                if (start < inPage + len && start + BufferHead.SIZE > inPage) {
                    reserveIfHole(bh);
                }
            }
            frames.memory().write(page.physicalAddress() + inPage, data, off, len);
            for (BufferHead bh : bhs) {
                int start = bh.slot() * BufferHead.SIZE;
                if (start < inPage + len && start + BufferHead.SIZE > inPage) {
                    bh.set(BufferHead.BH_UPTODATE);
                    markBufferDirty(bh);
                }
            }
            if (end > size) {
                iSizeWrite(end);
            }
        } finally {
            sb.pageLock().unlockPage(page);
            frames.putPage(page);
        }
    }

    /**
     * Delayed allocation (ext4_da_reserve_space): a hole buffer about to hold data gets its block
     * reserved, plus every indirect block its mapping will need that no other reservation of
     * this file has promised yet (ENOSPC if the disk cannot hold them all).
     */
    private void reserveIfHole(BufferHead bh) {
        if (bh.test(BufferHead.BH_MAPPED) || bh.test(BufferHead.BH_RESERVED)) {
            return;
        }
        long blk = sb.fs().bmap(diskIno(), bh.fileBlock());
        if (blk != 0) {
            bh.map(blk);
            return;
        }
        java.util.List<Long> metadata = sb.fs().missingIndirects(diskIno(), bh.fileBlock()).stream()
                .filter(k -> !metaReserved.contains(k)).toList();
        if (!sb.fs().reserve(1 + metadata.size())) {
            throw new Errno(Errno.ENOSPC);
        }
        metaReserved.addAll(metadata);
        bh.set(BufferHead.BH_RESERVED);
    }

    /** Gives back the metadata reservations whose indirect block now exists or no reservation needs. */
    private void releaseMetadataReservations() {
        if (metaReserved.isEmpty()) {
            return;
        }
        java.util.Set<Long> needed = new java.util.HashSet<>();
        for (Page page : mapping().pages()) {
            for (BufferHead bh : Buffers.pageBuffers(page)) {
                if (bh.test(BufferHead.BH_RESERVED) && bh.fileOffset() < size) {
                    needed.addAll(sb.fs().missingIndirects(diskIno(), bh.fileBlock()));
                }
            }
        }
        for (Long key : java.util.List.copyOf(metaReserved)) {
            if (sb.fs().indirectExists(diskIno(), key) || !needed.contains(key)) {
                metaReserved.remove(key);
                sb.fs().release(1);
            }
        }
    }

    /** mark_buffer_dirty: the buffer, then the page (without touching its other buffers). */
    void markBufferDirty(BufferHead bh) {
        if (!bh.testAndSet(BufferHead.BH_DIRTY)) {
            sb.journalAdd(bh);
        }
        sb.writeback().setPageDirtyNobuffers(bh.page());
    }

    // ---- a_ops ---------------------------------------------------------------------------------

    /**
     * ->set_page_dirty (__set_page_dirty_buffers): every buffer of the page, then the page. The
     * mm calls it for stores made through a mapping (the fault's set_page_dirty, R2's re-dirty in
     * clear_page_dirty_for_io, zap_pte_range). On the delayed-allocation filesystem every buffer
     * it dirties must already carry the reservation ->page_mkwrite made for this dirtying: it
     * cannot make one itself ("->set_page_dirty ... cannot block or fail", seed 001), so a
     * buffer without one is the metadata loss R5 is about, reported to the oracle here.
     */
    @Override
    public void setPageDirty(Page page) {
        boolean delalloc = sb.config().pageMkwrite();
        for (BufferHead bh : Buffers.pageBuffers(page)) {
            if (bh.fileOffset() < size) {
                if (delalloc && !bh.test(BufferHead.BH_RESERVED)) {
                    sb.oracle().dirtyWithoutReservation(this, bh, false);
                }
                bh.set(BufferHead.BH_DIRTY);
            }
        }
        sb.writeback().setPageDirtyNobuffers(page);
    }

    /**
     * ->page_mkwrite, on the delayed-allocation filesystem only (ext3 has none: the mm does not
     * call it there). Modelled on block_page_mkwrite (2.6.2x fs/buffer.c):
     * <pre>
     *   lock_page(page);
     *   size = i_size_read(inode);
     *   if ((page-&gt;mapping != inode-&gt;i_mapping) || (page_offset(page) &gt; size))
     *       goto out_unlock;                   // page got truncated out from underneath us
     *   end = (page wholly inside EOF) ? PAGE_CACHE_SIZE : size &amp; ~PAGE_CACHE_MASK;
     *   ret = block_prepare_write(page, 0, end, get_block);   // reserve
     *   if (!ret) ret = block_commit_write(page, 0, end);      // mark_buffer_dirty: page dirty
     * out_unlock:
     *   unlock_page(page);                     // 2.6.30: return VM_FAULT_LOCKED instead
     * </pre>
     * Every buffer inside EOF gets a reservation for this dirtying (like btrfs's
     * btrfs_delalloc_reserve_space, or the write state ceph and NFS attach; unlike ext4, which
     * reserves only for holes) and is dirtied. With R5 it returns with the page still locked.
     */
    @Override
    public MkwriteResult pageMkwrite(Page page) {
        sb.pageLock().lockPage(page);
        // Race: truncation took the page out of the file while we waited for its lock.
        if (page.mapping() != mapping() || (page.index() << 12) >= size) {
            sb.pageLock().unlockPage(page);
            return page.mapping() != mapping() ? MkwriteResult.RETRY : MkwriteResult.SIGBUS;
        }
        BufferHead[] bhs = Buffers.pageBuffers(page);
        for (BufferHead bh : bhs) {
            if (bh.fileOffset() < size && !bh.test(BufferHead.BH_RESERVED)) {
                if (!sb.fs().reserve(1)) {
                    sb.pageLock().unlockPage(page);
                    return MkwriteResult.SIGBUS; // VM_FAULT_SIGBUS: no space
                }
                bh.set(BufferHead.BH_RESERVED);
            }
        }
        for (BufferHead bh : bhs) {
            if (bh.fileOffset() < size) {
                bh.set(BufferHead.BH_UPTODATE);
                markBufferDirty(bh); // block_commit_write
            }
        }
        if (sb.config().r5()) {
            return MkwriteResult.LOCKED;
        }
        sb.pageLock().unlockPage(page);
        return MkwriteResult.OK;
    }

    /**
     * ->writepage (Linux 2.6.x fs/buffer.c: __block_write_full_page). Called with the page locked
     * and PG_dirty already cleared; unlocks it once the page is under writeback. Two passes, as
     * Linux:
     * <pre>
     *   do {                                   // pass 1: map what is dirty
     *       if (block &gt; last_block) { clear_buffer_dirty(bh); set_buffer_uptodate(bh); }
     *       else if (!buffer_mapped(bh) &amp;&amp; buffer_dirty(bh)) get_block(inode, block, bh, 1);
     *   } while (...);
     *   do {                                   // pass 2: lock every MAPPED buffer
     *       if (!buffer_mapped(bh)) continue;
     *       if (wbc-&gt;sync_mode != WB_SYNC_NONE || !wbc-&gt;nonblocking) {
     *           lock_buffer(bh);
     *       } else if (test_set_buffer_locked(bh)) {
     *           redirty_page_for_writepage(wbc, page);
     *           continue;
     *       }
     *       if (test_clear_buffer_dirty(bh)) mark_buffer_async_write(bh);
     *       else unlock_buffer(bh);
     *   } while (...);
     *   set_page_writeback(page); unlock_page(page); submit ...
     * </pre>
     * The lock comes before the dirty test: integrity writeback sleeps on a buffer the journal is
     * writing even if the journal already cleaned it (so fsync cannot return before that write is
     * on disk), and background writeback that finds ANY mapped buffer locked redirties the page
     * (the path seed 003's window needs). Here background writeback is always non-blocking
     * (pdflush's wbc->nonblocking).
     */
    @Override
    public void writePage(Page page, WritebackControl wbc) {
        BufferHead[] bhs = Buffers.pageBuffers(page);
        for (BufferHead bh : bhs) {
            if (bh.fileOffset() >= size) {
                bh.clear(BufferHead.BH_DIRTY); // past EOF: nothing to write
            } else if (!bh.test(BufferHead.BH_MAPPED) && bh.test(BufferHead.BH_DIRTY) && !mapForWrite(bh)) {
                continue; // get_block failed: the buffer was dropped (reported by mapForWrite)
            }
        }
        consumeReservations(bhs);
        BufferHead[] toWrite = new BufferHead[bhs.length];
        int n = 0;
        for (BufferHead bh : bhs) {
            if (!bh.test(BufferHead.BH_MAPPED) || bh.fileOffset() >= size) {
                continue;
            }
            if (wbc.syncAll()) {
                sb.buffers().lockBuffer(bh);
            } else if (!sb.buffers().trylockBuffer(bh)) {
                sb.writeback().redirtyPageForWritepage(page); // the journal has it: try again later
                continue;
            }
            if (bh.testAndClear(BufferHead.BH_DIRTY)) {
                toWrite[n++] = bh;
            } else {
                sb.buffers().unlockBuffer(bh);
            }
        }
        sb.writeback().testSetPageWriteback(page);
        sb.pageLock().unlockPage(page);
        submitPage(page, toWrite, n);
    }

    /**
     * Delayed allocation: the page is being written, so the reservations ->page_mkwrite (or
     * write()) made for this dirtying are used up: the data goes to the place allocated now. A
     * store through a mapping after this must fault and reserve again, which it does on a kernel
     * whose clear_page_dirty_for_io write-protected the ptes first. Reservations of holes not
     * yet mapped stay (their block is still to come).
     */
    private void consumeReservations(BufferHead[] bhs) {
        if (!sb.config().pageMkwrite()) {
            return;
        }
        for (BufferHead bh : bhs) {
            if (bh.test(BufferHead.BH_MAPPED) && bh.testAndClear(BufferHead.BH_RESERVED)) {
                sb.fs().release(1);
            }
        }
    }

    /**
     * Maps a dirty buffer to a disk block, allocating a reserved hole; false on failure. ext3
     * (ORDERED) allocates here what a store through a mapping dirtied (no ->page_mkwrite
     * reserved it); on the delayed-allocation filesystem a dirty hole without its reservation
     * breaks the invariant.
     */
    private boolean mapForWrite(BufferHead bh) {
        if (bh.test(BufferHead.BH_MAPPED)) {
            return true;
        }
        boolean reserved = bh.testAndClear(BufferHead.BH_RESERVED);
        if (!reserved && sb.config().pageMkwrite()) {
            sb.oracle().dirtyWithoutReservation(this, bh, true);
        }
        try {
            long blk = sb.fs().allocBlock(diskIno(), bh.fileBlock());
            if (reserved) {
                sb.fs().release(1);
            }
            bh.map(blk);
            releaseBuiltIndirects();
            return true;
        } catch (FsException e) {
            if (reserved) {
                sb.fs().release(1);
            }
            mapping().setError(e.errno()); // mapping_set_error: the next fsync/msync reports it
            sb.oracle().writeFailed(this, bh, e.getMessage());
            bh.clear(BufferHead.BH_DIRTY);
            return false;
        }
    }

    /** After an allocation: the promised indirect blocks it built give their reservation back. */
    private void releaseBuiltIndirects() {
        for (Long key : java.util.List.copyOf(metaReserved)) {
            if (sb.fs().indirectExists(diskIno(), key)) {
                metaReserved.remove(key);
                sb.fs().release(1);
            }
        }
    }

    /** Submits the locked buffers; the last completion ends the page's writeback. */
    private void submitPage(Page page, BufferHead[] bhs, int n) {
        if (n == 0) {
            sb.writeback().endPageWriteback(page);
            return;
        }
        int[] remaining = {n};
        for (int i = 0; i < n; i++) {
            BufferHead bh = bhs[i];
            sb.buffers().submitWrite(bh, () -> {
                sb.buffers().unlockBuffer(bh); // end_buffer_async_write
                if (--remaining[0] == 0) {
                    sb.writeback().endPageWriteback(page);
                }
            });
        }
    }

    /** ->releasepage (try_to_free_buffers): only a page whose buffers are all idle may go. */
    @Override
    public boolean releasePage(Page page) {
        for (BufferHead bh : Buffers.pageBuffers(page)) {
            if (bh.test(BufferHead.BH_DIRTY) || bh.test(BufferHead.BH_LOCK) || bh.test(BufferHead.BH_RESERVED)) {
                return false;
            }
        }
        return true;
    }

    // ---- size ------------------------------------------------------------------------------

    /** Grows i_size by truncate (written to disk at once: metadata is synchronous here). */
    void setSize(long newSize) {
        if (newSize > size && sb.config().isizeExtended()) {
            pagecacheIsizeExtended(size, newSize);
        }
        iSizeWrite(newSize);
    }

    /** i_size_write, and the on-disk inode at once (metadata is synchronous here). */
    private void iSizeWrite(long newSize) {
        size = newSize;
        sb.fs().setSize(diskIno(), newSize);
    }

    /**
     * pagecache_isize_extended (Linux 3.18 mm/truncate.c, later than every seed; the switch
     * {@code isizeExtended}): i_size grows from {@code from} to {@code to} and the page straddling
     * {@code from} gets new blocks inside EOF; write-protect it so that the next store through a
     * mapping faults and ->page_mkwrite covers the new part:
     * <pre>
     *   rounded_from = round_up(from, bsize);
     *   if (to &lt;= rounded_from || !(rounded_from &amp; (PAGE_CACHE_SIZE - 1))) return;
     *   page = find_lock_page(inode-&gt;i_mapping, from &gt;&gt; PAGE_CACHE_SHIFT);
     *   if (!page) return;
     *   if (page_mkclean(page)) set_page_dirty(page);
     *   unlock_page(page);
     * </pre>
     * Unlike Linux, which runs it after i_size_write, it runs just before i_size grows (still
     * under i_mutex), so that its set_page_dirty dirties only the buffers inside the old size,
     * which ->page_mkwrite reserved; Linux's __set_page_dirty_buffers would dirty the new tail
     * buffers too, and ext4 would allocate them at writeback without a reservation.
     */
    private void pagecacheIsizeExtended(long from, long to) {
        long roundedFrom = (from + BufferHead.SIZE - 1) & ~(long) (BufferHead.SIZE - 1);
        if (to <= roundedFrom || (roundedFrom & 0xfff) == 0) {
            return;
        }
        Page page = mapping().peekPage(from >>> 12);
        if (page == null) {
            return;
        }
        sb.pageLock().lockPage(page);
        if (page.mapping() == mapping() && sb.writeback().pageMkclean(page)) {
            sb.writeback().setPageDirty(page);
        }
        sb.pageLock().unlockPage(page);
    }

    /**
     * truncate, in vmtruncate's order: i_size_write first (so that a sync call running meanwhile
     * no longer promises the bytes being cut, and a fault past the new end gets SIGBUS), then
     * unmap_mapping_range and truncate_inode_pages (unmap and drop the cache pages wholly past the
     * new size, zero the tail of a partial last page), then the filesystem's ->truncate frees the
     * blocks on disk.
     */
    public void truncate(long newSize) {
        if (newSize >= size) {
            setSize(newSize);
            return;
        }
        shrinks.add(newSize);
        size = newSize; // i_size_write
        sb.unmapMappingRange(mapping(), (newSize + 0xfff) >>> 12);
        for (Page page : mapping().pages()) {
            if ((page.index() << 12) >= newSize) {
                dropPage(page);
            } else if (((page.index() + 1) << 12) > newSize) {
                zeroTail(page, (int) (newSize & 0xfff));
            }
        }
        sb.fs().setSize(diskIno(), newSize); // ->truncate
        releaseMetadataReservations();
    }

    /**
     * truncate_complete_page: waits for the page's writeback, and (block_invalidatepage's
     * discard_buffer, lock_buffer) for any buffer write in flight, such as kjournald's: its
     * block is about to be freed, and a late write of the old bytes must not land after that.
     */
    private void dropPage(Page page) {
        sb.pageLock().lockPage(page);
        sb.pageLock().waitOnPageWriteback(page);
        if (page.test(Page.PG_DIRTY)) {
            sb.writeback().cancelDirtyPage(page);
        }
        for (BufferHead bh : Buffers.pageBuffers(page)) {
            if (bh.test(BufferHead.BH_MAPPED)) {
                sb.buffers().waitOnBuffer(bh);
            }
        }
        for (BufferHead bh : Buffers.pageBuffers(page)) {
            if (bh.testAndClear(BufferHead.BH_RESERVED)) {
                sb.fs().release(1);
            }
            bh.clear(BufferHead.BH_DIRTY);
        }
        sb.pageLock().unlockPage(page);
        mapping().removePage(page);
    }

    /**
     * truncate_partial_page (wait_on_page_writeback, zero the tail, block_invalidatepage): a
     * write of the old bytes still in flight, by writeback or by kjournald, must end before the
     * on-disk layer zeroes the partial block and frees the rest, or it would bring them back.
     */
    private void zeroTail(Page page, int from) {
        sb.pageLock().lockPage(page);
        sb.pageLock().waitOnPageWriteback(page);
        for (BufferHead bh : Buffers.pageBuffers(page)) {
            if (bh.test(BufferHead.BH_MAPPED) && bh.fileOffset() + BufferHead.SIZE > (page.index() << 12) + from) {
                sb.buffers().waitOnBuffer(bh);
            }
        }
        frames.memory().fill(page.physicalAddress() + from, PhysicalMemory.PAGE_SIZE - from, (byte) 0);
        for (BufferHead bh : Buffers.pageBuffers(page)) {
            if (bh.fileOffset() >= (page.index() << 12) + from && bh.testAndClear(BufferHead.BH_RESERVED)) {
                sb.fs().release(1);
                bh.clear(BufferHead.BH_DIRTY);
            }
            if (bh.test(BufferHead.BH_MAPPED) && bh.fileOffset() >= (page.index() << 12) + from) {
                bh.clear(BufferHead.BH_MAPPED | BufferHead.BH_DIRTY); // the block is freed on disk
            }
        }
        // block_truncate_page: "zero_user(page, offset, length); mark_buffer_dirty(bh);" - the block
        // that keeps the new end must get its zeroed tail on disk too, or a later extension of the
        // file would show the old bytes the disk still holds there.
        for (BufferHead bh : Buffers.pageBuffers(page)) {
            long cut = (page.index() << 12) + from;
            if (bh.test(BufferHead.BH_MAPPED) && bh.fileOffset() < cut && bh.fileOffset() + BufferHead.SIZE > cut) {
                markBufferDirty(bh);
            }
        }
        sb.pageLock().unlockPage(page);
    }

    /** How many truncations down there have been (a mark for {@link #lowestSizeSince}). */
    int shrinkCount() {
        return shrinks.size();
    }

    /** The lowest size a truncation down set since {@code mark}, or Long.MAX_VALUE if none. */
    long lowestSizeSince(int mark) {
        long low = Long.MAX_VALUE;
        for (int i = mark; i < shrinks.size(); i++) {
            low = Math.min(low, shrinks.get(i));
        }
        return low;
    }

    /** The page-cache view of bytes [0, size): what the file holds right now. */
    public byte[] cachedContents() {
        byte[] out = new byte[(int) size];
        read(0, out, 0, out.length);
        return out;
    }

    /** The mounted filesystem this inode belongs to. */
    public DiskFilesystem filesystem() {
        return sb;
    }

    AddressSpace addressSpace() {
        return mapping();
    }
}
