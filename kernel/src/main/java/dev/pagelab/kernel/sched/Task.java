package dev.pagelab.kernel.sched;

/**
 * A schedulable activity: a user thread (which runs guest code on a virtual CPU between its
 * kernel entries) or a kernel thread. Each task has its own Java thread, but the scheduler lets
 * exactly one of them run at a time and passes the CPU only at {@link SchedPoint}s.
 */
public final class Task {
    public enum State { NEW, RUNNABLE, BLOCKED, DEAD }

    private final int id; // immutable: creation order
    private final String name; // immutable
    private final Runnable body; // immutable
    final java.util.concurrent.Semaphore baton = new java.util.concurrent.Semaphore(0); // the CPU handoff
    State state = State.NEW; // guarded by the baton (only the running task changes states)
    long wakeAt = -1; // virtual ns deadline while sleeping on the clock, else -1; guarded by the baton
    Thread thread; // guarded by the baton
    long decisions; // decisions this task made so far (a schedule's key); guarded by the baton
    private Object owner; // what the kernel attaches (its thread structure); guarded by the baton

    Task(int id, String name, Runnable body) {
        this.id = id;
        this.name = name;
        this.body = body;
    }

    public int id() {
        return id;
    }

    public String name() {
        return name;
    }

    /** Decisions made at this task's points so far. */
    public long decisions() {
        return decisions;
    }

    public State state() {
        return state;
    }

    Runnable body() {
        return body;
    }

    /** The kernel object behind this task (e.g. its thread). */
    public Object owner() {
        return owner;
    }

    public void setOwner(Object owner) {
        this.owner = owner;
    }

    @Override
    public String toString() {
        return name + "#" + id + "(" + state + ")";
    }
}
