package dev.pagelab.kernel.sched;

import java.util.List;

/**
 * Decides, at each decision of the {@link Scheduler}, which runnable task runs next and how many
 * guest instructions a user thread runs before the next decision. Every strategy is deterministic
 * given its seed, so a run is a pure function of (program, configuration, strategy, seed).
 *
 * <p>The scheduler records every choice that differs from the {@link Decision#defaultPick()}
 * (round-robin without kernel preemption) as a {@link Deviation}; a schedule file is that list,
 * and replaying it needs no strategy at all.
 */
public interface Strategy {
    /**
     * One scheduling decision.
     *
     * @param current     the task at the point (not in {@code runnable} if it is blocking or exiting)
     * @param point       where it is
     * @param runnable    runnable tasks in creation order, never empty
     * @param defaultPick what round-robin without kernel preemption runs next
     * @param index       the current task's decision counter (with its id, the key of a deviation)
     * @param timers      tasks asleep on the clock whose timer may fire now (see below), by deadline
     */
    record Decision(Task current, SchedPoint point, List<Task> runnable, Task defaultPick, long index,
                    List<Task> timers) {
        /** True if choosing another task here preempts a task that could have gone on. */
        public boolean preemptible() {
            return defaultPick == current;
        }
    }

    /**
     * The task to run next: an element of {@code d.runnable()}, or of {@code d.timers()}.
     *
     * <p>Choosing a timer says that the kernel work done since the last guest instruction took
     * until that task's deadline: the clock jumps there, every sleeper whose deadline has passed
     * wakes, and the chosen task runs. Kernel code takes no virtual time otherwise (the clock
     * counts guest instructions), so without this a timer could never fire inside a system call
     * - pdflush waking while a task is inside fsync, for instance (R1's window). Round-robin never
     * chooses a timer; a strategy that does not want them ignores {@code d.timers()}.
     */
    Task pick(Decision d);

    /**
     * How many guest instructions {@code task} runs before its next decision, in {@code [1, max]};
     * {@code max} is what is left of its time slice. {@code index} is its decision counter.
     */
    default long budget(Task task, long max, long index) {
        return max;
    }

    /**
     * Whether this strategy may choose a timer (see {@link #pick}); if not, the scheduler does
     * not look for them, and {@code d.timers()} is empty. Round-robin never does.
     */
    default boolean firesTimers() {
        return true;
    }

    /** A task was created (PCT gives it a priority). */
    default void taskCreated(Task task) { }

    /** {@code task} retired {@code instructions} guest instructions (PCT counts them as steps). */
    default void retired(Task task, long instructions) { }

    /**
     * Round-robin without kernel preemption: a task keeps the CPU through kernel code and gives it
     * up only when its time slice ends, it yields, it blocks or it exits; the next one in creation
     * order after it then runs. Like a non-preemptible 2.6 kernel on one CPU. The default of
     * {@code pagelab run}, and the baseline every recorded schedule deviates from.
     */
    Strategy ROUND_ROBIN = new Strategy() {
        @Override
        public Task pick(Decision d) {
            return d.defaultPick();
        }

        @Override
        public boolean firesTimers() {
            return false;
        }
    };
}
