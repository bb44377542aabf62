package dev.pagelab.kernel.fs.disk;

import dev.pagelab.kernel.Errno;
import java.io.IOException;
import java.io.UncheckedIOException;
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
import java.util.TreeSet;

/**
 * pfs, pagelab's on-disk filesystem (Linux: fs/ext2, reduced to one flat directory and no page
 * cache of its own). All metadata is written synchronously through {@link VirtualDisk#writeSync};
 * file data goes through the kernel's page cache and buffer heads, which use {@link #bmap},
 * {@link #allocBlock} and the delayed-allocation reservations ({@link #reserve}).
 *
 * <p>Layout, in 1 KiB blocks (see {@link Superblock} and {@link DiskInode} for the byte layouts):
 * <pre>
 *   0                      superblock
 *   1 ..                   block bitmap, 1 bit per block of the disk (bit set = in use)
 *   .. firstDataBlock-1    inode table, 16 inodes of 64 bytes per block; ino 0 reserved, ino 1 root
 *   firstDataBlock ..      data and indirect blocks
 * </pre>
 * The root directory (ino 1) is a flat file of 64-byte entries: ino (u32, 0 = free slot), name
 * length (u8), name (up to 59 bytes of UTF-8).
 *
 * <p>Crash safety without a journal: every operation orders its synchronous writes so that a
 * power loss between any two of them leaves at worst <em>leaks</em> (a block marked used that
 * nothing references, an inode in use that no entry names), never a reference to a free block or
 * a name for a free inode. Allocation writes bitmap, new block, indirect block(s), inode; freeing
 * writes the references away first and the bitmap last. Mounting an image whose clean flag is 0
 * reclaims the leaks (Unlike ext2, no e2fsck run is needed).
 *
 * <p>Invariants (checked by {@link #fsck}): every block an inode references lies in the data area,
 * below EOF, is referenced once and is marked used; every referenced indirect block holds a
 * pointer; every entry names a used file inode, each name and inode once; the root directory is
 * at most (inodes - 2) entries long; the bitmap marks exactly the metadata and referenced blocks.
 *
 * <p>Not thread-safe: the kernel calls it from one task at a time (every mutable field is guarded
 * by the baton). Kernel bugs (a free inode, a block past EOF) throw IllegalArgumentException or
 * IllegalStateException; refusals a program must see throw {@link FsException} with an errno.
 */
public final class PagelabFs {
    public static final int BLOCK_SIZE = VirtualDisk.BLOCK_SIZE;
    public static final int ROOT_INO = 1;
    public static final int NAME_MAX = 59;
    public static final int DIRENT_SIZE = 64;
    public static final int N_DIRECT = 10;
    public static final int PTRS_PER_BLOCK = BLOCK_SIZE / 4;
    public static final long MAX_FILE_BLOCKS = N_DIRECT + PTRS_PER_BLOCK + (long) PTRS_PER_BLOCK * PTRS_PER_BLOCK;
    public static final long MAX_FILE_SIZE = MAX_FILE_BLOCKS * BLOCK_SIZE;
    /** The largest disk pfs formats: 4 GiB (the in-memory bitmap and block map scale with it). */
    public static final long MAX_BLOCKS = 1L << 22;
    public static final int MAX_INODES = 1 << 16;
    public static final int DEFAULT_INODES = 128;

    private static final byte[] ZERO = new byte[BLOCK_SIZE];
    private static final long SINGLE_FIRST = N_DIRECT; // first file block mapped by the single-indirect block
    private static final long DOUBLE_FIRST = N_DIRECT + PTRS_PER_BLOCK; // ... by the double-indirect block

    /** One name in a directory: {@code directory} is true for a subdirectory. */
    public record DirEntry(String name, int ino, long size, boolean directory) {
        public DirEntry(String name, int ino, long size) {
            this(name, ino, size, false);
        }
    }

    /** One directory's entries in memory: its slots (null = free) and their index by name. */
    private static final class Dir {
        final List<FsScan.Slot> slots = new ArrayList<>(); // guarded by the baton
        final Map<String, Integer> slotOf = new HashMap<>(); // guarded by the baton
    }

    /** What {@link #fsck} found: errors break an invariant; notes are harmless (leaks after a crash). */
    public record FsckReport(List<String> errors, List<String> notes) {
        public FsckReport {
            errors = List.copyOf(errors);
            notes = List.copyOf(notes);
        }

        public boolean clean() {
            return errors.isEmpty();
        }
    }

    private final VirtualDisk disk; // immutable reference
    private final Superblock sb; // immutable; the on-disk clean flag is written separately
    private final boolean readOnly; // immutable
    private final DiskInode[] inodes; // guarded by the baton; mirrors the inode table, by ino
    private final BitSet bitmap; // guarded by the baton; mirrors the on-disk bitmap
    private final Map<Integer, Dir> dirs = new HashMap<>(); // guarded by the baton; every directory, by ino
    private final Map<Integer, Integer> parentOf = new HashMap<>(); // guarded by the baton; named ino -> its directory
    // Invariant: for each directory d, dirs.get(d).slots.size() == inodes[d].size / DIRENT_SIZE and
    // slotOf indexes its non-null slots; every named ino has exactly one entry, in parentOf's directory.
    private long freeCount; // guarded by the baton; clear bits of bitmap in the data area
    private long reserved; // guarded by the baton; delayed-allocation promises, in memory only
    private long clock; // guarded by the baton; the last mtime handed out
    private boolean mounted = true; // guarded by the baton

