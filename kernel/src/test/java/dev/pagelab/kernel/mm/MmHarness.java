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
    final Scheduler scheduler = new Scheduler(Strategy.ROUND_ROBIN);
    final PageLock pageLock = new PageLock(scheduler);
    final PageWriteback writeback = new PageWriteback(dev.pagelab.kernel.KernelConfig.LINUX_2_6_30, scheduler, pageLock);
    final Rmap rmap = new Rmap(dev.pagelab.kernel.KernelConfig.LINUX_2_6_30, this, writeback);
    final Memory memory = new Memory(frames, this, writeback);
    final UserAccess uaccess = new UserAccess(memory);
    int tlbFlushes;
    int codeFlushes;

    @Override
    public void flushTlbMm(MmStruct mm) {
        tlbFlushes++;
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
