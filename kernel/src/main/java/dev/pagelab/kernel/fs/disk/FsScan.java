package dev.pagelab.kernel.fs.disk;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One read-only pass over a pfs image that both {@link PagelabFs#mount} and {@link PagelabFs#fsck}
 * use (Linux: e2fsck's passes 1, 2 and 5 in one). It never writes and never throws because of
 * what the image holds: every block number is range-checked before it is read, every block is
 * claimed at most once (so no walk can loop), and each finding lands in one of three lists:
 * <ul>
 *   <li>{@code corrupt}: structure that makes the filesystem unusable (mount refuses it);
 *   <li>{@code bitmap}: a block in use (metadata, or referenced by an inode) marked free, or a bit
 *       past the end of the disk set; mount refuses it on a clean image, recovery rewrites the
 *       bitmap on an unclean one;
 *   <li>{@code leaks}: blocks marked used that nothing references, and orphaned inodes (in use, in
 *       no directory entry): the residue of a crash inside allocBlock/create/unlink, which the
 *       next mount of an unclean image reclaims.
 * </ul>
 * Each list keeps its first {@link #KEEP} messages; the counters count them all.
 */
final class FsScan {
    static final int KEEP = 20;

    /** A used directory slot: entry {@code slot} of directory {@code dir} names {@code ino}. */
    record Slot(int dir, int slot, String name, int ino) {}

    // Every field is confined to the thread running the scan; the caller reads them after run().
    private final VirtualDisk disk; // immutable reference
    Superblock sb; // confined; null if block 0 is unusable (then nothing else is filled in)
    DiskInode[] inodes; // confined; by ino
    int[] owner; // confined; block -> ino whose tree references it (0 = nobody)
    BitSet diskBitmap; // confined; the bitmap as read from the disk
    final BitSet orphans = new BitSet(); // confined; inos in use with no directory entry
    final List<Slot> slots = new ArrayList<>(); // confined; used slots of every reachable directory
    final List<String> corrupt = new ArrayList<>(); // confined; first KEEP messages of each list
    final List<String> bitmap = new ArrayList<>(); // confined
    final List<String> leaks = new ArrayList<>(); // confined
    int corruptCount, bitmapCount, leakedBlocks, orphanCount; // confined; all findings, kept or not

    private final Map<Integer, Map<Long, Integer>> dirMaps = new HashMap<>(); // confined; dir ino -> file block -> disk block
    private final byte[] buf = new byte[VirtualDisk.BLOCK_SIZE]; // confined; scratch

    private FsScan(VirtualDisk disk) {
        this.disk = disk;
    }

    /** Scans {@code disk}; the result says what it found. */
    static FsScan run(VirtualDisk disk) {
        FsScan s = new FsScan(disk);
        s.scan();
        return s;
    }

    /** The message mount reports first, or null if mount may go on (bitmap findings count only if clean). */
    String fatal() {
        if (sb == null || !corrupt.isEmpty()) {
            return corrupt.isEmpty() ? "unreadable superblock" : corrupt.get(0);
        }
        return sb.clean() && !bitmap.isEmpty() ? bitmap.get(0) : null;
    }

    private void scan() {
        disk.read(0, buf, 0);
        try {
            sb = Superblock.decode(buf, disk.blocks());
        } catch (FsCorruptException e) {
            corrupt(e.getMessage());
            return;
        }
        owner = new int[(int) sb.totalBlocks()];
        readInodes();
        checkInodes();
        readDirectory();
        findOrphans();
        checkBitmap();
    }

    private void readInodes() {
        inodes = new DiskInode[sb.inodeCount()];
        for (int ino = 0; ino < inodes.length; ino++) {
            if (ino % Superblock.INODES_PER_BLOCK == 0) {
                disk.read(sb.inodeTableStart() + ino / Superblock.INODES_PER_BLOCK, buf, 0);
            }
            inodes[ino] = DiskInode.decode(buf, (ino % Superblock.INODES_PER_BLOCK) * Superblock.INODE_SIZE);
        }
    }

    /** Types and sizes of every inode, then the block tree of each one in use. */
    private void checkInodes() {
        if (inodes[0].inUse()) {
            corrupt("inode 0 is reserved but marked in use");
        }
        DiskInode root = inodes[PagelabFs.ROOT_INO];
        if (root.type != DiskInode.DIR) {
            corrupt("inode 1 (the root directory) has type " + root.type + ", not a directory");
        }
        for (int ino = 1; ino < inodes.length; ino++) {
            DiskInode in = inodes[ino];
            if (in.type != DiskInode.FREE && in.type != DiskInode.FILE && in.type != DiskInode.DIR) {
                corrupt("inode " + ino + " has bad type " + in.type);
            } else if (in.inUse()) {
                boolean sizeOk = checkSize(ino, in);
                walk(ino, in, sizeOk ? PagelabFs.blocksFor(in.size) : PagelabFs.MAX_FILE_BLOCKS);
            }
        }
    }

    private boolean checkSize(int ino, DiskInode in) {
        if (in.size < 0 || in.size > PagelabFs.MAX_FILE_SIZE) {
            corrupt("inode " + ino + " has size " + Long.toUnsignedString(in.size) + " beyond the maximum "
                    + PagelabFs.MAX_FILE_SIZE);
            return false;
        }
        if (in.type == DiskInode.DIR && !dirSizeOk(in.size)) {
            corrupt((ino == PagelabFs.ROOT_INO ? "root directory" : "directory " + ino) + " size " + in.size
                    + " is not a multiple of " + PagelabFs.DIRENT_SIZE + " at most "
                    + (long) (sb.inodeCount() - 2) * PagelabFs.DIRENT_SIZE);
            return false;
        }
        return true;
    }

    /** Claims every block in ino's tree; {@code eof} = the file's length in blocks. */
    private void walk(int ino, DiskInode in, long eof) {
        for (int i = 0; i < PagelabFs.N_DIRECT; i++) {
            claimData(ino, i, in.direct[i], eof);
        }
        claimIndirect(ino, in.indirect, 1, PagelabFs.N_DIRECT, eof);
        claimIndirect(ino, in.doubleIndirect, 2, PagelabFs.N_DIRECT + PagelabFs.PTRS_PER_BLOCK, eof);
    }

    private void claimData(int ino, long fileBlock, int ptr, long eof) {
        if (ptr == 0 || !claim(ino, ptr)) {
            return;
        }
        if (fileBlock >= eof) {
            corrupt("inode " + ino + ": block " + ptr + " at file block " + fileBlock + " lies past EOF (size "
                    + inodes[ino].size + ")");
        }
        if (inodes[ino].type == DiskInode.DIR) {
            dirMaps.computeIfAbsent(ino, d -> new HashMap<>()).put(fileBlock, ptr);
        }
    }

    /** An indirect block at {@code depth} (1 single, 2 double) mapping file blocks from {@code first}. */
    private void claimIndirect(int ino, int ptr, int depth, long first, long eof) {
        if (ptr == 0 || !claim(ino, ptr)) {
            return;
        }
        int[] p = readPointers(ptr);
        boolean empty = true;
        long span = depth == 1 ? 1 : PagelabFs.PTRS_PER_BLOCK;
        for (int i = 0; i < p.length; i++) {
            empty &= p[i] == 0;
            if (depth == 1) {
                claimData(ino, first + i, p[i], eof);
            } else {
                claimIndirect(ino, p[i], 1, first + i * span, eof);
            }
        }
        if (empty) {
            corrupt("inode " + ino + ": indirect block " + ptr + " holds no pointers");
        }
    }

    /** Records ino as the user of block ptr; false (with a finding) if ptr is out of range or taken. */
    private boolean claim(int ino, int ptr) {
        long b = Integer.toUnsignedLong(ptr);
        if (b >= sb.totalBlocks()) {
            corrupt("inode " + ino + " points at block " + b + " beyond the disk");
            return false;
        }
        if (b < sb.firstDataBlock()) {
            corrupt("inode " + ino + " points at block " + b + " inside the metadata area");
            return false;
        }
        int other = owner[(int) b];
        if (other != 0) {
            corrupt(other == ino ? "block " + b + " is referenced twice by inode " + ino
                    : "block " + b + " is referenced twice (inodes " + other + " and " + ino + ")");
            return false;
        }
        owner[(int) b] = ino;
        return true;
    }

    private int[] readPointers(int block) {
        disk.read(Integer.toUnsignedLong(block), buf, 0);
        int[] p = new int[PagelabFs.PTRS_PER_BLOCK];
        ByteBuffer.wrap(buf).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(p);
        return p;
    }

    /**
     * Pass 2: the directory tree, breadth first from the root (each directory only if its inode is
     * sound). An inode may be named once in the whole tree, which also rules out cycles; a
     * directory no reachable entry names is an orphan, and so is everything below it.
     */
    private void readDirectory() {
        Map<Integer, Integer> inos = new HashMap<>();
        java.util.ArrayDeque<Integer> todo = new java.util.ArrayDeque<>();
        todo.add(PagelabFs.ROOT_INO);
        while (!todo.isEmpty()) {
            int dir = todo.poll();
            DiskInode d = inodes[dir];
            if (d.type != DiskInode.DIR || !dirSizeOk(d.size)) {
                continue;
            }
            readDirectory(dir, inos, todo);
        }
    }

    private void readDirectory(int dir, Map<Integer, Integer> inos, java.util.ArrayDeque<Integer> todo) {
        Map<String, Integer> names = new HashMap<>();
        long slotsN = inodes[dir].size / PagelabFs.DIRENT_SIZE;
        byte[] dirBlock = new byte[VirtualDisk.BLOCK_SIZE];
        long loaded = -1;
        for (int slot = 0; slot < slotsN; slot++) {
            long fb = (long) slot * PagelabFs.DIRENT_SIZE / VirtualDisk.BLOCK_SIZE;
            if (fb != loaded) {
                loadDirBlock(dir, fb, dirBlock);
                loaded = fb;
            }
            Slot s = checkEntry(dir, slot, dirBlock, (slot * PagelabFs.DIRENT_SIZE) % VirtualDisk.BLOCK_SIZE, names, inos);
            if (s != null && inodes[s.ino()].type == DiskInode.DIR) {
                todo.add(s.ino());
            }
        }
    }

    /** True if a directory of {@code size} bytes is valid (its pointers were checked with it). */
    private boolean dirSizeOk(long size) {
        return size >= 0 && size % PagelabFs.DIRENT_SIZE == 0
                && size <= (long) (sb.inodeCount() - 2) * PagelabFs.DIRENT_SIZE;
    }

    private void loadDirBlock(int dir, long fb, byte[] dst) {
        Integer b = dirMaps.getOrDefault(dir, Map.of()).get(fb);
        if (b == null) {
            java.util.Arrays.fill(dst, (byte) 0);
        } else {
            disk.read(Integer.toUnsignedLong(b), dst, 0);
        }
    }

    private Slot checkEntry(int dir, int slot, byte[] block, int off, Map<String, Integer> names,
                            Map<Integer, Integer> inos) {
        ByteBuffer b = ByteBuffer.wrap(block).order(ByteOrder.LITTLE_ENDIAN);
        long ino = Integer.toUnsignedLong(b.getInt(off));
        if (ino == 0) {
            return null;
        }
        String name = decodeName(block, off + 4);
        String where = (dir == PagelabFs.ROOT_INO ? "directory entry " : "directory " + dir + " entry ") + slot
                + (name != null ? " (\"" + name + "\")" : "");
        if (name == null) {
            corrupt(where + " has a bad name");
        } else if (ino == PagelabFs.ROOT_INO || ino >= inodes.length) {
            corrupt(where + " points at inode " + ino + (ino == PagelabFs.ROOT_INO ? ", the root directory"
                    : " beyond the inode table"));
        } else if (!inodes[(int) ino].inUse()) {
            corrupt(where + " points at free inode " + ino);
        } else if (names.containsKey(name)) {
            corrupt("duplicate name \"" + name + "\" (" + (dir == PagelabFs.ROOT_INO ? "" : "directory " + dir + ", ")
                    + "directory entries " + names.get(name) + " and " + slot + ")");
        } else if (inos.containsKey((int) ino)) {
            corrupt("inode " + ino + " has two directory entries (" + inos.get((int) ino) + " and " + slot + ")");
        } else {
            names.put(name, slot);
            inos.put((int) ino, slot);
            Slot s = new Slot(dir, slot, name, (int) ino);
            slots.add(s);
            return s;
        }
        return null;
    }

    /** The entry's name (length byte, then up to 59 bytes of UTF-8), or null if it is not a valid name. */
    static String decodeName(byte[] block, int off) {
        int len = Byte.toUnsignedInt(block[off]);
        if (len == 0 || len > PagelabFs.NAME_MAX) {
            return null;
        }
        try {
            String name = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(block, off + 1, len)).toString();
            return PagelabFs.nameProblem(name) == null ? name : null;
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /** Used file inodes no directory entry names (only when the directory could be read). */
    private void findOrphans() {
        if (!corrupt.isEmpty()) {
            return;
        }
        BitSet named = new BitSet();
        slots.forEach(s -> named.set(s.ino()));
        for (int ino = 2; ino < inodes.length; ino++) {
            if (inodes[ino].inUse() && !named.get(ino)) {
                orphans.set(ino);
                orphanCount++;
                keep(leaks, "inode " + ino + " is in use but in no directory entry (orphan)");
            }
        }
    }

    /** Pass 5: the bitmap against the metadata area and the claimed blocks. */
    private void checkBitmap() {
        diskBitmap = readBitmap();
        for (long b = 0; b < sb.totalBlocks(); b++) {
            boolean marked = diskBitmap.get((int) b);
            if (b < sb.firstDataBlock()) {
                if (!marked) {
                    bitmap("metadata block " + b + " is marked free in the bitmap");
                }
            } else if (owner[(int) b] != 0 && !marked) {
                bitmap("block " + b + " is used by inode " + owner[(int) b] + " but marked free in the bitmap");
            } else if (owner[(int) b] == 0 && marked) {
                leakedBlocks++;
                keep(leaks, "block " + b + " is marked used but referenced by nothing");
            }
        }
        int beyond = diskBitmap.nextSetBit((int) sb.totalBlocks());
        if (beyond >= 0) {
            bitmap("the bitmap marks block " + beyond + " (beyond the disk) as used");
        }
    }

    private BitSet readBitmap() {
        byte[] all = new byte[sb.bitmapBlocks() * VirtualDisk.BLOCK_SIZE];
        for (int i = 0; i < sb.bitmapBlocks(); i++) {
            disk.read(sb.bitmapStart() + i, all, i * VirtualDisk.BLOCK_SIZE);
        }
        return BitSet.valueOf(all);
    }

    private void corrupt(String message) {
        corruptCount++;
        keep(corrupt, message);
    }

    private void bitmap(String message) {
        bitmapCount++;
        keep(bitmap, message);
    }

    private static void keep(List<String> list, String message) {
        if (list.size() < KEEP) {
            list.add(message);
        }
    }
}
