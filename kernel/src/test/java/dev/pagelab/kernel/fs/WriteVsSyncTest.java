package dev.pagelab.kernel.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagelab.kernel.KernelConfig;
import dev.pagelab.kernel.fs.disk.PagelabFs;
import dev.pagelab.kernel.fs.disk.VirtualDisk;
import dev.pagelab.kernel.mm.Page;
import dev.pagelab.kernel.mm.PageWriteback;
import dev.pagelab.kernel.sched.HandOff;
import dev.pagelab.kernel.sched.SchedPoint;
import dev.pagelab.kernel.sched.Scheduler;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A write() racing with another task's fsync, driven by hand through the real filesystem code
 * (both found by exploring fsx2 on 2.6.30, where the other task was the storer's msync). The
 * writer is stopped at a chosen point inside write(); fsync runs there; then the writer returns
 * and a second fsync runs.
 * <ul>
 *   <li>FORBIDDEN: the second fsync (after the write returned) returns with the bytes not on disk.</li>
 *   <li>FORBIDDEN: the first fsync is reported for bytes of a write() that had not returned when it
 *       began (POSIX promises only data written before the call; Linux's filemap_fdatawrite runs
 *       without i_mutex and is not ordered with a write in progress).</li>
 *   <li>ACCEPTABLE: the first fsync writes the new bytes, or leaves them for the second one.</li>
 * </ul>
 */
class WriteVsSyncTest {
    @TempDir
    Path dir;

    /**
     * generic_write_end (Linux 2.6.30 fs/buffer.c) sets i_size before unlock_page, "page writeout
     * could otherwise come in and zero beyond i_size". The writer extends the file into a new page
     * and is stopped just after unlocking it: if i_size were still the old one, ->writepage would
     * clean the new buffer as past EOF and the page, clean, would never be written.
     */
    @ParameterizedTest
    @ValueSource(strings = {"2.6.27", "2.6.30"})
    void aWriteThatExtendsTheFileSetsTheSizeBeforeWritebackCanSeeItsPage(String preset) throws Exception {
        assertSecondFsyncFindsTheWriteOnDisk(KernelConfig.preset(preset), 9000, SchedPoint.LOCK_RELEASE,
                page -> !page.test(Page.PG_LOCKED));
    }

    /**
     * The writer has copied its bytes into the locked page and dirtied the buffer, but not yet the
     * page (the PAGE_FLAG point in __set_page_dirty_nobuffers): the fsync that comes now cannot
     * see the page in its DIRTY walk, and must not be judged for those bytes; the next one writes
     * them. Without the oracle's "write() in progress" exclusion the first fsync was reported.
     */
    @ParameterizedTest
    @ValueSource(strings = {"2.6.27", "2.6.30"})
    void anFsyncIsNotJudgedForAWriteThatHadNotReturnedWhenItBegan(String preset) throws Exception {
        assertSecondFsyncFindsTheWriteOnDisk(KernelConfig.preset(preset), 100, SchedPoint.PAGE_FLAG,
                page -> page.test(Page.PG_LOCKED) && !page.test(Page.PG_DIRTY));
    }

    private void assertSecondFsyncFindsTheWriteOnDisk(KernelConfig config, long pos, SchedPoint at,
                                                      Predicate<Page> pageState) throws Exception {
        DiskInode[] inode = new DiskInode[1];
        long index = pos >>> 12;
        int slot = (int) (pos & 0xfff) / BufferHead.SIZE;
        HandOff strategy = new HandOff("writer", point -> point == at && inode[0] != null
                && inode[0].mapping().peekPage(index) instanceof Page p
                && Buffers.pageBuffers(p)[slot].test(BufferHead.BH_DIRTY) && pageState.test(p));
        Scheduler scheduler = new Scheduler(strategy);
        DurabilityOracle oracle = new DurabilityOracle(true);
        try (DiskRig rig = new DiskRig(dir.resolve("w.img"), config, scheduler, oracle)) {
            VirtualDisk disk = rig.disk;
            PageWriteback writeback = rig.writeback;
            PagelabFs fs = rig.fs;
            DiskFilesystem sb = rig.sb;
            scheduler.spawn("setup", () -> {
                DiskFile f = (DiskFile) sb.open("a", OpenFile.O_CREAT | OpenFile.O_RDWR);
                f.write(new byte[8192], 0, 8192);
                writeback.filemapFdatawrite(f.diskInode().mapping(), "fsync");
                disk.completeAll();
                inode[0] = f.diskInode();
                scheduler.spawn("writer", () -> inode[0].write(pos, new byte[] {7, 8, 9}, 0, 3));
                scheduler.spawn("fsync", () -> sb.fsync(inode[0], "fsync"));
                scheduler.spawn("fsync2", () -> sb.fsync(inode[0], "fsync"));
                scheduler.spawn("kdisk", disk::completeAll); // runs once both fsyncs wait for their I/O
            });
            scheduler.run();
            assertTrue(strategy.fired(), "fsync ran inside the write");
            List<DurabilityOracle.Violation> v = oracle.violations();
            assertTrue(v.isEmpty(), v.toString());
            assertEquals(2, oracle.checks());
            assertEquals(Math.max(8192, pos + 3), inode[0].size());
            byte[] onDisk = fs.readFile(inode[0].diskIno());
            assertArrayEquals(new byte[] {7, 8, 9}, Arrays.copyOfRange(onDisk, (int) pos, (int) pos + 3));
        }
    }
}
