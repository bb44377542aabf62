package dev.pagelab.kernel.mm;

import dev.pagelab.emulator.Machine;
import dev.pagelab.kernel.fs.HostFile;
import dev.pagelab.kernel.sched.Scheduler;
import dev.pagelab.kernel.sched.Strategy;
import java.util.function.Consumer;

/**
 * A machine's memory, an allocator and a scheduler with no CPUs: enough to drive the mm code
 * directly. Bodies run inside a scheduler task, as kernel code does.
 */
final class MmHarness implements Tlb {
    final Machine machine = new Machine(8L << 20);
    final FrameAllocator frames = new FrameAllocator(machine.memory(), machine.firstFreeFrame());
    final Scheduler scheduler;
    final PageLock pageLock;
    final dev.pagelab.kernel.KernelConfig config;
    final PageWriteback writeback;
    final Rmap rmap;
    final Memory memory;
    final UserAccess uaccess;
    final java.util.List<dev.pagelab.emulator.Vcpu> cpus = new java.util.ArrayList<>();
    boolean shootdowns = true; // false: a broken kernel that forgets to flush TLBs

    MmHarness() {
        this(dev.pagelab.kernel.KernelConfig.LINUX_2_6_30);
    }

    MmHarness(dev.pagelab.kernel.KernelConfig config) {
        this(config, Strategy.ROUND_ROBIN);
    }

    MmHarness(dev.pagelab.kernel.KernelConfig config, Strategy strategy) {
        this.scheduler = new Scheduler(strategy);
        this.pageLock = new PageLock(scheduler);
        this.config = config;
        this.writeback = new PageWriteback(config, scheduler, pageLock);
        this.rmap = new Rmap(config, this, writeback);
        this.memory = new Memory(frames, this, writeback);
        this.uaccess = new UserAccess(memory);
    }
    int tlbFlushes;
    int codeFlushes;

    @Override
    public void flushTlbMm(MmStruct mm) {
        tlbFlushes++;
        if (shootdowns) {
            for (dev.pagelab.emulator.Vcpu cpu : cpus) {
                if (cpu.pageTableRoot() == mm.pageTables().pgd()) {
                    cpu.flushTlb();
                }
            }
        }
    }

    @Override
    public void flushCodeCaches() {
        codeFlushes++;
    }

    /** Runs {@code body} with a fresh mm inside a task; rethrows what it threw. */
    void run(Consumer<MmStruct> body) {
        scheduler.spawn("test", () -> body.accept(new MmStruct(frames, machine, scheduler)));
        try {
            scheduler.run();
        } catch (IllegalStateException e) {
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw e;
        }
    }

    HostFile file(String name, byte[] contents) {
        return new HostFile(7, name, contents, frames);
    }
}
