package dev.pagelab.kernel.syscall;

import dev.pagelab.kernel.Errno;
import dev.pagelab.kernel.Kernel;
import dev.pagelab.kernel.fs.DevFile;
import dev.pagelab.kernel.fs.DiskFile;
import dev.pagelab.kernel.fs.Inode;
import dev.pagelab.kernel.fs.Kstat;
import dev.pagelab.kernel.fs.RegularFile;
import dev.pagelab.kernel.fs.OpenFile;
import dev.pagelab.kernel.fs.DirectoryFile;
import dev.pagelab.kernel.mm.MmStruct;
import dev.pagelab.kernel.mm.UserAccess;
import dev.pagelab.kernel.proc.UserThread;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Path syscalls beyond open/unlink: the stat family, access, getcwd, chdir, readlink, utimensat,
 * and the directory side of open (Linux: fs/namei.c, fs/stat.c, fs/open.c, fs/d_path.c).
 *
 * <p>Unlike Linux, the namespace is two layers: the disk's directory tree, then the read-only
 * {@code --host-dir} for names the disk does not have; "/dev" holds the memory devices; a path
 * is resolved as a string (normalized against the working directory, so ".." is lexical), not
 * component by component through dentries. There are no symbolic links.
 */
final class PathCalls {
    static final int AT_FDCWD = -100, AT_SYMLINK_NOFOLLOW = 0x100, AT_REMOVEDIR = 0x200, AT_EMPTY_PATH = 0x1000;
    static final int F_OK = 0, X_OK = 1, W_OK = 2, R_OK = 4;
    private static final int PATH_MAX = 4096;
    /** The one /proc name pagelab has: the running program (busybox execs it for its applets). */
    static final String SELF_EXE = "/proc/self/exe";

    private final Kernel kernel; // immutable reference
    private final UserAccess ua; // immutable reference
    private final Clocks clocks; // immutable reference

    PathCalls(Kernel kernel, Clocks clocks) {
        this.kernel = kernel;
        this.ua = kernel.uaccess();
        this.clocks = clocks;
    }

    private static MmStruct mm(UserThread t) {
        return t.process().mm();
    }

    /** getname: the user's path string; ENAMETOOLONG past PATH_MAX. */
    String getname(UserThread t, long addr) {
        try {
            return ua.strncpyFromUser(mm(t), addr, PATH_MAX);
        } catch (IllegalArgumentException e) {
            throw new Errno(Errno.ENAMETOOLONG);
        }
    }

    /**
     * The absolute, normalized form of {@code path} seen from {@code dirfd} (Linux: path_init +
     * link_path_walk, done on the string). "" is ENOENT.
     */
    String resolve(UserThread t, long dirfd, String path) {
        if (path.isEmpty()) {
            throw new Errno(Errno.ENOENT);
        }
        String base;
        if (path.startsWith("/")) {
            base = "";
        } else if ((int) dirfd == AT_FDCWD) {
            base = t.process().fs().cwd();
        } else if (t.process().files().get(dirfd) instanceof DirectoryFile d) {
            base = d.path();
        } else {
            throw new Errno(Errno.ENOTDIR);
        }
        return normalize(base + "/" + path);
    }

    /** "/a/./b/../c//" -> "/a/c"; ".." of "/" is "/". */
    static String normalize(String path) {
        Deque<String> parts = new ArrayDeque<>();
        for (String p : path.split("/")) {
            if (p.isEmpty() || p.equals(".")) {
                continue;
            }
            if (p.equals("..")) {
                parts.pollLast();
            } else {
                parts.addLast(p);
            }
        }
        return "/" + String.join("/", parts);
    }

    /** True if {@code abs} names a directory: one of the disk's, "/dev", or a --host-dir directory. */
    private boolean isDirectory(String abs) {
        return kernel.filesystem().isDirectory(abs) || abs.equals("/dev")
                || !kernel.filesystem().exists(abs) && kernel.hostDirectory().isDirectory(abs);
    }

    /** True if {@code abs} names a directory of the disk. */
    private boolean isDiskDirectory(String abs) {
        return kernel.filesystem().isDirectory(abs);
    }

    /** The /dev device {@code abs} names, or null. */
    private static String device(String abs) {
        if (!abs.startsWith("/dev/")) {
            return null;
        }
        String name = abs.substring(5);
        return DevFile.DEVICES.containsKey(name) ? name : null;
    }

    /** vfs_stat of a resolved path. */
    Kstat statPath(String abs) {
        if (isDirectory(abs)) {
            boolean disk = isDiskDirectory(abs);
            return new Kstat(disk ? 0x801 : 0x802, disk ? kernel.filesystem().ino(abs) : 0, Kstat.S_IFDIR | 0755, 2, 0, 0,
                    0, 4096, 4096, 8, clocks.bootTime());
        }
        OpenFile f = openFile(abs, OpenFile.O_RDONLY);
        try {
            return Kstat.of(f, clocks.bootTime());
        } finally {
            f.release();
        }
    }