    private PagelabFs(VirtualDisk disk, FsScan scan, boolean readOnly) {
        this.disk = disk;
        this.sb = scan.sb;
        this.readOnly = readOnly;
        this.inodes = scan.inodes;
        this.bitmap = sb.clean() ? scan.diskBitmap : rebuiltBitmap(scan);
        if (!sb.clean()) {
            scan.orphans.stream().forEach(ino -> inodes[ino] = new DiskInode());
        }
        this.freeCount = sb.dataBlocks() - bitmap.get(sb.firstDataBlock(), (int) sb.totalBlocks()).cardinality();
        for (DiskInode in : inodes) {
            clock = Math.max(clock, in.mtime);
        }
        loadSlots(scan.slots);
    }

    // ---------------------------------------------------------------- mkfs, mount, unmount, fsck

    /** Why {@link #mkfs} would refuse a disk of {@code blocks} blocks with {@code inodes} inodes, or null. */
    public static String geometryProblem(long blocks, int inodes) {
        return Superblock.geometryProblem(blocks, inodes);
    }

    /**
     * Linux: mke2fs. Formats the whole disk with {@code inodes} inode slots (ino 0 reserved, 1 the
     * root): writes the superblock invalid first and valid last, so a crash leaves no half-made fs.
     */
    public static void mkfs(VirtualDisk disk, int inodes) throws IOException {
        String problem = Superblock.geometryProblem(disk.blocks(), inodes);
        if (problem != null) {
            throw new IllegalArgumentException("mkfs: " + problem);
        }
        Superblock sb = Superblock.forGeometry(disk.blocks(), inodes, true);
        disk.writeSync(0, ZERO, 0);
        BitSet used = new BitSet();
        used.set(0, sb.firstDataBlock());
        for (int i = 0; i < sb.bitmapBlocks(); i++) {
            disk.writeSync(sb.bitmapStart() + i, bitmapBlockBytes(used, i), 0);
        }
        for (int i = 0; i < sb.inodeTableBlocks(); i++) {
            disk.writeSync(sb.inodeTableStart() + i, i == 0 ? rootInodeTableBlock() : ZERO, 0);
        }
        disk.writeSync(0, sb.encode(), 0);
    }

    private static byte[] rootInodeTableBlock() {
        byte[] block = new byte[BLOCK_SIZE];
        DiskInode root = new DiskInode();
        root.type = DiskInode.DIR;
        root.encode(block, ROOT_INO * Superblock.INODE_SIZE);
        return block;
    }

    /**
     * Linux: ext2_fill_super. Checks the whole image first (nothing is written unless it is sound);
     * if it was not cleanly unmounted, reclaims the leaks a crash leaves (rebuilds the bitmap from
     * the inodes, frees orphaned inodes). Leaves the clean flag 0 on disk until {@link #unmount}.
     */
    public static PagelabFs mount(VirtualDisk disk) throws FsCorruptException {
        if (disk.readOnly()) {
            throw new IllegalArgumentException("mount: disk " + disk.image()
                    + " is open read-only (use mountReadOnly)");
        }
        FsScan scan = scanOrThrow(disk);
        PagelabFs fs = new PagelabFs(disk, scan, false);
        if (!scan.sb.clean()) {
            fs.recover(scan.orphans);
        }
        fs.writeSuperblock(false);
        return fs;
    }

    /**
     * A mount that never writes: no recovery writes, the clean flag untouched. On an unclean image
     * the leaks are reclaimed in memory only, so {@link #freeBlocks} is what a real mount would say.
     * Every modifying method throws IllegalStateException.
     */
    public static PagelabFs mountReadOnly(VirtualDisk disk) throws FsCorruptException {
        return new PagelabFs(disk, scanOrThrow(disk), true);
    }

    private static FsScan scanOrThrow(VirtualDisk disk) throws FsCorruptException {
        FsScan scan = FsScan.run(disk);
        String fatal = scan.fatal();
        if (fatal != null) {
            throw new FsCorruptException(fatal);
        }
        return scan;
    }

    /** The bitmap an unclean image should have had: metadata plus blocks of non-orphan inodes. */
    private static BitSet rebuiltBitmap(FsScan scan) {
        BitSet b = new BitSet((int) scan.sb.totalBlocks());
        b.set(0, scan.sb.firstDataBlock());
        for (int blk = scan.sb.firstDataBlock(); blk < scan.sb.totalBlocks(); blk++) {
            int owner = scan.owner[blk];
            if (owner != 0 && !scan.orphans.get(owner)) {
                b.set(blk);
            }
        }
        return b;
    }

    /** Writes the reclaimed state: freed orphan inodes first, then the whole bitmap. Idempotent. */
    private void recover(BitSet orphans) {
        orphans.stream().forEach(this::writeInode);
        for (int i = 0; i < sb.bitmapBlocks(); i++) {
            writeBitmapBlock(i);
        }
    }

    private void loadSlots(List<FsScan.Slot> found) {
        newDir(ROOT_INO);
        for (FsScan.Slot s : found) {
            if (inodes[s.ino()].type == DiskInode.DIR) {
                newDir(s.ino());
            }
        }
        for (FsScan.Slot s : found) {
            Dir d = dirs.get(s.dir());
            d.slots.set(s.slot(), s);
            d.slotOf.put(s.name(), s.slot());
            parentOf.put(s.ino(), s.dir());
        }
    }

    /** The in-memory entry list of directory {@code ino}, all slots free. */
    private Dir newDir(int ino) {
        Dir d = new Dir();
        long n = inodes[ino].size / DIRENT_SIZE;
        for (int i = 0; i < n; i++) {
            d.slots.add(null);
        }
        dirs.put(ino, d);
        return d;
    }

