package dev.pagelab.kernel.sched;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * PCT, probabilistic concurrency testing (Burckhardt et al., ASPLOS 2010): every task gets a
 * random distinct priority > d when it is created; the highest-priority runnable task always
 * runs; at d-1 random steps chosen uniformly in [1, k] the running task's priority drops below all
 * others (to d-1, d-2, ..., 1). A step is a scheduling decision or, when guest instructions
 * count, one retired guest instruction, so a change point can fall between any two guest
 * instructions (user-level bugs); counting decisions only puts every change point inside kernel
 * code or at a guest exit, where the seed races' windows are. A bug of depth d is found with
 * probability at least 1/(n * k^(d-1)) per run, n tasks and k steps.
 *
 * <p>Steps are counted only where there is a choice (the decisions the scheduler asks
 * {@link #pick} about: two or more runnable tasks, or a timer that may fire), and k must be
 * measured the same way: the explorer takes the steps of a run of this strategy without change
 * points ({@link #steps}). Counting every decision of a round-robin run in k, as it did, put a
 * third to a half of the change points past the end of the run.
 *
 * <p>Time: kernel work takes no virtual time (see {@link Strategy#pick}), so a timer fires inside
 * kernel code only when a strategy says time passed. PCT says so at its change points: when one
 * lowers the running task and a timer may fire, the earliest one fires (the work so far took
 * until its deadline) and its task runs; priorities decide again from the next decision on.
 *
 * <p>Unlike the paper, which has no yield: a task that yields or uses up its time slice while it
 * could go on (the points where round-robin moves on, {@link SchedPoint#roundRobinSwitch}) drops
 * below every other task, as a change point does. Linux's O(1) {@code sys_sched_yield} moves the
 * task to the expired array, behind every task that still has time, and CHESS's fair scheduler
 * lowers a yielding thread the same way; under strict priorities a yield would otherwise change
 * nothing, and programs that alternate through {@code sched_yield} (the race scenarios) would
 * never alternate.
 */
public final class Pct implements Strategy {
    private final SplittableRandom random; // guarded by the baton
    private final long[] changePoints; // ascending steps at which the running task's priority drops
    private final Map<Task, Long> priority = new HashMap<>(); // guarded by the baton
    private long bottom; // the lowest priority given so far (change points, yields); guarded by the baton
    private int nextChange; // index into changePoints; guarded by the baton
    private long steps; // decisions + retired instructions so far; guarded by the baton
    private int created; // guarded by the baton
    private final int depth; // immutable
    private final boolean countInstructions; // immutable: guest instructions are steps too

    /**
     * @param depth the bug depth d to target (1 = no priority changes)
     * @param k     the expected number of steps of a run (measured from a first run)
     */
    public Pct(long seed, int depth, long k) {
        this(seed, depth, k, true);
    }

    /** @param countInstructions whether retired guest instructions are steps (else only decisions) */
    public Pct(long seed, int depth, long k, boolean countInstructions) {
        if (depth < 1 || k < 1) {
            throw new IllegalArgumentException("PCT needs depth >= 1 and k >= 1");
        }
        this.random = new SplittableRandom(seed);
        this.depth = depth;
        this.countInstructions = countInstructions;
        this.bottom = depth;
        this.changePoints = new long[depth - 1];
        for (int i = 0; i < changePoints.length; i++) {
            changePoints[i] = 1 + random.nextLong(k);
        }
        java.util.Arrays.sort(changePoints);
    }

    @Override
    public void taskCreated(Task task) {
        // distinct priorities >= depth, random order: a random key times a large base plus a tiebreak
        priority.put(task, depth + 1 + random.nextInt(1 << 20) * 64L + (created++ % 64));
    }

    @Override
    public Task pick(Decision d) {
        steps++;
        if (lowerAtChangePoints(d.current()) && !d.timers().isEmpty()) {
            return d.timers().get(0); // time passes until the earliest deadline
        }
        if (d.point().roundRobinSwitch() && d.runnable().contains(d.current())) {
            lower(d.current()); // sched_yield or the end of the slice: behind every other task
        }
        Task best = null;
        for (Task t : d.runnable()) {
            if (best == null || prio(t) > prio(best)) {
                best = t;
            }
        }
        return best;
    }

    @Override
    public long budget(Task task, long max, long index) {
        if (countInstructions && nextChange < changePoints.length) {
            long until = changePoints[nextChange] - steps;
            if (until >= 1 && until < max) {
                return until; // stop exactly at the change point: the next decision lowers the task
            }
        }
        return max;
    }

    @Override
    public void retired(Task task, long instructions) {
        if (countInstructions) {
            steps += instructions;
        }
    }

    /** Lowers {@code running} at every change point reached; whether there was one. */
    private boolean lowerAtChangePoints(Task running) {
        boolean changed = false;
        while (nextChange < changePoints.length && changePoints[nextChange] <= steps) {
            lower(running);
            nextChange++;
            changed = true;
        }
        return changed;
    }

    /**
     * Puts {@code t} below every other task. For change points alone this is the paper's d-1,
     * d-2, ...: each lowered task goes below the ones lowered before it.
     */
    private void lower(Task t) {
        if (prio(t) != bottom) {
            priority.put(t, --bottom);
        }
    }

    private long prio(Task t) {
        Long p = priority.get(t);
        if (p == null) {
            throw new IllegalStateException("pct: task " + t.name() + " was never created");
        }
        return p;
    }

    /**
     * Steps counted so far (decisions with a choice, and retired guest instructions when they
     * count): after a run with depth 1, k for the next runs.
     */
    public long steps() {
        return steps;
    }
}
