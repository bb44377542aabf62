package dev.pagelab.kernel.fs.disk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.pagelab.kernel.Errno;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** pfs and the virtual disk: format, mapping, truncation, ENOSPC, crash recovery, fsck, fuzzing. */
class PagelabFsTest {
    static final int K = VirtualDisk.BLOCK_SIZE;

    @TempDir
    Path tmp;

    private int images;

    // ------------------------------------------------------------------ helpers

    private Path newImage(long blocks, int inodes) throws Exception {
        Path p = tmp.resolve("disk" + images++ + ".img");
        try (VirtualDisk d = VirtualDisk.create(p, blocks)) {
            PagelabFs.mkfs(d, inodes);
        }
        return p;
    }

    private Path copyOf(Path image) throws IOException {
        return Files.copy(image, tmp.resolve("copy" + images++ + ".img"));
    }

    private static byte[] pattern(int length, long seed) {
        byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static int create(PagelabFs fs, String name, byte[] data) throws FsException {
        int ino = fs.create(name);
        fs.writeFile(ino, data);
        return ino;
    }

    private static void assertFsckClean(VirtualDisk d, boolean noNotes) {
        PagelabFs.FsckReport r = PagelabFs.fsck(d);
        assertTrue(r.clean(), "fsck errors: " + r.errors());
        if (noNotes) {
            assertEquals(List.of(), r.notes());
        }
    }

    private static Superblock geometry(VirtualDisk d) throws Exception {
        byte[] b = new byte[K];
        d.read(0, b, 0);
        return Superblock.decode(b, d.blocks());
    }

    /** Patches {@code bytes} at byte {@code offset} of block {@code block}, straight to the medium. */
    private static void poke(VirtualDisk d, long block, int offset, byte[] bytes) {
        byte[] b = new byte[K];
        d.read(block, b, 0);
        System.arraycopy(bytes, 0, b, offset, bytes.length);
        d.writeSync(block, b, 0);
    }

    private static byte[] le32(long v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) v).array();
    }

    /** Offset in the inode table: block and byte of inode {@code ino}'s field at {@code field}. */
    private static void pokeInode(VirtualDisk d, int ino, int field, byte[] bytes) throws Exception {
        Superblock sb = geometry(d);
        poke(d, sb.inodeTableStart() + ino / 16, (ino % 16) * 64 + field, bytes);
    }

    /** The disk block holding the root directory's first entries (direct pointer 0 of ino 1). */
    private static int rootBlock0(VirtualDisk d) throws Exception {
        byte[] b = new byte[K];
        d.read(geometry(d).inodeTableStart(), b, 0);
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getInt(64 + 16);
    }

    private static void setBitmapBit(VirtualDisk d, long block, boolean used) throws Exception {
        Superblock sb = geometry(d);
        long bb = sb.bitmapStart() + block / (K * 8);
        int byteOff = (int) (block % (K * 8)) / 8;
        byte[] b = new byte[K];
        d.read(bb, b, 0);
        if (used) {
            b[byteOff] |= (byte) (1 << (block % 8));
        } else {
            b[byteOff] &= (byte) ~(1 << (block % 8));
        }
        d.writeSync(bb, b, 0);
    }

    // ------------------------------------------------------------------ VirtualDisk

    @Test
    void inFlightWritesAreInvisibleToReadsAndLostOnCrash() throws Exception {
        try (VirtualDisk d = VirtualDisk.create(tmp.resolve("raw.img"), 64)) {
            byte[] a = pattern(K, 1);
            byte[] b = pattern(K, 2);
            List<String> done = new ArrayList<>();
            VirtualDisk.WriteRequest ra = d.submitWrite(5, a, 0, () -> done.add("a"));
            VirtualDisk.WriteRequest rb = d.submitWrite(6, b, 0, () -> done.add("b"));
            a[0] ^= 1; // the request holds its own copy
            byte[] got = new byte[K];
            d.read(5, got, 0);
            assertArrayEquals(new byte[K], got, "in-flight data must not be visible");
            assertEquals(List.of(ra, rb), d.inFlight());
            d.complete(rb);
            d.read(6, got, 0);
            assertArrayEquals(b, got);
            assertEquals(List.of("b"), done);
            d.crash();
            assertEquals(List.of(), d.inFlight());
            d.read(5, got, 0);
            assertArrayEquals(new byte[K], got, "a crash drops the in-flight write");
            assertEquals(List.of("b"), done, "no callback for a dropped write");
            assertEquals(2, d.writesSubmitted());
            assertEquals(1, d.writesCompleted());
            assertThrows(IllegalArgumentException.class, () -> d.complete(ra));
        }
    }

    @Test
    void completeAllGoesInSubmissionOrderAndTheLastWriteToABlockWins() throws Exception {
        try (VirtualDisk d = VirtualDisk.create(tmp.resolve("raw.img"), 64)) {
            List<Long> order = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                byte[] data = new byte[K];
                Arrays.fill(data, (byte) i);
                long id = i;
                d.submitWrite(7, data, 0, () -> order.add(id));
            }
            d.completeAll();
            assertEquals(List.of(0L, 1L, 2L, 3L), order);
            byte[] got = new byte[K];
            d.read(7, got, 0);
            assertEquals(3, got[100]);
            d.writeSync(8, got, 0);
            assertEquals(5, d.writesCompleted());
        }
    }

    @Test
    void diskRejectsBadBlocksBadImagesAndWritesWhenReadOnly() throws Exception {
        Path p = tmp.resolve("raw.img");
        try (VirtualDisk d = VirtualDisk.create(p, 64)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> d.read(64, new byte[K], 0));
            assertEquals("VirtualDisk.read: block 64 beyond 64", e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> d.submitWrite(-1, new byte[K], 0, null));
        }
        try (VirtualDisk d = VirtualDisk.openReadOnly(p)) {
            assertThrows(IllegalStateException.class, () -> d.writeSync(1, new byte[K], 0));
        }
        Path odd = tmp.resolve("odd.img");
        Files.write(odd, new byte[64 * K + 3]);
        assertTrue(assertThrows(DiskFormatException.class, () -> VirtualDisk.open(odd)).getMessage()
                .contains("not a multiple of 1024"));
        Path small = tmp.resolve("small.img");
        Files.write(small, new byte[10 * K]);
        assertThrows(DiskFormatException.class, () -> VirtualDisk.openReadOnly(small));
    }

    // ------------------------------------------------------------------ format, directory, round trip

    @Test
    void mkfsGivesACleanEmptyFilesystemAndMountClearsTheCleanFlag() throws Exception {
        Path p = newImage(1024, 128);
        try (VirtualDisk d = VirtualDisk.open(p)) {
            assertFsckClean(d, true);
            Superblock sb = geometry(d);
            assertEquals(1, sb.bitmapStart());
            assertEquals(1, sb.bitmapBlocks());
            assertEquals(2, sb.inodeTableStart());
            assertEquals(8, sb.inodeTableBlocks());
            assertEquals(10, sb.firstDataBlock());
            PagelabFs fs = PagelabFs.mount(d);
            assertEquals(List.of(), fs.list());
            assertEquals(1024 - 10, fs.freeBlocks());
            assertFalse(geometry(d).clean(), "a mounted fs has clean=0 on disk");
            assertTrue(PagelabFs.fsck(d).notes().get(0).contains("not cleanly unmounted"));
            fs.unmount();
            assertTrue(geometry(d).clean());
            assertFsckClean(d, true);
            assertThrows(IllegalStateException.class, () -> fs.lookup("x"));
        }
    }

    @Test
    void createLookupListUnlinkAndNameRules() throws Exception {
        try (VirtualDisk d = VirtualDisk.open(newImage(256, 32))) {
            PagelabFs fs = PagelabFs.mount(d);
            int a = create(fs, "a.txt", "hello".getBytes());
            int b = fs.create("b");
            assertNotEquals(a, b);
            assertEquals(a, fs.lookup("a.txt"));
            assertEquals(-1, fs.lookup("nope"));
            assertEquals(List.of(new PagelabFs.DirEntry("a.txt", a, 5), new PagelabFs.DirEntry("b", b, 0)), fs.list());
            assertEquals(Errno.EEXIST, assertThrows(FsException.class, () -> fs.create("b")).errno());
            assertEquals(Errno.ENAMETOOLONG, assertThrows(FsException.class, () -> fs.create("x".repeat(60))).errno());
            fs.create("y".repeat(59));
            for (String bad : List.of(".", "..")) {
                assertEquals(Errno.EINVAL, assertThrows(FsException.class, () -> fs.create(bad)).errno(), bad);
            }
            for (String root : List.of("", "/")) {
                assertEquals(Errno.EEXIST, assertThrows(FsException.class, () -> fs.create(root)).errno(), root);
            }
            assertEquals(Errno.ENOENT, assertThrows(FsException.class, () -> fs.create("a/b")).errno(), "no directory a");
            assertEquals(Errno.ENOENT, assertThrows(FsException.class, () -> fs.unlink("nope")).errno());
            fs.unlink("a.txt");
            assertEquals(-1, fs.lookup("a.txt"));
            assertEquals(a, fs.create("c"), "the freed inode is reused");
            fs.create("dé");
            fs.unmount();
            assertFsckClean(d, true);
            PagelabFs again = PagelabFs.mount(d);
            assertEquals(List.of("c", "b", "y".repeat(59), "dé"), again.list().stream().map(PagelabFs.DirEntry::name)
                    .toList());
            again.unmount();
        }
    }

    @Test
    void unmountMountRoundTripKeepsContentsSizesAndMtimes() throws Exception {
        Path p = newImage(2048, 64);
        byte[] big = pattern(700 * K + 123, 7);
        byte[] small = pattern(10, 8);
        long mtime;
        try (VirtualDisk d = VirtualDisk.open(p)) {
            PagelabFs fs = PagelabFs.mount(d);
            create(fs, "big", big);
            int s = create(fs, "small", small);
            mtime = fs.mtime(s);
            fs.unmount();
        }
        try (VirtualDisk d = VirtualDisk.open(p)) {
            assertFsckClean(d, true);
            PagelabFs fs = PagelabFs.mount(d);
            assertArrayEquals(big, fs.readFile(fs.lookup("big")));
            assertArrayEquals(small, fs.readFile(fs.lookup("small")));
            assertEquals(mtime, fs.mtime(fs.lookup("small")));
            int t = fs.create("later");
            assertTrue(fs.mtime(t) > mtime, "the mtime clock continues after a remount");
            fs.unmount();
        }
        try (VirtualDisk d = VirtualDisk.openReadOnly(p)) {
            PagelabFs ro = PagelabFs.mountReadOnly(d);
            assertArrayEquals(big, ro.readFile(ro.lookup("big")));
            assertThrows(IllegalStateException.class, () -> ro.create("x"));
            ro.unmount();
        }
    }

    // ------------------------------------------------------------------ block mapping

    @Test
    void allocBlockMapsDirectSingleAndDoubleIndirectRanges() throws Exception {
        try (VirtualDisk d = VirtualDisk.open(newImage(1024, 16))) {
            PagelabFs fs = PagelabFs.mount(d);
            int ino = fs.create("sparse");
            fs.setSize(ino, PagelabFs.MAX_FILE_SIZE);
            long free0 = fs.freeBlocks();
            long[] fileBlocks = {0, 9, 10, 265, 266, 521, 522, 700, PagelabFs.MAX_FILE_BLOCKS - 1};
            // new indirect blocks: single at 10, double+single at 266, single at 522 (700 shares it), single at last
            int indirect = 1 + 2 + 1 + 1;
            Set<Long> seen = new HashSet<>();
            for (long fb : fileBlocks) {
                assertEquals(0, fs.bmap(ino, fb));
                long blk = fs.allocBlock(ino, fb);
                assertEquals(blk, fs.bmap(ino, fb));
                assertTrue(seen.add(blk), "block handed out twice");
                byte[] data = new byte[K];
                Arrays.fill(data, (byte) fb);
                d.writeSync(blk, data, 0);
            }
            assertEquals(free0 - fileBlocks.length - indirect, fs.freeBlocks());
            assertEquals(0, fs.bmap(ino, 1));
            assertEquals(0, fs.bmap(ino, 267));
            assertEquals(0, fs.bmap(ino, 523));
            fs.unmount();
            assertFsckClean(d, true);
            PagelabFs again = PagelabFs.mount(d);
            byte[] all = again.readFile(ino);
            for (long fb : fileBlocks) {
                assertEquals((byte) fb, all[(int) (fb * K + 17)], "file block " + fb);
            }
            assertEquals(0, all[5 * K]);
            again.unmount();
        }
    }

    @Test
    void allocBlockRefusesKernelBugsLoudly() throws Exception {
        try (VirtualDisk d = VirtualDisk.open(newImage(256, 16))) {
            PagelabFs fs = PagelabFs.mount(d);
            int ino = fs.create("f");
            fs.setSize(ino, 3 * K);
            fs.allocBlock(ino, 0);
            assertTrue(assertThrows(IllegalArgumentException.class, () -> fs.allocBlock(ino, 3)).getMessage()
                    .startsWith("allocBlock: file block 3 of inode 2 lies past EOF"));
            assertThrows(IllegalStateException.class, () -> fs.allocBlock(ino, 0));
            assertThrows(IllegalArgumentException.class, () -> fs.allocBlock(ino + 1, 0));
            assertThrows(IllegalArgumentException.class, () -> fs.size(PagelabFs.ROOT_INO));
            assertThrows(IllegalArgumentException.class, () -> fs.setSize(ino, PagelabFs.MAX_FILE_SIZE + 1));
        }
    }

    @Test
    void shrinkingFreesBlocksAndIndirectBlocksAndZeroesTheTail() throws Exception {
        try (VirtualDisk d = VirtualDisk.open(newImage(1024, 16))) {
            PagelabFs fs = PagelabFs.mount(d);
            int ino = fs.create("f");
            long free0 = fs.freeBlocks();
            byte[] data = pattern(600 * K, 3);
            fs.writeFile(ino, data);
            // 600 data + single + double + 2 singles under it (266..521, 522..599)
            assertEquals(free0 - 604, fs.freeBlocks());

            fs.setSize(ino, 300L * K + 100);
            assertEquals(free0 - (301 + 3), fs.freeBlocks());
            assertArrayEquals(Arrays.copyOf(data, 300 * K + 100), fs.readFile(ino));
            byte[] last = new byte[K];
            d.read(fs.bmap(ino, 300), last, 0);
            assertArrayEquals(new byte[K - 100], Arrays.copyOfRange(last, 100, K), "tail past EOF zeroed on disk");
            assertFsckClean(d, false);

            fs.setSize(ino, 5 * K);
            assertEquals(free0 - 5, fs.freeBlocks(), "the indirect blocks go when they empty");
            fs.setSize(ino, 400L * K);
            assertEquals(free0 - 5, fs.freeBlocks(), "growing makes holes, not blocks");
            byte[] grown = fs.readFile(ino);
            assertArrayEquals(Arrays.copyOf(data, 5 * K), Arrays.copyOf(grown, 5 * K));
            assertArrayEquals(new byte[395 * K], Arrays.copyOfRange(grown, 5 * K, 400 * K));
            fs.setSize(ino, 0);
            assertEquals(free0, fs.freeBlocks());
            fs.unmount();
            assertFsckClean(d, true);
        }
    }

    @Test
    void unlinkFreesTheBlocksAndTheInode() throws Exception {
        try (VirtualDisk d = VirtualDisk.open(newImage(1024, 16))) {
            PagelabFs fs = PagelabFs.mount(d);
            create(fs, "keep", pattern(3000, 1));
            long free0 = fs.freeBlocks();
            int ino = create(fs, "gone", pattern(300 * K, 2));
            assertTrue(fs.freeBlocks() < free0 - 300);
            fs.unlink("gone");
            assertEquals(free0, fs.freeBlocks());
            assertThrows(IllegalArgumentException.class, () -> fs.size(ino));
            fs.unmount();
            assertFsckClean(d, true);
        }
    }

    // ------------------------------------------------------------------ space

    @Test
    void enospcForBlocksChangesNothing() throws Exception {
        try (VirtualDisk d = VirtualDisk.open(newImage(64, 16))) {
            PagelabFs fs = PagelabFs.mount(d);
            int ino = fs.create("fill");
            fs.setSize(ino, 100L * K);
            long fb = 0;
            while (fs.freeBlocks() > 0) {
                fs.allocBlock(ino, fb++);
            }
            long writes = d.writesCompleted();
            FsException e = assertThrows(FsException.class, () -> fs.allocBlock(ino, 99));
            assertEquals(Errno.ENOSPC, e.errno());
            assertEquals(writes, d.writesCompleted(), "a refused allocation writes nothing");
            assertEquals(Errno.ENOSPC, assertThrows(FsException.class,
                    () -> fs.writeFile(ino, new byte[200 * K])).errno());
            assertEquals(100L * K, fs.size(ino), "ENOSPC from writeFile leaves the file alone");
            fs.unmount();
            assertFsckClean(d, true);
        }
    }

    @Test
    void enospcForInodes() throws Exception {
        try (VirtualDisk d = VirtualDisk.open(newImage(64, 4))) {
            PagelabFs fs = PagelabFs.mount(d);
            fs.create("a");
            fs.create("b");
            FsException e = assertThrows(FsException.class, () -> fs.create("c"));
            assertEquals(Errno.ENOSPC, e.errno());
            assertEquals("ENOSPC: no free inode for \"c\"", e.getMessage());
            fs.unlink("a");
            fs.create("c");
            fs.unmount();
            assertFsckClean(d, true);
        }
    }

    @Test
    void reservationsLimitPromisesAndOtherAllocations() throws Exception {
        try (VirtualDisk d = VirtualDisk.open(newImage(64, 16))) {
            PagelabFs fs = PagelabFs.mount(d);
            int ino = fs.create("f");
            long free = fs.freeBlocks();
            assertTrue(fs.reserve((int) free - 1));
            assertFalse(fs.reserve(2));
            assertTrue(fs.reserve(1));
            assertEquals(free, fs.reservedBlocks());
            assertEquals(free, fs.freeBlocks(), "a reservation allocates nothing");
            assertEquals(Errno.ENOSPC, assertThrows(FsException.class, () -> fs.writeFile(ino, new byte[10])).errno());
            fs.setSize(ino, K);
            fs.allocBlock(ino, 0); // the writepage that holds a reservation
            fs.release(1);
            assertEquals(free - 1, fs.freeBlocks());
            assertEquals(free - 1, fs.reservedBlocks());
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> fs.release((int) free));
            assertTrue(e.getMessage().startsWith("release: "), e.getMessage());
            fs.release((int) free - 1);
            assertEquals(0, fs.reservedBlocks());
        }
    }

    // ------------------------------------------------------------------ crashes

    /** A mutation of a mounted fs, run with the crash hook armed. */
    interface Op {
        void run(PagelabFs fs) throws Exception;
    }

    /**
     * Runs {@code op} on a copy of {@code base} with a power loss after 0, 1, 2, ... synchronous
     * writes until it completes; after each crash: fsck sees only notes, mount recovers, fsck is
     * clean without notes, "keep" is intact. Returns how many crash points there were.
     */
    private int crashAtEveryWrite(Path base, byte[] keep, Op setup, Op op) throws Exception {
        for (int n = 0; ; n++) {
            Path img = copyOf(base);
            try (VirtualDisk d = VirtualDisk.open(img)) {
                PagelabFs fs = PagelabFs.mount(d);
                setup.run(fs);
                d.crashAfterWrites(n);
                try {
                    op.run(fs);
                    d.crashAfterWrites(-1);
                    fs.unmount();
                    assertFsckClean(d, true);
                    return n;
                } catch (VirtualDisk.PowerFailure expected) {
                    // the machine lost power after n writes
                }
                assertFsckClean(d, false);
                PagelabFs after = PagelabFs.mount(d);
                assertArrayEquals(keep, after.readFile(after.lookup("keep")), "after crash at write " + n);
                after.unmount();
                assertFsckClean(d, true);
            }
        }
    }

    private Path baseWithKeep(byte[] keep) throws Exception {
        Path p = newImage(2048, 16);
        try (VirtualDisk d = VirtualDisk.open(p)) {
            PagelabFs fs = PagelabFs.mount(d);
            create(fs, "keep", keep);
            int v = fs.create("victim");
            fs.writeFile(v, pattern(600 * K, 5)); // direct, single and two singles under the double
            fs.unmount();
        }
        return p;
    }

    @Test
    void crashAtEveryWriteOfAllocBlockIsRecovered() throws Exception {
        byte[] keep = pattern(20 * K + 7, 11);
        Path base = baseWithKeep(keep);
        Op noSetup = fs -> {};
        Path fresh = copyOf(base);
        try (VirtualDisk d = VirtualDisk.open(fresh)) {
            PagelabFs fs = PagelabFs.mount(d);
            fs.setSize(fs.create("new"), PagelabFs.MAX_FILE_SIZE);
            fs.unmount();
        }
        // new indirect blocks: none (direct), a single, a double and a single under it
        for (long fb : new long[] {0, 10, 266}) {
            int points = crashAtEveryWrite(fresh, keep, noSetup, fs -> fs.allocBlock(fs.lookup("new"), fb));
            int expected = fb == 0 ? 3 : fb == 10 ? 4 : 5; // bitmap, data, [single], [double], inode
            assertEquals(expected, points, "writes of allocBlock at file block " + fb);
        }
        // existing indirect blocks: the single, the double and its single, the double with a new single
        Op prealloc = fs -> {
            int ino = fs.lookup("new");
            fs.allocBlock(ino, 10);
            fs.allocBlock(ino, 266);
        };
        for (long fb : new long[] {11, 267, 522}) {
            int points = crashAtEveryWrite(fresh, keep, prealloc, fs -> fs.allocBlock(fs.lookup("new"), fb));
            assertEquals(fb == 522 ? 5 : 4, points, "writes of allocBlock at file block " + fb);
        }
    }

    @Test
    void crashAtEveryWriteOfCreateUnlinkTruncateAndWriteFileIsRecovered() throws Exception {
        byte[] keep = pattern(5 * K, 12);
        Path base = baseWithKeep(keep);
        Op none = fs -> {};
        assertTrue(crashAtEveryWrite(base, keep, none, fs -> fs.create("n")) >= 2);
        assertTrue(crashAtEveryWrite(base, keep, none, fs -> fs.unlink("victim")) >= 3);
        crashAtEveryWrite(base, keep, none, fs -> fs.setSize(fs.lookup("victim"), 300L * K + 5));
        crashAtEveryWrite(base, keep, none, fs -> fs.setSize(fs.lookup("victim"), 3));
        crashAtEveryWrite(base, keep, none, fs -> fs.writeFile(fs.lookup("victim"), pattern(12 * K + 9, 9)));
    }

    @Test
    void recoveryReclaimsLeakedBlocksAndOrphansAndReadOnlyMountWritesNothing() throws Exception {
        Path p = newImage(256, 16);
        try (VirtualDisk d = VirtualDisk.open(p)) {
            PagelabFs fs = PagelabFs.mount(d);
            fs.create("first"); // allocates the directory's block
            long free0 = fs.freeBlocks();
            create(fs, "a", pattern(3 * K, 1));
            d.crashAfterWrites(1); // unlink: entry written, then power fails before the inode
            assertThrows(VirtualDisk.PowerFailure.class, () -> fs.unlink("a"));
            PagelabFs.FsckReport r = PagelabFs.fsck(d);
            assertTrue(r.clean(), r.errors().toString());
            assertTrue(r.notes().contains("1 orphaned inode (in use, in no directory entry), freed by the next mount"),
                    r.notes().toString());
            byte[] before = Files.readAllBytes(p);
            PagelabFs ro = PagelabFs.mountReadOnly(d);
            assertEquals(free0, ro.freeBlocks(), "read-only mount reclaims in memory");
            ro.unmount();
            assertArrayEquals(before, Files.readAllBytes(p), "read-only mount wrote to the image");
            PagelabFs again = PagelabFs.mount(d);
            assertEquals(free0, again.freeBlocks());
            assertEquals(List.of("first"), again.list().stream().map(PagelabFs.DirEntry::name).toList());
            again.unmount();
            assertFsckClean(d, true);
        }
    }

    // ------------------------------------------------------------------ fsck finds corruption

    private Path twoFiles() throws Exception {
        Path p = newImage(256, 16);
        try (VirtualDisk d = VirtualDisk.open(p)) {
            PagelabFs fs = PagelabFs.mount(d);
            create(fs, "a", pattern(3 * K, 1));
            create(fs, "b", pattern(2 * K, 2));
            fs.unmount();
        }
        return p;
    }

    private static void assertFsckFinds(VirtualDisk d, String fragment, boolean mountRefuses) {
        PagelabFs.FsckReport r = PagelabFs.fsck(d);
        assertFalse(r.clean());
        assertTrue(r.errors().stream().anyMatch(e -> e.contains(fragment)), fragment + " not in " + r.errors());
        if (mountRefuses) {
            assertThrows(FsCorruptException.class, () -> PagelabFs.mountReadOnly(d));
        }
    }

    @Test
    void fsckFindsADoubleReferencedBlock() throws Exception {
        try (VirtualDisk d = VirtualDisk.open(twoFiles())) {
            PagelabFs fs = PagelabFs.mountReadOnly(d);
            long aBlock = fs.bmap(fs.lookup("a"), 0);
            pokeInode(d, fs.lookup("b"), 16, le32(aBlock));
            assertFsckFinds(d, "block " + aBlock + " is referenced twice (inodes 2 and 3)", true);
            assertEquals("block " + aBlock + " is referenced twice (inodes 2 and 3)",
                    assertThrows(FsCorruptException.class, () -> PagelabFs.mount(d)).getMessage());
        }
    }

    @Test
    void fsckFindsAReferencedBlockMarkedFree() throws Exception {
        try (VirtualDisk d = VirtualDisk.open(twoFiles())) {
            PagelabFs fs = PagelabFs.mountReadOnly(d);
            long blk = fs.bmap(fs.lookup("b"), 1);
            setBitmapBit(d, blk, false);
            assertFsckFinds(d, "block " + blk + " is used by inode 3 but marked free in the bitmap", true);
        }
    }

    @Test
    void fsckFindsAnOrphanAndALeakOnACleanImage() throws Exception {
        try (VirtualDisk d = VirtualDisk.open(twoFiles())) {
            pokeInode(d, 9, 0, new byte[] {1, 0});
            setBitmapBit(d, 200, true);
            assertFsckFinds(d, "inode 9 is in use but in no directory entry (orphan)", false);
            assertFsckFinds(d, "block 200 is marked used but referenced by nothing", false);
        }
    }

    @Test
    void fsckFindsBadPointersAndBlocksPastEof() throws Exception {
        try (VirtualDisk d = VirtualDisk.open(twoFiles())) {
            pokeInode(d, 2, 16 + 4, le32(12345));
            assertFsckFinds(d, "inode 2 points at block 12345 beyond the disk", true);
            assertEquals("inode 2 points at block 12345 beyond the disk",
                    assertThrows(FsCorruptException.class, () -> PagelabFs.mount(d)).getMessage());
            pokeInode(d, 2, 16 + 4, le32(2));
            assertFsckFinds(d, "inode 2 points at block 2 inside the metadata area", true);
        }
        try (VirtualDisk d = VirtualDisk.open(twoFiles())) {
            pokeInode(d, 3, 8, le32(K)); // b: size 2 KiB -> 1 KiB, block 1 now past EOF
            assertFsckFinds(d, "lies past EOF", true);
        }
    }

    @Test
    void fsckFindsBadMagicAndChecksumMismatch() throws Exception {
        try (VirtualDisk d = VirtualDisk.open(twoFiles())) {
            poke(d, 0, 40, new byte[] {9});
            assertFsckFinds(d, "superblock checksum mismatch", true);
            poke(d, 0, 0, "NOTAPFS!".getBytes());
            assertEquals(List.of("bad magic: not a pagelab filesystem"), PagelabFs.fsck(d).errors());
            assertEquals("bad magic: not a pagelab filesystem",
                    assertThrows(FsCorruptException.class, () -> PagelabFs.mount(d)).getMessage());
        }
    }

    @Test
    void fsckFindsDirectoryEntriesForFreeInodesAndDuplicateNames() throws Exception {
        try (VirtualDisk d = VirtualDisk.open(twoFiles())) {
            PagelabFs fs = PagelabFs.mountReadOnly(d);
            long dirBlock = Integer.toUnsignedLong(rootBlock0(d));
            poke(d, dirBlock, 64 + 5, "a".getBytes()); // entry 1: "b" -> "a"
            assertFsckFinds(d, "duplicate name \"a\"", true);
            poke(d, dirBlock, 64, le32(7));
            assertFsckFinds(d, "points at free inode 7", true);
            fs.unmount();
        }
    }

    // ------------------------------------------------------------------ fuzz

    @Test
    void corruptedImagesFailMountCleanlyAndNeverBreakFsck() throws Exception {
        Path base = newImage(512, 32);
        try (VirtualDisk d = VirtualDisk.open(base)) {
            PagelabFs fs = PagelabFs.mount(d);
            create(fs, "small", pattern(100, 1));
            create(fs, "single", pattern(40 * K, 2));
            create(fs, "double", pattern(300 * K, 3));
            for (int i = 0; i < 20; i++) {
                fs.create("f" + i);
            }
            fs.unlink("f3");
            fs.unmount();
        }
        byte[] clean = Files.readAllBytes(base);
        List<Long> metadata = metadataBlocks(base);
        Path crashed = copyOf(base); // odd seeds: an image a crash left with leaks, so mount runs recovery
        try (VirtualDisk d = VirtualDisk.open(crashed)) {
            PagelabFs fs = PagelabFs.mount(d);
            fs.unlink("f7");
            d.crashAfterWrites(6); // create: inode, entry; writeFile: size 0, size, bitmap, data | inode
            assertThrows(VirtualDisk.PowerFailure.class, () -> create(fs, "torn", pattern(50 * K, 4)));
            assertTrue(PagelabFs.fsck(d).notes().contains("1 leaked block, reclaimed by the next mount"),
                    PagelabFs.fsck(d).notes().toString());
        }
        byte[] unclean = Files.readAllBytes(crashed);
        int mounted = 0;
        for (int seed = 0; seed < 300; seed++) {
            Path img = tmp.resolve("fuzz.img");
            Files.write(img, corrupt(seed % 2 == 0 ? clean : unclean, metadata, new Random(seed)));
            mounted += fuzzOne(img, seed) ? 1 : 0;
        }
        assertTrue(mounted > 0, "no corruption was harmless: the fuzzer only hits the superblock?");
    }

    /** Block numbers of every metadata block: superblock, bitmap, inode table, directory, indirect blocks. */
    private static List<Long> metadataBlocks(Path image) throws Exception {
        List<Long> out = new ArrayList<>();
        try (VirtualDisk d = VirtualDisk.openReadOnly(image)) {
            Superblock sb = geometry(d);
            for (long b = 0; b < sb.firstDataBlock(); b++) {
                out.add(b);
            }
            out.add(Integer.toUnsignedLong(rootBlock0(d)));
            PagelabFs fs = PagelabFs.mountReadOnly(d);
            for (String name : List.of("single", "double")) {
                byte[] inode = new byte[K];
                int ino = fs.lookup(name);
                d.read(sb.inodeTableStart() + ino / 16, inode, 0);
                ByteBuffer b = ByteBuffer.wrap(inode).order(ByteOrder.LITTLE_ENDIAN);
                out.add((long) b.getInt((ino % 16) * 64 + 56));
                if (b.getInt((ino % 16) * 64 + 60) != 0) {
                    long dind = b.getInt((ino % 16) * 64 + 60);
                    out.add(dind);
                    byte[] p = new byte[K];
                    d.read(dind, p, 0);
                    out.add((long) ByteBuffer.wrap(p).order(ByteOrder.LITTLE_ENDIAN).getInt(0));
                }
            }
        }
        return out;
    }

    private static byte[] corrupt(byte[] image, List<Long> metadata, Random r) {
        int kind = r.nextInt(10);
        if (kind == 0) { // truncate anywhere
            return Arrays.copyOf(image, r.nextInt(image.length));
        }
        if (kind == 1) { // truncate to whole blocks
            return Arrays.copyOf(image, K * (1 + r.nextInt(image.length / K - 1)));
        }
        byte[] out = image.clone();
        long block = metadata.get(r.nextInt(metadata.size()));
        if (kind == 2) { // a metadata block of random bytes
            for (int i = 0; i < K; i++) {
                out[(int) (block * K + i)] = (byte) r.nextInt();
            }
            return out;
        }
        int flips = 1 + r.nextInt(8);
        for (int i = 0; i < flips; i++) {
            int at = (int) (block * K + (kind < 6 ? r.nextInt(80) : r.nextInt(K)));
            out[at] = kind % 2 == 0 ? (byte) r.nextInt() : (byte) (out[at] ^ (1 << r.nextInt(8)));
        }
        return out;
    }

    /**
     * One corrupted image: fsck must not throw; mount may throw only FsCorruptException (after
     * open's DiskFormatException); a mount that succeeds must survive every operation.
     */
    private static boolean fuzzOne(Path img, int seed) throws Exception {
        VirtualDisk d;
        try {
            d = VirtualDisk.open(img);
        } catch (DiskFormatException e) {
            return false;
        }
        try (d) {
            PagelabFs.fsck(d);
            PagelabFs fs;
            try {
                fs = PagelabFs.mount(d);
            } catch (FsCorruptException e) {
                assertFalse(e.getMessage().isEmpty() || e.getMessage().contains("\n"), "seed " + seed);
                return false;
            }
            exercise(fs, seed);
            PagelabFs.fsck(d);
            return true;
        } catch (RuntimeException e) {
            throw new AssertionError("seed " + seed + ": unexpected " + e, e);
        }
    }

    /** Every operation on every file of a mounted (possibly damaged but accepted) image. */
    private static void exercise(PagelabFs fs, int seed) {
        for (PagelabFs.DirEntry e : fs.list()) {
            fs.readFile(e.ino());
            for (long fb = 0; fb < PagelabFs.blocksFor(e.size()) && fb < 700; fb++) {
                fs.bmap(e.ino(), fb);
            }
            fs.setSize(e.ino(), e.size() / 2);
        }
        try {
            int ino = fs.create("fuzz-new");
            fs.writeFile(ino, pattern(20 * K, seed));
            fs.setSize(ino, 300L * K);
            fs.allocBlock(ino, 290);
        } catch (FsException e) {
            // ENOSPC and friends are fine
        }
        for (PagelabFs.DirEntry e : fs.list()) {
            try {
                fs.unlink(e.name());
            } catch (FsException ex) {
                fail("unlink of a listed name: " + ex);
            }
        }
        fs.unmount();
    }
}
