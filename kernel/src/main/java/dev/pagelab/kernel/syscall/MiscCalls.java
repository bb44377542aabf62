package dev.pagelab.kernel.syscall;

import dev.pagelab.kernel.Errno;
import dev.pagelab.kernel.Kernel;
import dev.pagelab.kernel.fs.Kstat;
import dev.pagelab.kernel.fs.OpenFile;
import dev.pagelab.kernel.mm.UserAccess;
import dev.pagelab.kernel.proc.UserThread;
import java.nio.charset.StandardCharsets;

/**
 * rename, chmod/chown, sendfile and prctl (Linux: fs/namei.c, fs/open.c, fs/read_write.c,
 * kernel/sys.c). Unlike Linux, pfs keeps no modes or owners: chmod and chown check the file and
 * succeed, and stat keeps showing 0644 and root.
 */
final class MiscCalls {
    static final int PR_SET_PDEATHSIG = 1, PR_GET_DUMPABLE = 3, PR_SET_DUMPABLE = 4, PR_SET_NAME = 15,
            PR_GET_NAME = 16;
    static final long RENAME_NOREPLACE = 1;

    private final Kernel kernel; // immutable reference
    private final UserAccess ua; // immutable reference
    private final PathCalls paths; // immutable reference

    MiscCalls(Kernel kernel, PathCalls paths) {
        this.kernel = kernel;
        this.ua = kernel.uaccess();
        this.paths = paths;
    }

    /** renameat2: within one directory of the disk (another directory: EXDEV; a --host-dir file is read-only). */
    long renameat2(UserThread t, long olddirfd, long oldpath, long newdirfd, long newpath, long flags) {
        if ((flags & ~RENAME_NOREPLACE) != 0) {
            throw new Errno(Errno.EINVAL);
        }
        String from = paths.resolve(t, olddirfd, paths.getname(t, oldpath));
        String to = paths.resolve(t, newdirfd, paths.getname(t, newpath));
        paths.statPath(from);
        if (from.equals("/") || to.equals("/")) {
            throw new Errno(Errno.EBUSY);
        }
        if (!kernel.filesystem().exists(from)) {
            throw new Errno(Errno.EROFS);
        }
        if ((flags & RENAME_NOREPLACE) != 0 && kernel.filesystem().exists(to)) {
            throw new Errno(Errno.EEXIST);
        }
        kernel.filesystem().rename(from, to);
        return 0;
    }

    /** chmod/chown family: the file must exist and be on the disk. */
    long chmodAt(UserThread t, long dirfd, long pathname) {
        String abs = paths.resolve(t, dirfd, paths.getname(t, pathname));
        paths.statPath(abs);
        if (!abs.equals("/") && !kernel.filesystem().exists(abs) && !abs.startsWith("/dev/")) {
            throw new Errno(Errno.EROFS);
        }
        return 0;
    }

    long fchmod(UserThread t, long fd) {
        t.process().files().get(fd);
        return 0;
    }

    /** sendfile: read from in_fd (at *offset if given), write to out_fd. */
    long sendfile(UserThread t, long outFd, long inFd, long offsetPtr, long count) {
        OpenFile out = t.process().files().get(outFd);
        OpenFile in = t.process().files().get(inFd);
        if (count < 0) {
            throw new Errno(Errno.EINVAL);
        }
        byte[] buf = new byte[(int) Math.min(count, 1 << 20)];
        int n;
        if (offsetPtr != 0) {
            long off = ua.getUserLong(t.process().mm(), offsetPtr);
            n = in.pread(buf, 0, buf.length, off);
            ua.putUserLong(t.process().mm(), offsetPtr, off + n);
        } else {
            n = in.read(buf, 0, buf.length);
        }
        return n == 0 ? 0 : out.write(buf, 0, n);
    }

    long prctl(UserThread t, long option, long arg2) {
        return switch ((int) option) {
            case PR_SET_NAME, PR_SET_PDEATHSIG, PR_SET_DUMPABLE -> 0;
            case PR_GET_DUMPABLE -> 1;
            case PR_GET_NAME -> {
                byte[] name = new byte[16];
                byte[] n = t.process().name().getBytes(StandardCharsets.UTF_8);
                System.arraycopy(n, 0, name, 0, Math.min(15, n.length));
                ua.copyToUser(t.process().mm(), arg2, name);
                yield 0;
            }
            default -> throw new Errno(Errno.EINVAL);
        };
    }
}
