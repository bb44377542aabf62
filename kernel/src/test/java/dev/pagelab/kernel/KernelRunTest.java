package dev.pagelab.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagelab.kernel.proc.ExitStatus;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Whole runs of real guest binaries on the kernel, in process. */
class KernelRunTest {
    static Path guest(String name) {
        return Path.of(System.getProperty("pagelab.home", ".."), "guest-programs/target/bin", name);
    }

    record Run(ExitStatus status, Stats stats, String out, long framesAfterDropCaches) {}

    static Run run(long quantum, String... argv) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Kernel.Options o = Kernel.Options.defaults(new ByteArrayInputStream(new byte[0]), out,
                new ByteArrayOutputStream()).withMemory(64L << 20).withQuantum(quantum);
        try (Kernel k = new Kernel(o)) {
            Kernel.Result r = k.run(guest(argv[0]), List.of(argv), List.of());
            k.dropCaches();
            return new Run(r.status(), r.stats(), out.toString(StandardCharsets.UTF_8), k.frames().inUse());
        }
    }

    @ParameterizedTest
    @CsvSource({"hello, 0", "anon, 139", "brk, 0", "threads, 0", "faultstorm, 0", "segv, 139", "ud2, 132",
        "libctest, 0"})
    void noFrameLeaksOnceTheProcessHasExited(String program, int status) throws Exception {
        Run r = run(10_000, program);
        assertEquals(status, r.status().shellStatus(), r.out());
        assertEquals(0, r.framesAfterDropCaches(), "frames still allocated after exit and drop_caches");
    }

    @Test
    void schedulingIsDeterministic() throws Exception {
        Run a = run(333, "threads", "4", "500");
        Run b = run(333, "threads", "4", "500");
        assertEquals(0, a.status().shellStatus(), a.out());
        assertEquals(a.out(), b.out());
        assertEquals(a.stats(), b.stats());
        assertTrue(a.stats().taskSwitches() > 10, "a small quantum must interleave the threads: " + a.stats());
    }

    /**
     * The time slice survives system calls (a tick on return to user mode): a thread looping on
     * msync must not keep the CPU from the thread storing through the mapping. Before, the storer
     * never ran and the run hit the instruction limit.
     */
    @Test
    void aThreadThatMakesSystemCallsAllTheTimeStillLosesTheCpu() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Kernel.Options o = Kernel.Options.defaults(new ByteArrayInputStream(new byte[0]), out,
                new ByteArrayOutputStream()).withMemory(64L << 20).withMaxInstructions(5_000_000);
        try (Kernel k = new Kernel(o)) {
            Kernel.Result r = k.run(guest("msyncloop"), List.of("msyncloop", "m.dat", "200"), List.of());
            String text = out.toString(StandardCharsets.UTF_8);
            assertEquals(0, r.status().shellStatus(), text + r.status().report());
            assertTrue(text.contains("msyncloop: ok"), text);
            assertTrue(r.stats().syscalls().getOrDefault("msync", 0L) > 10, "the syncer ran beside the storer: "
                    + r.stats().syscalls());
        }
    }

    @Test
    void theInstructionCountIsExactForAKnownProgram() throws Exception {
        Run a = run(200_000, "exitcode", "3");
        Run b = run(7, "exitcode", "3");
        assertEquals(3, a.status().code());
        assertEquals(a.stats().instructions(), b.stats().instructions(), "quanta must not change what retires");
    }
}
