package dev.pagelab.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
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

/** {@code run --trace} through the real command line. */
class TraceCommandTest {
    private static final Pattern INSN = Pattern.compile(
            "^insn (\\d+) cpu(\\d+) tid(\\d+) 0x([0-9a-f]+)  ([0-9a-f]{2}(?: [0-9a-f]{2})*)  +(\\S.*)$");

    @TempDir
    Path dir;

    private List<String> trace(Path file) throws IOException {
        return Files.readAllLines(file);
    }

    @Test
    void traceOfAThreadedGuestIsByteIdenticalAcrossRunsAndCountsEveryRetiredInstruction() throws IOException {
        Path a = dir.resolve("a.trace"), b = dir.resolve("b.trace");
        Cli.Result r1 = Cli.run("run", "--stats", "--trace", a.toString(), "--trace-mem", "threads");
        Cli.Result r2 = Cli.run("run", "--trace", b.toString(), "--trace-mem", "threads");
        assertEquals(0, r1.exit(), r1.toString());
        assertEquals(0, r2.exit(), r2.toString());
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b), "two traces of the same run differ");
        Matcher stats = Pattern.compile("instructions +([0-9,]+)").matcher(r1.err());
        assertTrue(stats.find(), r1.err());
        long instructions = Long.parseLong(stats.group(1).replace(",", ""));
        long expected = 1;
        java.util.Set<String> tids = new java.util.TreeSet<>();
        for (String line : trace(a)) {
            Matcher m = INSN.matcher(line);
            if (m.matches()) {
                assertEquals(expected, Long.parseLong(m.group(1)), "sequence numbers without gaps: " + line);
                expected++;
                tids.add(m.group(3));
            }
        }
        assertEquals(instructions, expected - 1, "one line per retired instruction");
        assertTrue(tids.size() >= 5, "the main thread and four workers: " + tids);
        String all = Files.readString(a);
        assertTrue(all.contains("\nsyscall ") && all.contains(" clone(") && all.contains("\nsysret "), "syscalls");
        assertTrue(all.contains("\nswitch "), "task switches");
        assertTrue(all.contains("\nmem  ") && all.contains(" write 0x7fff"), "stack writes with virtual addresses");
    }

    @Test
    void aFaultingInstructionIsListedOnlyWhenItRetiresAfterTheFault() throws IOException {
        Path t = dir.resolve("hello.trace");
        Cli.Result r = Cli.run("run", "--trace", t.toString(), "hello");
        assertEquals(0, r.exit(), r.toString());
        assertEquals("hello, world\n", r.out());
        List<String> lines = trace(t);
        Pattern fault = Pattern.compile("^fault (\\d+) cpu0 tid1 addr 0x([0-9a-f]+) error 0x6 \\(user write not-present\\) "
                + "rip 0x([0-9a-f]+): (.+)$");
        int checked = 0;
        for (int i = 0; i < lines.size(); i++) {
            Matcher f = fault.matcher(lines.get(i));
            if (!f.matches()) {
                continue;
            }
            long seq = Long.parseLong(f.group(1));
            // The instruction before the fault line retired as number seq; the faulting one is next.
            Matcher before = INSN.matcher(lines.get(i - 1));
            assertTrue(before.matches() && Long.parseLong(before.group(1)) == seq, lines.get(i - 1));
            assertFalse(before.group(4).equals(f.group(3)), "the faulting instruction is not listed before its fault");
            int j = i + 1;
            while (!lines.get(j).startsWith("insn ")) {
                assertTrue(lines.get(j).matches("^(pte|fault-done|tlb-flush) .*"), lines.get(j));
                j++;
            }
            Matcher after = INSN.matcher(lines.get(j));
            assertTrue(after.matches(), lines.get(j));
            assertEquals(seq + 1, Long.parseLong(after.group(1)));
            assertEquals(f.group(3), after.group(4), "the same instruction retires after the fault");
            assertEquals(f.group(4), after.group(6), "the fault line names its instruction");
            checked++;
        }
        assertTrue(checked >= 1, "hello takes a write fault on .data/.bss");
        assertTrue(lines.stream().anyMatch(l -> l.matches("^syscall \\d+ cpu0 tid1 write\\(0x1, 0x[0-9a-f]+, 0xd\\)$")),
                "write(1, buf, 13)");
        assertTrue(lines.stream().anyMatch(l -> l.matches("^sysret \\d+ cpu0 tid1 write = 13$")), "write returns 13");
        assertTrue(lines.stream().anyMatch(l -> l.matches("^insn \\d+ cpu0 tid1 0x401020  31 ed +xorl %ebp, %ebp$")),
                "_start's first instruction, AT&T");
    }

    @Test
    void jsonlLinesAreObjectsAndFiltersSelectTheWindow() throws IOException {
        Path t = dir.resolve("t.jsonl");
        Cli.Result r = Cli.run("run", "--trace", t.toString(), "--trace-format", "jsonl", "--trace-syntax", "intel",
                "--trace-mem", "--trace-from", "100", "--trace-count", "50", "hello");
        assertEquals(0, r.exit(), r.toString());
        long first = -1, last = -1, insns = 0;
        java.util.Set<Object> kinds = new java.util.TreeSet<>();
        for (String line : trace(t)) {
            Map<?, ?> m = assertInstanceOf(Map.class, JsonParser.parse(line), line);
            kinds.add(m.get("kind"));
            if ("insn".equals(m.get("kind"))) {
                long seq = ((Number) m.get("seq")).longValue();
                first = first < 0 ? seq : first;
                last = seq;
                insns++;
                assertInstanceOf(String.class, m.get("asm"));
                assertTrue(((String) m.get("rip")).startsWith("0x"), line);
            }
            if ("mem".equals(m.get("kind"))) {
                assertTrue(m.get("op").equals("read") || m.get("op").equals("write"), line);
                assertTrue(m.containsKey("va") && m.containsKey("pa") && m.containsKey("value"), line);
            }
        }
        assertEquals(100, first);
        assertEquals(149, last);
        assertEquals(50, insns);
        assertTrue(kinds.contains("mem"), kinds.toString());
    }

    @Test
    void fatalExceptionsAndFaultsAreInTheTraceInBothFormats() throws IOException {
        Path j = dir.resolve("ud2.jsonl"), t = dir.resolve("segv.trace");
        Cli.Result ud2 = Cli.run("run", "--trace", j.toString(), "--trace-format", "jsonl", "ud2");
        assertEquals(132, ud2.exit(), ud2.toString());
        boolean exception = false;
        for (String line : trace(j)) {
            Map<?, ?> m = assertInstanceOf(Map.class, JsonParser.parse(line), line);
            if ("exception".equals(m.get("kind"))) {
                exception = true;
                assertEquals("#UD invalid opcode", m.get("name"));
                assertEquals("ud2", m.get("asm"));
            }
        }
        assertTrue(exception, "the #UD is in the trace");
        Cli.Result segv = Cli.run("run", "--trace", t.toString(), "segv");
        assertEquals(139, segv.exit(), segv.toString());
        List<String> lines = trace(t);
        assertTrue(lines.stream().anyMatch(l -> l.matches("^fault \\d+ cpu0 tid1 addr 0x0 error 0x6 \\(user write not-present\\) "
                + "rip 0x[0-9a-f]+: mov[lq]? .*")), String.join("\n", lines.subList(Math.max(0, lines.size() - 20),
                lines.size())));
        assertTrue(lines.stream().anyMatch(l -> l.matches("^fault-done \\d+ cpu0 tid1 addr 0x0 outcome SigSegv$")));
    }

    @Test
    void rangeAndTidFiltersKeepOnlyWhatTheyName() throws IOException {
        Path t = dir.resolve("t.trace");
        Cli.Result r = Cli.run("run", "--trace", t.toString(), "--trace-range", "0x401380-0x4013df", "--trace-tid", "2",
                "threads");
        assertEquals(0, r.exit(), r.toString());
        List<String> insns = trace(t).stream().filter(l -> l.startsWith("insn ")).toList();
        assertTrue(insns.size() > 100, "thread 2 runs work() at 0x401380: " + insns.size());
        for (String l : insns) {
            Matcher m = INSN.matcher(l);
            assertTrue(m.matches(), l);
            assertEquals("2", m.group(3), l);
            long rip = Long.parseLong(m.group(4), 16);
            assertTrue(rip >= 0x401380 && rip <= 0x4013df, l);
        }
    }

    @Test
    void badTraceOptionsGiveOneLine() {
        for (List<String> args : List.of(List.of("--trace", "x", "--trace-format", "xml"),
                List.of("--trace", "x", "--trace-syntax", "masm"), List.of("--trace", "x", "--trace-range", "5"),
                List.of("--trace", "x", "--trace-range", "0x20-0x10"), List.of("--trace-mem"),
                List.of("--trace", "/no/such/dir/t"), List.of("--trace", "x", "--trace-from", "0"))) {
            java.util.List<String> cmd = new java.util.ArrayList<>(List.of("run"));
            cmd.addAll(args);
            cmd.add("hello");
            Cli.Result r = Cli.runIn(dir, cmd.toArray(String[]::new));
            assertEquals(2, r.exit(), args + ": " + r);
            assertTrue(r.err().startsWith("pagelab: run: ") && r.err().strip().lines().count() == 1, args + ": " + r);
        }
    }

    @Test
    void benchTraceJsonPrintsItsFields() {
        Cli.Result r = Cli.run("bench", "trace", "--json", "--rounds", "1", "--reps", "1");
        assertEquals(0, r.exit(), r.toString());
        Map<?, ?> m = assertInstanceOf(Map.class, JsonParser.parse(r.out()));
        for (String field : List.of("untraced_insn_per_s", "traced_insn_per_s", "ratio", "traced_insn_per_cpu_s")) {
            double v = ((Number) m.get(field)).doubleValue();
            assertTrue(v > 0, field + " = " + v);
        }
        long insns = ((Number) m.get("instructions")).longValue();
        assertEquals(insns, ((Number) m.get("trace_instruction_lines")).longValue(), "every instruction traced");
    }
}
