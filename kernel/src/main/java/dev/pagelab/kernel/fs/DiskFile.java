package dev.pagelab.kernel.fs;

import dev.pagelab.kernel.Errno;

/** An open file of the disk filesystem: reads through the page cache, writes into it. */
public final class DiskFile extends RegularFile {
    private final DiskFilesystem sb; // immutable reference
    private boolean released;

    DiskFile(DiskInode inode, int flags, DiskFilesystem sb) {
        super(inode, flags);
        this.sb = sb;
        inode.openCount++;
    }

    public DiskInode diskInode() {
        return (DiskInode) inode;
    }

    @Override
    public int pwrite(byte[] buf, int off, int len, long position) {
        if (!writable()) {
            throw new Errno(Errno.EBADF);
        }
        verifyArea(position, len);
        return diskInode().write(position, buf, off, len);
    }

    /** ftruncate(2). */
    public void truncate(long length) {
        diskInode().truncate(length);
    }

    @Override
    public void release() {
        if (!released) {
            released = true;
            sb.release(diskInode());
        }
    }
}
