package dev.pagelab.cli;

import dev.pagelab.explore.Campaign;
import dev.pagelab.explore.Explorer;
import dev.pagelab.explore.Failure;
import dev.pagelab.explore.Scenario;
import dev.pagelab.explore.ScheduleFile;
import dev.pagelab.explore.Shrinker;
import dev.pagelab.kernel.proc.ElfException;
import dev.pagelab.kernel.sched.Deviation;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code pagelab explore PROGRAM [ARGS]}: runs the program under many schedules (a seeded
 * strategy choosing who runs at every scheduling point and how many guest instructions a thread
 * runs), judges each run with the oracles, and writes every failing schedule to a file that
 * {@code replay} reproduces and {@code shrink} minimizes.
 */
@Command(name = "explore", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Search thread interleavings of a guest program on a multi-CPU machine with kernel "
                + "preemption; write each failing schedule to a file.",
            "A schedule fails when an enabled oracle fires, the guest is killed, the kernel deadlocks or breaks an "
                + "internal check, or the guest exits with a status other than --expect-exit.",
            "Exit status: 0 if no schedule failed, 1 if one did, 2 for bad input."})
final class ExploreCommand implements Callable<Integer> {
    @Mixin
    ScenarioOptions scenarioOptions;

    @Option(names = "--strategy", paramLabel = "S", defaultValue = "pct",
            description = "random (uniform random walk), pct (probabilistic concurrency testing; guest instructions "
                    + "are steps), pct-kernel (PCT over scheduling decisions only), dfs (bounded deviations, iterative "
                    + "context bounding). Default: ${DEFAULT-VALUE}.")
    String strategy;

