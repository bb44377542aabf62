package dev.pagelab.kernel.sched;

/**
 * A scheduler-aware lock: Linux's spinlocks, mutexes and the page lock all become this. Taking it
 * is a {@link SchedPoint#LOCK_ACQUIRE}, releasing it a {@link SchedPoint#LOCK_RELEASE}; a task
 * that finds it held sleeps until the holder releases it (on real SMP hardware a spinlock
 * contender would spin instead; the interleavings that matter are the same).
 *
 * <p>Not reentrant: taking a lock already held by the running task is a kernel bug and throws.
 */
public final class KLock {
    private final String name; // immutable
    private final Scheduler scheduler; // immutable
    private final WaitQueue waiters; // immutable
    private Task owner; // guarded by the baton

    public KLock(String name, Scheduler scheduler) {
        this.name = name;
        this.scheduler = scheduler;
        this.waiters = new WaitQueue(scheduler);
    }

    public void lock() {
        scheduler.point(SchedPoint.LOCK_ACQUIRE);
        Task me = scheduler.current();
        if (owner == me) {
            throw new IllegalStateException(name + ": lock taken twice by " + me);
        }
        while (owner != null) {
            waiters.sleep();
        }
        owner = me;
        scheduler.events().lockAcquired(me, this, name);
    }

    /** Takes the lock if it is free; never sleeps. */
    public boolean tryLock() {
        if (owner != null) {
            return false;
        }
        owner = scheduler.current();
        scheduler.events().lockAcquired(owner, this, name);
        return true;
    }

    public void unlock() {
        if (owner != scheduler.current()) {
            throw new IllegalStateException(name + ": unlock by " + scheduler.current() + ", owner " + owner);
        }
        owner = null;
        scheduler.events().lockReleased(scheduler.current(), this, name);
        waiters.wake(1);
        scheduler.point(SchedPoint.LOCK_RELEASE);
    }

    public boolean isLocked() {
        return owner != null;
    }

    public boolean heldByCurrent() {
        return owner != null && owner == scheduler.current();
    }

    public String name() {
        return name;
    }
}
