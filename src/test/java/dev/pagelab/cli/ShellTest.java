package dev.pagelab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End-to-end tests of {@code pagelab shell} in batch mode ({@code -c} and {@code --batch}): the real
 * CLI in a child JVM, real guest programs, every command at least once.
 */
class ShellTest {
    @TempDir
    Path dir;

    /** The lines of {@code out} that follow the echo of {@code command}, up to the next prompt. */
    private static String after(String out, String command) {
        int at = out.indexOf("(pagelab) " + command + "\n");
        assertTrue(at >= 0, "no command '" + command + "' in:\n" + out);
        int from = at + ("(pagelab) " + command + "\n").length();
        int next = out.indexOf("(pagelab) ", from);
        return out.substring(from, next < 0 ? out.length() : next);
    }

    /** Like {@link #after} for the last time {@code command} was given. */
    private static String afterLast(String out, String command) {
        return after(out.substring(out.lastIndexOf("(pagelab) " + command + "\n")), command);
    }

    private static final String WALKTHROUGH = "break fault m.dat; run; pt $cr2; until fault-done; pt $cr2; "
            + "pte set $cr2 -D; tlb flush; stepi; pte $cr2; page $cr2; rmap $cr2; dirty m.dat; vmas; x/17c $cr2; "
            + "delete; continue; disk ls; check";

    @Test
    void traceOnAndOffWriteTheInstructionsRunInBetween() throws Exception {
        Path trace = dir.resolve("s.trace");
        Cli.Result r = Cli.runIn(dir, "shell", "racecount", "5", "-c", "break syscall clone; run; trace on " + trace
                + "; continue; trace off; trace off; continue");
        assertEquals(1, r.exit(), "one error line (the second trace off) makes the batch exit 1:\n" + r);
        assertTrue(after(r.out(), "trace on " + trace).contains("tracing to " + trace), r.toString());
        String off = after(r.out(), "trace off");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("trace off: (\\d+) instructions").matcher(off);
        assertTrue(m.find(), r.toString());
        long insns = java.nio.file.Files.readAllLines(trace).stream().filter(l -> l.startsWith("insn ")).count();
        assertTrue(insns > 0 && insns == Long.parseLong(m.group(1)), insns + " vs " + off);
        assertTrue(afterLast(r.out(), "trace off").contains("error: trace: not tracing"), r.toString());
    }

    @Test
    void mapwriterWalkthroughShowsThePteGoingPresentThenDirtyAndTheStructPage() {
        Cli.Result r = Cli.runIn(dir, "shell", "mapwriter", "m.dat", "-c", WALKTHROUGH);
        assertEquals(0, r.exit(), r.toString());
        String out = r.out();
        assertTrue(after(out, "run").matches("(?s)Breakpoint 1: mapwriter\\[1/1\\]: page fault at 0x[0-9a-f]+ "
                + "\\(user write not-present, error 0x6\\) rip 0x[0-9a-f]+ <main\\+\\d+>\n"), out);
        String before = after(out, "pt $cr2");
        assertTrue(before.contains("in VMA") && before.contains("rw-s") && before.contains("m.dat"), before);
        assertTrue(before.contains("(not present)") && before.endsWith("-> not mapped\n"), before);
        assertTrue(after(out, "until fault-done").contains("done: Handled"), out);
        // the second pt: the walk now reaches a present leaf, dirty (a write fault on a shared mapping)
        String afterFault = out.substring(out.indexOf("done: Handled"));
        String pt2 = after(afterFault, "pt $cr2");
        Matcher leaf = Pattern.compile("PT\\[\\d+\\] +at pa 0x[0-9a-f]+: 0x([0-9a-f]{16}) \\[P RW US D NX\\]").matcher(pt2);
        assertTrue(leaf.find(), pt2);
        Matcher frame = Pattern.compile("-> pa 0x[0-9a-f]+ \\(frame (0x[0-9a-f]+)\\)").matcher(pt2);
        assertTrue(frame.find(), pt2);
        assertTrue(after(out, "pte set $cr2 -D").contains("[P RW US D NX] -> 0x"), out);
        assertTrue(after(out, "pte set $cr2 -D").contains("[P RW US NX] (TLBs not flushed"), out);
        assertEquals("tlb flushed on cpu 0\n", after(out, "tlb flush"));
        assertTrue(after(out, "stepi").startsWith("stepped: mapwriter[1/1] at 0x"), out);
        // the store of one instruction set A and D again in the cleaned pte (the CPU's page walk)
        assertTrue(after(out, "pte $cr2").contains("[P RW US A D NX] frame " + frame.group(1)), out);
        String page = after(out, "page $cr2");
        assertTrue(page.startsWith("page frame " + frame.group(1)), page);
        assertTrue(page.contains("flags [dirty uptodate], count 2, mapcount 1"), page);
        assertTrue(page.contains("mapping m.dat index 0, tags [dirty]"), page);
        assertTrue(page.contains("buffer 3 (file block 3): [uptodate dirty"), page);
        String rmap = after(out, "rmap $cr2");
        assertTrue(rmap.contains("through i_mmap") && rmap.contains("[P RW US A D NX]")
                && rmap.contains("1 pte maps it"), rmap);
        assertTrue(after(out, "dirty m.dat").contains("index 0    frame " + frame.group(1)), out);
        assertTrue(after(out, "vmas").contains("rw-s 00000000 m.dat"), out);
        assertTrue(after(out, "x/17c $cr2").contains(": 'p' \\x00 "), out); // one byte stored so far
        String end = after(out, "continue");
        assertTrue(end.contains("mapwriter: ok") && end.contains("program exited with status 0"), end);
        assertTrue(after(out, "disk ls").contains("m.dat       16384"), out);
        assertTrue(after(out, "check").contains("checks passed"), out);
        assertFalse(out.contains("error:"), out);
    }

