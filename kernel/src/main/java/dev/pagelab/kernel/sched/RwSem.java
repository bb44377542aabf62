package dev.pagelab.kernel.sched;

/**
 * A reader-writer semaphore (Linux: struct rw_semaphore), used for mmap_sem: page faults take it
 * for reading, mmap/munmap/mprotect/brk for writing. Writers are not starved: a waiting writer
 * blocks new readers.
 */
public final class RwSem {
    private final String name; // immutable
    private final Scheduler scheduler; // immutable
    private final WaitQueue queue; // immutable
    private int readers; // guarded by the baton
    private Task writer; // guarded by the baton
    private int writersWaiting; // guarded by the baton

    public RwSem(String name, Scheduler scheduler) {
        this.name = name;
        this.scheduler = scheduler;
        this.queue = new WaitQueue(scheduler);
    }

    public void downRead() {
        scheduler.point(SchedPoint.LOCK_ACQUIRE);
        while (writer != null || writersWaiting > 0) {
            queue.sleep();
        }
        readers++;
        scheduler.events().lockAcquired(scheduler.current(), this, name + " read");
    }

    public void upRead() {
        if (readers <= 0) {
            throw new IllegalStateException(name + ": up_read without down_read");
        }
        readers--;
        scheduler.events().lockReleased(scheduler.current(), this, name + " read");
        queue.wakeAll();
        scheduler.point(SchedPoint.LOCK_RELEASE);
    }

    public void downWrite() {
        scheduler.point(SchedPoint.LOCK_ACQUIRE);
        writersWaiting++;
        while (writer != null || readers > 0) {
            queue.sleep();
        }
        writersWaiting--;
        writer = scheduler.current();
        scheduler.events().lockAcquired(writer, this, name + " write");
    }

    public void upWrite() {
        if (writer != scheduler.current()) {
            throw new IllegalStateException(name + ": up_write by a task that does not hold it");
        }
        writer = null;
        scheduler.events().lockReleased(scheduler.current(), this, name + " write");
        queue.wakeAll();
        scheduler.point(SchedPoint.LOCK_RELEASE);
    }
}
