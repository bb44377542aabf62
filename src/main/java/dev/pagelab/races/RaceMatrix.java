package dev.pagelab.races;

import dev.pagelab.explore.Campaign;
import dev.pagelab.explore.Explorer;
import dev.pagelab.explore.Failure;
import dev.pagelab.explore.Scenario;
import dev.pagelab.explore.ScheduleFile;
import dev.pagelab.explore.Shrinker;
import dev.pagelab.kernel.KernelConfig;
import dev.pagelab.kernel.fs.DiskFilesystem;
import dev.pagelab.kernel.sched.Deviation;
import dev.pagelab.kernel.sched.AlignedReplay;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The race matrix: every race's scenario on every kernel, explored until it loses data or the
 * budget is spent. A loss is shrunk, replayed with named scheduling points, and attributed to the
 * windows it went through by counterfactual replay: window k was on the path if adding fix k
 * alone (to the same kernel, the same schedule) makes the failure go away.
 */
public final class RaceMatrix {
    /** How hard to look, and where to put the schedules. */
    public record Settings(String strategy, int depth, long seed, long budget, int jobs, Path out) {}

    /**
     * One cell.
     *
     * @param lost        data was lost (an oracle fired) within the budget
     * @param schedules   schedules run (to the first failure when lost)
     * @param failure     the first failure (NONE when clean)
     * @param windows     the seed windows the shrunk schedule went through (R numbers)
     * @param together    only the fixes of {@code windows} together prevent the loss (no single one)
     * @param preemptions preemptions of the shrunk schedule
     * @param fixedPasses the same shrunk schedule on the kernel with this race's fix: passes (null:
     *                    not run)
     * @param schedule    the shrunk schedule file (null when clean)
     * @param expected    what history says, in words
     * @param asHistory   whether the verdict agrees with history
     */
    public record Cell(Race race, KernelConfig kernel, boolean lost, long schedules, double seconds, Failure failure,
                       List<Integer> windows, boolean together, long preemptions, Boolean fixedPasses, String schedule,
                       String expected, boolean asHistory, String why) {}

    private final Settings settings; // immutable
    private final Function<String, Path> programs; // immutable: resolves a guest program name

    public RaceMatrix(Settings settings, Function<String, Path> programs) {
        this.settings = settings;
        this.programs = programs;
    }

    /** The scenario of {@code race} on {@code preset}: both CPUs, every oracle, the daemons' real periods. */
    public Scenario scenario(Race race, KernelConfig preset) {
        List<String> argv = new ArrayList<>();
        argv.add(race.program());
        argv.addAll(race.args());
        return new Scenario(programs.apply(race.program()), argv, race.kernelFor(preset), 2, 200_000, 32L << 20, true,
                true, 0, 50_000_000, DiskFilesystem.Tunables.DEFAULT);
    }

    /** Explores one cell. */
    public Cell run(Race race, KernelConfig preset) throws InterruptedException, IOException {
        Scenario scenario = scenario(race, preset);
        KernelConfig k = scenario.config();
        Campaign c = new Campaign(scenario, settings.strategy(), settings.depth(), settings.seed(), settings.budget(), 0,
                true, settings.jobs());
        Explorer.Summary s = new Explorer(c, r -> { }).run();
        if (s.failures().isEmpty()) {
            return judge(race, k, false, s.schedules(), s.seconds(), Failure.NONE, List.of(), 0, null, null);
        }
        Explorer.Result first = s.failures().get(0);
        List<Deviation> min;
        try {
            min = new Shrinker(scenario, first.failure().signature()).shrink(first.deviations());
        } catch (IllegalStateException e) {
            Cell j = judge(race, k, true, first.index() + 1, s.seconds(), first.failure(), List.of(), 0, null, null);
            return new Cell(j.race(), j.kernel(), true, j.schedules(), j.seconds(), j.failure(), List.of(), false, 0,
                    null, null, j.expected(), false, "the failing schedule did not fail again when replayed (" + e.getMessage()
                    + ")");
        }
        Files.createDirectories(settings.out());
        Path file = settings.out().resolve(String.format("%s-%s.min.schedule", race.id(), k.name()));
        AlignedReplay recorder = AlignedReplay.recording(min); // replays as Replay does, and names the deviations
        Scenario.Outcome labelled = scenario.run(recorder, new Scenario.Observe(false, true,
                dev.pagelab.kernel.sched.KernelEvents.NONE));
        new ScheduleFile(scenario, ScheduleFile.sha256(scenario.program()), dev.pagelab.cli.Main.VERSION,
                String.format("%s depth=%d seed=%d schedule=%d, shrunk", settings.strategy(), settings.depth(),
                        settings.seed(), first.index()), labelled.failure(), labelled.traceHash(), labelled.decisions(),
                labelled.deviations()).write(file);
        Map<AlignedReplay.Key, Deviation> aligned = recorder.applied();
        String signature = labelled.failure().signature();
        Attribution by = attribute(scenario, aligned, signature);
        Boolean fixedPasses = Race.hasFix(k, race.number()) ? null
                : !fails(scenario.withConfig(Race.withFix(k, race.number())), aligned, signature);
        Cell j = judge(race, k, true, first.index() + 1, s.seconds(), labelled.failure(), by.windows(),
                labelled.preemptions(), fixedPasses, file.toString());
        return new Cell(j.race(), j.kernel(), j.lost(), j.schedules(), j.seconds(), j.failure(), j.windows(),
                by.together(), j.preemptions(), j.fixedPasses(), j.schedule(), j.expected(), j.asHistory(), j.why());
    }

