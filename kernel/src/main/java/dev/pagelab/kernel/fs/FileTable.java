package dev.pagelab.kernel.fs;

import dev.pagelab.kernel.Errno;
import java.util.ArrayList;
import java.util.List;

/**
 * A process's file descriptors (Linux: struct files_struct with its fdtable): each slot holds an
 * open file description and the descriptor's close-on-exec flag. A description shared by several
 * slots (dup) or tables (fork) is released when its last reference closes.
 */
public final class FileTable {
    public static final int MAX_FDS = 256;

    private final List<OpenFile> fds = new ArrayList<>(); // guarded by the baton
    private final List<Boolean> closeOnExec = new ArrayList<>(); // parallel to fds; guarded by the baton

    /** install_fd at the lowest free descriptor. */
    public int install(OpenFile f) {
        return installFrom(0, f, false);
    }

    /** get_unused_fd from {@code min} (F_DUPFD), then fd_install with FD_CLOEXEC as given. */
    public int installFrom(long min, OpenFile f, boolean cloexec) {
        if (min < 0 || min >= MAX_FDS) {
            throw new Errno(Errno.EINVAL);
        }
        for (int fd = (int) min; fd < MAX_FDS; fd++) {
            if (fd >= fds.size() || fds.get(fd) == null) {
                installAt(fd, f, cloexec);
                return fd;
            }
        }
        throw new Errno(Errno.EMFILE);
    }

    /**
     * Linux: fs/file.c do_dup2(): {@code fd} refers to {@code f} from now on; what it referred to
     * before is closed.
     */
    public void installAt(long fd, OpenFile f, boolean cloexec) {
        if (fd < 0 || fd >= MAX_FDS) {
            throw new Errno(Errno.EBADF);
        }
        while (fds.size() <= fd) {
            fds.add(null);
            closeOnExec.add(false);
        }
        OpenFile old = fds.get((int) fd);
        f.refs++;
        fds.set((int) fd, f);
        closeOnExec.set((int) fd, cloexec);
        if (old != null) {
            put(old);
        }
    }

    /** fget: the file of {@code fd}, or EBADF. */
    public OpenFile get(long fd) {
        if (fd < 0 || fd >= fds.size() || fds.get((int) fd) == null) {
            throw new Errno(Errno.EBADF);
        }
        return fds.get((int) fd);
    }

    public boolean closeOnExec(long fd) {
        get(fd);
        return closeOnExec.get((int) fd);
    }

    public void setCloseOnExec(long fd, boolean on) {
        get(fd);
        closeOnExec.set((int) fd, on);
    }

    public void close(long fd) {
        OpenFile f = get(fd);
        fds.set((int) fd, null);
        closeOnExec.set((int) fd, false);
        put(f);
    }

    /** fput: drops one reference; the last one releases the description. */
    private static void put(OpenFile f) {
        if (--f.refs == 0) {
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

    /** Linux: fs/exec.c do_close_on_exec(). */
    public void closeOnExecAll() {
        for (int fd = 0; fd < fds.size(); fd++) {
            if (fds.get(fd) != null && closeOnExec.get(fd)) {
                close(fd);
            }
        }
    }

    /** Linux: kernel/fork.c dup_fd(): a copy sharing every open file description. */
    public FileTable dup() {
        FileTable copy = new FileTable();
        for (int fd = 0; fd < fds.size(); fd++) {
            if (fds.get(fd) != null) {
                copy.installAt(fd, fds.get(fd), closeOnExec.get(fd));
            }
        }
        return copy;
    }
}
