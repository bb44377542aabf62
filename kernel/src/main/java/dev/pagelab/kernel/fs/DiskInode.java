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
     * what an ordered-mode journal tracks; holes get a reservation first.
     */
    public int write(long pos, byte[] data, int off, int len) {
        if (pos < 0 || pos >= sb.maxFileSize()) {
            throw new Errno(Errno.EFBIG); // generic_write_checks
        }
        len = (int) Math.min(len, sb.maxFileSize() - pos); // a short write up to s_maxbytes

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
            if (p + chunk > size) {
                setSize(p + chunk);
            }
        }
        return done;
    }

    private void writeChunk(long index, int inPage, byte[] data, int off, int len) {
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

    /** ->set_page_dirty (__set_page_dirty_buffers): every buffer of the page, then the page. */
    @Override
    public void setPageDirty(Page page) {
        for (BufferHead bh : Buffers.pageBuffers(page)) {
            if (bh.fileOffset() < size) {
                bh.set(BufferHead.BH_DIRTY);
            }
        }
        sb.writeback().setPageDirtyNobuffers(page);
    }

    /**
     * ->page_mkwrite (block_page_mkwrite): reserves blocks for the page's holes before it becomes
     * writable through a shared mapping. With R5 it returns with the page still locked.
     */
    @Override
    public MkwriteResult pageMkwrite(Page page) {
        sb.pageLock().lockPage(page);
        // Race: truncation took the page out of the file while we waited for its lock.
        if (page.mapping() != mapping() || (page.index() << 12) >= size) {
            sb.pageLock().unlockPage(page);
            return page.mapping() != mapping() ? MkwriteResult.RETRY : MkwriteResult.SIGBUS;
        }
        try {
            for (BufferHead bh : Buffers.pageBuffers(page)) {
                if (bh.fileOffset() < size) {
                    reserveIfHole(bh);
                    bh.set(BufferHead.BH_UPTODATE);
                }
            }
        } catch (Errno e) {
            sb.pageLock().unlockPage(page);
            return MkwriteResult.SIGBUS;
        }
        if (sb.config().r5()) {
            return MkwriteResult.LOCKED;
        }
        sb.pageLock().unlockPage(page);
        return MkwriteResult.OK;
    }

    /**
     * ->writepage (block_write_full_page): only dirty buffers are written. Background writeback
     * that finds a buffer locked by someone else (the journal) skips it and redirties the page
     * (redirty_page_for_writepage); integrity writeback waits for the lock. Reserved buffers get
     * their block now, consuming the reservation. Called with the page locked and PG_dirty clear;
     * unlocks it once the page is under writeback.
     */
    @Override
    public void writePage(Page page, WritebackControl wbc) {
        BufferHead[] bhs = Buffers.pageBuffers(page);
        BufferHead[] toWrite = new BufferHead[bhs.length];
        int n = 0;
        boolean skipped = false;
        for (BufferHead bh : bhs) {
            if (bh.fileOffset() >= size) {
                bh.clear(BufferHead.BH_DIRTY); // past EOF: nothing to write
                continue;
            }
            if (!bh.test(BufferHead.BH_DIRTY)) {
                continue;
            }
            if (!mapForWrite(bh)) {
                continue;
            }
            if (wbc.syncAll()) {
                sb.buffers().lockBuffer(bh);
            } else if (!sb.buffers().trylockBuffer(bh)) {
                skipped = true; // the journal has it: leave it dirty for later
                continue;
            }
            if (bh.testAndClear(BufferHead.BH_DIRTY)) {
                toWrite[n++] = bh;
            } else {
                sb.buffers().unlockBuffer(bh);
            }
        }
        if (skipped) {
            sb.writeback().redirtyPageForWritepage(page);
        }
        sb.writeback().testSetPageWriteback(page);
        sb.pageLock().unlockPage(page);
        submitPage(page, toWrite, n);
    }

    /** Maps a dirty buffer to a disk block, allocating a reserved hole; false on failure. */
    private boolean mapForWrite(BufferHead bh) {
        if (bh.test(BufferHead.BH_MAPPED)) {
            return true;
        }
        boolean reserved = bh.testAndClear(BufferHead.BH_RESERVED);
        if (!reserved) {
            sb.oracle().dirtyWithoutReservation(this, bh);
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

    /** Grows i_size (written to disk at once: metadata is synchronous here). */
    void setSize(long newSize) {
        size = newSize;
        sb.fs().setSize(diskIno(), newSize);
    }

    /**
     * truncate (vmtruncate + truncate_inode_pages): unmaps and drops cache pages wholly past the
     * new size, zeroes the tail of a partial last page, then shrinks the file on disk.
     */
    public void truncate(long newSize) {
        if (newSize >= size) {
            setSize(newSize);
            return;
        }
        sb.unmapMappingRange(mapping(), (newSize + 0xfff) >>> 12);
        for (Page page : mapping().pages()) {
            if ((page.index() << 12) >= newSize) {
                dropPage(page);
            } else if (((page.index() + 1) << 12) > newSize) {
                zeroTail(page, (int) (newSize & 0xfff));
            }
        }
        size = newSize;
        sb.fs().setSize(diskIno(), newSize);
        releaseMetadataReservations();
    }

    private void dropPage(Page page) {
        sb.pageLock().lockPage(page);
        sb.pageLock().waitOnPageWriteback(page);
        if (page.test(Page.PG_DIRTY)) {
            sb.writeback().cancelDirtyPage(page);
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

    private void zeroTail(Page page, int from) {
        sb.pageLock().lockPage(page);
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
        sb.pageLock().unlockPage(page);
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
