package dev.pagelab.kernel.sched;

import java.util.SplittableRandom;

/**
 * Uniform random walk: at every decision any runnable task is equally likely to run next, and a
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
        return d.runnable().get(random.nextInt(d.runnable().size()));
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
