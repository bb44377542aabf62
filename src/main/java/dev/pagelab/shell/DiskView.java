package dev.pagelab.shell;

import dev.pagelab.kernel.Kernel;
import dev.pagelab.kernel.fs.DurabilityOracle;
import dev.pagelab.kernel.fs.disk.DiskFormatException;
import dev.pagelab.kernel.fs.disk.FsCorruptException;
import dev.pagelab.kernel.fs.disk.PagelabFs;
import dev.pagelab.kernel.fs.disk.VirtualDisk;
import dev.pagelab.kernel.mm.PageWriteback;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The disk commands: disk ls and disk fsck read the image file itself (read-only, as
 * {@code pagelab disk} does), so they show what is on the disk, not what the page cache holds;
 * check runs the oracles that make sense at this moment.
 */
final class DiskView {
    private final Session session; // immutable reference
    private final Path diskOption; // the --disk image, or null
    private final PrintStream out; // immutable reference

    DiskView(Session session, Path diskOption, PrintStream out) {
        this.session = session;
        this.diskOption = diskOption;
        this.out = out;
    }

    private Path image() {
        if (session.state() == Session.State.STOPPED || session.state() == Session.State.EXITED) {
            return session.kernel().diskImage();
        }
        if (diskOption != null && Files.exists(diskOption)) {
            return diskOption;
        }
        throw new ShellError("no disk yet: run the program first (or start the shell with --disk IMAGE)");
    }

    /** disk ls: the root directory on the disk. */
    void ls() {
        try (VirtualDisk disk = VirtualDisk.openReadOnly(image())) {
            PagelabFs fs = PagelabFs.mountReadOnly(disk);
            List<PagelabFs.DirEntry> entries = fs.list();
            int width = Math.max(4, entries.stream().mapToInt(e -> e.name().length()).max().orElse(4));
            out.printf("%-" + width + "s  %10s  %5s%n", "NAME", "SIZE", "INO");
            for (PagelabFs.DirEntry e : entries) {
                out.printf("%-" + width + "s  %10d  %5d%n", e.name(), e.size(), e.ino());
            }
        } catch (IOException | DiskFormatException | FsCorruptException e) {
            throw new ShellError("disk ls: " + e.getMessage());
        }
    }

    /** disk fsck: e2fsck -n on the image as it is now. */
    void fsck() {
        try (VirtualDisk disk = VirtualDisk.openReadOnly(image())) {
            PagelabFs.FsckReport r = PagelabFs.fsck(disk);
            r.notes().forEach(n -> out.println("fsck: note: " + n));
            r.errors().forEach(e -> out.println("fsck: error: " + e));
            out.println(r.clean() ? "fsck: clean" : "fsck: " + r.errors().size() + " error(s)");
        } catch (IOException | DiskFormatException e) {
            throw new ShellError("disk fsck: " + e.getMessage());
        }
    }

    /**
     * check: after the end, the end-of-run oracles' findings; while stopped, the dirty-page
     * accounting recount, the durability violations so far, and fsck.
     */
    void check() {
        if (session.state() == Session.State.EXITED && session.lastResult() != null) {
            Kernel.Result r = session.lastResult();
            r.violations().forEach(v -> out.println("VIOLATION " + v));
            r.problems().forEach(p -> out.println("CHECK FAILED " + p));
            out.println(r.clean() ? "checks passed (end state, dirty accounting, fsck"
                    + (session.options().checkDurability() ? ", durability)" : ")") : "checks failed");
            return;
        }
        Kernel k = session.stoppedKernel();
        long recount = PageWriteback.recountDirty(k.filesystem().mappings());
        boolean ok = recount == k.writeback().nrFileDirty();
        out.printf("dirty accounting: NR_FILE_DIRTY %d, recount of PG_dirty pages %d: %s%n",
                k.writeback().nrFileDirty(), recount, ok ? "ok" : "MISMATCH");
        List<DurabilityOracle.Violation> violations = k.oracle().violations();
        violations.forEach(v -> out.println("VIOLATION " + v));
        out.println(session.options().checkDurability()
                ? "durability: " + violations.size() + " violation(s) so far"
                : "durability: not checked (start the shell with --check-durability)");
        fsck();
    }
}
