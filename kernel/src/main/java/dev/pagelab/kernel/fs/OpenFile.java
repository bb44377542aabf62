package dev.pagelab.kernel.fs;

import dev.pagelab.kernel.Errno;

/**
 * An open file description (Linux: struct file): what a file descriptor refers to, with its own
 * position. Errors are thrown as {@link Errno}.
 */
public abstract class OpenFile {
    public static final int O_ACCMODE = 3, O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2;
    public static final int O_CREAT = 0100, O_EXCL = 0200, O_TRUNC = 01000, O_APPEND = 02000;
    public static final int O_NONBLOCK = 04000, O_DIRECTORY = 0200000, O_CLOEXEC = 02000000;
    static final int F_SETFL_BITS = O_APPEND | O_NONBLOCK;

    protected final int flags; // immutable: the open flags
    protected long pos; // guarded by the baton (f_pos)
    int refs; // descriptors referring to this description (file_count); guarded by the baton
    private int statusFlags; // f_flags: the open flags, O_APPEND/O_NONBLOCK changed by F_SETFL; guarded by the baton

    protected OpenFile(int flags) {
        this.flags = flags;
        this.statusFlags = flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_CLOEXEC);
    }

    public boolean readable() {
        return (flags & O_ACCMODE) != O_WRONLY;
    }

    public boolean writable() {
        return (flags & O_ACCMODE) != O_RDONLY;
    }

    /** read(2) at the current position. */
    public abstract int read(byte[] buf, int off, int len);

    /** write(2) at the current position. */
    public abstract int write(byte[] buf, int off, int len);

    /** pread64(2). */
    public int pread(byte[] buf, int off, int len, long position) {
        throw new Errno(Errno.ESPIPE);
    }

    /** pwrite64(2). */
    public int pwrite(byte[] buf, int off, int len, long position) {
        throw new Errno(Errno.ESPIPE);
    }

    /** lseek(2). */
    public long lseek(long offset, int whence) {
        throw new Errno(Errno.ESPIPE);
    }

    /** The inode behind this file, or null (consoles). */
    public Inode inode() {
        return null;
    }

    /** st_mode for fstat. */
    public abstract int mode();

    /** st_size for fstat. */
    public long size() {
        return 0;
    }

    /** F_GETFL: the access mode and status flags. */
    public int statusFlags() {
        return statusFlags;
    }

    /** F_SETFL: only O_APPEND and O_NONBLOCK change (Linux: fs/fcntl.c setfl()). */
    public void setStatusFlags(int newFlags) {
        statusFlags = (statusFlags & ~F_SETFL_BITS) | (newFlags & F_SETFL_BITS);
    }

    /** True when O_NONBLOCK is set. */
    public boolean nonBlocking() {
        return (statusFlags() & O_NONBLOCK) != 0;
    }

    /** Called when the last descriptor referring to this file closes. */
    public void release() {
    }
}
