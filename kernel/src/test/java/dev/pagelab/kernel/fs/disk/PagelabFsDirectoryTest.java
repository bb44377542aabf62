package dev.pagelab.kernel.fs.disk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagelab.kernel.Errno;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** pfs directories: the tree, its rules, crash recovery at every write, and fsck's view of it. */
class PagelabFsDirectoryTest {
    static final int K = VirtualDisk.BLOCK_SIZE;

    @TempDir
    Path tmp;

    private int images;

    private Path newImage() throws Exception {
        Path p = tmp.resolve("disk" + images++ + ".img");
        try (VirtualDisk d = VirtualDisk.create(p, 2048)) {
            PagelabFs.mkfs(d, 32);
        }
        return p;
    }

    private Path copyOf(Path image) throws Exception {
        return Files.copy(image, tmp.resolve("copy" + images++ + ".img"));
    }

    private static void assertFsckClean(VirtualDisk d, boolean noNotes) {
        PagelabFs.FsckReport r = PagelabFs.fsck(d);
        assertTrue(r.clean(), "fsck errors: " + r.errors());
        if (noNotes) {
            assertEquals(List.of(), r.notes());
        }
    }

    private static int errno(FsException e) {
        return e.errno();
    }

    @Test
    void aTreeOfDirectoriesSurvivesUnmountAndMountAndFsckIsClean() throws Exception {
        Path img = newImage();
        try (VirtualDisk d = VirtualDisk.open(img)) {
            PagelabFs fs = PagelabFs.mount(d);
            fs.mkdir("a");
            fs.mkdir("a/b");
            int f = fs.create("a/b/f");
            fs.writeFile(f, "deep".getBytes(StandardCharsets.US_ASCII));
            fs.create("top");
            assertTrue(fs.isDirectory("a/b"));
            assertFalse(fs.isDirectory("a/b/f"));
            assertEquals("a/b/f", fs.pathOf(f));
            fs.unmount();
            assertFsckClean(d, true);
            PagelabFs again = PagelabFs.mount(d);
            assertEquals(f, again.lookup("a/b/f"));
            assertArrayEquals("deep".getBytes(StandardCharsets.US_ASCII), again.readFile(f));
            assertEquals(List.of("b"), again.list("a").stream().map(PagelabFs.DirEntry::name).toList());
            assertTrue(again.list("a").get(0).directory());
            assertEquals(List.of("a", "top"), again.list().stream().map(PagelabFs.DirEntry::name).sorted().toList());
            again.unmount();
        }
    }

    @Test
    void directoryRules() throws Exception {
        try (VirtualDisk d = VirtualDisk.open(newImage())) {
            PagelabFs fs = PagelabFs.mount(d);
            fs.mkdir("a");
            fs.create("a/f");
            fs.create("g");
            assertEquals(Errno.ENOTEMPTY, errno(assertThrows(FsException.class, () -> fs.rmdir("a"))));
            assertEquals(Errno.ENOTDIR, errno(assertThrows(FsException.class, () -> fs.rmdir("g"))));
            assertEquals(Errno.EISDIR, errno(assertThrows(FsException.class, () -> fs.unlink("a"))));
            assertEquals(Errno.ENOENT, errno(assertThrows(FsException.class, () -> fs.create("nope/f"))));
            assertEquals(Errno.ENOTDIR, errno(assertThrows(FsException.class, () -> fs.create("g/f"))));
            assertEquals(Errno.EEXIST, errno(assertThrows(FsException.class, () -> fs.mkdir("a"))));
            assertEquals(Errno.EXDEV, errno(assertThrows(FsException.class, () -> fs.rename("a/f", "h"))));
            assertEquals(Errno.EBUSY, errno(assertThrows(FsException.class, () -> fs.rmdir(""))));
            fs.rename("a/f", "a/h");
            assertEquals(-1, fs.lookup("a/f"));
            fs.unlink("a/h");
            fs.rmdir("a");
            assertEquals(-1, fs.lookup("a"));
            fs.unmount();
            assertFsckClean(d, true);
        }
    }

