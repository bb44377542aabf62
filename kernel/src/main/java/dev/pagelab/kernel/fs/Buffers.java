package dev.pagelab.kernel.fs;

import dev.pagelab.emulator.PhysicalMemory;
import dev.pagelab.kernel.fs.disk.VirtualDisk;
import dev.pagelab.kernel.mm.Page;
import dev.pagelab.kernel.sched.SchedPoint;
import dev.pagelab.kernel.sched.Scheduler;
import dev.pagelab.kernel.sched.WaitQueue;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Buffer-head operations (Linux: fs/buffer.c): attaching buffers to pages, BH_Lock with sleeping
 * waiters, and submitting a buffer's bytes to the disk. Taking and releasing a buffer lock are
 * scheduling points; so are I/O submission and completion.
 */
public final class Buffers {
    private final Scheduler scheduler; // immutable reference
    private final VirtualDisk disk; // immutable reference
    private final PhysicalMemory ram; // immutable reference: where the page's bytes are
    private final WaitQueue diskQueue; // the disk thread sleeps here when idle
    private final Map<BufferHead, WaitQueue> waiters = new IdentityHashMap<>(); // guarded by the baton

    public Buffers(Scheduler scheduler, VirtualDisk disk, PhysicalMemory ram) {
        this.scheduler = scheduler;
        this.disk = disk;
        this.ram = ram;
        this.diskQueue = new WaitQueue(scheduler);
    }

    public VirtualDisk disk() {
        return disk;
    }

    WaitQueue diskQueue() {
        return diskQueue;
    }

    /** page_buffers / create_empty_buffers: the page's four buffers, attached on first use. */
    public static BufferHead[] pageBuffers(Page page) {
        if (page.privateData() instanceof BufferHead[] bhs) {
            return bhs;
        }
        BufferHead[] bhs = new BufferHead[BufferHead.PER_PAGE];
        for (int i = 0; i < bhs.length; i++) {
            bhs[i] = new BufferHead(page, i);
        }
        page.setPrivateData(bhs);
        return bhs;
    }

    /** lock_buffer: sleeps until BH_Lock is ours. */
    public void lockBuffer(BufferHead bh) {
        scheduler.point(SchedPoint.LOCK_ACQUIRE);
        while (bh.testAndSet(BufferHead.BH_LOCK)) {
            waiters.computeIfAbsent(bh, b -> new WaitQueue(scheduler)).sleep();
        }
    }

    /** wait_on_buffer: sleeps until nobody holds BH_Lock (a write in flight has completed). */
    public void waitOnBuffer(BufferHead bh) {
        lockBuffer(bh);
        unlockBuffer(bh);
    }

    /** test_set_buffer_locked: takes BH_Lock if free; never sleeps. */
    public boolean trylockBuffer(BufferHead bh) {
        return !bh.testAndSet(BufferHead.BH_LOCK);
    }

    /** unlock_buffer. */
    public void unlockBuffer(BufferHead bh) {
        if (!bh.testAndClear(BufferHead.BH_LOCK)) {
            throw new IllegalStateException("unlock_buffer: buffer not locked " + bh);
        }
        WaitQueue q = waiters.remove(bh);
        if (q != null) {
            q.wakeAll();
        }
        scheduler.point(SchedPoint.LOCK_RELEASE);
    }

    /**
     * submit_bh(WRITE): sends the buffer's 1 KiB, as it is in its page now, to the disk; the disk
     * thread completes it later and then runs {@code onComplete}. Precondition: buffer locked and
     * mapped.
     */
    public void submitWrite(BufferHead bh, Runnable onComplete) {
        if (!bh.test(BufferHead.BH_LOCK) || !bh.test(BufferHead.BH_MAPPED)) {
            throw new IllegalStateException("submit_bh: buffer must be locked and mapped: " + bh);
        }
        byte[] data = new byte[BufferHead.SIZE];
        ram.read(bh.page().physicalAddress() + (long) bh.slot() * BufferHead.SIZE, data, 0, data.length);
        disk.submitWrite(bh.blocknr(), data, 0, onComplete);
        diskQueue.wakeAll();
        scheduler.point(SchedPoint.IO_SUBMIT);
    }
}
