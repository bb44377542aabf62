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
        verifyArea(position, len);
        return inode.read(position, buf, off, len);
    }

    /** rw_verify_area: a negative position, or one whose end wraps past 2^63, is EINVAL. */
    protected static void verifyArea(long position, int len) {
        if (position < 0 || position > Long.MAX_VALUE - len) {
            throw new Errno(Errno.EINVAL);
        }
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
        long target;
        try {
            target = Math.addExact(base, offset);
        } catch (ArithmeticException e) {
            throw new Errno(Errno.EINVAL);
        }
        if (target < 0 || target > inode.maxBytes()) {
            throw new Errno(Errno.EINVAL); // vfs_setpos: outside [0, s_maxbytes]
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
