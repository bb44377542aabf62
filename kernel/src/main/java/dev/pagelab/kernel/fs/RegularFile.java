package dev.pagelab.kernel.fs;

import dev.pagelab.kernel.Errno;

/** An open regular file: reads through the inode's page cache; writes only if the inode allows. */
public class RegularFile extends OpenFile {
    public static final int SEEK_SET = 0, SEEK_CUR = 1, SEEK_END = 2;

    protected final Inode inode; // immutable reference

    public RegularFile(Inode inode, int flags) {
        super(flags);
        this.inode = inode;
    }

    @Override
    public Inode inode() {
        return inode;
    }

    @Override
    public int read(byte[] buf, int off, int len) {
        int n = pread(buf, off, len, pos);
        pos += n;
        return n;
    }

    @Override
    public int pread(byte[] buf, int off, int len, long position) {
        if (!readable()) {
            throw new Errno(Errno.EBADF);
        }
        if (position < 0) {
            throw new Errno(Errno.EINVAL);
        }
        return inode.read(position, buf, off, len);
    }

    @Override
    public int write(byte[] buf, int off, int len) {
        int n = pwrite(buf, off, len, (statusFlags() & O_APPEND) != 0 ? inode.size() : pos);
        pos = ((statusFlags() & O_APPEND) != 0 ? inode.size() : pos + n);
        return n;
    }

    @Override
    public int pwrite(byte[] buf, int off, int len, long position) {
        if (!writable()) {
            throw new Errno(Errno.EBADF);
        }
        throw new Errno(Errno.EROFS);
    }

    @Override
    public long lseek(long offset, int whence) {
        long base = switch (whence) {
            case SEEK_SET -> 0;
            case SEEK_CUR -> pos;
            case SEEK_END -> inode.size();
            default -> throw new Errno(Errno.EINVAL);
        };
        long target = base + offset;
        if (target < 0) {
            throw new Errno(Errno.EINVAL);
        }
        pos = target;
        return pos;
    }

    @Override
    public int mode() {
        return Inode.S_IFREG | 0644;
    }

    @Override
    public long size() {
        return inode.size();
    }
}
