package dev.pagelab.kernel.fs.disk;

import dev.pagelab.kernel.Errno;

/**
 * A filesystem operation refused for a reason the caller must report, carrying a Linux errno
 * ({@link Errno#ENOSPC}, {@link Errno#EEXIST}, ...). The message is one line, "ENOSPC: no free inode".
 */
public final class FsException extends Exception {
    private static final long serialVersionUID = 1L;

    private final int errno; // immutable

    public FsException(int errno, String detail) {
        super(Errno.name(errno) + ": " + detail, null, false, false);
        this.errno = errno;
    }

    /** The errno the system call returns negated (Errno.ENOSPC, ...). */
    public int errno() {
        return errno;
    }
}
