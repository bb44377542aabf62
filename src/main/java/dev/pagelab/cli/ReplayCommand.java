package dev.pagelab.cli;

import dev.pagelab.explore.PageProbe;
import dev.pagelab.explore.Scenario;
import dev.pagelab.explore.SvgTimeline;
import dev.pagelab.explore.ScheduleFile;
import dev.pagelab.kernel.sched.Replay;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code pagelab replay FILE}: runs a recorded schedule again and says whether the run was the same
 * (the same trace hash: the same decisions, faults, system calls and oracle verdicts).
 */
@Command(name = "replay", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Replay a schedule written by explore or shrink: the same program, machine and choices.",
            "Exit status: 0 if the run reproduced the recorded one exactly (same trace hash and failure), "
                + "1 if it did not, 2 for a bad or foreign schedule file."})
final class ReplayCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "FILE", description = "A schedule file.")
    Path file;

    @Option(names = "--output", description = "Also print the guest's output.")
    boolean output;

    @Option(names = "--explain", description = "Tell the run as a story in kernel terms: each deviation from "
            + "round-robin in words (who was stopped where, who ran), then the switches, system calls and faults "
            + "that led to the failure, every change of the victim page (PG_dirty, PG_writeback, PG_locked, tags, "
            + "pte P/RW/D per mapping, buffer dirty bits) where it happened, and the lost bytes.")
    boolean explain;

    @Option(names = "--story", paramLabel = "N", defaultValue = "6",
            description = "With --explain: event lines of the story kept around each preemption and the oracle's "
                    + "report (and 2N at the end); "
                    + "-1 for the whole story. Default: ${DEFAULT-VALUE}.")
    int storyLines;

    @Option(names = "--timeline", paramLabel = "FILE", description = "Write the run as Chrome/Perfetto "
            + "trace-event JSON (one lane per task: guest runs, system calls, faults, preemptions, pte changes; "
            + "counter tracks for the victim page's flags, tags, dirty buffers and pte bits); "
            + "open it in ui.perfetto.dev or chrome://tracing.")
    Path timelineFile;

    @Option(names = "--svg", paramLabel = "FILE", description = "Write the same timeline as a self-contained SVG "
            + "picture: a lane per task, preemptions marked, the victim page's flags and pte bits as step lines; "
            + "long stretches far from every preemption, the oracle's report and the end are cut.")
    Path svgFile;

    @Option(names = "--page", paramLabel = "FILE:INDEX", description = "The page to follow in --explain, "
            + "--timeline and --svg (e.g. r.dat:0). Default: the page holding the first lost byte, else the first "
            + "disk-file page the program mapped.")
    String pageSpec;

    @CommandLine.Mixin
    TraceOptions trace = new TraceOptions();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        ScheduleFile f = load(file);
        PrintWriter w = spec.commandLine().getOut();
        dev.pagelab.trace.Tracer.Options traceOptions = trace.parse("replay");
        PageProbe.Victim victim = pageSpec == null ? null : PageProbe.Victim.parse(pageSpec);
        if (pageSpec != null && victim == null) {
            throw new UserError("replay: --page " + pageSpec + ": expected FILE:INDEX (e.g. r.dat:0)", 2);
        }
        outputFile("--timeline", timelineFile);
        outputFile("--svg", svgFile);
        boolean pictures = explain || timelineFile != null || svgFile != null;
        Long plainHash = null; // the trace hash without the probe, when a first run chose the page
        if (pictures && victim == null) {
            PageProbe.Discovery discovery = new PageProbe.Discovery();
            plainHash = f.scenario().run(new Replay(f.deviations()), new Scenario.Observe(false, explain,
                    dev.pagelab.kernel.sched.KernelEvents.NONE, discovery::attach)).traceHash();
            victim = discovery.victim();
        }
        PageProbe probe = pictures && victim != null ? new PageProbe(victim) : null;
        dev.pagelab.explore.Story story = new dev.pagelab.explore.Story(probe);
        dev.pagelab.explore.Timeline timeline = timelineFile == null && svgFile == null ? null
                : new dev.pagelab.explore.Timeline(probe);
        TraceOptions.Session[] traced = new TraceOptions.Session[1];
        Scenario.Outcome o;
        try {
            o = f.scenario().run(new Replay(f.deviations()), new Scenario.Observe(false, explain,
                    dev.pagelab.kernel.sched.CompositeEvents.of(explain ? story : dev.pagelab.kernel.sched.KernelEvents.NONE,
                            timeline == null ? dev.pagelab.kernel.sched.KernelEvents.NONE : timeline),
                    kernel -> {
                        if (probe != null) {
                            probe.attach(kernel);
                        }
                        return TraceOptions.events(traced[0] = trace.start("replay", kernel, traceOptions));
                    }));
        } finally {
            if (traced[0] != null) {
                traced[0].close();
            }
        }
        w.printf("replay %s: %s on %s, %d CPUs, %d deviations from round-robin (%s)%n", file,
                String.join(" ", f.scenario().argv()), f.scenario().config(), f.scenario().cpus(), f.deviations().size(),
                f.strategy());
        if (output) {
            w.print(o.output());
        }
        if (timeline != null && timelineFile != null) {
            timeline.write(timelineFile);
            w.println("timeline   " + timelineFile + " (open it in ui.perfetto.dev or chrome://tracing)");
        }
        if (timeline != null && svgFile != null) {
            String title = String.join(" ", f.scenario().argv()) + " on " + f.scenario().config() + ": "
                    + (o.failure().failed() ? o.failure().signature() : "no failure");
            Files.writeString(svgFile, new SvgTimeline(timeline, title,
                    probe == null ? null : PageProbe.describeLoss(probe.lostBytes())).render());
            w.println("svg        " + svgFile);
        }
        if (pictures) {
            w.println("page       " + (probe == null ? "none followed: no oracle reported a lost byte and no disk file "
                    + "was mapped (choose one with --page FILE:INDEX)" : probe.victim()));
        }
        if (explain) {
            w.println("deviations from round-robin:");
            ShrinkCommand.describe(w, o);
            List<String> lines = storyLines < 0 ? story.lines() : story.excerpt(storyLines, 2 * storyLines);
            w.printf("story (%d lines; around each preemption, the oracle's report and the end):%n", story.lines().size());
            lines.forEach(l -> w.println("  " + l));
            if (probe != null) {
                w.println("  " + story.stateLine("as last seen", story.lastPageState()).stripLeading());
            }
        }
        if (probe != null && probe.lostBytes() != null) {
            w.println("lost       " + PageProbe.describeLoss(probe.lostBytes()));
        }
        w.println("result     " + o.failure());
        boolean sameHash = o.traceHash() == f.traceHash() && (plainHash == null || plainHash == o.traceHash());
        if (plainHash != null && plainHash != o.traceHash()) {
            w.printf("probe      DIFFERENT: 0x%016x without the page probe, 0x%016x with it%n", plainHash,
                    o.traceHash());
        }
        boolean sameFailure = o.failure().signature().equals(f.failure().signature());
        w.printf("trace hash 0x%016x (recorded 0x%016x): %s%n", o.traceHash(), f.traceHash(),
                sameHash && sameFailure && o.replayMismatches() == 0 ? "the same run, reproduced exactly"
                        : "DIFFERENT: the run did not reproduce"
                        + (o.replayMismatches() > 0 ? " (" + o.replayMismatches() + " recorded picks not possible)" : ""));
        w.flush();
        return sameHash && sameFailure && o.replayMismatches() == 0 ? 0 : 1;
    }

    /** An output file's folder must exist (checked before the run): else one line, exit 2. */
    private static void outputFile(String option, Path file) {
        Path dir = file == null ? null : file.toAbsolutePath().getParent();
        if (dir != null && !Files.isDirectory(dir)) {
            throw new UserError("replay: " + option + " " + file + ": no such directory", 2);
        }
        if (file != null && Files.isDirectory(file)) {
            throw new UserError("replay: " + option + " " + file + ": is a directory", 2);
        }
    }

    /** Reads a schedule and checks it belongs to this pagelab and this program; else one line, exit 2. */
    static ScheduleFile load(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new UserError(file + ": no such schedule file", 2);
        }
        ScheduleFile f;
        try {
            f = ScheduleFile.read(file);
        } catch (ScheduleFile.BadSchedule e) {
            throw new UserError(e.getMessage(), 2);
        } catch (java.nio.charset.MalformedInputException e) {
            throw new UserError(file + ": not a valid pagelab schedule (not text)", 2);
        }
        if (!f.version().equals(Main.VERSION)) {
            throw new UserError(file + ": written by pagelab " + f.version() + ", this is " + Main.VERSION
                    + ": schedules replay only on the version that wrote them", 2);
        }
        Path program = f.scenario().program();
        if (!Files.isRegularFile(program)) {
            throw new UserError(file + ": its program " + program + " does not exist here", 2);
        }
        if (!ScheduleFile.sha256(program).equals(f.programSha256())) {
            throw new UserError(file + ": its program " + program + " has changed since the schedule was written "
                    + "(SHA-256 differs)", 2);
        }
        return f;
    }
}
