package dev.pagelab.cli;

import dev.pagelab.kernel.KernelConfig;
import dev.pagelab.races.Race;
import dev.pagelab.races.RaceMatrix;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code pagelab races}: the flagship. Every seed race's scenario on every kernel preset, explored
 * until it loses data; each loss shrunk, attributed to the windows it went through, replayed on
 * the kernel with the race's fix; beside each cell what history says.
 */
@Command(name = "races", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Make the five seed races (Linux 2004-2009) lose data on the kernels before their fixes, and "
                + "show the fixes closing them: every race scenario on every preset, explored, shrunk, attributed.",
            "Exit status: 0 when every cell is as history says, 1 when one is not, 2 for bad input."})
final class RacesCommand implements Callable<Integer> {
    /**
     * The strategy that finds the seed races fastest over the five races (measured: docs/races.md,
     * `pagelab bench races`): random; pct-kernel is faster on R2 and R3, slower on R1 and R4.
     */
    static final String DEFAULT_STRATEGY = "random";

    /**
     * Each strategy's default depth (PCT's d, DFS's bound) for the races; 3 for the others.
     * pct-kernel's was measured (docs/races.md): the windows need several ordering constraints
     * each, and more change points find them sooner, up to about one per choice.
     */
    static final Map<String, Integer> DEFAULT_DEPTHS = Map.of("pct-kernel", 480);

    @Option(names = "--race", paramLabel = "R", description = "Only this race (R1..R5).")
    String race;

    @Option(names = "--kernel", paramLabel = "RELEASE", description = "Only this preset.")
    String kernel;

    @Option(names = "--fixes", paramLabel = "R1,R2,...", description = "Instead of the presets: one kernel with "
            + "exactly these fixes ('none' for none).")
    String fixes;

    @Option(names = "--strategy", paramLabel = "S", defaultValue = DEFAULT_STRATEGY,
            description = "random, pct, pct-kernel or dfs. Default: ${DEFAULT-VALUE} (it finds the kernel windows "
                    + "fastest here: see docs/races.md).")
    String strategy;

    @Option(names = "--depth", paramLabel = "D", description = "PCT depth / DFS bound. Default: the strategy's "
            + "(measured: docs/races.md), else 3.")
    Integer depth;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "1", description = "Seed. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--budget", paramLabel = "N", defaultValue = "300",
            description = "Schedules per cell at most. Default: ${DEFAULT-VALUE}.")
    long budget;

    @Option(names = "--jobs", paramLabel = "N", defaultValue = "2", description = "Parallel workers. Default: "
            + "${DEFAULT-VALUE}.")
    int jobs;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "pagelab-races",
            description = "Where the shrunk schedules go. Default: ${DEFAULT-VALUE}.")
    Path out;

    @Option(names = "--json", description = "Print one JSON object per cell, then a summary object.")
    boolean json;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException, InterruptedException {
        List<Race> races;
        List<KernelConfig> kernels;
        int depth = this.depth != null ? this.depth : DEFAULT_DEPTHS.getOrDefault(strategy, 3);
        try {
            races = race == null ? Race.ALL : List.of(Race.byId(race));
            kernels = fixes != null ? List.of(KernelConfig.withFixes(fixes))
                    : kernel != null ? List.of(KernelConfig.preset(kernel)) : KernelConfig.PRESETS;
            new dev.pagelab.explore.Campaign(null, strategy, depth, seed, budget, 0, true, jobs);
        } catch (IllegalArgumentException e) {
            throw new UserError("races: " + e.getMessage());
        }
        PrintWriter w = spec.commandLine().getOut();
        RaceMatrix matrix = new RaceMatrix(new RaceMatrix.Settings(strategy, depth, seed, budget, jobs, out),
                Programs::resolve);
        long start = System.nanoTime();
        List<RaceMatrix.Cell> cells = new ArrayList<>();
        try (Progress progress = Progress.start("races", (long) races.size() * kernels.size(), !json)) {
            for (Race r : races) {
                for (KernelConfig k : kernels) {
                    RaceMatrix.Cell cell = matrix.run(r, k);
                    cells.add(cell);
                    progress.step(!cell.asHistory());
                    if (json) {
                        w.println(Json.write(cellJson(cell)));
                        w.flush();
                    }
                }
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        long ok = cells.stream().filter(RaceMatrix.Cell::asHistory).count();
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("cells", cells.size());
            m.put("as_history", ok);
            m.put("seconds", seconds);
            w.println(Json.write(m));
        } else {
            RacesReport.print(w, races, kernels, cells, seconds, strategy, depth, budget);
        }
        w.flush();
        return ok == cells.size() ? 0 : 1;
    }

    private static Map<String, Object> cellJson(RaceMatrix.Cell c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("race", c.race().id());
        m.put("kernel", c.kernel().name());
        m.put("fs", c.kernel().fs().toString());
        m.put("verdict", c.lost() ? "lost" : "clean");
        m.put("schedules", c.schedules());
        m.put("seconds", c.seconds());
        m.put("oracle", c.lost() ? c.failure().signature() : null);
        m.put("detail", c.lost() ? c.failure().detail() : null);
        m.put("windows", c.windows().stream().map(x -> "R" + x).toList());
        m.put("windows_together", c.together());
        m.put("preemptions", c.lost() ? c.preemptions() : null);
        m.put("fixed_kernel_passes_same_schedule", c.fixedPasses());
        m.put("schedule", c.schedule());
        m.put("replay", c.schedule() == null ? null : "pagelab replay " + c.schedule());
        m.put("expected", c.expected());
        m.put("as_history", c.asHistory());
        m.put("why", c.why().isEmpty() ? null : c.why());
        return m;
    }
}
