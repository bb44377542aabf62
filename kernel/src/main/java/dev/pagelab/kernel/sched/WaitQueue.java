package dev.pagelab.kernel.sched;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * A wait queue (Linux: wait_queue_head_t): tasks sleep on it until woken. Waiters must re-check
 * their condition after waking (wake-ups may be spurious, as in Linux).
 */
public final class WaitQueue {
    private final Scheduler scheduler; // immutable
    private final Deque<Task> waiters = new ArrayDeque<>(); // guarded by the baton

    public WaitQueue(Scheduler scheduler) {
        this.scheduler = scheduler;
    }

    /** Puts the running task to sleep on this queue. */
    public void sleep() {
        Task me = scheduler.current();
        waiters.addLast(me);
        scheduler.block();
        waiters.remove(me);
    }

    /**
     * Sleeps on this queue until woken or until virtual time {@code deadline} (ns).
     *
     * @return true if woken through {@link #wake}, false if the deadline passed
     */
    public boolean sleepUntil(long deadline) {
        Task me = scheduler.current();
        waiters.addLast(me);
        me.wakeAt = deadline;
        scheduler.block();
        boolean woken = !waiters.contains(me);
        waiters.remove(me);
        return woken;
    }

    /** Wakes up to {@code n} waiters in FIFO order; returns how many were woken. */
    public int wake(int n) {
        int woken = 0;
        for (Task t : waiters.toArray(new Task[0])) {
            if (woken >= n) {
                break;
            }
            if (t.state() == Task.State.BLOCKED) {
                waiters.remove(t);
                scheduler.wake(t);
                woken++;
            }
        }
        return woken;
    }

    public int wakeAll() {
        return wake(Integer.MAX_VALUE);
    }

    public boolean isEmpty() {
        return waiters.isEmpty();
    }
}
