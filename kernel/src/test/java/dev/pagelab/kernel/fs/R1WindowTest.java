package dev.pagelab.kernel.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagelab.kernel.KernelConfig;
import dev.pagelab.kernel.fs.disk.VirtualDisk;
import dev.pagelab.kernel.mm.Page;
import dev.pagelab.kernel.mm.PageWriteback;
import dev.pagelab.kernel.mm.WritebackControl;
import dev.pagelab.kernel.sched.HandOff;
import dev.pagelab.kernel.sched.SchedPoint;
import dev.pagelab.kernel.sched.Scheduler;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * R1 (seed 003) driven by hand through the real writeback and filesystem code: the flusher's
 * ->writepage finds buffer 0 locked by kjournald and is about to redirty the page; fsync comes in
 * right there. Without the fix the page is in neither the DIRTY nor the WRITEBACK walk and fsync
 * returns with the data written before it still in memory; with it fsync finds the DIRTY tag and
 * sleeps on the page lock until the flusher is done.
 */
class R1WindowTest {
    static final KernelConfig PRE_R1 = new KernelConfig("pre-R1", false, false, false, false, false);
    static final KernelConfig FIXED = KernelConfig.preset("2.6.19");

    @TempDir
    Path dir;

    private List<DurabilityOracle.Violation> run(KernelConfig config, boolean[] fired) throws Exception {
        Object[] st = new Object[1]; // the page
        HandOff strategy = new HandOff("flusher", point -> point == SchedPoint.PAGE_FLAG && st[0] instanceof Page p
                && p.test(Page.PG_LOCKED) && !p.test(Page.PG_DIRTY) && !p.test(Page.PG_WRITEBACK));
        Scheduler scheduler = new Scheduler(strategy);
        DurabilityOracle oracle = new DurabilityOracle(true);
        try (DiskRig rig = new DiskRig(dir.resolve("r1.img"), config, scheduler, oracle)) {
            VirtualDisk disk = rig.disk;
            PageWriteback writeback = rig.writeback;
            DiskFilesystem sb = rig.sb;
            scheduler.spawn("setup", () -> {
                DiskFile f = (DiskFile) sb.open("a", OpenFile.O_CREAT | OpenFile.O_RDWR);
                f.write(new byte[4096], 0, 4096);
                DiskInode inode = f.diskInode();
                writeback.filemapFdatawrite(inode.mapping(), "fsync");
                disk.completeAll();
                inode.write(1024, new byte[] {5, 6, 7}, 0, 3); // buffer 1 dirty: what fsync must write
                BufferHead bh0 = Buffers.pageBuffers(inode.mapping().peekPage(0))[0];
                assertTrue(sb.buffers().trylockBuffer(bh0), "kjournald is writing buffer 0");
                st[0] = inode.mapping().peekPage(0);
                scheduler.spawn("flusher", () -> writeback.writeCachePages(inode.mapping(),
                        WritebackControl.background("flusher")));
                scheduler.spawn("fsync", () -> sb.fsync(inode, "fsync"));
                scheduler.spawn("kjournald", () -> { // its write of buffer 0 ends; the disk catches up
                    sb.buffers().unlockBuffer(bh0);
                    disk.completeAll();
                });
            });
            scheduler.run();
            fired[0] = strategy.fired();
            return oracle.violations();
        }
    }

    @Test
    void withoutTheFixFsyncReturnsWhileTheFlusherHidesThePage() throws Exception {
        boolean[] fired = {false};
        List<DurabilityOracle.Violation> v = run(PRE_R1, fired);
        assertTrue(fired[0], "fsync ran between test_clear_page_dirty and redirty_page_for_writepage");
        assertEquals(1, v.size(), v.toString());
        assertEquals("durability: a offset 1024: expected 0x05, found 0x00 on disk (fsync returned before this byte "
                + "reached the disk)", v.get(0).toString());
    }

    @Test
    void withTheFixFsyncFindsTheDirtyTagAndWaitsForTheFlusher() throws Exception {
        boolean[] fired = {false};
        List<DurabilityOracle.Violation> v = run(FIXED, fired);
        assertTrue(fired[0]);
        assertTrue(v.isEmpty(), v.toString());
    }
}
