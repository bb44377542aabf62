package dev.pagelab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * explore, replay and shrink through the real command line, on racecount: two threads with an
 * unlocked read-modify-write of a shared counter (a known atomicity bug in user code).
 * Outcomes: ACCEPTABLE "total 400" (no preemption between a load and its store);
 * INTERESTING "updates lost" (a preemption between one thread's load and store): what the
 * explorer must find with every strategy, and shrink to exactly one preemption.
 */
class ExploreCliTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"pct", "dfs", "random"})
    void eachStrategyFindsTheLostUpdateAndReplayAndShrinkAgree(String strategy) throws IOException {
        Cli.Result r = Cli.run("explore", "racecount", "200", "--strategy", strategy, "--budget", "4000",
                "--stop-on-first", "--out", dir.toString());
        assertEquals(1, r.exit(), r.toString());
        assertTrue(r.out().contains("exit:1"), r.toString());
        Path file = onlySchedule();
        Cli.Result replay = Cli.run("replay", file.toString(), "--output");
        assertEquals(0, replay.exit(), replay.toString());
        assertTrue(replay.out().contains("the same run, reproduced exactly"), replay.toString());
        assertTrue(replay.out().contains("updates lost"), replay.toString());

        Cli.Result shrink = Cli.run("shrink", file.toString());
        assertEquals(0, shrink.exit(), shrink.toString());
        Matcher m = Pattern.compile("-> (\\d+) deviations \\((\\d+) preemptions\\)").matcher(shrink.out());
        assertTrue(m.find(), shrink.toString());
        assertEquals("1", m.group(2), "one preemption between a load and its store suffices:\n" + shrink);
        assertTrue(shrink.out().contains("preemption: racecount/"), shrink.toString());
        Path min = dir.resolve(file.getFileName().toString().replace(".schedule", ".min.schedule"));
        Cli.Result replayMin = Cli.run("replay", min.toString());
        assertEquals(0, replayMin.exit(), replayMin.toString());
        assertTrue(replayMin.out().contains("result     exit:1"), replayMin.toString());
    }

    @Test
    @SuppressWarnings("unchecked")
    void theResultsDependOnTheSeedNotOnJobs() {
        Cli.Result one = Cli.run("explore", "racecount", "200", "--budget", "60", "--seed", "7", "--json", "--jobs", "1",
                "--out", dir.resolve("one").toString());
        Cli.Result two = Cli.run("explore", "racecount", "200", "--budget", "60", "--seed", "7", "--json", "--jobs", "2",
                "--out", dir.resolve("two").toString());
        Map<String, Object> a = (Map<String, Object>) JsonParser.parse(one.out().trim());
        Map<String, Object> b = (Map<String, Object>) JsonParser.parse(two.out().trim());
        for (String key : List.of("schedules", "failures", "failures_by_oracle", "first_failure_index", "pct_k")) {
            assertEquals(a.get(key), b.get(key), key + "\n" + one + "\n" + two);
        }
        assertTrue(((Number) a.get("failures")).longValue() > 0, "60 PCT schedules of racecount 200 find the race:\n"
                + one);
    }

    /**
     * Was a bug (found when PCT's first racecount schedule changed): a guest budget that ended
     * inside racecount's loop stopped at another instruction when the tracer's per-instruction
     * hook was on (rip 0x401177 untraced, 0x401170 traced), so the traced replay went another way.
     * The untraced count was right: with any code hook installed, libunicorn left RIP at the loop's
     * jne when the block hook stopped the engine before the chained loop block, and the traced run
     * resumed there, running the jne a second time. pagelab_hooks.c now puts
     * RIP back at the block it stopped before.
     */
    @Test
    void aBudgetCutStopsAtTheSameInstructionTracedOrNot() throws IOException {
        Cli.Result found = Cli.run("explore", "racecount", "200", "--budget", "100", "--stop-on-first", "--seed", "1",
                "--shrink", "--out", dir.toString());
        assertEquals(1, found.exit(), found.toString());
        Path min;
        try (var files = Files.list(dir)) {
            min = files.filter(f -> f.toString().endsWith(".min.schedule")).findFirst().orElseThrow();
        }
        Cli.Result r = Cli.run("replay", min.toString(), "--trace", dir.resolve("r.trace").toString());
        assertEquals(0, r.exit(), "tracing must not change the run:\n" + r);
    }

    /**
     * A campaign stopped by its first failure lets the runs still in flight end and close their
     * kernels: none leaves its temporary disk image behind (they did when the JVM exited under
     * them).
     */
    @Test
    void stoppingAtTheFirstFailureLeavesNoTemporaryImageBehind() throws IOException {
        Path scratch = Files.createDirectories(dir.resolve("scratch"));
        List<String> cmd = new java.util.ArrayList<>(Cli.javaCommand("explore", "racecount", "200", "--budget", "100",
                "--stop-on-first", "--jobs", "2", "--out", dir.resolve("out").toString()));
        cmd.add(1, "-Dpagelab.scratch=" + scratch);
        Cli.Result r = Cli.exec(cmd, null, null, 600);
        assertEquals(1, r.exit(), r.toString());
        try (var left = Files.list(scratch)) {
            assertEquals(List.of(), left.toList(), "temporary images left behind");
        }
    }

    @Test
    void aBadScheduleFileIsOneLineAndExitTwo() throws IOException {
        Path garbage = dir.resolve("garbage.txt");
        Files.writeString(garbage, "pagelab-schedule 1\nthis is not a schedule\n");
        Cli.Result r = Cli.run("replay", garbage.toString());
        assertEquals(2, r.exit(), r.toString());
        assertTrue(r.err().startsWith("pagelab: ") && r.err().strip().lines().count() == 1, r.toString());

        Files.writeString(garbage, "pagelab-schedule 99\n");
        r = Cli.run("replay", garbage.toString());
        assertEquals(2, r.exit(), r.toString());
        assertTrue(r.err().contains("format 1"), r.toString());

        Cli.Result found = Cli.run("explore", "racecount", "200", "--budget", "100", "--stop-on-first", "--out",
                dir.toString());
        assertEquals(1, found.exit(), found.toString());
        Path file = onlySchedule();
        Files.writeString(file, Files.readString(file).replace("pagelab-version " + Main.VERSION, "pagelab-version 0.0.9"));
        r = Cli.run("replay", file.toString());
        assertEquals(2, r.exit(), r.toString());
        assertTrue(r.err().contains("written by pagelab 0.0.9"), r.toString());
        Files.writeString(file, Files.readString(file).replace("pagelab-version 0.0.9", "pagelab-version " + Main.VERSION)
                .lines().limit(20).reduce("", (x, y) -> x + y + "\n"));
        r = Cli.run("replay", file.toString());
        assertEquals(2, r.exit(), "a truncated file:\n" + r);
    }

    /**
     * Seed 3 (seeds 1 and 2 did not reproduce under --trace before the fix of
     * {@link #aBudgetCutStopsAtTheSameInstructionTracedOrNot}).
     */
    @Test
    void replayTracesTheSameRunInstructionByInstruction() throws IOException {
        Cli.Result found = Cli.run("explore", "racecount", "200", "--budget", "100", "--stop-on-first", "--seed", "3",
                "--out", dir.toString());
        assertEquals(1, found.exit(), found.toString());
        Path trace = dir.resolve("r.trace");
        Cli.Result r = Cli.run("replay", onlySchedule().toString(), "--trace", trace.toString());
        assertEquals(0, r.exit(), "tracing must not change the run:\n" + r);
        List<String> lines = Files.readAllLines(trace);
        assertTrue(lines.stream().filter(l -> l.startsWith("insn ")).count() > 1_000, "instructions traced");
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("syscall ") && l.contains("clone(")), "syscalls traced");

        Path json = dir.resolve("t.json");
        Cli.Result t = Cli.run("replay", onlySchedule().toString(), "--timeline", json.toString());
        assertEquals(0, t.exit(), t.toString());
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> events = (List<Map<String, Object>>) ((Map<String, Object>) JsonParser.parse(
                Files.readString(json))).get("traceEvents");
        Map<Object, Long> depth = new java.util.HashMap<>();
        for (Map<String, Object> e : events) {
            long d = e.get("ph").equals("B") ? 1 : e.get("ph").equals("E") ? -1 : 0;
            depth.merge(e.get("tid"), d, Long::sum);
        }
        assertTrue(depth.values().stream().allMatch(d -> d == 0), "every slice is closed: " + depth);
        assertTrue(events.stream().anyMatch(e -> String.valueOf(e.get("name")).startsWith("preempted")),
                "the preemption is on the timeline");
        assertTrue(events.stream().anyMatch(e -> "clone".equals(e.get("name"))), "system calls are slices");
    }

    @Test
    void helpExists() {
        for (String c : List.of("explore", "replay", "shrink")) {
            Cli.Result r = Cli.run(c, "--help");
            assertEquals(0, r.exit(), r.toString());
            assertTrue(r.out().contains("Usage: pagelab " + c), r.toString());
        }
    }

    private Path onlySchedule() throws IOException {
        try (var s = Files.list(dir)) {
            List<Path> files = s.filter(p -> p.toString().endsWith(".schedule") && !p.toString().endsWith(".min.schedule"))
                    .toList();
            assertEquals(1, files.size(), files.toString());
            return files.get(0);
        }
    }
}