    /** Power loss after every synchronous write of each directory operation: notes only, then a clean mount. */
    @Test
    void crashAtEveryWriteOfMkdirCreateUnlinkRmdirAndRenameIsRecovered() throws Exception {
        Path base = newImage();
        try (VirtualDisk d = VirtualDisk.open(base)) {
            PagelabFs fs = PagelabFs.mount(d);
            fs.mkdir("keep");
            fs.writeFile(fs.create("keep/k"), new byte[] {1, 2, 3});
            fs.mkdir("full");
            fs.writeFile(fs.create("full/f"), new byte[3 * K]);
            fs.unmount();
        }
        assertTrue(crashAtEveryWrite(base, fs -> fs.mkdir("d")) >= 2);
        assertTrue(crashAtEveryWrite(base, fs -> fs.mkdir("keep/sub")) >= 2);
        assertTrue(crashAtEveryWrite(base, fs -> fs.create("keep/n")) >= 2);
        assertTrue(crashAtEveryWrite(base, fs -> fs.unlink("full/f")) >= 3);
        assertTrue(crashAtEveryWrite(base, fs -> {
            fs.unlink("full/f");
            fs.rmdir("full");
        }) >= 5);
        assertEquals(1, crashAtEveryWrite(base, fs -> fs.rename("full/f", "full/g")), "rename is one write");
    }

    interface Op {
        void run(PagelabFs fs) throws Exception;
    }

    private int crashAtEveryWrite(Path base, Op op) throws Exception {
        for (int n = 0; ; n++) {
            Path img = copyOf(base);
            try (VirtualDisk d = VirtualDisk.open(img)) {
                PagelabFs fs = PagelabFs.mount(d);
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
                int k = after.lookup("keep/k");
                assertArrayEquals(new byte[] {1, 2, 3}, after.readFile(k), "after crash at write " + n);
                after.unmount();
                assertFsckClean(d, true);
            }
        }
    }

    @Test
    void anOrphanedDirectoryAndEverythingBelowItAreFreedByRecovery() throws Exception {
        Path img = newImage();
        try (VirtualDisk d = VirtualDisk.open(img)) {
            PagelabFs fs = PagelabFs.mount(d);
            fs.mkdir("a");
            fs.mkdir("a/b");
            fs.writeFile(fs.create("a/b/f"), new byte[2 * K]);
            long free = fs.freeBlocks();
            int a = fs.lookup("a");
            // cut "a" out of the root, as a crash inside a (hypothetical) move would leave it
            writeRootEntry(d, slotOf(fs, "a"), 0, "");
            PagelabFs.FsckReport r = PagelabFs.fsck(d);
            assertTrue(r.clean(), r.errors().toString());
            assertTrue(r.notes().stream().anyMatch(n -> n.contains("3 orphaned inodes")), r.notes().toString());
            PagelabFs after = PagelabFs.mount(d);
            assertEquals(-1, after.lookup("a"));
            assertTrue(after.freeBlocks() > free, "the subtree's blocks are free again");
            after.unmount();
            assertFsckClean(d, true);
            assertTrue(a > 1);
        }
    }

    @Test
    void aDirectoryNamedTwiceIsCorruption() throws Exception {
        Path img = newImage();
        try (VirtualDisk d = VirtualDisk.open(img)) {
            PagelabFs fs = PagelabFs.mount(d);
            fs.mkdir("a");
            fs.mkdir("b");
            fs.create("x");
            int a = fs.lookup("a");
            fs.unmount();
            writeRootEntry(d, 2, a, "again"); // "x"'s slot now names directory "a" too
            PagelabFs.FsckReport r = PagelabFs.fsck(d);
            assertFalse(r.clean());
            assertTrue(r.errors().stream().anyMatch(e -> e.contains("two directory entries")), r.errors().toString());
            assertThrows(FsCorruptException.class, () -> PagelabFs.mount(d));
        }
    }

    private static int slotOf(PagelabFs fs, String name) {
        List<PagelabFs.DirEntry> l = fs.list();
        for (int i = 0; i < l.size(); i++) {
            if (l.get(i).name().equals(name)) {
                return i;
            }
        }
        throw new AssertionError(name);
    }

    /** Rewrites root directory slot {@code slot} (in its first block) straight on the medium. */
    private static void writeRootEntry(VirtualDisk d, int slot, int ino, String name) throws Exception {
        byte[] sbBlock = new byte[K];
        d.read(0, sbBlock, 0);
        Superblock sb = Superblock.decode(sbBlock, d.blocks());
        byte[] table = new byte[K];
        d.read(sb.inodeTableStart(), table, 0);
        int block = ByteBuffer.wrap(table).order(ByteOrder.LITTLE_ENDIAN).getInt(64 + 16);
        byte[] b = new byte[K];
        d.read(block, b, 0);
        int off = slot * PagelabFs.DIRENT_SIZE;
        java.util.Arrays.fill(b, off, off + PagelabFs.DIRENT_SIZE, (byte) 0);
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(off, ino);
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        b[off + 4] = (byte) n.length;
        System.arraycopy(n, 0, b, off + 5, n.length);
        d.writeSync(block, b, 0);
    }
}