    /** open_exec's lookup: a regular file opened for reading (EACCES for a directory); the caller releases it. */
    OpenFile openRegular(String abs) {
        if (isDirectory(abs)) {
            throw new Errno(Errno.EACCES);
        }
        return openFile(abs, OpenFile.O_RDONLY);
    }

    /** A regular file's description, not installed in any table (the caller releases it). */
    private OpenFile openFile(String abs, int flags) {
        if (device(abs) != null) {
            return new DevFile(device(abs), flags & ~(OpenFile.O_CREAT | OpenFile.O_TRUNC | OpenFile.O_EXCL));
        }
        if (kernel.filesystem().exists(abs) || (flags & OpenFile.O_CREAT) != 0 || !kernel.hostDirectory().has(abs)) {
            return kernel.filesystem().open(abs, flags);
        }
        return kernel.hostDirectory().open(abs, flags);
    }

    /**
     * openat: the root directory opens O_RDONLY (getdents64 lists it); files open as
     * FileCalls.openPath opens them (the disk first, then --host-dir). O_CLOEXEC sets the
     * descriptor's close-on-exec flag.
     */
    long openat(UserThread t, long dirfd, long pathname, long flags, long mode) {
        String abs = resolve(t, dirfd, getname(t, pathname));
        int f = (int) flags;
        boolean cloexec = (f & OpenFile.O_CLOEXEC) != 0;
        if (abs.equals(SELF_EXE) && t.process().exe() instanceof Inode exe) {
            if ((f & OpenFile.O_ACCMODE) != OpenFile.O_RDONLY) {
                throw new Errno(Errno.EACCES); // Linux: ETXTBSY for the running program; read-only here
            }
            return t.process().files().installFrom(0, new RegularFile(exe, OpenFile.O_RDONLY), cloexec);
        }
        if (isDirectory(abs)) {
            if ((f & OpenFile.O_ACCMODE) != OpenFile.O_RDONLY || (f & OpenFile.O_CREAT) != 0) {
                throw new Errno(Errno.EISDIR);
            }
            if (!isDiskDirectory(abs)) {
                throw new Errno(Errno.EACCES); // unlike Linux: /dev and --host-dir directories are not listed
            }
            return t.process().files().installFrom(0, openDirectory(abs, f), cloexec);
        }
        if ((f & OpenFile.O_DIRECTORY) != 0) {
            statPath(abs); // ENOENT first
            throw new Errno(Errno.ENOTDIR);
        }
        return t.process().files().installFrom(0, openFile(abs, f), cloexec);
    }

    private DirectoryFile openDirectory(String abs, int flags) {
        String parent = abs.equals("/") ? "/" : normalize(abs + "/..");
        return new DirectoryFile(flags, abs, kernel.filesystem().ino(abs), kernel.filesystem().ino(parent),
                kernel.filesystem().list(abs));
    }

    /** mkdirat(2): on the disk (the mode is not kept). */
    long mkdirat(UserThread t, long dirfd, long pathname, long mode) {
        String abs = resolve(t, dirfd, getname(t, pathname));
        if (abs.equals("/") || isDirectory(abs) || kernel.filesystem().exists(abs)) {
            throw new Errno(Errno.EEXIST);
        }
        if (!isDiskDirectory(normalize(abs + "/.."))) {
            throw new Errno(isDirectory(normalize(abs + "/..")) ? Errno.EROFS : Errno.ENOENT);
        }
        kernel.filesystem().mkdir(abs);
        return 0;
    }

    /** rmdir(2): an empty directory of the disk. */
    long rmdir(UserThread t, long pathname) {
        String abs = resolve(t, AT_FDCWD, getname(t, pathname));
        return rmdirPath(t, abs);
    }

    private long rmdirPath(UserThread t, String abs) {
        if (abs.equals("/")) {
            throw new Errno(Errno.EBUSY);
        }
        if (!isDirectory(abs)) {
            statPath(abs);
            throw new Errno(Errno.ENOTDIR);
        }
        if (!isDiskDirectory(abs)) {
            throw new Errno(Errno.EROFS);
        }
        kernel.filesystem().rmdir(abs);
        return 0;
    }

    /** open(2): openat(AT_FDCWD, ...). */
    long open(UserThread t, long pathname, long flags, long mode) {
        return openat(t, AT_FDCWD, pathname, flags, mode);
    }

    /** stat(2) and lstat(2) (no symbolic links: the same). */
    long stat(UserThread t, long pathname, long statbuf) {
        ua.copyToUser(mm(t), statbuf, statPath(resolve(t, AT_FDCWD, getname(t, pathname))).toStat());
        return 0;
    }

    /** The stat of {@code dirfd}+{@code path}, or of the descriptor itself for AT_EMPTY_PATH and "". */
    private Kstat statAt(UserThread t, long dirfd, long pathname, long flags) {
        String path = getname(t, pathname);
        if (path.isEmpty() && (flags & AT_EMPTY_PATH) != 0) {
            if ((int) dirfd == AT_FDCWD) {
                return statPath(t.process().fs().cwd());
            }
            return Kstat.of(t.process().files().get(dirfd), clocks.bootTime());
        }
        return statPath(resolve(t, dirfd, path));
    }

