package dev.pagelab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code run --gdb} with the real gdb in batch mode. */
class GdbStubTest {
    @TempDir
    Path dir;

    private static Path guest(String name) {
        return Path.of(System.getProperty("pagelab.home"), "guest-programs", "target", "bin", name);
    }

    private static String group(String text, String regex) {
        Matcher m = Pattern.compile(regex, Pattern.MULTILINE).matcher(text);
        assertTrue(m.find(), "no match for /" + regex + "/ in:\n" + text);
        return m.group(1);
    }

    @Test
    void breakMainContinueRegistersDisassembleStepiThreadsAndRunToTheEnd() throws Exception {
        try (GdbSession s = new GdbSession(dir, "hello")) {
            String out = s.batch(guest("hello"), "break main", "continue", "info registers rip", "x/4i $pc", "stepi",
                    "info registers rip", "info threads", "p/x $sp", "continue");
            String main = group(out, "^Breakpoint 1 at 0x([0-9a-f]+)");
            assertTrue(out.contains("Breakpoint 1, 0x" + String.format("%016x", Long.parseLong(main, 16)) + " in main ()"),
                    out);
            assertTrue(out.matches("(?s).*rip +0x" + main + " +0x" + main + " <main>.*"), out);
            // x/4i: four instructions from main, the first marked as the current one
            String next = group(out, "^=> 0x" + main + " <main>:\\t[a-z].*\\n +0x([0-9a-f]+) <main\\+\\d+>:\\t[a-z]");
            group(out, "^(   0x[0-9a-f]+ <main\\+\\d+>:\\t.*\\n   0x[0-9a-f]+ <main\\+\\d+>:\\t.*)$");
            // stepi: one instruction on, which is where x/4i said the second one starts
            assertTrue(out.matches("(?s).*rip +0x" + next + " +0x" + next + " <main\\+\\d+>.*"), out);
            assertTrue(out.matches("(?s).*\\* 1 +Thread 1 \\(hello\\[1/1\\]\\) 0x0*" + next + " in main \\(\\).*"), out);
            assertTrue(out.matches("(?s).*\\$1 = 0x7fff[0-9a-f]+.*"), out);
            assertTrue(out.contains("[Inferior 1 (Remote target) exited normally]"), out);
            assertEquals(0, s.exit(), s.stderr());
            assertEquals("hello, world\n", s.stdout());
        }
    }

    @Test
    void threadsAreGuestThreads() throws Exception {
        try (GdbSession s = new GdbSession(dir, "threads")) {
            String out = s.batch(guest("threads"), "break work", "continue", "info threads", "delete", "continue");
            String hit = group(out, "^Thread (\\d+) \"?[^\\n]*hit Breakpoint 1, 0x[0-9a-f]+ in work \\(\\)");
            assertTrue(Integer.parseInt(hit) >= 2, "a worker thread hit work(): " + out);
            long listed = out.lines().filter(l -> l.matches("^[* ] +\\d+ +Thread \\d+ \\(threads\\[1/\\d+\\]\\).*"))
                    .count();
            assertTrue(listed >= 2, "info threads lists the main thread and workers:\n" + out);
            assertTrue(out.contains("exited normally"), out);
            assertEquals(0, s.exit(), s.stderr());
            assertTrue(s.stdout().contains("threads: ok"), s.stdout());
        }
    }

    @Test
    void watchpointsStopRightAfterTheAccessingInstruction() throws Exception {
        try (GdbSession s = new GdbSession(dir, "threads")) {
            String out = s.batch(guest("threads"), "break main", "continue", "watch *(int *)&counter", "continue",
                    "x/i $pc - 8", "continue", "set var *(int *)&counter = 1234", "p *(int *)&counter",
                    "set var *(int *)&counter = 2", "rwatch *(int *)&counter", "delete 2", "continue", "delete",
                    "continue");
            assertTrue(out.contains("hit Hardware watchpoint 2: *(int *)&counter\n\nOld value = 0\nNew value = 1"), out);
            assertTrue(out.contains("Old value = 1\nNew value = 2"), out);
            assertTrue(out.contains("$1 = 1234"), "memory written and read back: " + out);
            assertTrue(!out.contains("error"), out);
            // the stop is after the store: the instruction before the pc is the increment of counter
            assertTrue(out.matches("(?s).*0x[0-9a-f]+ <work\\+\\d+>:\\s+addq\\s+\\$0x1,0x[0-9a-f]+\\(%rip\\)\\s+# 0x[0-9a-f]+ <counter>.*"),
                    out);
            assertTrue(out.contains("hit Hardware read watchpoint 3: *(int *)&counter"), out);
            assertTrue(out.contains("exited normally"), out);
            assertEquals(0, s.exit(), s.stderr());
            assertTrue(s.stdout().contains("threads: total 40000 (expected 40000)"), s.stdout());
        }
    }

    @Test
    void aBadOrBusyPortIsOneLine() throws Exception {
        Cli.Result r = Cli.run("run", "--gdb", "70000", "hello");
        assertEquals(2, r.exit(), r.toString());
        assertEquals("pagelab: run: --gdb needs a port from 0 to 65535, got 70000", r.err().strip());
        try (java.net.ServerSocket busy = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Cli.Result b = Cli.run("run", "--gdb", Integer.toString(busy.getLocalPort()), "hello");
            assertEquals(2, b.exit(), b.toString());
            assertTrue(b.err().startsWith("pagelab: run: --gdb " + busy.getLocalPort() + ": ")
                    && b.err().strip().lines().count() == 1, b.err());
        }
    }

    @Test
    void aFatalFaultStopsWithSigsegvBeforeTheKernelKillsTheProgram() throws Exception {
        try (GdbSession s = new GdbSession(dir, "segv")) {
            String out = s.batch(guest("segv"), "continue", "info registers rip", "continue");
            assertTrue(out.contains("Program received signal SIGSEGV, Segmentation fault."), out);
            String rip = group(out, "^rip +0x([0-9a-f]+) ");
            assertTrue(out.contains("Program terminated with signal SIGSEGV"), out);
            assertEquals(139, s.exit(), s.stderr());
            assertTrue(s.stderr().contains("killed: SIGSEGV at 0x0 (rip 0x" + rip + ", error code 0x6)"), s.stderr());
        }
    }
}