    @Test
    void batchOutputIsDeterministic() {
        Cli.Result a = Cli.runIn(dir, "shell", "mapwriter", "a.dat", "-c", WALKTHROUGH.replace("m.dat", "a.dat"));
        Cli.Result b = Cli.runIn(dir, "shell", "mapwriter", "a.dat", "-c", WALKTHROUGH.replace("m.dat", "a.dat"));
        assertEquals(0, a.exit(), a.toString());
        assertEquals(a.out(), b.out());
    }

    @Test
    void guestAndSyscallBreakpointsStepiRegsAndMemory() {
        Cli.Result r = Cli.runIn(dir, "shell", "-c", "load hello; break main; break syscall write; info break; run; "
                + "regs; stepi 3; x/2xg $rsp; x/2i $rip; xp/4xb 0x1000; continue; x/s $rsi; step; until sysret; "
                + "until guest-exit; kill; run; delete 1; continue; continue; stats; help; help pt");
        assertEquals(0, r.exit(), r.toString());
        String out = r.out();
        assertTrue(after(out, "info break").equals("1   guest 0x401000 <main>\n2   syscall write (1)\n"), out);
        assertEquals("Breakpoint 1: hello[1/1] at 0x401000 <main>\n", after(out, "run"));
        String regs = after(out, "regs");
        assertTrue(regs.contains("rip  0x0000000000401000 <main>"), regs);
        assertTrue(regs.contains("cr0  0x80010033 [PE MP ET NE WP PG]"), regs);
        assertTrue(regs.contains("cr4  0x620 [PAE OSFXSR OSXMMEXCPT]"), regs);
        assertTrue(regs.contains("efer 0xd01 [SCE LME LMA NXE]"), regs);
        assertTrue(regs.contains("rflags 0x") && regs.contains("IF"), regs);
        assertTrue(after(out, "stepi 3").startsWith("stepped: hello[1/1] at 0x40100b <main+11>"), out);
        assertTrue(after(out, "x/2xg $rsp").matches("0x7fffffff[0-9a-f]+: 0x[0-9a-f]{16} 0x[0-9a-f]{16}\n"), out);
        assertTrue(after(out, "x/2i $rip").contains("(no disassembler yet"), out);
        assertTrue(after(out, "xp/4xb 0x1000").startsWith("0x1000: 0x"), out);
        assertTrue(after(out, "continue").startsWith("Breakpoint 2: hello[1/1]: syscall write(0x1, "), out);
        assertTrue(after(out, "x/s $rsi").endsWith(": \"hello, world\\x0a\"\n"), out);
        assertTrue(after(out, "until sysret").contains("syscall write returns 0xd"), out);
        assertTrue(after(out, "until guest-exit").contains("guest exit on cpu 0 after"), out);
        assertTrue(after(out, "kill").contains("program ended: killed: by the shell (kill) (status 137)"), out);
        assertTrue(out.contains("program exited with status 0"), out);
        assertTrue(after(out, "stats").contains("syscalls          "), out);
        assertTrue(after(out, "help").contains("rmap PFN|VA"), out);
        assertTrue(after(out, "help pt").startsWith("pt VA\n"), out);
    }

