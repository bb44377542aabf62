package dev.pagelab.kernel.fs;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagelab.emulator.Machine;
import dev.pagelab.kernel.KernelConfig;
import dev.pagelab.kernel.fs.disk.PagelabFs;
import dev.pagelab.kernel.fs.disk.VirtualDisk;
import dev.pagelab.kernel.mm.FrameAllocator;
import dev.pagelab.kernel.mm.Memory;
import dev.pagelab.kernel.mm.MmStruct;
import dev.pagelab.kernel.mm.Page;
import dev.pagelab.kernel.mm.PageLock;
import dev.pagelab.kernel.mm.PageWriteback;
import dev.pagelab.kernel.mm.Rmap;
import dev.pagelab.kernel.mm.Tlb;
import dev.pagelab.kernel.mm.WritebackControl;
import dev.pagelab.kernel.sched.HandOff;
import dev.pagelab.kernel.sched.SchedPoint;
import dev.pagelab.kernel.sched.Scheduler;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * write() against writeback and sync on the fixed kernel, driven by hand: the writer is stopped
 * inside write_end and another task runs. Found by exploration with timers; both were false
 * losses before.
 */
class WriteAgainstSyncTest {
    @TempDir
    Path dir;

    /** Writes 4 KiB and syncs it; then "writer" appends or rewrites, stopped where {@code trigger} holds. */
    interface Other {
        void run(DiskFilesystem sb, DiskInode inode, PageWriteback writeback);
    }

    private List<DurabilityOracle.Violation> run(long pos, Predicate<Page> trigger, SchedPoint at, boolean writerSyncs,
                                                 Other other) throws Exception {
        Object[] st = new Object[1];
        HandOff strategy = new HandOff("writer", point -> point == at && st[0] instanceof Page p && trigger.test(p));
        Scheduler scheduler = new Scheduler(strategy);
        DurabilityOracle oracle = new DurabilityOracle(true);
        KernelConfig config = KernelConfig.LINUX_2_6_30;
        try (Machine machine = new Machine(8L << 20);
             VirtualDisk disk = VirtualDisk.create(dir.resolve("w.img"), 1024)) {
            FrameAllocator frames = new FrameAllocator(machine.memory(), machine.firstFreeFrame());
            Tlb tlb = new Tlb() {
                @Override public void flushTlbMm(MmStruct mm) { }
                @Override public void flushCodeCaches() { }
            };
            PageWriteback writeback = new PageWriteback(config, scheduler, new PageLock(scheduler));
            new Rmap(config, tlb, writeback);
            Memory memory = new Memory(frames, tlb, writeback);
            PagelabFs.mkfs(disk, 16);
            DiskFilesystem sb = new DiskFilesystem(PagelabFs.mount(disk), disk, scheduler, memory, config,
                    DiskFilesystem.Tunables.DEFAULT, oracle);
            scheduler.spawn("setup", () -> {
                DiskFile f = (DiskFile) sb.open("a", OpenFile.O_CREAT | OpenFile.O_RDWR);
                f.write(new byte[4096], 0, 4096);
                DiskInode inode = f.diskInode();
                writeback.filemapFdatawrite(inode.mapping(), "fsync");
                disk.completeAll();
                if (pos < 4096) {
                    st[0] = inode.mapping().peekPage(0);
                }
                scheduler.spawn("writer", () -> {
                    if (st[0] == null) {
                        inode.mapping().readCachePage(pos >>> 12); // the new page exists before the write
                        st[0] = inode.mapping().peekPage(pos >>> 12);
                    }
                    inode.write(pos, new byte[] {5, 6, 7}, 0, 3);
                    if (writerSyncs) {
                        sb.fsync(inode, "fsync");
                    }
                });
                scheduler.spawn("other", () -> other.run(sb, inode, writeback));
                scheduler.spawn("kdisk", () -> { // completes the writes the sync calls wait for
                    for (int i = 0; i < 100; i++) {
                        disk.completeAll();
                        scheduler.sleep(1_000);
                    }
                });
            });
            scheduler.run();
            assertTrue(strategy.fired(), "the writer was stopped inside write()");
            return oracle.violations();
        }
    }

    /**
     * generic_write_end grows i_size before unlock_page: background writeback that takes the page
     * right after the unlock sees the new buffers inside EOF and writes them. (Growing i_size
     * after the unlock, block_write_full_page dropped them as past EOF, the page went clean, and
     * the fsync after write() returned found nothing to write.)
     */
    @Test
    void backgroundWritebackRightAfterAnAppendKeepsItsData() throws Exception {
        List<DurabilityOracle.Violation> v = run(4096, p -> p.test(Page.PG_DIRTY), SchedPoint.LOCK_RELEASE, true,
                (sb, inode, writeback) -> writeback.writeCachePages(inode.mapping(),
                        WritebackControl.background("flusher")));
        assertTrue(v.isEmpty(), v.toString());
    }

    /**
     * A write() still in progress when fsync begins (its bytes copied, set_page_dirty not yet
     * run) is not promised by that fsync: no durability report.
     */
    @Test
    void aWriteInProgressWhenFsyncBeginsIsNotPromised() throws Exception {
        List<DurabilityOracle.Violation> v = run(100, p -> p.test(Page.PG_LOCKED) && !p.test(Page.PG_DIRTY),
                SchedPoint.PAGE_FLAG, false, (sb, inode, writeback) -> sb.fsync(inode, "fsync"));
        assertTrue(v.isEmpty(), v.toString());
    }
}
