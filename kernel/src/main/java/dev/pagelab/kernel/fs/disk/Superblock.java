package dev.pagelab.kernel.fs.disk;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32;

/**
 * Block 0 of a pfs image (Linux: struct ext2_super_block, much reduced). Immutable; the geometry
 * is a pure function of (totalBlocks, inodeCount), so decoding checks every stored field against
 * the recomputed one.
 *
 * <pre>
 *   offset size
 *        0    8  magic "PGLABFS1"
 *        8    4  version (1)
 *       12    4  block size (1024)
 *       16    8  total blocks (== the disk's size)
 *       24    4  inode count (slots in the inode table, ino 0 .. count-1)
 *       28    4  bitmap start (1)
 *       32    4  bitmap length in blocks (ceil(total / 8192))
 *       36    4  inode table start (bitmap start + bitmap length)
 *       40    4  inode table length in blocks (ceil(count / 16))
 *       44    4  first data block (inode table start + its length)
 *       48    4  clean flag (1 = cleanly unmounted, 0 = mounted or crashed)
 *     1020    4  CRC32 of bytes 0..1019 (everything else is zero)
 * </pre>
 * All integers little-endian.
 */
record Superblock(long totalBlocks, int inodeCount, int bitmapStart, int bitmapBlocks, int inodeTableStart,
        int inodeTableBlocks, int firstDataBlock, boolean clean) {
    static final byte[] MAGIC = "PGLABFS1".getBytes(StandardCharsets.US_ASCII);
    static final int VERSION = 1;
    static final int BITS_PER_BLOCK = VirtualDisk.BLOCK_SIZE * 8;
    static final int INODE_SIZE = 64;
    static final int INODES_PER_BLOCK = VirtualDisk.BLOCK_SIZE / INODE_SIZE;
    private static final int CRC_OFFSET = VirtualDisk.BLOCK_SIZE - 4;

    /** The layout mkfs gives a disk of {@code totalBlocks} with {@code inodeCount} inodes. */
    static Superblock forGeometry(long totalBlocks, int inodeCount, boolean clean) {
        int bitmapBlocks = (int) ((totalBlocks + BITS_PER_BLOCK - 1) / BITS_PER_BLOCK);
        int tableStart = 1 + bitmapBlocks;
        int tableBlocks = (inodeCount + INODES_PER_BLOCK - 1) / INODES_PER_BLOCK;
        return new Superblock(totalBlocks, inodeCount, 1, bitmapBlocks, tableStart, tableBlocks,
                tableStart + tableBlocks, clean);
    }

    /** Why (total, inodes) cannot be a pfs geometry, or null if it can. */
    static String geometryProblem(long totalBlocks, long inodeCount) {
        if (totalBlocks < VirtualDisk.MIN_BLOCKS || totalBlocks > PagelabFs.MAX_BLOCKS) {
            return "bad geometry: " + totalBlocks + " blocks (need " + VirtualDisk.MIN_BLOCKS + " to "
                    + PagelabFs.MAX_BLOCKS + ")";
        }
        if (inodeCount < 2 || inodeCount > PagelabFs.MAX_INODES) {
            return "bad geometry: " + inodeCount + " inodes (need 2 to " + PagelabFs.MAX_INODES + ")";
        }
        Superblock sb = forGeometry(totalBlocks, (int) inodeCount, true);
        if (sb.firstDataBlock() >= totalBlocks) {
            return "bad geometry: the metadata of " + inodeCount + " inodes fills all " + totalBlocks + " blocks";
        }
        return null;
    }

    Superblock withClean(boolean c) {
        return new Superblock(totalBlocks, inodeCount, bitmapStart, bitmapBlocks, inodeTableStart, inodeTableBlocks,
                firstDataBlock, c);
    }

    long dataBlocks() {
        return totalBlocks - firstDataBlock;
    }

    /** The 1 KiB block 0 holding this superblock, checksum included. */
    byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(VirtualDisk.BLOCK_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).putInt(VERSION).putInt(VirtualDisk.BLOCK_SIZE).putLong(totalBlocks).putInt(inodeCount)
                .putInt(bitmapStart).putInt(bitmapBlocks).putInt(inodeTableStart).putInt(inodeTableBlocks)
                .putInt(firstDataBlock).putInt(clean ? 1 : 0);
        b.putInt(CRC_OFFSET, crc(b.array()));
        return b.array();
    }

    /**
     * Decodes block 0 and checks magic, checksum, version, block size, geometry and that the disk
     * has exactly {@code diskBlocks} blocks.
     */
    static Superblock decode(byte[] block, long diskBlocks) throws FsCorruptException {
        ByteBuffer b = ByteBuffer.wrap(block).order(ByteOrder.LITTLE_ENDIAN);
        if (!Arrays.equals(block, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw new FsCorruptException("bad magic: not a pagelab filesystem");
        }
        if (b.getInt(CRC_OFFSET) != crc(block)) {
            throw new FsCorruptException("superblock checksum mismatch");
        }
        long version = Integer.toUnsignedLong(b.getInt(8));
        if (version != VERSION) {
            throw new FsCorruptException("unsupported filesystem version " + version + " (this pagelab reads "
                    + VERSION + ")");
        }
        if (b.getInt(12) != VirtualDisk.BLOCK_SIZE) {
            throw new FsCorruptException("bad block size " + Integer.toUnsignedLong(b.getInt(12)));
        }
        return decodeGeometry(b, diskBlocks);
    }

    private static Superblock decodeGeometry(ByteBuffer b, long diskBlocks) throws FsCorruptException {
        long total = b.getLong(16);
        long inodes = Integer.toUnsignedLong(b.getInt(24));
        String problem = geometryProblem(total, inodes);
        if (problem != null) {
            throw new FsCorruptException(problem);
        }
        if (total != diskBlocks) {
            throw new FsCorruptException("superblock says " + total + " blocks but the disk has " + diskBlocks
                    + " (truncated or extended image?)");
        }
        int cleanFlag = b.getInt(48);
        if (cleanFlag != 0 && cleanFlag != 1) {
            throw new FsCorruptException("bad clean flag " + Integer.toUnsignedLong(cleanFlag));
        }
        Superblock want = forGeometry(total, (int) inodes, cleanFlag == 1);
        int[] stored = {b.getInt(28), b.getInt(32), b.getInt(36), b.getInt(40), b.getInt(44)};
        int[] expected = {want.bitmapStart, want.bitmapBlocks, want.inodeTableStart, want.inodeTableBlocks,
            want.firstDataBlock};
        String[] names = {"bitmap start", "bitmap length", "inode table start", "inode table length",
            "first data block"};
        for (int i = 0; i < stored.length; i++) {
            if (stored[i] != expected[i]) {
                throw new FsCorruptException("bad geometry: " + names[i] + " " + Integer.toUnsignedLong(stored[i])
                        + ", expected " + expected[i]);
            }
        }
        return want;
    }

    private static int crc(byte[] block) {
        CRC32 crc = new CRC32();
        crc.update(block, 0, CRC_OFFSET);
        return (int) crc.getValue();
    }
}
