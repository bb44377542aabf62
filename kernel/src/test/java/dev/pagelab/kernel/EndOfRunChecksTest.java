package dev.pagelab.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagelab.emulator.Machine;
import dev.pagelab.kernel.fs.DiskFile;
import dev.pagelab.kernel.fs.OpenFile;
import dev.pagelab.kernel.mm.FrameAllocator;
import dev.pagelab.kernel.mm.Memory;
import dev.pagelab.kernel.mm.MmStruct;
import dev.pagelab.kernel.mm.Page;
import dev.pagelab.kernel.mm.PageLock;
import dev.pagelab.kernel.mm.PageWriteback;
import dev.pagelab.kernel.mm.Rmap;
import dev.pagelab.kernel.mm.Tlb;
import dev.pagelab.kernel.sched.Scheduler;
import dev.pagelab.kernel.sched.Strategy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Negative controls of --check's end-of-run checks: each made to fire on purpose. */
class EndOfRunChecksTest {
    @TempDir
    Path dir;

    private Machine machine;

    private List<String> checksAfter(BiConsumer<Storage, DiskFile> body) throws Exception {
        Scheduler scheduler = new Scheduler(Strategy.ROUND_ROBIN);
        List<String> problems = new ArrayList<>();
        try (Machine machine = new Machine(8L << 20)) {
            this.machine = machine;
            FrameAllocator frames = new FrameAllocator(machine.memory(), machine.firstFreeFrame());
            Tlb tlb = new Tlb() {
                @Override public void flushTlbMm(MmStruct mm) { }
                @Override public void flushCodeCaches() { }
            };
            PageWriteback writeback = new PageWriteback(KernelConfig.LINUX_2_6_30, scheduler, new PageLock(scheduler));
            new Rmap(KernelConfig.LINUX_2_6_30, tlb, writeback);
            Memory memory = new Memory(frames, tlb, writeback);
            try (Storage storage = Storage.attach(dir.resolve("c.img"), scheduler, memory, KernelConfig.LINUX_2_6_30,
                    false, dev.pagelab.kernel.fs.DiskFilesystem.Tunables.DEFAULT)) {
                scheduler.spawn("test", () -> {
                    storage.sb.startThreads();
                    DiskFile f = (DiskFile) storage.sb.open("f.dat", OpenFile.O_CREAT | OpenFile.O_RDWR);
                    f.write(new byte[] {1, 2, 3, 4}, 0, 4);
                    storage.sb.syncAll();
                    body.accept(storage, f);
                    problems.addAll(storage.endOfRunChecks(writeback));
                    storage.sb.shutdownThreads();
                });
                scheduler.run();
            }
        }
        return problems;
    }

    @Test
    void aCleanRunHasNoProblems() throws Exception {
        assertEquals(List.of(), checksAfter((s, f) -> { }));
    }

    @Test
    void aPageLeftDirtyBehindTheCountersBackBreaksTheDirtyAccounting() throws Exception {
        List<String> p = checksAfter((s, f) -> f.diskInode().mapping().peekPage(0).set(Page.PG_DIRTY));
        assertEquals(List.of("dirty accounting: NR_FILE_DIRTY 0 but 1 pages have PG_dirty"), p);
    }

    @Test
    void aWriteThatNeverReachedTheDiskBreaksTheEndState() throws Exception {
        List<String> p = checksAfter((s, f) -> {
            Page page = f.diskInode().mapping().peekPage(0);
            machine.memory().write(page.physicalAddress() + 2, new byte[] {9}); // a store nobody wrote out
        });
        assertEquals(List.of("end state: f.dat offset 2: expected 0x09, found 0x03 on disk"), p);
    }
}
