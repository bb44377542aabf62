package dev.pagelab.kernel.sched;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Semaphore;

/**
 * The deterministic scheduler. Every task runs on its own Java thread, but only the task holding
 * the baton runs; it hands the baton on only at a {@link SchedPoint}, when it blocks, or when it
 * exits, and the {@link Strategy} chooses who gets it. A run is therefore a pure function of the
 * program, the kernel configuration and the strategy's choices.
 *
 * <p>Time is virtual: the clock (ns) advances by one per guest instruction reported through
 * {@link #retired}; when every task is blocked and some sleep on the clock, it jumps to the
 * earliest deadline; and when the strategy fires a sleeper's timer early (kernel code takes no
 * virtual time otherwise: see {@link Strategy#pick}), it jumps to that sleeper's deadline. Every
 * task blocked with no deadline pending is a deadlock, reported as such.
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

    /**
     * One decision as the explorer sees it (kept only when {@link #keepDecisionLog} is on);
     * {@code timers}: the tasks whose timer the strategy could have fired there.
     */
    public record DecisionRecord(int task, long index, SchedPoint point, int[] runnable, int defaultPick, int chosen,
                                 long budgetMax, long budget, long retired, String where, int[] timers) {
        public boolean isBudget() {
            return point == null;
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
    private final List<Deviation> deviations = new ArrayList<>(); // choices unlike round-robin; guarded by the baton
    private List<DecisionRecord> decisionLog; // null unless kept; guarded by the baton
    private boolean labelPoints; // name the kernel function at each deviation (costly); guarded by the baton
    private long decisions; // guarded by the baton
    private long guestRip = -1; // where the running thread's guest code last stopped; guarded by the baton
    private final List<String> names = new ArrayList<>(); // every task's name by id; guarded by the baton
    private long traceHash = 0xcbf29ce484222325L; // FNV-1a over decisions and reported events; guarded by the baton
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
        names.add(name);
        t.state = Task.State.RUNNABLE;
        tasks.add(t);
        strategy.taskCreated(t);
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

    /** The live tasks in creation order (tools: read with the machine stopped). */
    public List<Task> tasks() {
        return List.copyOf(tasks);
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

    /** Keeps every decision (for DFS, which branches on them, and for explanations). */
    public void keepDecisionLog() {
        decisionLog = new ArrayList<>();
    }

    /** Names the kernel function at every recorded deviation (a stack walk each: replay only). */
    public void labelPoints() {
        labelPoints = true;
    }

    /** The decisions of this run (empty unless {@link #keepDecisionLog} was called). */
    public List<DecisionRecord> decisionLog() {
        return decisionLog == null ? List.of() : decisionLog;
    }

    /** The choices of this run that differ from round-robin: its schedule. */
    public List<Deviation> deviations() {
        return List.copyOf(deviations);
    }

    public long decisions() {
        return decisions;
    }

    /**
     * The trace hash: over every decision (task, point, choice) and every event the kernel hashes
     * in ({@link #hashEvent}). Two runs with the same hash made the same choices and saw the same
     * faults, system calls and oracle verdicts.
     */
    public long traceHash() {
        return traceHash;
    }

    /** Mixes an event (a fault, a system call and its result, an oracle verdict) into the trace hash. */
    public void hashEvent(long a, long b, long c) {
        mix(a);
        mix(b);
        mix(c);
    }

    private void mix(long v) {
        for (int i = 0; i < 8; i++) {
            traceHash = (traceHash ^ ((v >>> (8 * i)) & 0xff)) * 0x100000001b3L;
        }
    }

    /** A scheduling point: the strategy may give the CPU to another runnable task. */
    public void point(SchedPoint point) {
        Task me = current;
        events.schedPoint(me, point);
        wakeExpiredSleepers();
        Task next = decide(me, point, runnable());
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
        return decide(me, SchedPoint.YIELD, r);
    }

    /**
     * One decision: round-robin's choice, the strategy's choice, and the record of a deviation.
     * Every decision advances the deciding task's counter, so (task, counter) names it in a
     * schedule.
     */
    private Task decide(Task me, SchedPoint point, List<Task> r) {
        Task dflt = roundRobin(r, me, point);
        long index = me.decisions++;
        decisions++;
        List<Task> timers = strategy.firesTimers() ? timers() : List.of(); // off the hot path of a plain run
        Task chosen = r.size() == 1 && timers.isEmpty() ? dflt
                : strategy.pick(new Strategy.Decision(me, point, r, dflt, index, timers));
        if (chosen.state == Task.State.BLOCKED) {
            fireTimer(chosen);
        }
        mix(((long) me.id() << 32) | ((long) point.ordinal() << 16) | chosen.id());
        if (chosen != dflt) {
            deviations.add(new Deviation(me.id(), index, Deviation.Kind.PICK, chosen.id(), dflt == me,
                    where(point)));
        }
        if (decisionLog != null) {
            decisionLog.add(new DecisionRecord(me.id(), index, point, ids(r), dflt.id(), chosen.id(), 0, 0, 0,
                    chosen != dflt ? where(point) : "", ids(timers)));
        }
        return chosen;
    }

    /**
     * A budget decision: how many guest instructions the running user thread may retire before
     * its next decision, at most {@code max} (what is left of its time slice).
     */
    public long budget(long max) {
        Task me = current;
        long index = me.decisions++;
        decisions++;
        long b = strategy.budget(me, max, index);
        if (b < 1 || b > max) {
            throw new IllegalStateException("budget: strategy chose " + b + " outside [1, " + max + "]");
        }
        mix(((long) me.id() << 32) ^ b);
        if (b != max) {
            deviations.add(new Deviation(me.id(), index, Deviation.Kind.BUDGET, b, false, ""));
        }
        if (decisionLog != null) {
            decisionLog.add(new DecisionRecord(me.id(), index, null, ids(runnable()), me.id(), me.id(), max, b, 0, "",
                    new int[0]));
        }
        return b;
    }

    /** The running user thread retired {@code n} guest instructions (advances the clock too). */
    public void retired(long n) {
        clock = deadline(n);
        strategy.retired(current, n);
        if (decisionLog != null && !decisionLog.isEmpty()) {
            DecisionRecord last = decisionLog.get(decisionLog.size() - 1);
            if (last.isBudget() && last.task() == current.id()) {
                decisionLog.set(decisionLog.size() - 1, new DecisionRecord(last.task(), last.index(), null,
                        last.runnable(), last.defaultPick(), last.chosen(), last.budgetMax(), last.budget(), n, "",
                        last.timers()));
            }
        }
    }

    /** Where the running user thread's guest code stopped (named in labelled preemptions). */
    public void guestStoppedAt(long rip) {
        guestRip = rip;
    }

    /** Every task's name, by id (creation order), also of tasks that exited. */
    public List<String> taskNames() {
        return List.copyOf(names);
    }

    /** The name of task {@code id}, also after it exited ("?" if there never was one). */
    public String taskName(int id) {
        return id >= 0 && id < names.size() ? names.get(id) : "?";
    }

    /** Round-robin without kernel preemption (see {@link Strategy#ROUND_ROBIN}). */
    private static Task roundRobin(List<Task> runnable, Task current, SchedPoint point) {
        if (!point.roundRobinSwitch() && current.state == Task.State.RUNNABLE) {
            return current;
        }
        for (Task t : runnable) {
            if (t.id() > current.id()) {
                return t;
            }
        }
        return runnable.get(0);
    }

    private static int[] ids(List<Task> tasks) {
        int[] ids = new int[tasks.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = tasks.get(i).id();
        }
        return ids;
    }

    /** "PTE_WRITE in page_mkclean_one" when points are labelled, else the point's name. */
    private String where(SchedPoint point) {
        if (!labelPoints) {
            return point.name();
        }
        if (point.inGuestCode()) {
            return point + String.format(" in guest code at rip 0x%x", guestRip);
        }
        return point + " in " + KernelFunction.caller();
    }

    private void wakeExpiredSleepers() {
        for (Task t : tasks) {
            if (t.state == Task.State.BLOCKED && t.wakeAt >= 0 && t.wakeAt <= clock) {
                wake(t);
            }
        }
    }

    /**
     * Tasks asleep on the clock whose timer a strategy may fire early (see {@link Strategy#pick}),
     * by deadline: not idle daemons, whose timers are no progress (see {@link #setDaemonsIdle}).
     */
    private List<Task> timers() {
        List<Task> timers = List.of();
        boolean skipDaemons = false;
        boolean askedDaemons = false;
        for (Task t : tasks) {
            if (t.state == Task.State.BLOCKED && t.wakeAt >= 0) {
                if (t.daemon && !askedDaemons) {
                    skipDaemons = daemonsIdle.getAsBoolean();
                    askedDaemons = true;
                }
                if (!(skipDaemons && t.daemon)) {
                    if (timers.isEmpty()) {
                        timers = new ArrayList<>();
                    }
                    timers.add(t);
                }
            }
        }
        if (timers.size() > 1) {
            timers.sort(Comparator.comparingLong((Task t) -> t.wakeAt).thenComparingInt(Task::id));
        }
        return timers;
    }

    /** The kernel work so far took until {@code t}'s deadline: the clock jumps there. */
    private void fireTimer(Task t) {
        if (t.state != Task.State.BLOCKED || t.wakeAt < 0) {
            throw new IllegalStateException("strategy chose " + t + ", neither runnable nor asleep on the clock");
        }
        long from = clock;
        clock = Math.max(clock, t.wakeAt);
        events.timerFired(t, from, clock);
        wakeExpiredSleepers();
    }

    /** Nothing can run: time passes to the earliest deadline that is progress (see {@link #timers}). */
    private boolean advanceToNextDeadline() {
        List<Task> timers = timers();
        if (timers.isEmpty()) {
            return false;
        }
        clock = Math.max(clock, timers.get(0).wakeAt);
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
        // Virtual threads: a hand-off is a continuation switch, not an OS context switch.
        Thread thread = Thread.ofVirtual().name("pagelab-" + t.name() + "-" + t.id()).unstarted(() -> body(t));
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
