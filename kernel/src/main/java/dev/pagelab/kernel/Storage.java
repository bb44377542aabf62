package dev.pagelab.kernel;

import dev.pagelab.kernel.fs.DiskFilesystem;
import dev.pagelab.kernel.fs.DiskInode;
import dev.pagelab.kernel.fs.DurabilityOracle;
import dev.pagelab.kernel.fs.disk.DiskFormatException;
import dev.pagelab.kernel.fs.disk.FsCorruptException;
import dev.pagelab.kernel.fs.disk.PagelabFs;
import dev.pagelab.kernel.fs.disk.VirtualDisk;
import dev.pagelab.kernel.mm.Memory;
import dev.pagelab.kernel.mm.PageWriteback;
import dev.pagelab.kernel.sched.Scheduler;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The machine's disk: the image file, the mounted filesystem, and the end-of-run checks (the
 * end-state and dirty-accounting oracles, fsck, and the crash check).
 */
final class Storage implements AutoCloseable {
    static final long DEFAULT_BLOCKS = 16384;
    static final int DEFAULT_INODES = 128;

    private final Path image; // immutable
    private final boolean temporary; // immutable: delete the image at close
    private final VirtualDisk disk; // owned
    private final PagelabFs fs; // immutable reference
    final DiskFilesystem sb; // immutable reference
    final DurabilityOracle oracle; // immutable reference
    private boolean crashed; // guarded by the baton
    private boolean closed;
    private boolean unmounted; // the end-of-run checks unmounted the fs; guarded by the baton, then main

    private Storage(Path image, boolean temporary, VirtualDisk disk, PagelabFs fs, DiskFilesystem sb,
                    DurabilityOracle oracle) {
        this.image = image;
        this.temporary = temporary;
        this.disk = disk;
        this.fs = fs;
        this.sb = sb;
        this.oracle = oracle;
    }

    /** Creates (mkfs) or opens (mount, with recovery if it was not cleanly unmounted) the image. */
    static Storage attach(Path image, Scheduler scheduler, Memory memory, KernelConfig config, boolean checkDurability,
                          DiskFilesystem.Tunables tunables) throws IOException, BootException {
        boolean temporary = image == null;
        Path path = temporary ? Files.createTempFile(scratchDirectory(), "pagelab-", ".img") : image;
        VirtualDisk disk;
        try {
            if (temporary || !Files.exists(path)) {
                if (temporary) {
                    Files.delete(path);
                }
                disk = VirtualDisk.create(path, DEFAULT_BLOCKS);
                PagelabFs.mkfs(disk, DEFAULT_INODES);
            } else {
                disk = VirtualDisk.open(path);
            }
        } catch (DiskFormatException e) {
            throw new BootException(path + ": " + e.getMessage());
        } catch (IOException e) {
            throw new BootException(path + ": " + describe(e));
        }
        PagelabFs fs;
        try {
            fs = PagelabFs.mount(disk);
        } catch (FsCorruptException e) {
            disk.close();
            throw new BootException(path + ": " + e.getMessage());
        }
        DurabilityOracle oracle = new DurabilityOracle(checkDurability);
        DiskFilesystem sb = new DiskFilesystem(fs, disk, scheduler, memory, config, tunables,
                oracle);
        return new Storage(path, temporary, disk, fs, sb, oracle);
    }

    /**
     * Where a run without {@code --disk} keeps its temporary image: /dev/shm when it is a writable
     * directory, else the JVM's temporary directory. Unlinking a file on a disk mounted with
     * {@code discard} (this machine's /tmp) trims its blocks at once, which cost more than the
     * rest of a short run: 142 of 229 native samples of an exploration were in unlink. The
     * system property {@code pagelab.scratch} names another directory (tests).
     */
    static Path scratchDirectory() {
        String chosen = System.getProperty("pagelab.scratch");
        if (chosen != null) {
            return Path.of(chosen);
        }
        Path shm = Path.of("/dev/shm");
        if (Files.isDirectory(shm) && Files.isWritable(shm)) {
            return shm;
        }
        return Path.of(System.getProperty("java.io.tmpdir"));
    }

