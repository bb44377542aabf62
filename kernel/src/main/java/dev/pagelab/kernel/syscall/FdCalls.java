package dev.pagelab.kernel.syscall;

import dev.pagelab.kernel.Errno;
import dev.pagelab.kernel.Kernel;
import dev.pagelab.kernel.fs.FileTable;
import dev.pagelab.kernel.fs.OpenFile;
import dev.pagelab.kernel.fs.DirectoryFile;
import dev.pagelab.kernel.mm.UserAccess;
import dev.pagelab.kernel.proc.UserThread;

/** Descriptor calls: dup, dup2, dup3, fcntl, ioctl, getdents64 (Linux: fs/file.c, fs/fcntl.c, fs/readdir.c). */
final class FdCalls {
    static final int F_DUPFD = 0, F_GETFD = 1, F_SETFD = 2, F_GETFL = 3, F_SETFL = 4, F_DUPFD_CLOEXEC = 1030;
    static final int FD_CLOEXEC = 1;

    private final UserAccess ua; // immutable reference

    FdCalls(Kernel kernel) {
        this.ua = kernel.uaccess();
    }

    private static FileTable files(UserThread t) {
        return t.process().files();
    }

    long dup(UserThread t, long fd) {
        return files(t).installFrom(0, files(t).get(fd), false);
    }

    /** dup2: like dup3 without flags, and dup2(fd, fd) checks fd and returns it. */
    long dup2(UserThread t, long oldfd, long newfd) {
        OpenFile f = files(t).get(oldfd);
        if (oldfd == newfd) {
            return newfd;
        }
        files(t).installAt(newfd, f, false);
        return newfd;
    }

    long dup3(UserThread t, long oldfd, long newfd, long flags) {
        if (oldfd == newfd || (flags & ~OpenFile.O_CLOEXEC) != 0) {
            throw new Errno(Errno.EINVAL);
        }
        files(t).installAt(newfd, files(t).get(oldfd), flags != 0);
        return newfd;
    }

    long fcntl(UserThread t, long fd, long cmd, long arg) {
        FileTable table = files(t);
        OpenFile f = table.get(fd);
        return switch ((int) cmd) {
            case F_DUPFD -> table.installFrom(arg, f, false);
            case F_DUPFD_CLOEXEC -> table.installFrom(arg, f, true);
            case F_GETFD -> table.closeOnExec(fd) ? FD_CLOEXEC : 0;
            case F_SETFD -> {
                table.setCloseOnExec(fd, (arg & FD_CLOEXEC) != 0);
                yield 0;
            }
            case F_GETFL -> f.statusFlags();
            case F_SETFL -> {
                f.setStatusFlags((int) arg);
                yield 0;
            }
            default -> throw new Errno(Errno.EINVAL);
        };
    }

    /** ioctl: no device pagelab has answers a request: ENOTTY (so no descriptor is a terminal). */
    long ioctl(UserThread t, long fd, long request, long arg) {
        files(t).get(fd);
        throw new Errno(Errno.ENOTTY);
    }

    long getdents64(UserThread t, long fd, long dirp, long count) {
        OpenFile f = files(t).get(fd);
        if (!(f instanceof DirectoryFile dir)) {
            throw new Errno(Errno.ENOTDIR);
        }
        if (count < 0) {
            throw new Errno(Errno.EINVAL);
        }
        byte[] records = dir.getdents64((int) Math.min(count, 1 << 16));
        ua.copyToUser(t.process().mm(), dirp, records);
        return records.length;
    }
}
