package dev.pagelab.cli;

import dev.pagelab.explore.Scenario;
import dev.pagelab.explore.ScheduleFile;
import dev.pagelab.explore.Shrinker;
import dev.pagelab.kernel.sched.Deviation;
import dev.pagelab.kernel.sched.Replay;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code pagelab shrink FILE}: reduces a failing schedule to the fewest preemptions, then the
 * fewest deviations from round-robin, that still fail the same way, writes it, and tells each
 * preemption in words.
 */
@Command(name = "shrink", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Shrink a failing schedule (delta debugging): fewest preemptions first, then fewest "
                + "deviations, same failure. Writes FILE with .min before .schedule unless -o is given.",
            "Exit status: 0 when a shrunk schedule was written, 1 if the schedule does not fail, 2 for bad input."})
final class ShrinkCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "FILE", description = "A failing schedule file.")
    Path file;

    @Option(names = {"-o", "--output"}, paramLabel = "OUT", description = "Where to write the shrunk schedule.")
    Path outFile;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        ScheduleFile f = ReplayCommand.load(file);
        PrintWriter w = spec.commandLine().getOut();
        if (!f.failure().failed()) {
            throw new UserError("shrink: " + file + " records a passing run: nothing to shrink", 1);
        }
        Shrinker shrinker = new Shrinker(f.scenario(), f.failure().signature());
        List<Deviation> min;
        try {
            min = shrinker.shrink(f.deviations());
        } catch (IllegalStateException e) {
            throw new UserError(e.getMessage(), 1);
        }
        Path out = outFile != null ? outFile : defaultOut(file);
        Scenario.Outcome written = writeShrunk(f.scenario(), "shrunk from " + file.getFileName(), min, out);
        w.printf("shrink %s: %d deviations (%d preemptions) -> %d deviations (%d preemptions), %d replays%n", file,
                f.deviations().size(), f.deviations().stream().filter(Deviation::preemption).count(), min.size(),
                min.stream().filter(Deviation::preemption).count(), shrinker.replays());
        w.println("failure    " + written.failure());
        describe(w, written);
        w.println("wrote      " + out);
        w.flush();
        return 0;
    }

    private static Path defaultOut(Path file) {
        String name = file.getFileName().toString();
        String base = name.endsWith(".schedule") ? name.substring(0, name.length() - ".schedule".length()) : name;
        return file.resolveSibling(base + ".min.schedule");
    }

    /**
     * Replays {@code devs} with labelled points (to name each deviation's place) and writes the
     * schedule with the result of that replay.
     */
    static Scenario.Outcome writeShrunk(Scenario scenario, String origin, List<Deviation> devs, Path out)
            throws IOException {
        Scenario.Outcome o = scenario.run(new Replay(devs), new Scenario.Observe(false, true,
                dev.pagelab.kernel.sched.KernelEvents.NONE));
        ScheduleFile f = new ScheduleFile(scenario, ScheduleFile.sha256(scenario.program()), Main.VERSION, origin,
                o.failure(), o.traceHash(), o.decisions(), o.deviations());
        f.write(out);
        return o;
    }

    /** Each deviation in words: who was stopped where, and who ran instead. */
    static void describe(PrintWriter w, Scenario.Outcome names) {
        int n = 0;
        for (Deviation d : names.deviations()) {
            n++;
            if (d.kind() == Deviation.Kind.BUDGET) {
                w.printf("  %d. %s runs only %d guest instructions before its next decision%n", n, names.taskName(d.task()),
                        d.value());
            } else if (d.preemption()) {
                w.printf("  %d. preemption: %s is stopped at %s; %s runs instead%n", n, names.taskName(d.task()), d.where(),
                        names.taskName((int) d.value()));
            } else {
                w.printf("  %d. at %s, %s gives the CPU to %s (round-robin would pick another)%n", n, d.where(),
                        names.taskName(d.task()), names.taskName((int) d.value()));
            }
        }
    }
}
