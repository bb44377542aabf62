package dev.pagelab.kernel.sched;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;

/**
 * The deterministic scheduler. Every task runs on its own Java thread, but only the task holding
 * the baton runs; it hands the baton on only at a {@link SchedPoint}, when it blocks, or when it
 * exits, and the {@link Strategy} chooses who gets it. A run is therefore a pure function of the
 * program, the kernel configuration and the strategy's choices.
 *
 * <p>Time is virtual: the clock (ns) advances by one per guest instruction reported through
 * {@link #advanceClock}; when every task is blocked and some sleep on the clock, it jumps to the
 * earliest deadline. Every task blocked with no deadline pending is a deadlock, reported as such.
 *
 * <p>Lock order: the scheduler's own state is touched only by the task holding the baton, so it
 * needs no lock of its own.
 */
public final class Scheduler {
    /** Thrown inside a task's thread when the machine is torn down: unwinds it quietly. */
    public static final class TaskKilled extends Error {
        private static final long serialVersionUID = 1L;

        TaskKilled() {
            super("task killed", null, false, false);
        }
    }

    /** The run ended because every task blocked with nothing left that could wake one. */
    public static final class Deadlock extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        Deadlock(String message) {
            super(message);
        }
    }

    private final Strategy strategy; // immutable
    private final List<Task> tasks = new ArrayList<>(); // live tasks, creation order; guarded by the baton
    private final Semaphore finished = new Semaphore(0); // released when the run ends
    private Task current; // guarded by the baton
    private int nextId; // guarded by the baton
    private long clock; // virtual ns; guarded by the baton
    private long switches; // guarded by the baton
    private volatile Throwable failure; // the first task failure, reported by run()
    private volatile String deadlock; // set when every task blocked for good
    private volatile boolean shutdown;
    private KernelEvents events = KernelEvents.NONE; // set before run(); guarded by the baton
    private java.util.function.BooleanSupplier daemonsIdle = () -> false; // set before run(); guarded by the baton

    public Scheduler(Strategy strategy) {
        this.strategy = strategy;
    }

    /** Creates a runnable task; it first runs when the strategy picks it. */
    public Task spawn(String name, Runnable body) {
        Task t = new Task(nextId++, name, body);
        t.state = Task.State.RUNNABLE;
        tasks.add(t);
        return t;
    }

    /**
     * Creates a periodic kernel thread (the flusher, the journal). Unlike Linux, whose idle
     * flusher sleeps until work arrives, ours wake on a timer; so while {@code daemonsIdle} (see
     * {@link #setDaemonsIdle}) says they have no work, their timers are not progress: the clock
     * skips past them to the next user deadline, and with none left the run is a deadlock.
     */
    public Task spawnDaemon(String name, Runnable body) {
        Task t = spawn(name, body);
        t.daemon = true;
        return t;
    }

    /** True when the periodic kernel threads have nothing to do (no dirty data, no I/O, empty journal). */
    public void setDaemonsIdle(java.util.function.BooleanSupplier idle) {
        this.daemonsIdle = idle;
    }

    /** Where kernel events go (tracing, the shell); {@link KernelEvents#NONE} by default. */
    public void setEvents(KernelEvents events) {
        this.events = events;
    }

    public KernelEvents events() {
        return events;
    }

    /** The running task (null before {@link #run} and after the end). */
    public Task current() {
        return current;
    }

    public long clock() {
        return clock;
    }

    public long switches() {
        return switches;
    }

    /** Advances virtual time (one ns per guest instruction). */
    public void advanceClock(long ns) {
        clock = deadline(ns);
    }

    /** The clock {@code ns} from now, saturating at Long.MAX_VALUE (as ktime_add_safe does). */
    public long deadline(long ns) {
        long d = clock + Math.max(0, ns);
        return d < clock ? Long.MAX_VALUE : d;
    }

    /**
     * Runs tasks until all have exited. Called once, from the thread that set the machine up.
     *
     * @throws IllegalStateException on deadlock; the failure of a task (a kernel bug) is rethrown
     */
    public void run() {
        if (tasks.isEmpty()) {
            return;
        }
        Task first = tasks.get(0);
        current = first;
        start(first);
        finished.acquireUninterruptibly();
        shutdown();
        Throwable f = failure;
        if (f instanceof RuntimeException re) {
            throw re;
        }
        if (f instanceof Error e) {
            throw e;
        }
        if (f != null) {
            throw new IllegalStateException(f);
        }
        if (deadlock != null) {
            throw new Deadlock(deadlock);
        }
    }

    /** A scheduling point: the strategy may give the CPU to another runnable task. */
    public void point(SchedPoint point) {
        Task me = current;
        events.schedPoint(me, point);
        wakeExpiredSleepers();
        Task next = strategy.pick(runnable(), me, point);
        if (next != me) {
            events.taskSwitch(me, next, point);
            switchTo(me, next);
        }
    }

    /** Blocks the running task until {@link #wake} (or its clock deadline); other tasks run. */
    public void block() {
        Task me = current;
        me.state = Task.State.BLOCKED;
        Task next = nextAfterBlocking(me);
        if (next == null) {
            throw new TaskKilled(); // deadlock: the run is over
        }
        if (next != me) {
            events.taskSwitch(me, next, SchedPoint.YIELD);
            switchTo(me, next);
        } else {
            me.state = Task.State.RUNNABLE;
        }
    }

    /** Sleeps on the virtual clock for {@code ns}. */
    public void sleep(long ns) {
        current.wakeAt = deadline(ns);
        block();
    }

    /** Makes a blocked task runnable (no switch happens here). */
    public void wake(Task t) {
        if (t.state == Task.State.BLOCKED) {
            t.state = Task.State.RUNNABLE;
            t.wakeAt = -1;
        }
    }

    /** Ends the running task; never returns. */
    public void exit() {
        Task me = current;
        me.state = Task.State.DEAD;
        tasks.remove(me);
        if (tasks.isEmpty()) {
            current = null;
            finished.release();
            throw new TaskKilled();
        }
        Task next = nextAfterBlocking(me);
        if (next != null) {
            events.taskSwitch(me, next, SchedPoint.YIELD);
            handOff(next);
        }
        throw new TaskKilled();
    }

    private List<Task> runnable() {
        List<Task> r = new ArrayList<>();
        for (Task t : tasks) {
            if (t.state == Task.State.RUNNABLE) {
                r.add(t);
            }
        }
        return r;
    }

    /** The next task to run once {@code me} stops being runnable; null if the run ended. */
    private Task nextAfterBlocking(Task me) {
        wakeExpiredSleepers();
        List<Task> r = runnable();
        if (r.isEmpty() && advanceToNextDeadline()) {
            r = runnable();
        }
        if (r.isEmpty()) {
            deadlock = "deadlock: every task is blocked and nothing can wake one: " + tasks;
            finished.release();
            return null;
        }
        return strategy.pick(r, me, SchedPoint.YIELD);
    }

    private void wakeExpiredSleepers() {
        for (Task t : tasks) {
            if (t.state == Task.State.BLOCKED && t.wakeAt >= 0 && t.wakeAt <= clock) {
                wake(t);
            }
        }
    }

    private boolean advanceToNextDeadline() {
        long earliest = -1;
        boolean skipDaemons = daemonsIdle.getAsBoolean();
        for (Task t : tasks) {
            if (t.state == Task.State.BLOCKED && t.wakeAt >= 0 && !(skipDaemons && t.daemon)) {
                earliest = earliest < 0 ? t.wakeAt : Math.min(earliest, t.wakeAt);
            }
        }
        if (earliest < 0) {
            return false;
        }
        clock = Math.max(clock, earliest);
        wakeExpiredSleepers();
        return true;
    }

    private void switchTo(Task me, Task next) {
        handOff(next);
        me.baton.acquireUninterruptibly();
        if (shutdown) {
            throw new TaskKilled();
        }
    }

    private void handOff(Task next) {
        switches++;
        current = next;
        if (next.thread == null) {
            start(next);
        } else {
            next.baton.release();
        }
    }

    private void start(Task t) {
        Thread thread = new Thread(() -> body(t), "pagelab-" + t.name() + "-" + t.id());
        thread.setDaemon(true);
        t.thread = thread;
        thread.start();
    }

    private void body(Task t) {
        try {
            t.body().run();
            if (t.state != Task.State.DEAD) {
                exit();
            }
        } catch (TaskKilled killed) {
            // normal end of a task's thread
        } catch (Throwable e) {
            if (failure == null) {
                failure = new IllegalStateException("task " + t.name() + " failed: " + e, e);
            }
            finished.release();
        }
    }

    /** Stops every parked task thread (they unwind with {@link TaskKilled}). */
    private void shutdown() {
        shutdown = true;
        for (Task t : new ArrayList<>(tasks)) {
            t.baton.release();
        }
    }
}
