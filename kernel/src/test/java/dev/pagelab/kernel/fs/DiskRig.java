package dev.pagelab.kernel.fs;

import dev.pagelab.emulator.Machine;
import dev.pagelab.kernel.KernelConfig;
import dev.pagelab.kernel.fs.disk.PagelabFs;
import dev.pagelab.kernel.fs.disk.VirtualDisk;
import dev.pagelab.kernel.mm.FrameAllocator;
import dev.pagelab.kernel.mm.Memory;
import dev.pagelab.kernel.mm.MmStruct;
import dev.pagelab.kernel.mm.PageLock;
import dev.pagelab.kernel.mm.PageWriteback;
import dev.pagelab.kernel.mm.Rmap;
import dev.pagelab.kernel.mm.Tlb;
import dev.pagelab.kernel.sched.Scheduler;
import java.nio.file.Path;

/**
 * What the filesystem tests drive by hand: a machine's memory with the mm (no CPUs, so TLB
 * flushes are no-ops), and a freshly made pfs on a real 1 MiB image file, mounted, with the
 * default tunables. Its tasks run on the test's {@link Scheduler}. Closing closes the disk and the
 * machine.
 */
final class DiskRig implements AutoCloseable {
    final Machine machine;
    final VirtualDisk disk;
    final FrameAllocator frames;
    final PageWriteback writeback;
    final Memory memory;
    final PagelabFs fs;
    final DiskFilesystem sb;

    DiskRig(Path image, KernelConfig config, Scheduler scheduler, DurabilityOracle oracle) throws Exception {
        machine = new Machine(8L << 20);
        VirtualDisk d = null;
        try {
            d = VirtualDisk.create(image, 1024);
            frames = new FrameAllocator(machine.memory(), machine.firstFreeFrame());
            Tlb tlb = new Tlb() {
                @Override public void flushTlbMm(MmStruct mm) { }
                @Override public void flushCodeCaches() { }
            };
            writeback = new PageWriteback(config, scheduler, new PageLock(scheduler));
            new Rmap(config, tlb, writeback);
            memory = new Memory(frames, tlb, writeback);
            PagelabFs.mkfs(d, 16);
            fs = PagelabFs.mount(d);
            sb = new DiskFilesystem(fs, d, scheduler, memory, config, DiskFilesystem.Tunables.DEFAULT, oracle);
        } catch (Exception | Error e) {
            if (d != null) {
                d.close();
            }
            machine.close();
            throw e;
        }
        disk = d;
    }

    @Override
    public void close() throws Exception {
        try {
            disk.close();
        } finally {
            machine.close();
        }
    }
}
