package dev.pagelab.kernel.fs;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The oracles that tell a lost write from a kept one (races.md): fsync/msync durability, checked
 * against the disk image itself; the filesystem invariant "no dirty page without its
 * reservation"; and, after a simulated crash, that everything an fsync promised is on the disk.
 */
public final class DurabilityOracle {
    /** A broken promise, with where and what. */
    public record Violation(String kind, String file, long offset, int expected, int found, String detail) {
        @Override
        public String toString() {
            return offset < 0 ? kind + ": " + file + ": " + detail
                    : String.format("%s: %s offset %d: expected 0x%02x, found 0x%02x on disk (%s)", kind, file, offset,
                    expected & 0xff, found & 0xff, detail);
        }
    }

    private final boolean checkDurability; // immutable: compare at every fsync return
    private final List<Violation> violations = new ArrayList<>(); // guarded by the baton
    private final Map<Integer, byte[]> lastSynced = new HashMap<>(); // per inode: contents at the last fsync return
    private long checks; // fsync/msync returns verified

    public DurabilityOracle(boolean checkDurability) {
        this.checkDurability = checkDurability;
    }

    public boolean checking() {
        return checkDurability;
    }

    /**
     * At the return of fsync/fdatasync/msync(MS_SYNC): every byte of {@code atCall} (the file as
     * the page cache held it when the call began) must be on disk, except bytes for which
     * {@code notPromised} holds (the page cache held them, but no completed write had put them
     * there when the call began: a fault had made a pte writable and not yet dirtied the page, or
     * a write() into them had not returned) and bytes the kernel rewrote during the
     * call ({@code writtenDuringCall}: a truncation discarded them, or their block was written
     * out; then the disk then holds what the page held at that
     * moment, so a different value means the byte changed during the call, which POSIX leaves
     * open), and bytes that changed during the call and hold on disk their value at the return
     * (e.g. truncated by another thread). A byte changed A-&gt;B-&gt;C by another thread while the call ran is therefore never
     * flagged, whatever of A, B, C the disk holds, as long as it was written during the call.
     */
    public void fsyncReturned(String call, int ino, String name, byte[] atCall,
                              java.util.function.LongPredicate notPromised, byte[] atReturn, byte[] onDisk,
                              java.util.function.LongPredicate writtenDuringCall) {
        checks++;
        lastSynced.put(ino, atReturn);
        for (int i = 0; i < atCall.length; i++) {
            byte found = i < onDisk.length ? onDisk[i] : 0;
            if (found == atCall[i] || i >= atReturn.length || notPromised.test(i)) {
                continue;
            }
            if (found == atReturn[i] || writtenDuringCall.test(i)) {
                continue; // changed during the call (found differs from atCall): the newer value stands
            }
            violations.add(new Violation("durability", name, i, atCall[i], found,
                    call + " returned before this byte reached the disk"));
            return;
        }
    }

    /**
     * The delayed-allocation invariant: a buffer dirtied through a mapping must carry the
     * reservation ->page_mkwrite made ({@code atWritepage} false: reported by ->set_page_dirty),
     * and a dirty hole must carry one when ->writepage allocates its block ({@code atWritepage}).
     */
    public void dirtyWithoutReservation(DiskInode inode, BufferHead bh, boolean atWritepage) {
        violations.add(new Violation("invariant", inode.name(), -1, 0, 0, atWritepage
                ? "writepage found a dirty hole without its reservation at offset " + bh.fileOffset()
                : "dirty page without its reservation at offset " + bh.fileOffset()
                        + " (page_mkwrite's metadata lost)"));
    }

    public void writeFailed(DiskInode inode, BufferHead bh, String why) {
        violations.add(new Violation("io", inode.name(), -1, 0, 0,
                "writeback of offset " + bh.fileOffset() + " failed: " + why));
    }

    /** After a crash and remount: every byte unchanged since the last fsync must be on disk. */
    public void checkAfterCrash(int ino, String name, byte[] atCrash, byte[] onDisk) {
        byte[] synced = lastSynced.get(ino);
        if (synced == null) {
            return;
        }
        for (int i = 0; i < synced.length; i++) {
            boolean unchangedSince = i < atCrash.length && atCrash[i] == synced[i];
            byte found = i < onDisk.length ? onDisk[i] : 0;
            if (unchangedSince && found != synced[i]) {
                violations.add(new Violation("crash", name, i, synced[i], found,
                        "fsync'd before the crash, missing after the remount"));
                return;
            }
        }
    }

    public void add(Violation v) {
        violations.add(v);
    }

    public List<Violation> violations() {
        return List.copyOf(violations);
    }

    public long checks() {
        return checks;
    }
}
