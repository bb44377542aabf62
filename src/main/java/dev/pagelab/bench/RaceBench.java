package dev.pagelab.bench;

import dev.pagelab.explore.Campaign;
import dev.pagelab.explore.Explorer;
import dev.pagelab.explore.Scenario;
import dev.pagelab.kernel.KernelConfig;
import dev.pagelab.races.Race;
import dev.pagelab.races.RaceMatrix;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * How fast each seed race is found: the campaign {@code pagelab races} runs for one cell (the
 * same scenario, the same {@link Explorer}, stop at the first failure), repeated for seeds 1..N,
 * per strategy. The primary figure is the number of schedules to the first failure (a property of
 * the strategy and the seed only); the wall time depends on the machine and its load.
 */
public final class RaceBench {
    /**
     * @param depth  PCT's depth / DFS's bound, per strategy (a strategy not in the map uses
     *               {@code defaultDepth})
     * @param budget schedules per campaign at most: a seed that finds nothing within it is a miss
     */
    public record Settings(List<String> strategies, Map<String, Integer> depth, int defaultDepth, int seeds,
                           long budget, int jobs) {
        public Settings {
            if (strategies.isEmpty() || seeds < 1 || budget < 1 || jobs < 1 || defaultDepth < 1) {
                throw new IllegalArgumentException("need a strategy, --seeds >= 1, --budget >= 1, --jobs >= 1, "
                        + "--depth >= 1");
            }
            strategies = List.copyOf(strategies);
            depth = Map.copyOf(depth);
        }

        public int depthOf(String strategy) {
            return depth.getOrDefault(strategy, defaultDepth);
        }
    }

    /**
     * One seed's campaign.
     *
     * @param schedules schedules run: to the first failure (inclusive) when found, else the budget
     * @param oracle    the first failure's signature (null when nothing was found)
     */
    public record SeedRun(long seed, boolean found, long schedules, double seconds, String oracle) {}

    /** One race under one strategy over every seed. */
    public record Row(Race race, KernelConfig kernel, String strategy, int depth, long budget, List<SeedRun> runs) {
        public long found() {
            return runs.stream().filter(SeedRun::found).count();
        }

        /**
         * The median of the schedules to first failure over every seed, a miss counting as more than
         * any find; null when at least half the seeds missed (the median is then not a number).
         */
        public Double medianSchedules() {
            double[] v = runs.stream().mapToDouble(r -> r.found() ? r.schedules() : Double.POSITIVE_INFINITY)
                    .toArray();
            double m = median(v);
            return Double.isInfinite(m) ? null : m;
        }

        /** Fewest schedules to a first failure among the seeds that found one (null: none did). */
        public Long minSchedules() {
            return runs.stream().filter(SeedRun::found).map(SeedRun::schedules).min(Long::compare).orElse(null);
        }

        public Long maxSchedules() {
            return runs.stream().filter(SeedRun::found).map(SeedRun::schedules).max(Long::compare).orElse(null);
        }

        /** The median wall time of a campaign, misses included (they ran the whole budget). */
        public double medianSeconds() {
            return median(runs.stream().mapToDouble(SeedRun::seconds).toArray());
        }

        /** How often each oracle fired first, over the seeds that found something. */
        public Map<String, Long> oracles() {
            Map<String, Long> m = new TreeMap<>();
            runs.stream().filter(SeedRun::found).forEach(r -> m.merge(r.oracle(), 1L, Long::sum));
            return m;
        }

        /**
         * {@code baseline}'s median schedules over this row's: how many times fewer schedules this
         * strategy needs. Null when either median is not a number.
         */
        public Double ratioVs(Row baseline) {
            Double mine = medianSchedules();
            Double theirs = baseline.medianSchedules();
            return mine == null || theirs == null ? null : theirs / mine;
        }
    }

    private final Settings settings; // immutable
    private final RaceMatrix matrix; // immutable: builds each race's scenario as `pagelab races` does

    public RaceBench(Settings settings, RaceMatrix matrix) {
        this.settings = settings;
        this.matrix = matrix;
    }

    /** Every strategy on {@code race} on {@code preset}, rows in strategy order; each is also given to {@code done}. */
    public List<Row> run(Race race, KernelConfig preset, Consumer<Row> done) throws InterruptedException {
        Scenario scenario = matrix.scenario(race, preset);
        List<Row> rows = new ArrayList<>();
        for (String strategy : settings.strategies()) {
            int depth = settings.depthOf(strategy);
            List<SeedRun> runs = new ArrayList<>();
            for (long seed = 1; seed <= seedsOf(strategy); seed++) {
                runs.add(once(scenario, strategy, depth, seed));
            }
            Row row = new Row(race, scenario.config(), strategy, depth, settings.budget(), List.copyOf(runs));
            rows.add(row);
            done.accept(row);
        }
        return rows;
    }

    /** DFS does not depend on the seed: one campaign says all. */
    public int seedsOf(String strategy) {
        return strategy.equals("dfs") ? 1 : settings.seeds();
    }

    private SeedRun once(Scenario scenario, String strategy, int depth, long seed) throws InterruptedException {
        Campaign c = new Campaign(scenario, strategy, depth, seed, settings.budget(), 0, true, settings.jobs());
        Explorer.Summary s = new Explorer(c, r -> { }).run();
        if (s.failures().isEmpty()) {
            return new SeedRun(seed, false, s.schedules(), s.seconds(), null);
        }
        Explorer.Result first = s.failures().get(0);
        return new SeedRun(seed, true, first.index() + 1, s.seconds(), first.failure().signature());
    }

    /** The median of {@code v} (the mean of the two middle values for an even count). */
    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }
}
