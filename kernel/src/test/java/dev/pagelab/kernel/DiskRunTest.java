package dev.pagelab.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Whole runs of the file programs on the disk half of the kernel, with the oracles on. */
class DiskRunTest {
    @TempDir
    Path dir;

    record Run(Kernel.Result result, String out) {}

    static Run run(Kernel.Options o, String... argv) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Kernel.Options opts = o.withStreams(new ByteArrayInputStream(new byte[0]), out, new ByteArrayOutputStream());
        try (Kernel k = new Kernel(opts)) {
            Kernel.Result r = k.run(KernelRunTest.guest(argv[0]), List.of(argv), List.of());
            return new Run(r, out.toString(StandardCharsets.UTF_8));
        }
    }

    static Kernel.Options checked() {
        return Kernel.Options.defaults(null, null, null).withMemory(64L << 20).withCheck(true)
                .withCheckDurability(true).withQuantum(5_000);
    }

    @ParameterizedTest
    @ValueSource(strings = {"writefsync", "aptdb", "mapwriter", "rawsys", "cp"})
    void fileProgramsPassEveryOracleOnTheFixedKernel(String program) throws Exception {
        Run r = program.equals("cp")
                ? runCp()
                : run(checked(), program, "f.dat");
        assertEquals(0, r.result().status().shellStatus(), r.out() + r.result());
        assertTrue(r.result().clean(), "violations/problems: " + r.result());
    }

    private Run runCp() throws Exception {
        Path image = dir.resolve("cp.img");
        assertEquals(0, run(checked().withDisk(image), "mapwriter", "src.dat").result().status().shellStatus());
        return run(checked().withDisk(image), "cp", "src.dat", "dst.dat");
    }

    @Test
    void dataWrittenThroughAMappingSurvivesToTheNextRun() throws Exception {
        Path image = dir.resolve("m.img");
        Run w = run(checked().withDisk(image), "mapwriter", "m.dat", "20000");
        assertEquals(0, w.result().status().shellStatus(), w.out());
        Run r = run(checked().withDisk(image), "mapreader", "m.dat");
        assertEquals(0, r.result().status().shellStatus(), r.out());
        assertTrue(r.out().contains("mapreader: 20000 bytes verified"), r.out());
    }

    @Test
    void fsxWithMappedWritesPasses10000Ops() throws Exception {
        Run r = run(checked().withCheckDurability(false), "fsx", "f.dat", "-N", "10000");
        assertEquals(0, r.result().status().shellStatus(), r.out());
        assertTrue(r.out().contains("fsx: 10000 ops ok"), r.out());
        assertTrue(r.result().clean(), r.result().toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"writefsync", "aptdb"})
    void aCrashAnywhereLeavesAConsistentDiskWithEverythingFsyncedOnIt(String program) throws Exception {
        Run full = run(checked(), program, "c.dat");
        long total = full.result().stats().instructions();
        Random random = new Random(program.hashCode());
        for (int i = 0; i < 12; i++) {
            long at = 1 + random.nextLong(total);
            Path image = dir.resolve(program + i + ".img");
            Run crashed = run(checked().withDisk(image).withCheck(false).withCrashAt(at), program, "c.dat");
            assertEquals(128 + 9, crashed.result().status().shellStatus(), "crash at " + at + ": " + crashed.out());
            assertTrue(crashed.result().clean(), "crash at instruction " + at + " of " + total + ": "
                    + crashed.result().violations() + " " + crashed.result().problems());
        }
    }

    @Test
    void everyKernelPresetRunsTheSingleThreadedProgramsCorrectly() throws Exception {
        for (KernelConfig preset : KernelConfig.PRESETS) {
            Run r = run(checked().withConfig(preset), "aptdb", "db.dat", "64", "8", "3");
            assertEquals(0, r.result().status().shellStatus(), preset + ": " + r.out());
        }
    }
}
