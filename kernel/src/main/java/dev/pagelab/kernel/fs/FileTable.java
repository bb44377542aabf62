package dev.pagelab.kernel.fs;

import dev.pagelab.kernel.Errno;
import java.util.ArrayList;
import java.util.List;

/** A process's file descriptors (Linux: struct files_struct). */
public final class FileTable {
    public static final int MAX_FDS = 256;

    private final List<OpenFile> fds = new ArrayList<>(); // guarded by the baton

    /** install_fd at the lowest free descriptor. */
    public int install(OpenFile f) {
        for (int fd = 0; fd < fds.size(); fd++) {
            if (fds.get(fd) == null) {
                fds.set(fd, f);
                return fd;
            }
        }
        if (fds.size() >= MAX_FDS) {
            throw new Errno(Errno.EMFILE);
        }
        fds.add(f);
        return fds.size() - 1;
    }

    /** fget: the file of {@code fd}, or EBADF. */
    public OpenFile get(long fd) {
        if (fd < 0 || fd >= fds.size() || fds.get((int) fd) == null) {
            throw new Errno(Errno.EBADF);
        }
        return fds.get((int) fd);
    }

    public void close(long fd) {
        OpenFile f = get(fd);
        fds.set((int) fd, null);
        if (!fds.contains(f)) {
            f.release();
        }
    }

    /** Closes everything (process exit). */
    public void closeAll() {
        for (int fd = 0; fd < fds.size(); fd++) {
            if (fds.get(fd) != null) {
                close(fd);
            }
        }
    }
}
