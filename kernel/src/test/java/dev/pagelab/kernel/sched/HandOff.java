package dev.pagelab.kernel.sched;

import java.util.List;
import java.util.function.Predicate;

/**
 * A hand-written interleaving for unit tests: tasks run without preemption (in creation order
 * when one blocks or ends), except that once, when the task named {@code victim} reaches a
 * scheduling point where {@code trigger} holds, the CPU goes to another runnable task, which then
 * runs until it blocks or ends. This is how a test drives "the fault path's first half, then
 * writeback, then the rest" through the real kernel classes.
 */
public final class HandOff implements Strategy {
    private final String victim; // immutable
    private final Predicate<SchedPoint> trigger; // immutable
    private boolean fired; // guarded by the baton

    public HandOff(String victim, Predicate<SchedPoint> trigger) {
        this.victim = victim;
        this.trigger = trigger;
    }

    /** Whether the hand-off happened (the window was reached). */
    public boolean fired() {
        return fired;
    }

    @Override
    public Task pick(Decision d) {
        List<Task> runnable = d.runnable();
        Task current = d.current();
        SchedPoint point = d.point();
        boolean running = runnable.contains(current);
        if (!fired && running && current.name().equals(victim) && trigger.test(point)) {
            for (Task t : runnable) {
                if (t != current) {
                    fired = true;
                    return t;
                }
            }
        }
        return running ? current : runnable.get(0);
    }
}
