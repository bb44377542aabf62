package dev.pagelab.kernel.fs.disk;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The in-memory copy of one 64-byte on-disk inode (Linux: struct ext2_inode, reduced). Block
 * pointers are unsigned 32-bit block numbers; 0 means a hole.
 *
 * <pre>
 *   offset size
 *        0    2  type: 0 free, 1 regular file, 2 directory (ino 1 is the root)
 *        2    2  reserved (kept as found)
 *        4    4  mtime: a logical counter, bumped by every change to the inode
 *        8    8  size in bytes
 *       16   40  10 direct block pointers (file blocks 0-9)
 *       56    4  single-indirect block (256 pointers: file blocks 10-265)
 *       60    4  double-indirect block (256 single-indirect blocks: file blocks 266-65801)
 * </pre>
 * Fields are guarded by the baton, like the PagelabFs that owns the copy.
 */
final class DiskInode {
    static final int FREE = 0, FILE = 1, DIR = 2;

    int type; // guarded by the baton
    int reserved; // guarded by the baton
    long mtime; // guarded by the baton; unsigned 32-bit on disk
    long size; // guarded by the baton
    final int[] direct = new int[PagelabFs.N_DIRECT]; // guarded by the baton
    int indirect; // guarded by the baton
    int doubleIndirect; // guarded by the baton

    static DiskInode decode(byte[] table, int offset) {
        ByteBuffer b = ByteBuffer.wrap(table, offset, Superblock.INODE_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        DiskInode in = new DiskInode();
        in.type = Short.toUnsignedInt(b.getShort());
        in.reserved = Short.toUnsignedInt(b.getShort());
        in.mtime = Integer.toUnsignedLong(b.getInt());
        in.size = b.getLong();
        for (int i = 0; i < in.direct.length; i++) {
            in.direct[i] = b.getInt();
        }
        in.indirect = b.getInt();
        in.doubleIndirect = b.getInt();
        return in;
    }

    void encode(byte[] table, int offset) {
        ByteBuffer b = ByteBuffer.wrap(table, offset, Superblock.INODE_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort((short) type).putShort((short) reserved).putInt((int) mtime).putLong(size);
        for (int p : direct) {
            b.putInt(p);
        }
        b.putInt(indirect).putInt(doubleIndirect);
    }

    boolean inUse() {
        return type != FREE;
    }
}
