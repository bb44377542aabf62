package dev.pagelab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every guest program of the process half, end to end through {@code pagelab run}. */
class GuestProgramsTest {
    @TempDir
    Path dir;

    private static void assertNoStackTrace(Cli.Result r) {
        assertFalse(r.err().contains("\tat ") || r.err().contains("Exception"), r.toString());
    }

    @Test
    void helloPrintsHelloWorld() {
        Cli.Result r = Cli.run("run", "hello");
        assertEquals(0, r.exit(), r.toString());
        assertEquals("hello, world\n", r.out());
    }

    @Test
    void argsEchoesArgvAndTheGivenEnvironment() {
        Cli.Result r = Cli.run("run", "--env", "A=1", "--env", "B=two words", "args", "x", "y z");
        assertEquals(0, r.exit(), r.toString());
        assertEquals("argc=3\nargv[0]=args\nargv[1]=x\nargv[2]=y z\nenvp[0]=A=1\nenvp[1]=B=two words\n", r.out());
    }

    @Test
    void exitcodeIsTheGuestsStatus() {
        assertEquals(42, Cli.run("run", "exitcode", "42").exit());
        assertEquals(0, Cli.run("run", "exitcode").exit());
    }

    @Test
    void anonIsKilledTouchingTheUnmappedPage() {
        Cli.Result r = Cli.run("run", "anon");
        assertEquals(139, r.exit(), r.toString());
        assertTrue(r.out().contains("anon: verified 16 pages"), r.out());
        assertTrue(Pattern.compile("killed: SIGSEGV at 0x[0-9a-f]+ \\(rip 0x[0-9a-f]+, error code 0x6\\)")
                .matcher(r.err()).find(), r.err());
    }

    @Test
    void brkGrowsShrinksAndRegrowsZeroed() {
        Cli.Result r = Cli.run("run", "brk");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().endsWith("brk: ok\n"), r.out());
    }

    @Test
    void cowWritesItsPrivateCopyAndLeavesTheFile() throws IOException {
        Files.writeString(dir.resolve("cow.dat"), "original file contents, 32 bytes");
        Cli.Result r = Cli.run("run", "--host-dir", dir.toString(), "cow");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("cow: file unchanged (pread)") && r.out().endsWith("cow: ok\n"), r.out());
        assertEquals("original file contents, 32 bytes", Files.readString(dir.resolve("cow.dat")));
    }

    @Test
    void catReadsAHostFile() throws IOException {
        Files.writeString(dir.resolve("t.txt"), "line one\nline two\n");
        Cli.Result r = Cli.run("run", "--host-dir", dir.toString(), "cat", "t.txt");
        assertEquals(0, r.exit(), r.toString());
        assertEquals("line one\nline two\n", r.out());
    }

    @Test
    void threadsCountUnderAFutexLock() {
        Cli.Result r = Cli.run("run", "--quantum", "500", "threads", "4", "2000");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("threads: total 8000 (expected 8000)"), r.out());
    }

    @Test
    void theSameRunTwiceGivesTheSameOutputAndInstructionCount() {
        Cli.Result a = Cli.run("run", "--stats", "--quantum", "777", "threads", "3", "3000");
        Cli.Result b = Cli.run("run", "--stats", "--quantum", "777", "threads", "3", "3000");
        assertEquals(0, a.exit(), a.toString());
        assertEquals(a.out(), b.out());
        assertEquals(a.err(), b.err(), "stats (instructions, faults, syscalls, switches) must match");
        assertTrue(a.err().contains("task switches"), a.err());
    }

    @Test
    void faultstormTouchesEveryPage() {
        Cli.Result r = Cli.run("run", "--stats", "faultstorm", "3000");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("faultstorm: touched 3000 pages"), r.out());
        assertTrue(r.err().contains("anonymous 30"), r.err());
    }

    @Test
    void segvAndUd2AreReportedAsKilled() {
        Cli.Result segv = Cli.run("run", "segv");
        assertEquals(139, segv.exit(), segv.toString());
        assertTrue(segv.err().contains("killed: SIGSEGV at 0x0 "), segv.err());
        Cli.Result ud2 = Cli.run("run", "ud2");
        assertEquals(132, ud2.exit(), ud2.toString());
        assertTrue(ud2.err().contains("killed: SIGILL (#UD invalid opcode) at rip 0x"), ud2.err());
    }

    @Test
    void statsNameSyscallsAndFaultKinds() {
        Cli.Result r = Cli.run("run", "--stats", "hello");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.err().contains("syscalls          ") && r.err().contains("write 1"), r.err());
        assertTrue(r.err().contains("unknown syscalls  none"), r.err());
        assertTrue(Pattern.compile("instructions +[1-9]").matcher(r.err()).find(), r.err());
    }

    @Test
    void maxInstructionsStopsARunawayGuest() {
        Cli.Result r = Cli.run("run", "--max-instructions", "20000", "faultstorm", "1000000");
        assertEquals(137, r.exit(), r.toString());
        assertTrue(r.err().contains("the instruction limit of 20000 was reached"), r.err());
    }

    @Test
    void aStaticBinaryWithoutOurLibcMatchesItsNativeRun() throws Exception {
        Path nolibc = Path.of(System.getProperty("pagelab.home"), "guest-programs/target/bin/nolibc");
        Process p = new ProcessBuilder(nolibc.toString(), "a", "b c").redirectErrorStream(true).start();
        String nativeOut = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), nativeOut);
        Cli.Result r = Cli.run("run", nolibc.toString(), "a", "b c");
        assertEquals(0, r.exit(), r.toString());
        assertEquals(nativeOut, r.out());
    }

    @Test
    void randomBytesTruncatedAnd32BitElfAreOneLineErrors() throws IOException {
        Path random = dir.resolve("random.bin");
        byte[] noise = new byte[4096];
        new java.util.Random(7).nextBytes(noise);
        Files.write(random, noise);
        Path hello = Path.of(System.getProperty("pagelab.home"), "guest-programs/target/bin/hello");
        Path truncated = dir.resolve("truncated.elf");
        Files.write(truncated, java.util.Arrays.copyOf(Files.readAllBytes(hello), 200));
        Path elf32 = dir.resolve("elf32");
        byte[] h32 = java.util.Arrays.copyOf(Files.readAllBytes(hello), 4096);
        h32[4] = 1; // EI_CLASS = ELFCLASS32
        Files.write(elf32, h32);
        for (Path bad : new Path[] {random, truncated, elf32}) {
            Cli.Result r = Cli.run("run", bad.toString());
            assertEquals(126, r.exit(), r.toString());
            assertEquals(1, r.err().strip().lines().count(), r.toString());
            assertTrue(r.err().startsWith("pagelab: " + bad + ": cannot execute: "), r.err());
            assertNoStackTrace(r);
        }
        assertTrue(Cli.run("run", elf32.toString()).err().contains("32-bit ELF"));
    }

    @Test
    void anUnknownProgramIsExit127() {
        Cli.Result r = Cli.run("run", "no-such-program");
        assertEquals(127, r.exit(), r.toString());
        assertTrue(r.err().contains("no such file"), r.err());
        assertNoStackTrace(r);
    }
}