    /** newfstatat(2): glibc's fstat and stat both come here. */
    long newfstatat(UserThread t, long dirfd, long pathname, long statbuf, long flags) {
        ua.copyToUser(mm(t), statbuf, statAt(t, dirfd, pathname, flags).toStat());
        return 0;
    }

    /** statx(2): every basic field, whatever the mask asked for (as Linux may). */
    long statx(UserThread t, long dirfd, long pathname, long flags, long mask, long buf) {
        ua.copyToUser(mm(t), buf, statAt(t, dirfd, pathname, flags).toStatx());
        return 0;
    }

    /**
     * faccessat: the caller is root (uid 0), so only existence and the read-only layers count:
     * W_OK on a --host-dir file is EROFS; X_OK needs an execute bit of the mode.
     */
    long faccessat(UserThread t, long dirfd, long pathname, long mode) {
        if ((mode & ~7) != 0) {
            throw new Errno(Errno.EINVAL);
        }
        String abs = resolve(t, dirfd, getname(t, pathname));
        Kstat st = statPath(abs);
        if ((mode & W_OK) != 0 && st.dev() == 0x802) {
            throw new Errno(Errno.EROFS);
        }
        if ((mode & X_OK) != 0 && (st.mode() & 0111) == 0) {
            throw new Errno(Errno.EACCES);
        }
        return 0;
    }

    /** getcwd(2): the length written, NUL included. */
    long getcwd(UserThread t, long buf, long size) {
        byte[] cwd = (t.process().fs().cwd() + "\0").getBytes(StandardCharsets.UTF_8);
        if (size < cwd.length) {
            throw new Errno(Errno.ERANGE);
        }
        ua.copyToUser(mm(t), buf, cwd);
        return cwd.length;
    }

    long chdir(UserThread t, long pathname) {
        String abs = resolve(t, AT_FDCWD, getname(t, pathname));
        if (!isDirectory(abs)) {
            statPath(abs); // ENOENT if missing
            throw new Errno(Errno.ENOTDIR);
        }
        if (!isDiskDirectory(abs)) {
            throw new Errno(Errno.EACCES); // unlike Linux: /dev and --host-dir directories are not entered
        }
        t.process().fs().setCwd(abs);
        return 0;
    }

    long fchdir(UserThread t, long fd) {
        if (!(t.process().files().get(fd) instanceof DirectoryFile d)) {
            throw new Errno(Errno.ENOTDIR);
        }
        t.process().fs().setCwd(d.path());
        return 0;
    }

    /** readlinkat(2): there are no symbolic links: EINVAL for what exists, ENOENT otherwise. */
    long readlinkat(UserThread t, long dirfd, long pathname, long buf, long size) {
        if (size <= 0) {
            throw new Errno(Errno.EINVAL);
        }
        statPath(resolve(t, dirfd, getname(t, pathname)));
        throw new Errno(Errno.EINVAL);
    }

    /** unlinkat(2): files only (AT_REMOVEDIR: the root cannot go, nothing else is a directory). */
    long unlinkat(UserThread t, long dirfd, long pathname, long flags) {
        String abs = resolve(t, dirfd, getname(t, pathname));
        if ((flags & AT_REMOVEDIR) != 0) {
            return rmdirPath(t, abs);
        }
        if (isDirectory(abs)) {
            throw new Errno(Errno.EISDIR);
        }
        if (!kernel.filesystem().exists(abs)) {
            throw new Errno(kernel.hostDirectory().has(abs) ? Errno.EROFS : Errno.ENOENT);
        }
        kernel.filesystem().unlink(abs);
        return 0;
    }

    /** utimensat(2): checks the file; unlike Linux, pagelab's files keep no times to set. */
    long utimensat(UserThread t, long dirfd, long pathname, long times, long flags) {
        if (pathname == 0) {
            t.process().files().get(dirfd);
            return 0;
        }
        statPath(resolve(t, dirfd, getname(t, pathname)));
        return 0;
    }

    /**
     * fallocate(2) mode 0: the file grows to offset+len if shorter. Unlike Linux, blocks are
     * not reserved (they are allocated at writeback, which may still find the disk full).
     */
    long fallocate(UserThread t, long fd, long mode, long offset, long len) {
        OpenFile f = t.process().files().get(fd);
        if (offset < 0 || len <= 0) {
            throw new Errno(Errno.EINVAL);
        }
        if (mode != 0) {
            throw new Errno(Errno.EOPNOTSUPP);
        }
        if (!(f instanceof DiskFile d) || !f.writable()) {
            throw new Errno(f.writable() ? Errno.ENODEV : Errno.EBADF);
        }
        if (offset + len > d.size()) {
            d.truncate(offset + len);
        }
        return 0;
    }
}