    /** One line for an I/O failure opening an image (the JDK's messages are often only the path). */
    static String describe(IOException e) {
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied (a run writes its disk image: it must be a writable file; "
                    + "pagelab disk ls/cat/export only read)";
        }
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "no such file or directory";
        }
        if (e instanceof java.nio.file.FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    Path image() {
        return image;
    }

    boolean crashed() {
        return crashed;
    }

    /** Simulated power loss: every write not yet completed is gone. */
    void crash() {
        crashed = true;
        disk.crash();
    }

    /**
     * The checks of {@code --check} after a clean end: the disk holds what the page cache holds
     * for every file (read back through a fresh read-only mount of the image), NR_FILE_DIRTY
     * equals a recount of PG_dirty pages, no shared pte was dirty over a clean page when it was
     * unmapped (Memory.checkDirtyPtes), and fsck finds nothing.
     *
     * <p>The end state alone cannot see R3 or R4: exit_mmap's zap moves the dirty bit of the pte
     * left over a clean page to the page, and the final sync writes it, so the disk ends up
     * right. Their loss is a broken msync promise ({@code --check-durability}) and, here, the
     * dirty-pte finding recorded just before that zap.
     */
    List<String> endOfRunChecks(PageWriteback writeback) {
        List<String> problems = new ArrayList<>();
        long recount = PageWriteback.recountDirty(sb.mappings());
        if (recount != writeback.nrFileDirty()) {
            problems.add("dirty accounting: NR_FILE_DIRTY " + writeback.nrFileDirty() + " but " + recount
                    + " pages have PG_dirty");
        }
        writeback.dirtyPteCleanPage().forEach(f -> problems.add("dirty pte: " + f));
        // Unmount first (the clean flag): fsck of a mounted image calls leaks mere notes, while
        // `pagelab disk fsck` of the image this run leaves calls them errors.
        List<DiskInode> inodes = sb.cachedInodes();
        List<CachedFile> expected = inodes.stream().map(CachedFile::of).toList();
        fs.unmount();
        unmounted = true;
        try (VirtualDisk check = VirtualDisk.openReadOnly(image)) {
            PagelabFs fresh = PagelabFs.mountReadOnly(check);
            for (int i = 0; i < inodes.size(); i++) {
                DiskInode inode = inodes.get(i);
                expected.get(i).compare(problems, inode.name(), fresh.readFile((int) inode.ino()));
            }
            PagelabFs.FsckReport report = PagelabFs.fsck(check);
            report.errors().forEach(e -> problems.add("fsck: " + e));
        } catch (IOException | DiskFormatException | FsCorruptException e) {
            problems.add("end state: cannot re-read the image: " + e.getMessage());
        }
        return problems;
    }

    /**
     * What the page cache holds of a file: its size and its cached pages (a page not in the cache
     * is by definition what the disk holds). Taken without reading anything in, so the check
     * needs no frame even when the file is larger than RAM.
     */
    private record CachedFile(long size, java.util.SortedMap<Long, byte[]> pages) {
        static CachedFile of(DiskInode inode) {
            java.util.SortedMap<Long, byte[]> pages = new java.util.TreeMap<>();
            for (dev.pagelab.kernel.mm.Page p : inode.mapping().pages()) {
                long start = p.index() << 12;
                if (start < inode.size()) {
                    byte[] b = new byte[(int) Math.min(4096, inode.size() - start)];
                    inode.mapping().frames().memory().read(p.physicalAddress(), b, 0, b.length);
                    pages.put(p.index(), b);
                }
            }
            return new CachedFile(inode.size(), pages);
        }

        void compare(List<String> problems, String name, byte[] found) {
            if (found.length != size) {
                problems.add(String.format("end state: %s is %d bytes on disk, %d in memory", name, found.length,
                        size));
                return;
            }
            for (var e : pages.entrySet()) {
                byte[] expected = e.getValue();
                int base = (int) (e.getKey() << 12);
                for (int i = 0; i < expected.length; i++) {
                    if (expected[i] != found[base + i]) {
                        problems.add(String.format("end state: %s offset %d: expected 0x%02x, found 0x%02x on disk",
                                name, base + i, expected[i] & 0xff, found[base + i] & 0xff));
                        return;
                    }
                }
            }
        }
    }

    /**
     * After a crash: remount the image (mount's recovery runs), run fsck, and check that every byte
     * fsync'd before the crash, and not changed since, is on the disk.
     */
    List<String> afterCrashChecks() {
        List<String> problems = new ArrayList<>();
        List<DiskInode> inodes = sb.cachedInodes();
        List<byte[]> atCrash = inodes.stream().map(DiskInode::cachedContents).toList();
        disk.close();
        closed = true;
        try (VirtualDisk again = VirtualDisk.open(image)) {
            PagelabFs remounted = PagelabFs.mount(again);
            for (int i = 0; i < inodes.size(); i++) {
                DiskInode inode = inodes.get(i);
                int ino = (int) inode.ino();
                if (remounted.lookup(inode.name()) == ino) {
                    oracle.checkAfterCrash(ino, inode.name(), atCrash.get(i), remounted.readFile(ino));
                }
            }
            remounted.unmount();
            PagelabFs.FsckReport report = PagelabFs.fsck(again);
            report.errors().forEach(e -> problems.add("fsck after crash: " + e));
        } catch (IOException | DiskFormatException | FsCorruptException e) {
            problems.add("after crash: cannot remount the image: " + e.getMessage());
        }
        return problems;
    }

    @Override
    public void close() {
        if (!closed) {
            if (!crashed && !unmounted) {
                fs.unmount();
            }
            disk.close();
            closed = true;
        }
        if (temporary) {
            try {
                Files.deleteIfExists(image);
            } catch (IOException ignored) {
                // a leftover temporary image is harmless
            }
        }
    }
}
