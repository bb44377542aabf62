package dev.pagelab.kernel.syscall;

import dev.pagelab.kernel.Errno;
import dev.pagelab.kernel.Kernel;
import dev.pagelab.kernel.fs.DiskFile;
import dev.pagelab.kernel.fs.DiskFilesystem;
import dev.pagelab.kernel.fs.FileTable;
import dev.pagelab.kernel.fs.OpenFile;
import dev.pagelab.kernel.mm.MmStruct;
import dev.pagelab.kernel.mm.UserAccess;
import dev.pagelab.kernel.proc.UserThread;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** File syscalls: read, write, writev, pread64, pwrite64, openat, close, lseek, fstat, fsync... */
final class FileCalls {
    private static final int AT_FDCWD = -100;
    private static final int PATH_MAX = 4096;
    private static final int IO_CHUNK = 1 << 20;

    private final Kernel kernel; // immutable reference
    private final UserAccess ua; // immutable reference

    FileCalls(Kernel kernel) {
        this.kernel = kernel;
        this.ua = kernel.uaccess();
    }

    private static FileTable files(UserThread t) {
        return t.process().files();
    }

    private static MmStruct mm(UserThread t) {
        return t.process().mm();
    }

    private static int count(long n) {
        if (n < 0) {
            throw new Errno(Errno.EINVAL);
        }
        return (int) Math.min(n, IO_CHUNK);
    }

    long read(UserThread t, long fd, long buf, long n) {
        OpenFile f = files(t).get(fd);
        byte[] data = new byte[count(n)];
        int got = f.read(data, 0, data.length);
        ua.copyToUser(mm(t), buf, data, 0, got);
        return got;
    }

    long write(UserThread t, long fd, long buf, long n) {
        OpenFile f = files(t).get(fd);
        byte[] data = ua.copyFromUser(mm(t), buf, count(n));
        return f.write(data, 0, data.length);
    }

    long pread(UserThread t, long fd, long buf, long n, long pos) {
        OpenFile f = files(t).get(fd);
        byte[] data = new byte[count(n)];
        int got = f.pread(data, 0, data.length, pos);
        ua.copyToUser(mm(t), buf, data, 0, got);
        return got;
    }

    long pwrite(UserThread t, long fd, long buf, long n, long pos) {
        OpenFile f = files(t).get(fd);
        byte[] data = ua.copyFromUser(mm(t), buf, count(n));
        return f.pwrite(data, 0, data.length, pos);
    }

    /** writev: struct iovec { void *base; size_t len; }[iovcnt]. */
    long writev(UserThread t, long fd, long iov, long iovcnt) {
        if (iovcnt < 0 || iovcnt > 1024) {
            throw new Errno(Errno.EINVAL);
        }
        OpenFile f = files(t).get(fd);
        ByteBuffer v = ByteBuffer.wrap(ua.copyFromUser(mm(t), iov, (int) iovcnt * 16)).order(ByteOrder.LITTLE_ENDIAN);
        long total = 0;
        for (int i = 0; i < iovcnt; i++) {
            long base = v.getLong();
            long len = v.getLong();
            byte[] data = ua.copyFromUser(mm(t), base, count(len));
            total += f.write(data, 0, data.length);
        }
        return total;
    }

    long openat(UserThread t, long dirfd, long pathname, long flags) {
        String path;
        try {
            path = ua.strncpyFromUser(mm(t), pathname, PATH_MAX);
        } catch (IllegalArgumentException e) {
            throw new Errno(Errno.ENAMETOOLONG);
        }
        if ((int) dirfd != AT_FDCWD && !path.startsWith("/")) {
            files(t).get(dirfd);
            throw new Errno(Errno.ENOTDIR);
        }
        return files(t).install(openPath(path, (int) flags));
    }

    /**
     * Names resolve on the disk first; a name the disk does not have but --host-dir does opens the
     * read-only host file; anything else (including O_CREAT) goes to the disk.
     */
    private OpenFile openPath(String path, int flags) {
        DiskFilesystem disk = kernel.filesystem();
        if (!disk.exists(path) && (flags & OpenFile.O_CREAT) == 0 && kernel.hostDirectory().has(path)) {
            return kernel.hostDirectory().open(path, flags);
        }
        return disk.open(path, flags);
    }

    long close(UserThread t, long fd) {
        files(t).close(fd);
        return 0;
    }

    long lseek(UserThread t, long fd, long offset, long whence) {
        return files(t).get(fd).lseek(offset, (int) whence);
    }

    /** fstat: the x86-64 struct stat (144 bytes). */
    long fstat(UserThread t, long fd, long statbuf) {
        OpenFile f = files(t).get(fd);
        ByteBuffer b = ByteBuffer.allocate(144).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(0, 0x801); // st_dev
        b.putLong(8, f.inode() != null ? f.inode().ino() : 0); // st_ino
        b.putLong(16, 1); // st_nlink
        b.putInt(24, f.mode()); // st_mode
        b.putLong(48, f.size()); // st_size
        b.putLong(56, 4096); // st_blksize
        b.putLong(64, (f.size() + 511) / 512); // st_blocks
        ua.copyToUser(mm(t), statbuf, b.array());
        return 0;
    }

    /**
     * fsync/fdatasync (the same here: metadata is always synchronous). Host files and consoles
     * have nothing to write.
     */
    long fsync(UserThread t, long fd, String call) {
        OpenFile f = files(t).get(fd);
        if (f instanceof DiskFile d) {
            kernel.filesystem().fsync(d.diskInode(), call);
        }
        return 0;
    }

    long ftruncate(UserThread t, long fd, long length) {
        OpenFile f = files(t).get(fd);
        if (length < 0 || f.inode() == null) {
            throw new Errno(Errno.EINVAL);
        }
        if (!(f instanceof DiskFile d) || !f.writable()) {
            throw new Errno(f.writable() ? Errno.EROFS : Errno.EINVAL);
        }
        if (length > d.inode().maxBytes()) {
            throw new Errno(Errno.EFBIG); // inode_newsize_ok: past s_maxbytes
        }
        d.truncate(length);
        return 0;
    }

    long unlink(UserThread t, long pathname) {
        String path;
        try {
            path = ua.strncpyFromUser(mm(t), pathname, PATH_MAX);
        } catch (IllegalArgumentException e) {
            throw new Errno(Errno.ENAMETOOLONG);
        }
        kernel.filesystem().unlink(path);
        return 0;
    }
}
