package dev.pagelab.kernel.fs;

import dev.pagelab.kernel.Errno;
import dev.pagelab.kernel.fs.disk.PagelabFs;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * An open directory of the disk (Linux: a struct file on a directory inode, read with
 * getdents64): ".", "..", then its entries. Unlike Linux, the position is an index into a
 * snapshot of the entries taken at open, so entries created while it is open are not listed.
 */
public final class DirectoryFile extends OpenFile {
    /** Linux: include/linux/fs.h DT_DIR, DT_REG. */
    public static final int DT_DIR = 4, DT_REG = 8;

    /** One entry: its name, inode number and type. */
    public record Entry(String name, long ino, int type) {}

    private final List<Entry> entries; // immutable snapshot
    private final String path; // immutable: the directory's absolute path
    private final long ino; // immutable

    public DirectoryFile(int flags, String path, long ino, long parentIno, List<PagelabFs.DirEntry> disk) {
        super(flags);
        this.path = path;
        this.ino = ino;
        List<Entry> all = new ArrayList<>();
        all.add(new Entry(".", ino, DT_DIR));
        all.add(new Entry("..", parentIno, DT_DIR));
        for (PagelabFs.DirEntry e : disk) {
            all.add(new Entry(e.name(), e.ino(), e.directory() ? DT_DIR : DT_REG));
        }
        this.entries = List.copyOf(all);
    }

    /** The directory's absolute path (fchdir, *at calls). */
    public String path() {
        return path;
    }

    public long ino() {
        return ino;
    }

    @Override
    public int read(byte[] buf, int off, int len) {
        throw new Errno(Errno.EISDIR);
    }

    @Override
    public int write(byte[] buf, int off, int len) {
        throw new Errno(Errno.EBADF);
    }

    @Override
    public long lseek(long offset, int whence) {
        if (whence != RegularFile.SEEK_SET || offset < 0) {
            throw new Errno(Errno.EINVAL);
        }
        pos = offset;
        return pos;
    }

    /**
     * Linux: fs/readdir.c getdents64 with filldir64: as many {@code struct linux_dirent64}
     * records as fit in {@code max} bytes; EINVAL if not even the next one fits.
     */
    public byte[] getdents64(int max) {
        ByteBuffer out = ByteBuffer.allocate(max).order(ByteOrder.LITTLE_ENDIAN);
        while (pos < entries.size()) {
            Entry e = entries.get((int) pos);
            byte[] name = e.name().getBytes(StandardCharsets.UTF_8);
            int reclen = (19 + name.length + 1 + 7) & ~7;
            if (out.remaining() < reclen) {
                if (out.position() == 0) {
                    throw new Errno(Errno.EINVAL);
                }
                break;
            }
            int start = out.position();
            out.putLong(e.ino()).putLong(pos + 1).putShort((short) reclen).put((byte) e.type()).put(name);
            out.position(start + reclen);
            pos++;
        }
        byte[] r = new byte[out.position()];
        out.get(0, r);
        return r;
    }

    @Override
    public int mode() {
        return Kstat.S_IFDIR | 0755;
    }

    @Override
    public long size() {
        return 64L * entries.size();
    }
}