    @Test
    void kernelBreakpointsTasksSyncCrashAndFsck() throws IOException {
        Path img = dir.resolve("k.img");
        Cli.Result r = Cli.runIn(dir, "shell", "--disk", img.toString(), "aptdb", "db.dat", "-c",
                "break kernel clear_page_dirty_for_io; run; tasks; delete; break kernel io_submit; continue; "
                        + "check; delete; break syscall msync; continue; sync; dirty db.dat; crash; disk fsck; "
                        + "disk ls");
        assertEquals(0, r.exit(), r.toString());
        String out = r.out();
        String hit = after(out, "run");
        assertTrue(hit.matches("(?s).*Breakpoint 1: [a-z\\[\\]/0-9]+: kernel point [a-z_]+ in [a-z_]+\\(\\)"
                + "( inside clear_page_dirty_for_io\\(\\))?\n"), hit);
        String tasks = after(out, "tasks");
        assertTrue(tasks.contains("kdisk") && tasks.contains("flusher") && tasks.contains("kjournald"), tasks);
        assertTrue(tasks.lines().anyMatch(l -> l.startsWith("*")), tasks);
        assertTrue(after(out, "continue").contains("kernel point io_submit in"), out);
        assertTrue(after(out, "check").contains("dirty accounting: NR_FILE_DIRTY"), out);
        assertTrue(after(out, "check").contains(": ok\n"), out);
        assertTrue(out.contains("syscall msync("), out);
        assertTrue(after(out, "sync").startsWith("sync: done (NR_FILE_DIRTY "), out);
        assertTrue(after(out, "sync").contains("-> 0,"), out); // the user thread waits in msync meanwhile
        String dirty = after(out, "dirty db.dat");
        assertTrue(dirty.startsWith("db.dat: 16384 bytes, 4 pages cached, tags dirty [] writeback []"), dirty);
        assertEquals(4, dirty.lines().filter(l -> l.contains("[uptodate] tags [] mapcount 1")).count(), dirty);
        String crash = after(out, "crash");
        assertTrue(crash.contains("program ended: crashed: simulated power loss (shell crash) (status 137)"), crash);
        assertFalse(crash.contains("CHECK FAILED"), crash);
        assertTrue(crash.contains("fsck: clean"), crash);
        assertTrue(after(out, "disk ls").contains("db.dat"), out);
        assertTrue(Files.exists(img));
    }

    @Test
    void faultRangeBreakpointFormatsAndTwoCpus() {
        Cli.Result r = Cli.runIn(dir, "shell", "--cpus", "2", "threads", "2", "1000", "-c",
                "break fault 0x7fffbf7fd000-0x7fffbf7fe000; run; x/2xg $rsp; x/2dg $rsp; x/1uw $rsp; delete; "
                        + "break syscall futex; continue; tasks; continue");
        assertEquals(0, r.exit(), r.toString());
        String out = r.out();
        assertTrue(after(out, "run").contains("Breakpoint 1: threads[1/1]: page fault at 0x7fffbf7fd"), out);
        Matcher hex = Pattern.compile(": 0x([0-9a-f]{16}) 0x([0-9a-f]{16})\n").matcher(after(out, "x/2xg $rsp"));
        assertTrue(hex.find(), out);
        String dec = Long.parseUnsignedLong(hex.group(1), 16) + " " + Long.parseUnsignedLong(hex.group(2), 16);
        assertTrue(after(out, "x/2dg $rsp").endsWith(": " + dec + "\n"), out);
        assertTrue(after(out, "x/1uw $rsp").endsWith(": " + (Long.parseUnsignedLong(hex.group(1), 16) & 0xffffffffL)
                + "\n"), out);
        String tasks = after(out, "tasks");
        assertTrue(tasks.matches("(?s).*\\* 0 +threads\\[1/1\\] +RUNNABLE +1 .*"), tasks);
        assertTrue(tasks.matches("(?s).*threads\\[1/2\\] +RUNNABLE +0 .*"), tasks);
        assertTrue(out.contains("threads: total 2000 (expected 2000)") && out.endsWith("program exited with status 0\n"),
                out);
    }

