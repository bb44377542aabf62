package dev.pagelab.cli;

import dev.pagelab.bench.RaceBench;
import dev.pagelab.kernel.KernelConfig;
import dev.pagelab.races.Race;
import dev.pagelab.races.RaceMatrix;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code pagelab bench races}: schedules and time to the first loss of each seed race, per strategy. */
@Command(name = "races", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"How fast each seed race is found: the campaign of `pagelab races` for the race on its last "
                + "buggy preset (R1 2.6.5, R2 2.6.19, R3 2.6.20, R4 2.6.22, R5 2.6.27), stopped at the first "
                + "failure, for seeds 1..N and each strategy. Prints found k/N, the median, min and max schedules to "
                + "the first failure, the median time, and the ratio of random's median schedules to each strategy's.",
            "Schedules are the primary figure (they depend on the seed only); times depend on the machine's load, "
                + "printed beside them. dfs does not depend on the seed: it runs once."})
final class BenchRacesCommand implements Callable<Integer> {
    @Option(names = "--race", paramLabel = "R", description = "Only this race (R1..R5).")
    String race;

    @Option(names = "--kernel", paramLabel = "RELEASE", description = "Another preset instead of the race's last "
            + "buggy one.")
    String kernel;

    @Option(names = "--seeds", paramLabel = "N", defaultValue = "20", description = "Campaign seeds 1..N per "
            + "strategy. Default: ${DEFAULT-VALUE}.")
    int seeds;

    @Option(names = "--strategy", paramLabel = "S,...", split = ",", description = "Strategies to compare "
            + "(random, pct, pct-kernel, dfs). Default: random and the default of `pagelab races`.")
    List<String> strategies;

    @Option(names = "--depth", paramLabel = "D", description = "PCT depth / DFS bound for every strategy. Default: "
            + "each strategy's default in `pagelab races`.")
    Integer depth;

    @Option(names = "--budget", paramLabel = "N", defaultValue = "300", description = "Schedules per campaign at "
            + "most (a seed that finds nothing within it is a miss). Default: ${DEFAULT-VALUE}.")
    long budget;

    @Option(names = "--jobs", paramLabel = "N", defaultValue = "2", description = "Parallel workers per campaign. "
            + "Default: ${DEFAULT-VALUE}.")
    int jobs;

    @Option(names = "--json", description = "Print one JSON object per race and strategy, then a summary object.")
    boolean json;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        List<Race> races;
        KernelConfig override;
        RaceBench.Settings settings;
        try {
            races = race == null ? Race.ALL : List.of(Race.byId(race));
            override = kernel == null ? null : KernelConfig.preset(kernel);
            List<String> names = strategies == null ? defaultStrategies() : List.copyOf(strategies);
            for (String s : names) {
                new dev.pagelab.explore.Campaign(null, s, 1, 1, 1, 0, true, 1);
            }
            settings = new RaceBench.Settings(names, depth == null ? RacesCommand.DEFAULT_DEPTHS : Map.of(),
                    depth == null ? 3 : depth, seeds, budget, jobs);
        } catch (IllegalArgumentException e) {
            throw new UserError("bench races: " + e.getMessage());
        }
        if (jobs > 64 || seeds > 10_000) {
            throw new UserError("bench races: need --jobs <= 64 and --seeds <= 10000");
        }
        PrintWriter w = spec.commandLine().getOut();
        RaceBench bench = new RaceBench(settings, new RaceMatrix(new RaceMatrix.Settings("random", 1, 1, 1, 1,
                Path.of(".")), Programs::resolve));
        double loadBefore = load();
        long start = System.nanoTime();
        if (!json) {
            w.printf("bench races: %d seed(s) per strategy (dfs: 1), at most %,d schedules each, %d job(s); "
                    + "load average %.2f%n%n", seeds, budget, jobs, loadBefore);
            w.printf("%-4s %-7s %-9s %-16s %6s %7s %5s %5s %9s %10s%n", "race", "kernel", "fs", "strategy", "found",
                    "median", "min", "max", "median s", "vs random");
            w.flush();
        }
        for (Race r : races) {
            KernelConfig preset = override != null ? override : r.lastBuggyPreset();
            List<RaceBench.Row> rows = new ArrayList<>();
            bench.run(r, preset, row -> {
                rows.add(row);
                RaceBench.Row random = rows.stream().filter(x -> x.strategy().equals("random")).findFirst()
                        .orElse(null);
                Double ratio = random == null ? null : row.ratioVs(random);
                if (json) {
                    w.println(Json.write(rowJson(row, bench.seedsOf(row.strategy()), ratio, jobs)));
                } else {
                    w.println(rowText(row, bench.seedsOf(row.strategy()), ratio));
                }
                w.flush();
            });
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("races", races.size());
            m.put("strategies", settings.strategies());
            m.put("seeds", seeds);
            m.put("budget", budget);
            m.put("jobs", jobs);
            m.put("seconds", seconds);
            m.put("load_average_before", loadBefore);
            m.put("load_average_after", load());
            w.println(Json.write(m));
        } else {
            w.printf("%n%.0f s; load average %.2f before, %.2f after (2 cores)%n", seconds, loadBefore, load());
        }
        w.flush();
        return 0;
    }

    private static List<String> defaultStrategies() {
        return RacesCommand.DEFAULT_STRATEGY.equals("random") ? List.of("random")
                : List.of("random", RacesCommand.DEFAULT_STRATEGY);
    }

    private static double load() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    private static String rowText(RaceBench.Row r, int seeds, Double ratio) {
        return String.format("%-4s %-7s %-9s %-16s %6s %7s %5s %5s %9.2f %10s", r.race().id(), r.kernel().name(),
                r.kernel().fs().toString().toLowerCase(java.util.Locale.ROOT),
                r.strategy().equals("random") ? "random" : r.strategy() + " d=" + r.depth(),
                r.found() + "/" + seeds, r.medianSchedules() == null ? ">" + r.budget() : fmt(r.medianSchedules()),
                r.minSchedules() == null ? "-" : r.minSchedules().toString(),
                r.maxSchedules() == null ? "-" : r.maxSchedules().toString(), r.medianSeconds(),
                ratio == null ? "-" : String.format(ratio < 0.1 ? "%.3fx" : "%.1fx", ratio));
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
    }

    private static Map<String, Object> rowJson(RaceBench.Row r, int seeds, Double ratio, int jobs) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("race", r.race().id());
        m.put("program", r.race().program());
        m.put("kernel", r.kernel().name());
        m.put("fs", r.kernel().fs().toString());
        m.put("strategy", r.strategy());
        m.put("depth", r.depth());
        m.put("seeds", seeds);
        m.put("budget", r.budget());
        m.put("jobs", jobs);
        m.put("found", r.found());
        m.put("median_schedules", r.medianSchedules());
        m.put("min_schedules", r.minSchedules());
        m.put("max_schedules", r.maxSchedules());
        m.put("median_seconds", r.medianSeconds());
        m.put("ratio_vs_random", ratio);
        m.put("oracles", r.oracles());
        m.put("schedules", r.runs().stream().map(x -> x.found() ? x.schedules() : null).toList());
        m.put("seconds", r.runs().stream().map(RaceBench.SeedRun::seconds).toList());
        return m;
    }
}