    /** Linux: ext2_put_super. Writes clean=1 (nothing for a read-only mount); the fs is unusable after. */
    public void unmount() {
        checkMounted("unmount");
        if (!readOnly) {
            writeSuperblock(true);
        }
        mounted = false;
    }

    /**
     * Linux: e2fsck -n. Checks every invariant of the image without writing. Never throws because
     * of what the image holds. On an image that was not cleanly unmounted, leaked blocks and
     * orphaned inodes (what a crash leaves) are notes, not errors.
     */
    public static FsckReport fsck(VirtualDisk disk) {
        FsScan s;
        try {
            s = FsScan.run(disk);
        } catch (UncheckedIOException e) {
            return new FsckReport(List.of("read error: " + e.getCause().getMessage()), List.of());
        }
        List<String> errors = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        addCapped(errors, s.corrupt, s.corruptCount);
        if (s.sb != null) {
            addCapped(errors, s.bitmap, s.bitmapCount);
            if (s.sb.clean()) {
                addCapped(errors, s.leaks, s.leakedBlocks + s.orphanCount);
            } else {
                notes.add("not cleanly unmounted (still mounted, or crashed)");
                addLeakNotes(notes, s);
            }
        }
        return new FsckReport(errors, notes);
    }

    private static void addCapped(List<String> out, List<String> kept, int total) {
        out.addAll(kept);
        if (total > kept.size()) {
            out.add("... and " + (total - kept.size()) + " more like these");
        }
    }

    private static void addLeakNotes(List<String> notes, FsScan s) {
        if (s.leakedBlocks > 0) {
            notes.add(s.leakedBlocks + " leaked block" + (s.leakedBlocks == 1 ? "" : "s")
                    + ", reclaimed by the next mount");
        }
        if (s.orphanCount > 0) {
            notes.add(s.orphanCount + " orphaned inode" + (s.orphanCount == 1 ? "" : "s")
                    + " (in use, in no directory entry), freed by the next mount");
        }
    }

    // ---------------------------------------------------------------- directories

    /**
     * Linux: ext2_inode_by_name along a path. The ino that {@code path} names ("a/b/c", relative
     * to the root; "" is the root itself), or -1.
     */
    public int lookup(String path) {
        checkMounted("lookup");
        int ino = ROOT_INO;
        for (String part : parts(path)) {
            Dir d = dirs.get(ino);
            Integer slot = d == null ? null : d.slotOf.get(part);
            if (slot == null) {
                return -1;
            }
            ino = d.slots.get(slot).ino();
        }
        return ino;
    }

    private static List<String> parts(String path) {
        List<String> out = new ArrayList<>();
        for (String p : path.split("/")) {
            if (!p.isEmpty()) {
                out.add(p);
            }
        }
        return out;
    }

    /** True if {@code path} names a directory. */
    public boolean isDirectory(String path) {
        int ino = lookup(path);
        return ino > 0 && inodes[ino].type == DiskInode.DIR;
    }

    /** The root directory, in slot order. */
    public List<DirEntry> list() {
        return list("");
    }

    /** The directory {@code path}, in slot order (empty if it is not a directory). */
    public List<DirEntry> list(String path) {
        checkMounted("list");
        int ino = lookup(path);
        Dir d = ino > 0 ? dirs.get(ino) : null;
        List<DirEntry> out = new ArrayList<>();
        if (d != null) {
            for (FsScan.Slot s : d.slots) {
                if (s != null) {
                    DiskInode in = inodes[s.ino()];
                    out.add(new DirEntry(s.name(), s.ino(), in.size, in.type == DiskInode.DIR));
                }
            }
        }
        return out;
    }

    /** The path of a named ino ("" for the root), from its chain of parent directories. */
    public String pathOf(int ino) {
        checkMounted("pathOf");
        StringBuilder path = new StringBuilder();
        for (int i = ino; i != ROOT_INO; ) {
            Integer dir = parentOf.get(i);
            if (dir == null) {
                throw new IllegalArgumentException("pathOf: inode " + ino + " is not named");
            }
            String name = nameIn(dir, i);
            path.insert(0, path.isEmpty() ? name : name + "/");
            i = dir;
        }
        return path.toString();
    }

    private String nameIn(int dir, int ino) {
        for (FsScan.Slot s : dirs.get(dir).slots) {
            if (s != null && s.ino() == ino) {
                return s.name();
            }
        }
        throw new IllegalStateException("nameIn: directory " + dir + " does not name inode " + ino);
    }

    /** The directory that will hold {@code path}'s last component: ENOENT / ENOTDIR along the way. */
    private int parentDir(String path) throws FsException {
        List<String> p = parts(path);
        if (p.isEmpty()) {
            throw new FsException(Errno.EEXIST, "the root directory");
        }
        int ino = lookup(String.join("/", p.subList(0, p.size() - 1)));
        if (ino < 0) {
            throw new FsException(Errno.ENOENT, "no directory for \"" + path + "\"");
        }
        if (inodes[ino].type != DiskInode.DIR) {
            throw new FsException(Errno.ENOTDIR, "not a directory on the way to \"" + path + "\"");
        }
        return ino;
    }

    private static String leaf(String path) {
        List<String> p = parts(path);
        return p.isEmpty() ? "" : p.get(p.size() - 1);
    }

    /**
     * Linux: ext2_create. A new empty file. Writes the inode first, then (growing the directory
     * if no slot is free) the entry, so a crash leaves at worst an orphaned inode.
     */
    public int create(String path) throws FsException {
        return createInode(path, DiskInode.FILE);
    }

