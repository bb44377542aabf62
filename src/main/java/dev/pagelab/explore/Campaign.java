package dev.pagelab.explore;

import java.util.List;

/**
 * What to explore: a scenario, a strategy with its parameters, and how many schedules. A campaign
 * is a pure function of these (never of {@code jobs}), so campaigns can be sharded by seed range
 * and their JSON-lines results merged.
 *
 * @param strategy    "random", "pct", "pct-kernel" (PCT with scheduling decisions as its only steps: every
 *                    change point falls in kernel code or at a guest exit) or "dfs"
 * @param depth       PCT's bug depth d; DFS's bound on deviations from round-robin
 * @param seed        the campaign's seed (schedule i uses a seed derived from it and i)
 * @param budget      schedules to run at most
 * @param timeLimitMs stop after this much wall time (0: none); the only non-deterministic limit
 * @param stopOnFirst stop at the first failing schedule (by index, whatever {@code jobs})
 */
public record Campaign(Scenario scenario, String strategy, int depth, long seed, long budget, long timeLimitMs,
                       boolean stopOnFirst, int jobs) {
    public Campaign {
        if (!List.of("random", "pct", "pct-kernel", "dfs").contains(strategy)) {
            throw new IllegalArgumentException("unknown strategy '" + strategy + "' (have random, pct, pct-kernel, dfs)");
        }
        if (depth < 1 || budget < 1 || jobs < 1) {
            throw new IllegalArgumentException("need --depth >= 1, --budget >= 1, --jobs >= 1");
        }
    }

    /** The seed of schedule {@code index} (SplitMix64 of the campaign seed and the index). */
    public static long scheduleSeed(long seed, long index) {
        long z = seed + 0x9e3779b97f4a7c15L * (index + 1);
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
