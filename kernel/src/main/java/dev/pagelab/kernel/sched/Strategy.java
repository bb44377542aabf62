package dev.pagelab.kernel.sched;

import java.util.List;

/** Decides which runnable task runs next at a scheduling point. */
public interface Strategy {
    /**
     * @param runnable runnable tasks in creation order, never empty
     * @param current  the task at the point (may be absent from {@code runnable} if it is blocking
     *                 or exiting)
     * @param point    where the current task is
     * @return the task to run next, an element of {@code runnable}
     */
    Task pick(List<Task> runnable, Task current, SchedPoint point);

    /**
     * Round-robin without kernel preemption: a task keeps the CPU through kernel code and gives it
     * up only when its quantum ends, it yields, it blocks or it exits; the next one in creation
     * order after it then runs. Like a non-preemptible 2.6 kernel on one CPU.
     */
    Strategy ROUND_ROBIN = (runnable, current, point) -> {
        boolean switchPoint = point == SchedPoint.QUANTUM_END || point == SchedPoint.YIELD;
        if (runnable.contains(current) && !switchPoint) {
            return current;
        }
        for (Task t : runnable) {
            if (t.id() > current.id()) {
                return t;
            }
        }
        return runnable.get(0);
    };
}