    /**
     * Linux: ext2_mkdir. A new empty directory, in the same order as {@link #create}: inode, then
     * entry (a crash leaves at worst an orphaned directory inode, freed by the next mount).
     */
    public int mkdir(String path) throws FsException {
        int ino = createInode(path, DiskInode.DIR);
        newDir(ino);
        return ino;
    }

    private int createInode(String path, int type) throws FsException {
        checkWritable(type == DiskInode.DIR ? "mkdir" : "create");
        int dir = parentDir(path);
        String name = leaf(path);
        byte[] nameBytes = checkNewName(dir, name);
        int ino = findFreeInode();
        if (ino < 0) {
            throw new FsException(Errno.ENOSPC, "no free inode for \"" + path + "\"");
        }
        int slot = findFreeSlot(dir);
        long dirBlock = (long) slot * DIRENT_SIZE / BLOCK_SIZE;
        if (slot >= inodes.length - 2) {
            throw new FsException(Errno.ENOSPC, "directory full for \"" + path + "\"");
        }
        if (mapBlocksNeeded(inodes[dir], dirBlock) > freeCount - reserved) {
            throw new FsException(Errno.ENOSPC, "no free block to grow the directory for \"" + path + "\"");
        }
        DiskInode in = new DiskInode();
        in.type = type;
        inodes[ino] = in;
        touch(ino);
        writeDirEntry(dir, slot, ino, nameBytes);
        Dir d = dirs.get(dir);
        d.slots.set(slot, new FsScan.Slot(dir, slot, name, ino));
        d.slotOf.put(name, slot);
        parentOf.put(ino, dir);
        return ino;
    }

    /** EINVAL / ENAMETOOLONG / EEXIST checks in directory {@code dir}; the name's UTF-8 bytes. */
    private byte[] checkNewName(int dir, String name) throws FsException {
        String problem = nameProblem(name);
        byte[] bytes = problem == null ? utf8(name) : null;
        if (bytes == null) {
            throw new FsException(Errno.EINVAL, problem != null ? problem : "name is not valid Unicode");
        }
        if (bytes.length > NAME_MAX) {
            throw new FsException(Errno.ENAMETOOLONG, "name longer than " + NAME_MAX + " bytes");
        }
        if (dirs.get(dir).slotOf.containsKey(name)) {
            throw new FsException(Errno.EEXIST, "\"" + name + "\" exists");
        }
        return bytes;
    }

    /** Why {@code name} cannot be a pfs name (apart from its length), or null. */
    static String nameProblem(String name) {
        if (name.isEmpty()) {
            return "empty name";
        }
        if (name.indexOf('/') >= 0 || name.indexOf('\0') >= 0 || name.equals(".") || name.equals("..")) {
            return "bad name \"" + name.replace("\0", "\\0") + "\"";
        }
        return null;
    }

