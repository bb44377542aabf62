package dev.pagelab.kernel.sched;

import java.util.SplittableRandom;

/**
 * Uniform random walk: at every decision any runnable task is equally likely to run next, and so
 * is "time passes" when some timer may fire (see {@link Strategy#pick}; then one of those timers,
 * uniformly, fires and its task runs); a
 * user thread runs a random number of instructions, log-uniform in [1, its slice], before its next
 * decision (every scale is equally likely: 1-10 instructions as often as 10,000-100,000, so short
 * windows between two guest instructions are hit too). Seeded: the same seed gives the same
 * schedule.
 */
public final class RandomWalk implements Strategy {
    private final SplittableRandom random; // guarded by the baton

    public RandomWalk(long seed) {
        this.random = new SplittableRandom(seed);
    }

    @Override
    public Task pick(Decision d) {
        int n = d.runnable().size();
        int i = random.nextInt(d.timers().isEmpty() ? n : n + 1);
        return i < n ? d.runnable().get(i) : d.timers().get(random.nextInt(d.timers().size()));
    }

    @Override
    public long budget(Task task, long max, long index) {
        if (max <= 1) {
            return 1;
        }
        long b = (long) Math.floor(Math.exp(random.nextDouble() * Math.log(max + 1.0)));
        return Math.max(1, Math.min(max, b));
    }
}
