package dev.pagelab.kernel.fs;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Linux: include/linux/stat.h struct kstat, what vfs_getattr fills, and its two user layouts:
 * the x86-64 {@code struct stat} (cp_new_stat) and {@code struct statx} (cp_statx). Unlike
 * Linux, every time stamp is {@code time} (pagelab's files carry no times of their own).
 */
public record Kstat(long dev, long ino, int mode, long nlink, int uid, int gid, long rdev, long size, long blksize,
                    long blocks, long time) {
    public static final int S_IFMT = 0170000, S_IFDIR = 0040000, S_IFREG = 0100000, S_IFCHR = 0020000,
            S_IFIFO = 0010000, S_IFLNK = 0120000;
    /** STATX_BASIC_STATS: every field of struct stat is valid. */
    public static final int STATX_BASIC_STATS = 0x7ff;

    /** The x86-64 struct stat (144 bytes). */
    public byte[] toStat() {
        ByteBuffer b = ByteBuffer.allocate(144).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(0, dev).putLong(8, ino).putLong(16, nlink).putInt(24, mode).putInt(28, uid).putInt(32, gid);
        b.putLong(40, rdev).putLong(48, size).putLong(56, blksize).putLong(64, blocks);
        b.putLong(72, time).putLong(88, time).putLong(104, time);
        return b.array();
    }

    /** struct statx (256 bytes) with {@link #STATX_BASIC_STATS}. */
    public byte[] toStatx() {
        ByteBuffer b = ByteBuffer.allocate(256).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, STATX_BASIC_STATS).putInt(4, (int) blksize).putInt(16, (int) nlink).putInt(20, uid).putInt(24, gid);
        b.putShort(28, (short) mode).putLong(32, ino).putLong(40, size).putLong(48, blocks);
        for (int ts = 64; ts <= 112; ts += 16) {
            b.putLong(ts, time);
        }
        b.putInt(128, (int) (rdev >>> 8)).putInt(132, (int) (rdev & 0xff));
        b.putInt(136, (int) (dev >>> 8)).putInt(140, (int) (dev & 0xff));
        return b.array();
    }

    /** The stat of an open file (Linux: vfs_fstat). */
    public static Kstat of(OpenFile f, long time) {
        long ino = f.inode() != null ? f.inode().ino() : 0;
        long dev = f instanceof DiskFile ? 0x801 : f.inode() != null ? 0x802 : 0x0c;
        long rdev = f instanceof DevFile d ? d.rdev() : f.mode() == (S_IFCHR | 0620) ? 0x8801 : 0;
        dev = f instanceof DevFile ? 0x5 : dev;
        long nlink = (f.mode() & S_IFMT) == S_IFDIR ? 2 : 1;
        return new Kstat(dev, ino, f.mode(), nlink, 0, 0, rdev, f.size(), 4096, (f.size() + 511) / 512, time);
    }
}