    @Option(names = "--depth", paramLabel = "D", defaultValue = "2",
            description = "PCT's bug depth; DFS's bound on deviations from round-robin. Default: ${DEFAULT-VALUE}.")
    int depth;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "1", description = "Campaign seed. Default: "
            + "${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--budget", paramLabel = "N", defaultValue = "1000",
            description = "Schedules to run at most. Default: ${DEFAULT-VALUE}.")
    long budget;

    @Option(names = "--time", paramLabel = "SECONDS", defaultValue = "0",
            description = "Stop after this much wall time (0: no limit).")
    long timeSeconds;

    @Option(names = "--jobs", paramLabel = "N", defaultValue = "1",
            description = "Parallel workers (one machine each). Results do not depend on it. Default: ${DEFAULT-VALUE}.")
    int jobs;

    @Option(names = "--stop-on-first", description = "Stop at the first failing schedule.")
    boolean stopOnFirst;

    @Option(names = "--shrink", description = "Shrink the first failing schedule and write it too (.min).")
    boolean shrink;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "pagelab-schedules",
            description = "Where failing schedules go. Default: ${DEFAULT-VALUE}.")
    Path out;

    @Option(names = "--max-files", paramLabel = "N", defaultValue = "20",
            description = "Write at most N failing schedules (the first ones). Default: ${DEFAULT-VALUE}.")
    int maxFiles;

    @Option(names = "--json", description = "Print one JSON summary object instead of text.")
    boolean json;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException, InterruptedException {
        Scenario scenario = scenarioOptions.scenario("explore");
        validate(scenario);
        Campaign campaign;
        try {
            campaign = new Campaign(scenario, strategy, depth, seed, budget, timeSeconds * 1000, stopOnFirst, jobs);
        } catch (IllegalArgumentException e) {
            throw new UserError("explore: " + e.getMessage());
        }
        PrintWriter w = spec.commandLine().getOut();
        Explorer.Summary s;
        try (Progress progress = Progress.start("explore", budget, !json)) {
            s = new Explorer(campaign, r -> progress.step(r.failure().failed())).run();
        }
        List<String> files = writeFailures(campaign, s);
        if (!json) {
            printSummary(w, campaign, s, files);
        }
        String shrunk = shrink && !s.failures().isEmpty() ? shrinkFirst(campaign, s, w) : null;
        if (json) {
            w.println(Json.write(summaryJson(campaign, s, files, shrunk)));
        }
        w.flush();
        return s.failures().isEmpty() ? 0 : 1;
    }

    static void validate(Scenario scenario) throws IOException {
        try {
            scenario.validate();
        } catch (ElfException e) {
            throw new UserError(scenario.argv().get(0) + ": cannot execute: " + e.getMessage(), 126);
        }
    }

    private List<String> writeFailures(Campaign c, Explorer.Summary s) throws IOException {
        List<String> files = new ArrayList<>();
        if (s.failures().isEmpty()) {
            return files;
        }
        Files.createDirectories(out);
        String sha = ScheduleFile.sha256(c.scenario().program());
        for (Explorer.Result r : s.failures().subList(0, Math.min(maxFiles, s.failures().size()))) {
            Path f = out.resolve(String.format("%s-%s-%d.schedule", programName(c), c.strategy(), r.index()));
            schedule(c, sha, r.index(), r.failure(), r.traceHash(), r.decisions(), r.deviations()).write(f);
            files.add(f.toString());
        }
        return files;
    }

    private static ScheduleFile schedule(Campaign c, String sha, long index, Failure f, long hash, long decisions,
                                         List<Deviation> devs) {
        String strategy = String.format("%s depth=%d seed=%d schedule=%d", c.strategy(), c.depth(), c.seed(), index);
        return new ScheduleFile(c.scenario(), sha, Main.VERSION, strategy, f, hash, decisions, devs);
    }

    private String shrinkFirst(Campaign c, Explorer.Summary s, PrintWriter w) throws IOException {
        Explorer.Result first = s.failures().get(0);
        Shrinker shrinker = new Shrinker(c.scenario(), first.failure().signature());
        List<Deviation> min = shrinker.shrink(first.deviations());
        Path f = out.resolve(String.format("%s-%s-%d.min.schedule", programName(c), c.strategy(), first.index()));
        Scenario.Outcome o = ShrinkCommand.writeShrunk(c.scenario(), "shrunk from " + c.strategy() + " schedule "
                + first.index(), min, f);
        if (!json) {
            w.printf("shrunk     schedule %d: %d -> %d deviations, %d preemption(s) (%d replays)%n", first.index(),
                    first.deviations().size(), min.size(), o.preemptions(), shrinker.replays());
            ShrinkCommand.describe(w, o);
            w.println("wrote      " + f + "   (replay it: pagelab replay " + f + " --explain)");
        }
        return f.toString();
    }

    private static String programName(Campaign c) {
        return c.scenario().program().getFileName().toString();
    }

    private void printSummary(PrintWriter w, Campaign c, Explorer.Summary s, List<String> files) {
        w.printf("explore %s on %s, %d CPUs, strategy %s (depth %d, seed %d)%n", String.join(" ", c.scenario().argv()),
                c.scenario().config(), c.scenario().cpus(), c.strategy(), c.depth(), c.seed());
        s.notes().forEach(n -> w.println("  " + n));
        w.printf("schedules  %,d in %.1f s (%.0f/s)%n", s.schedules(), s.seconds(), s.schedules() / s.seconds());
        if (s.failures().isEmpty()) {
            w.println("failures   none");
            return;
        }
        w.printf("failures   %,d (%s); first at schedule %d%n", s.failureCount(), s.failuresBySignature(),
                s.firstFailure());
        w.println("first      " + s.failures().get(0).failure());
        files.forEach(f -> w.println("wrote      " + f));
    }

    private Map<String, Object> summaryJson(Campaign c, Explorer.Summary s, List<String> files, String shrunk) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("program", String.join(" ", c.scenario().argv()));
        m.put("kernel", c.scenario().config().name());
        m.put("cpus", c.scenario().cpus());
        m.put("strategy", c.strategy());
        m.put("depth", c.depth());
        m.put("seed", c.seed());
        m.put("schedules", s.schedules());
        m.put("failures", s.failureCount());
        m.put("failures_by_oracle", new LinkedHashMap<>(s.failuresBySignature()));
        m.put("first_failure_index", s.firstFailure() < 0 ? null : s.firstFailure());
        m.put("seconds", s.seconds());
        m.put("schedules_per_s", s.schedules() / s.seconds());
        m.put("pct_k", c.strategy().equals("pct") ? s.pctK() : null);
        m.put("notes", s.notes());
        m.put("files", files);
        m.put("shrunk", shrunk);
        return m;
    }
}
