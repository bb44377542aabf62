package dev.pagelab.kernel.mm;

import dev.pagelab.kernel.sched.SchedPoint;
import dev.pagelab.kernel.sched.Scheduler;
import dev.pagelab.kernel.sched.WaitQueue;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * PG_locked and PG_writeback waiting (Linux: lock_page, unlock_page, wait_on_page_locked,
 * wait_on_page_writeback over the hashed page wait queues). Taking and dropping the page lock are
 * scheduling points, like any lock.
 */
public final class PageLock {
    private final Scheduler scheduler; // immutable reference
    private final Map<Page, WaitQueue> queues = new IdentityHashMap<>(); // page_waitqueue(); guarded by the baton

    public PageLock(Scheduler scheduler) {
        this.scheduler = scheduler;
    }

    private WaitQueue queue(Page page) {
        return queues.computeIfAbsent(page, p -> new WaitQueue(scheduler));
    }

    /** lock_page: sleeps until PG_locked can be set by us. */
    public void lockPage(Page page) {
        scheduler.point(SchedPoint.LOCK_ACQUIRE);
        while (page.testAndSet(Page.PG_LOCKED)) {
            queue(page).sleep();
        }
    }

    /** trylock_page. */
    public boolean trylockPage(Page page) {
        return !page.testAndSet(Page.PG_LOCKED);
    }

    /** unlock_page: clears PG_locked and wakes the waiters. */
    public void unlockPage(Page page) {
        if (!page.testAndClear(Page.PG_LOCKED)) {
            throw new IllegalStateException("unlock_page: page not locked " + page);
        }
        wake(page);
        scheduler.point(SchedPoint.LOCK_RELEASE);
    }

    /** wait_on_page_locked: sleeps while PG_locked is set (without taking it). */
    public void waitOnPageLocked(Page page) {
        while (page.test(Page.PG_LOCKED)) {
            queue(page).sleep();
        }
    }

    /** wait_on_page_writeback: sleeps while PG_writeback is set. */
    public void waitOnPageWriteback(Page page) {
        while (page.test(Page.PG_WRITEBACK)) {
            queue(page).sleep();
        }
    }

    /** Wakes everyone waiting on this page (lock or writeback). */
    public void wake(Page page) {
        WaitQueue q = queues.get(page);
        if (q != null) {
            q.wakeAll();
            if (q.isEmpty()) {
                queues.remove(page);
            }
        }
    }
}