    /**
     * The open windows whose fix alone makes the shrunk schedule pass. The schedule is replayed
     * on each fixed kernel aligned by what each task was doing ({@link AlignedReplay}), so that a
     * fix that adds or removes scheduling points does not move the other preemptions elsewhere
     * and make the run pass by accident. When no single fix does, the loss may have gone through
     * two windows at once (bytes lost through either): then the pairs of fixes that together make
     * it pass, their windows marked {@link Attribution#together()}.
     */
    private Attribution attribute(Scenario scenario, Map<AlignedReplay.Key, Deviation> aligned, String signature) {
        KernelConfig k = scenario.config();
        List<Integer> open = new ArrayList<>();
        for (int w = 1; w <= 5; w++) {
            if (Race.windowOpen(k, w)) {
                open.add(w);
            }
        }
        List<Integer> windows = new ArrayList<>();
        for (int w : open) {
            if (!fails(scenario.withConfig(Race.withFix(k, w)), aligned, signature)) {
                windows.add(w);
            }
        }
        if (!windows.isEmpty()) {
            return new Attribution(windows, false);
        }
        java.util.SortedSet<Integer> pairs = new java.util.TreeSet<>();
        for (int i = 0; i < open.size(); i++) {
            for (int j = i + 1; j < open.size(); j++) {
                KernelConfig both = Race.withFix(Race.withFix(k, open.get(i)), open.get(j));
                if (!fails(scenario.withConfig(both), aligned, signature)) {
                    pairs.add(open.get(i));
                    pairs.add(open.get(j));
                }
            }
        }
        return new Attribution(List.copyOf(pairs), !pairs.isEmpty());
    }

    /** The windows a loss went through; {@code together}: only their fixes together prevent it. */
    private record Attribution(List<Integer> windows, boolean together) {}

    private static boolean fails(Scenario s, Map<AlignedReplay.Key, Deviation> aligned, String signature) {
        Scenario.Outcome o = s.run(new AlignedReplay(aligned), Scenario.Observe.NOTHING);
        return o.failure().signature().equals(signature);
    }

    private static Cell judge(Race race, KernelConfig k, boolean lost, long schedules, double seconds, Failure f,
                              List<Integer> windows, long preemptions, Boolean fixedPasses, String file) {
        boolean ownOpen = Race.windowOpen(k, race.number());
        List<Integer> otherOpen = new ArrayList<>();
        for (int w = 1; w <= 5; w++) {
            if (w != race.number() && Race.windowOpen(k, w)) {
                otherOpen.add(w);
            }
        }
        String expected = ownOpen ? "lost (" + race.id() + "'s window is open)"
                : otherOpen.isEmpty() ? "clean (no seed window open)"
                : "clean, or lost through " + names(otherOpen);
        boolean ok;
        String why;
        if (!lost) {
            ok = !ownOpen;
            why = ok ? "" : "not found within the budget";
        } else if (windows.isEmpty()) {
            ok = false;
            why = "lost, but no seed fix, alone or with one other, prevents it on this schedule";
        } else {
            ok = ownOpen || !otherOpen.isEmpty();
            why = ok ? "" : "lost on a kernel with no seed window open";
        }
        return new Cell(race, k, lost, schedules, seconds, f, windows, false, preemptions, fixedPasses, file, expected, ok,
                why);
    }

    /** "R2+R3" (each window's fix alone prevents the loss). */
    public static String names(List<Integer> windows) {
        return names(windows, false);
    }

    /** "R2+R3", or "R2&R4" when only their fixes together prevent the loss. */
    public static String names(List<Integer> windows, boolean together) {
        List<String> n = new ArrayList<>();
        windows.forEach(w -> n.add("R" + w));
        return String.join(together ? "&" : "+", n);
    }
}