    private static byte[] utf8(String s) {
        try {
            ByteBuffer b = StandardCharsets.UTF_8.newEncoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).encode(java.nio.CharBuffer.wrap(s));
            byte[] out = new byte[b.remaining()];
            b.get(out);
            return out;
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    private int findFreeInode() {
        for (int ino = ROOT_INO + 1; ino < inodes.length; ino++) {
            if (!inodes[ino].inUse()) {
                return ino;
            }
        }
        return -1;
    }

    /** The first free slot of {@code dir}, or the slot just past its end (it grows by one entry). */
    private int findFreeSlot(int dir) {
        List<FsScan.Slot> slots = dirs.get(dir).slots;
        int free = slots.indexOf(null);
        return free >= 0 ? free : slots.size();
    }

    /** The slot naming {@code path} in its directory: {dir, slot}; ENOENT if there is none. */
    private int[] slotOf(String path) throws FsException {
        int dir = parentDir(path);
        Integer slot = dirs.get(dir).slotOf.get(leaf(path));
        if (slot == null) {
            throw new FsException(Errno.ENOENT, "no file \"" + path + "\"");
        }
        return new int[] {dir, slot};
    }

    /**
     * Linux: ext2_unlink + ext2_delete_inode. Writes the entry away, then the inode, then the
     * bitmap: a crash leaves an orphaned inode or leaked blocks, never a dangling name.
     */
    public void unlink(String path) throws FsException {
        checkWritable("unlink");
        int[] ds = slotOf(path);
        int ino = dirs.get(ds[0]).slots.get(ds[1]).ino();
        if (inodes[ino].type == DiskInode.DIR) {
            throw new FsException(Errno.EISDIR, "\"" + path + "\" is a directory");
        }
        removeEntryAndFree(ds[0], ds[1], ino);
    }

    /**
     * Linux: ext2_rmdir. Only an empty directory goes, in unlink's order: entry, inode, bitmap
     * (its entry blocks are freed with it).
     */
    public void rmdir(String path) throws FsException {
        checkWritable("rmdir");
        if (parts(path).isEmpty()) {
            throw new FsException(Errno.EBUSY, "the root directory");
        }
        int[] ds = slotOf(path);
        int ino = dirs.get(ds[0]).slots.get(ds[1]).ino();
        if (inodes[ino].type != DiskInode.DIR) {
            throw new FsException(Errno.ENOTDIR, "\"" + path + "\" is not a directory");
        }
        if (!dirs.get(ino).slotOf.isEmpty()) {
            throw new FsException(Errno.ENOTEMPTY, "\"" + path + "\" is not empty");
        }
        removeEntryAndFree(ds[0], ds[1], ino);
        dirs.remove(ino);
    }

    private void removeEntryAndFree(int dir, int slot, int ino) {
        Dir d = dirs.get(dir);
        writeDirEntry(dir, slot, 0, new byte[0]);
        d.slotOf.remove(d.slots.get(slot).name());
        d.slots.set(slot, null);
        parentOf.remove(ino);
        List<Integer> freed = blocksOf(inodes[ino]);
        inodes[ino] = new DiskInode();
        writeInode(ino);
        markFree(freed);
    }

    /**
     * Linux: ext2_rename, for a target that does not exist in the same directory: the entry's slot
     * is rewritten with the new name in place, one synchronous write of one block, so a crash
     * leaves the old name or the new one, never both or neither. Unlike Linux, a move to another
     * directory is refused with EXDEV (it would take two writes; mv then copies), and so is one
     * onto an existing name (EEXIST; the caller unlinks the target first).
     */
    public void rename(String from, String to) throws FsException {
        checkWritable("rename");
        int[] ds = slotOf(from);
        int toDir = parentDir(to);
        if (toDir != ds[0]) {
            throw new FsException(Errno.EXDEV, "\"" + from + "\" and \"" + to + "\" are in different directories");
        }
        String name = leaf(to);
        byte[] nameBytes = checkNewName(toDir, name);
        Dir d = dirs.get(ds[0]);
        FsScan.Slot old = d.slots.get(ds[1]);
        writeDirEntry(ds[0], ds[1], old.ino(), nameBytes);
        d.slots.set(ds[1], new FsScan.Slot(ds[0], ds[1], name, old.ino()));
        d.slotOf.remove(old.name());
        d.slotOf.put(name, ds[1]);
    }

    /** Writes slot's 64 bytes of directory {@code dir} (ino 0 and an empty name free it), mapping its block if needed. */
    private void writeDirEntry(int dirIno, int slot, int ino, byte[] name) {
        DiskInode dir = inodes[dirIno];
        long pos = (long) slot * DIRENT_SIZE;
        if (pos >= dir.size) {
            dir.size = pos + DIRENT_SIZE;
            dirs.get(dirIno).slots.add(null);
            touch(dirIno);
        }
        long fb = pos / BLOCK_SIZE;
        int blk = bmapRaw(dir, fb);
        if (blk == 0) {
            blk = allocLinkedOrDie(dirIno, fb);
        }
        byte[] buf = new byte[BLOCK_SIZE];
        disk.read(blk, buf, 0);
        int off = (int) (pos % BLOCK_SIZE);
        java.util.Arrays.fill(buf, off, off + DIRENT_SIZE, (byte) 0);
        ByteBuffer.wrap(buf).order(ByteOrder.LITTLE_ENDIAN).putInt(off, ino);
        buf[off + 4] = (byte) name.length;
        System.arraycopy(name, 0, buf, off + 5, name.length);
        disk.writeSync(blk, buf, 0);
    }

    private int allocLinkedOrDie(int ino, long fb) {
        try {
            return allocLinked(ino, fb, null);
        } catch (FsException e) {
            throw new IllegalStateException("writeDirEntry: " + e.getMessage() + " after the space check");
        }
    }

    // ---------------------------------------------------------------- inodes

    public long size(int ino) {
        checkFile("size", ino);
        return inodes[ino].size;
    }

    /** The inode's modification counter (a logical clock, bumped by every change to the inode). */
    public long mtime(int ino) {
        checkFile("mtime", ino);
        return inodes[ino].mtime;
    }

    /**
     * Linux: ext2_setattr / ext2_truncate. Growing only records the size (the new range is a
     * hole). Shrinking zeroes the tail of the new last block on disk, writes the indirect blocks
     * that keep some pointers, then the inode (which drops the emptied ones), then the bitmap.
     * Preconditions: 0 <= size <= MAX_FILE_SIZE (the caller returns EFBIG otherwise).
     */
    public void setSize(int ino, long size) {
        checkWritable("setSize");
        checkFile("setSize", ino);
        if (size < 0 || size > MAX_FILE_SIZE) {
            throw new IllegalArgumentException("setSize: size " + size + " of inode " + ino + " beyond "
                    + MAX_FILE_SIZE);
        }
        DiskInode in = inodes[ino];
        if (size >= in.size) {
            in.size = size;
            touch(ino);
            return;
        }
        zeroTail(in, size);
        List<Integer> freed = new ArrayList<>();
        long keep = blocksFor(size);
        for (int i = (int) Math.min(keep, N_DIRECT); i < N_DIRECT; i++) {
            if (in.direct[i] != 0) {
                freed.add(in.direct[i]);
                in.direct[i] = 0;
            }
        }
        in.indirect = truncateTree(in.indirect, 1, SINGLE_FIRST, keep, freed);
        in.doubleIndirect = truncateTree(in.doubleIndirect, 2, DOUBLE_FIRST, keep, freed);
        in.size = size;
        touch(ino);
        markFree(freed);
    }

    /** Zeroes bytes [size, end of block) of the block holding byte size-1, if it is mapped. */
    private void zeroTail(DiskInode in, long size) {
        int tail = (int) (size % BLOCK_SIZE);
        int blk = tail == 0 ? 0 : bmapRaw(in, size / BLOCK_SIZE);
        if (blk != 0) {
            byte[] buf = new byte[BLOCK_SIZE];
            disk.read(blk, buf, 0);
            java.util.Arrays.fill(buf, tail, BLOCK_SIZE, (byte) 0);
            disk.writeSync(blk, buf, 0);
        }
    }

    /**
     * Drops the file blocks >= keep under indirect block {@code blk} (depth 1 or 2, mapping file
     * blocks from {@code first}), adding them to {@code freed}. Rewrites blk if it keeps a pointer;
     * returns 0 (and frees blk unwritten) if it keeps none, so no empty indirect block stays linked.
     */
    private int truncateTree(int blk, int depth, long first, long keep, List<Integer> freed) {
        if (blk == 0) {
            return 0;
        }
        long span = depth == 1 ? 1 : PTRS_PER_BLOCK;
        if (first + span * PTRS_PER_BLOCK <= keep) {
            return blk; // wholly below the new EOF
        }
        if (first >= keep) {
            collectTree(blk, depth, freed);
            return 0;
        }
        int[] p = readPointers(blk);
        boolean changed = false;
        for (int i = 0; i < p.length; i++) {
            int np = p[i] == 0 ? 0 : depth == 1 ? (first + i >= keep ? freeLater(p[i], freed) : p[i])
                    : truncateTree(p[i], 1, first + i * span, keep, freed);
            changed |= np != p[i];
            p[i] = np;
        }
        if (java.util.Arrays.stream(p).allMatch(x -> x == 0)) {
            freed.add(blk);
            return 0;
        }
        if (changed) {
            writePointers(blk, p);
        }
        return blk;
    }

    private static int freeLater(int blk, List<Integer> freed) {
        freed.add(blk);
        return 0;
    }

    /** Adds blk and everything under it to {@code out}. */
    private void collectTree(int blk, int depth, List<Integer> out) {
        out.add(blk);
        for (int child : readPointers(blk)) {
            if (child == 0) {
                continue;
            }
            if (depth == 1) {
                out.add(child);
            } else {
                collectTree(child, 1, out);
            }
        }
    }

    /** Every block the inode references: data and indirect. */
    private List<Integer> blocksOf(DiskInode in) {
        List<Integer> out = new ArrayList<>();
        for (int p : in.direct) {
            if (p != 0) {
                out.add(p);
            }
        }
        if (in.indirect != 0) {
            collectTree(in.indirect, 1, out);
        }
        if (in.doubleIndirect != 0) {
            collectTree(in.doubleIndirect, 2, out);
        }
        return out;
    }

    // ---------------------------------------------------------------- block mapping

    /** Linux: ext2_get_block(create=0). The disk block holding file block {@code fileBlock}, or 0 (a hole). */
    public long bmap(int ino, long fileBlock) {
        checkFile("bmap", ino);
        checkFileBlock("bmap", fileBlock);
        return Integer.toUnsignedLong(bmapRaw(inodes[ino], fileBlock));
    }

    private int bmapRaw(DiskInode in, long fb) {
        if (fb < N_DIRECT) {
            return in.direct[(int) fb];
        }
        if (fb < DOUBLE_FIRST) {
            return in.indirect == 0 ? 0 : readPointers(in.indirect)[(int) (fb - SINGLE_FIRST)];
        }
        long rel = fb - DOUBLE_FIRST;
        int single = in.doubleIndirect == 0 ? 0 : readPointers(in.doubleIndirect)[(int) (rel / PTRS_PER_BLOCK)];
        return single == 0 ? 0 : readPointers(single)[(int) (rel % PTRS_PER_BLOCK)];
    }

    /**
     * Linux: ext2_get_block(create=1). Allocates, zero-fills and links a block for file block
     * {@code fileBlock}, which must lie below EOF and be a hole. Writes, in order: bitmap, the
     * zeroed block, new or changed indirect block(s), the inode. Reservations are not consulted:
     * a caller that reserved releases its reservation after this returns.
     */
    public long allocBlock(int ino, long fileBlock) throws FsException {
        checkWritable("allocBlock");
        checkFile("allocBlock", ino);
        checkFileBlock("allocBlock", fileBlock);
        DiskInode in = inodes[ino];
        if (fileBlock >= blocksFor(in.size)) {
            throw new IllegalArgumentException("allocBlock: file block " + fileBlock + " of inode " + ino
                    + " lies past EOF (size " + in.size + ")");
        }
        if (bmapRaw(in, fileBlock) != 0) {
            throw new IllegalStateException("allocBlock: file block " + fileBlock + " of inode " + ino
                    + " is already mapped");
        }
        return allocLinked(ino, fileBlock, null);
    }

    /** Allocates file block fb of ino (a hole) filled with {@code data} (null = zeros); the disk block. */
    private int allocLinked(int ino, long fb, byte[] data) throws FsException {
        int need = mapBlocksNeeded(inodes[ino], fb);
        if (freeCount < need) {
            throw new FsException(Errno.ENOSPC, "no free block for file block " + fb + " of inode " + ino);
        }
        int[] fresh = pickFree(need);
        markUsed(fresh);
        disk.writeSync(fresh[0], data != null ? data : ZERO, 0);
        linkBlock(ino, fb, fresh);
        return fresh[0];
    }

    /** Blocks a mapping of file block fb needs: 0 if mapped, else the data block plus new indirect blocks. */
    private int mapBlocksNeeded(DiskInode in, long fb) {
        if (bmapRaw(in, fb) != 0) {
            return 0;
        }
        if (fb < N_DIRECT) {
            return 1;
        }
        if (fb < DOUBLE_FIRST) {
            return in.indirect == 0 ? 2 : 1;
        }
        if (in.doubleIndirect == 0) {
            return 3;
        }
        int single = readPointers(in.doubleIndirect)[(int) ((fb - DOUBLE_FIRST) / PTRS_PER_BLOCK)];
        return single == 0 ? 2 : 1;
    }

    /**
     * Links fresh[0] (already written) as file block fb. fresh[1..] are the new indirect blocks,
     * innermost first; each is written before whatever points at it. The inode is written last.
     */
    private void linkBlock(int ino, long fb, int[] fresh) {
        DiskInode in = inodes[ino];
        if (fb < N_DIRECT) {
            in.direct[(int) fb] = fresh[0];
        } else if (fb < DOUBLE_FIRST) {
            in.indirect = linkInto(in.indirect, (int) (fb - SINGLE_FIRST), fresh[0], fresh, 1);
        } else {
            long rel = fb - DOUBLE_FIRST;
            int j = (int) (rel / PTRS_PER_BLOCK);
            int i = (int) (rel % PTRS_PER_BLOCK);
            if (in.doubleIndirect == 0) {
                int single = linkInto(0, i, fresh[0], fresh, 1);
                in.doubleIndirect = linkInto(0, j, single, fresh, 2);
            } else {
                int single = readPointers(in.doubleIndirect)[j];
                int linked = linkInto(single, i, fresh[0], fresh, 1);
                if (linked != single) {
                    linkInto(in.doubleIndirect, j, linked, fresh, 2);
                }
            }
        }
        touch(ino);
    }

    /**
     * Sets entry {@code index} of indirect block {@code blk} to {@code child} and writes it. If blk
     * is 0, the new block fresh[freshIndex] (all zeros but this entry) takes its place. Returns the
     * indirect block now holding the entry.
     */
    private int linkInto(int blk, int index, int child, int[] fresh, int freshIndex) {
        int[] p = blk == 0 ? new int[PTRS_PER_BLOCK] : readPointers(blk);
        int target = blk == 0 ? fresh[freshIndex] : blk;
        p[index] = child;
        writePointers(target, p);
        return target;
    }

    private int[] pickFree(int n) {
        int[] out = new int[n];
        int b = sb.firstDataBlock() - 1;
        for (int i = 0; i < n; i++) {
            b = bitmap.nextClearBit(b + 1);
            if (b >= sb.totalBlocks()) {
                throw new IllegalStateException("pickFree: free count " + freeCount + " but no clear bit left");
            }
            out[i] = b;
        }
        return out;
    }

    // ---------------------------------------------------------------- delayed allocation

    /**
     * Promises {@code blocks} blocks to dirty pages not yet written (Linux: ext4_da_reserve_space).
     * False if free - reserved < blocks. In memory only: a crash or unmount forgets it.
     */
    public boolean reserve(int blocks) {
        checkMounted("reserve");
        if (blocks < 0) {
            throw new IllegalArgumentException("reserve: " + blocks + " blocks");
        }
        if (freeCount - reserved < blocks) {
            return false;
        }
        reserved += blocks;
        return true;
    }

    /** Gives back {@code blocks} of the reservation (Linux: ext4_da_release_space). */
    public void release(int blocks) {
        checkMounted("release");
        if (blocks < 0 || blocks > reserved) {
            throw new IllegalStateException("release: releasing " + blocks + " blocks, only " + reserved
                    + " reserved");
        }
        reserved -= blocks;
    }

    /** Data blocks not in use (reserved ones included). */
    public long freeBlocks() {
        checkMounted("freeBlocks");
        return freeCount;
    }

    public long reservedBlocks() {
        checkMounted("reservedBlocks");
        return reserved;
    }

    /** The disk's size in blocks. */
    public long totalBlocks() {
        return sb.totalBlocks();
    }

    // ---------------------------------------------------------------- whole files (tools, oracles)

    /** The file's bytes straight from the disk (holes read as zeros), bypassing any page cache. */
    public byte[] readFile(int ino) {
        checkFile("readFile", ino);
        DiskInode in = inodes[ino];
        byte[] out = new byte[(int) in.size];
        byte[] buf = new byte[BLOCK_SIZE];
        for (long fb = 0; fb < blocksFor(in.size); fb++) {
            int blk = bmapRaw(in, fb);
            if (blk != 0) {
                disk.read(blk, buf, 0);
                int n = (int) Math.min(BLOCK_SIZE, in.size - fb * BLOCK_SIZE);
                System.arraycopy(buf, 0, out, (int) (fb * BLOCK_SIZE), n);
            }
        }
        return out;
    }

    /**
     * Replaces the file's contents with {@code data}, synchronously (truncate to 0, set the size,
     * then write every block). Checks space first: ENOSPC changes nothing. Not atomic: a crash
     * in the middle leaves a file of the new size with some blocks still holes.
     */
    public void writeFile(int ino, byte[] data) throws FsException {
        checkWritable("writeFile");
        checkFile("writeFile", ino);
        if (data.length > MAX_FILE_SIZE) {
            throw new FsException(Errno.EFBIG, data.length + " bytes is more than a file holds ("
                    + MAX_FILE_SIZE + ")");
        }
        long need = blocksFor(data.length) + indirectBlocksFor(blocksFor(data.length));
        long available = freeCount - reserved + blocksOf(inodes[ino]).size();
        if (need > available) {
            throw new FsException(Errno.ENOSPC, "need " + need + " blocks, " + available + " available");
        }
        setSize(ino, 0);
        setSize(ino, data.length);
        for (long fb = 0; fb < blocksFor(data.length); fb++) {
            int from = (int) (fb * BLOCK_SIZE);
            byte[] chunk = java.util.Arrays.copyOfRange(data, from, from + BLOCK_SIZE); // zero-padded
            allocLinked(ino, fb, chunk);
        }
    }

    /** File blocks covering {@code size} bytes. */
    static long blocksFor(long size) {
        return (size + BLOCK_SIZE - 1) / BLOCK_SIZE;
    }

    /** Indirect blocks a file of {@code blocks} fully mapped blocks needs. */
    static long indirectBlocksFor(long blocks) {
        if (blocks <= N_DIRECT) {
            return 0;
        }
        if (blocks <= DOUBLE_FIRST) {
            return 1;
        }
        return 2 + (blocks - DOUBLE_FIRST + PTRS_PER_BLOCK - 1) / PTRS_PER_BLOCK;
    }

    // ---------------------------------------------------------------- metadata I/O

    /** Bumps the inode's mtime and writes its 64 bytes (read-modify-write of its table block). */
    private void touch(int ino) {
        inodes[ino].mtime = ++clock & 0xffff_ffffL;
        writeInode(ino);
    }

    private void writeInode(int ino) {
        long blk = sb.inodeTableStart() + ino / Superblock.INODES_PER_BLOCK;
        byte[] buf = new byte[BLOCK_SIZE];
        disk.read(blk, buf, 0);
        inodes[ino].encode(buf, (ino % Superblock.INODES_PER_BLOCK) * Superblock.INODE_SIZE);
        disk.writeSync(blk, buf, 0);
    }

    private void writeSuperblock(boolean clean) {
        disk.writeSync(0, sb.withClean(clean).encode(), 0);
    }

    /**
     * The 256 pointers of indirect block {@code blk}. Mount checked them all; one outside the data
     * area now means something overwrote the block since (say, a data write still in flight when
     * the block was freed and reused), which is a kernel bug.
     */
    private int[] readPointers(int blk) {
        byte[] buf = new byte[BLOCK_SIZE];
        disk.read(Integer.toUnsignedLong(blk), buf, 0);
        int[] p = new int[PTRS_PER_BLOCK];
        ByteBuffer.wrap(buf).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(p);
        for (int x : p) {
            long b = Integer.toUnsignedLong(x);
            if (x != 0 && (b < sb.firstDataBlock() || b >= sb.totalBlocks())) {
                throw new IllegalStateException("readPointers: indirect block " + blk + " holds block " + b
                        + " outside the data area (overwritten after mount?)");
            }
        }
        return p;
    }

    private void writePointers(int blk, int[] p) {
        ByteBuffer b = ByteBuffer.allocate(BLOCK_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.asIntBuffer().put(p);
        disk.writeSync(Integer.toUnsignedLong(blk), b.array(), 0);
    }

    /** Sets the blocks' bits (each must be clear) and writes the bitmap blocks holding them. */
    private void markUsed(int[] blocks) {
        TreeSet<Integer> dirty = new TreeSet<>();
        for (int b : blocks) {
            if (bitmap.get(b)) {
                throw new IllegalStateException("markUsed: block " + b + " is already in use");
            }
            bitmap.set(b);
            freeCount--;
            dirty.add(b / Superblock.BITS_PER_BLOCK);
        }
        dirty.forEach(this::writeBitmapBlock);
    }

    /** Clears the blocks' bits (each must be set) and writes the bitmap blocks holding them. */
    private void markFree(List<Integer> blocks) {
        TreeSet<Integer> dirty = new TreeSet<>();
        for (int b : blocks) {
            if (b < sb.firstDataBlock() || !bitmap.get(b)) {
                throw new IllegalStateException("markFree: block " + b + " is not an allocated data block");
            }
            bitmap.clear(b);
            freeCount++;
            dirty.add(b / Superblock.BITS_PER_BLOCK);
        }
        dirty.forEach(this::writeBitmapBlock);
    }

    private void writeBitmapBlock(int index) {
        disk.writeSync(sb.bitmapStart() + index, bitmapBlockBytes(bitmap, index), 0);
    }

    /** Bitmap block {@code index}: bit n of the disk is bit n%8 of byte n/8 (LSB first). */
    private static byte[] bitmapBlockBytes(BitSet bits, int index) {
        byte[] out = new byte[BLOCK_SIZE];
        int base = index * Superblock.BITS_PER_BLOCK;
        int end = base + Superblock.BITS_PER_BLOCK;
        for (int b = bits.nextSetBit(base); b >= 0 && b < end; b = bits.nextSetBit(b + 1)) {
            out[(b - base) >>> 3] |= (byte) (1 << ((b - base) & 7));
        }
        return out;
    }

    // ---------------------------------------------------------------- argument checks (kernel bugs)

    private void checkMounted(String fn) {
        if (!mounted) {
            throw new IllegalStateException(fn + ": filesystem is unmounted");
        }
    }

    private void checkWritable(String fn) {
        checkMounted(fn);
        if (readOnly) {
            throw new IllegalStateException(fn + ": filesystem is mounted read-only");
        }
    }

    private void checkFile(String fn, int ino) {
        checkMounted(fn);
        if (ino <= ROOT_INO || ino >= inodes.length || inodes[ino].type != DiskInode.FILE) {
            throw new IllegalArgumentException(fn + ": inode " + ino + " is not a file in use");
        }
    }

    private static void checkFileBlock(String fn, long fileBlock) {
        if (fileBlock < 0 || fileBlock >= MAX_FILE_BLOCKS) {
            throw new IllegalArgumentException(fn + ": file block " + fileBlock + " beyond " + MAX_FILE_BLOCKS);
        }
    }
}