    @Test
    void badInputGivesOneErrorLineAndTheSessionGoesOn() throws IOException {
        List<String> bad = List.of("frobnicate", "regs", "x/4xg 0x1000", "pt 0x1000", "continue", "step", "stepi",
                "kill", "sync", "crash", "tasks", "page 5", "dirty m.dat", "disk ls", "stats", "run",
                "load /nonexistent/prog", "load /etc/hostname", "load mapwriter m.dat", "break", "break nosuchsym",
                "break 0xffffffffffffffff", "break syscall nosuchcall", "break kernel nosuchfunction",
                "break fault 0x2000-0x1000", "until nothing", "delete 42", "delete x", "x/4q 0x1000", "x/0x 0x1000",
                "info", "tlb", "tlb flush 9", "disk frob", "pte set 0x1000", "help nosuch", "stepi -5",
                "break main", "run", "pt 0xffff800000000000", "pt zz", "x/4xg 0x10", "xp/4xg 0xfffffffffff0",
                "page 0x7fff00000000", "rmap 3", "pte set 0x401000 +BOGUS", "dirty nosuch.dat", "x/s 0x7fffffffffff",
                "x/5000x $rip", "stepi 0", "tlb flush 1", "regs");
        Path script = dir.resolve("bad.cmds");
        Files.writeString(script, "# a list of mistakes\n" + String.join("\n", bad) + "\n");
        Cli.Result r = Cli.runIn(dir, "shell", "--batch", script.toString());
        assertEquals(1, r.exit(), r.toString());
        String out = r.out();
        List<String> good = List.of("load mapwriter m.dat", "break main", "run", "regs");
        for (String cmd : bad) {
            String reply = after(out, cmd);
            if (good.contains(cmd) && !reply.startsWith("error:")) {
                continue;
            }
            assertTrue(reply.startsWith("error: "), cmd + " -> " + reply);
            assertEquals(1, reply.lines().count(), cmd + " -> " + reply);
            assertFalse(reply.contains("internal"), cmd + " -> " + reply);
        }
        assertTrue(afterLast(out, "run").contains("Breakpoint 1: mapwriter[1/1] at 0x"), out);
        assertTrue(out.endsWith("efer 0xd01 [SCE LME LMA NXE]\n"), out); // the last command still worked
        assertFalse(out.contains("Exception") || r.err().contains("Exception"), r.toString());
        assertFalse(out.contains("\tat ") || r.err().contains("\tat "), r.toString());
    }

    @Test
    void withoutATerminalTheShellReadsItsCommandsFromStdin() throws Exception {
        List<String> cmd = List.of(ProcessHandle.current().info().command().orElse("java"),
                "--enable-native-access=ALL-UNNAMED", "-Dpagelab.home=" + System.getProperty("pagelab.home"), "-cp",
                System.getProperty("java.class.path"), Main.class.getName(), "shell", "hello");
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        try (var in = p.getOutputStream()) {
            in.write("break syscall write\nrun\nx/s $rsi\ncontinue\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(p.waitFor(5, java.util.concurrent.TimeUnit.MINUTES), out);
        assertEquals(0, p.exitValue(), out);
        assertTrue(after(out, "x/s $rsi").endsWith(": \"hello, world\\x0a\"\n"), out);
        assertTrue(out.endsWith("hello, world\nprogram exited with status 0\n"), out);
    }

    @Test
    void optionErrorsAreOneLine() {
        Cli.Result both = Cli.run("shell", "-c", "help", "--batch", "x");
        assertEquals(2, both.exit(), both.toString());
        assertEquals("pagelab: shell: give -c or --batch, not both\n", both.err());
        Cli.Result kernel = Cli.run("shell", "--kernel", "9.9", "-c", "help");
        assertEquals(2, kernel.exit(), kernel.toString());
        assertEquals(1, kernel.err().lines().count(), kernel.toString());
        Cli.Result missing = Cli.run("shell", "nosuchprogram", "-c", "run");
        assertEquals(2, missing.exit(), missing.toString());
        assertTrue(missing.out().startsWith("error: nosuchprogram: no such file"), missing.toString());
    }
}
