package dev.pagelab.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The file half end to end: shared mappings, fsync, the oracles and the disk image, through the CLI. */
class FilesTest {
    @TempDir
    Path dir;

    @Test
    void mapwriterThenMapreaderOnTheSameDiskSeesThePersistedData() {
        String image = dir.resolve("x.img").toString();
        Cli.Result w = Cli.run("run", "--disk", image, "mapwriter", "m.dat");
        assertEquals(0, w.exit(), w.toString());
        Cli.Result r = Cli.run("run", "--disk", image, "--check", "mapreader", "m.dat");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("mapreader: 16384 bytes verified"), r.out());
        assertTrue(r.err().contains("checks passed"), r.err());
    }

    @Test
    void writefsyncAndAptdbPassTheDurabilityOracleAndTheEndOfRunChecks() {
        for (String program : new String[] {"writefsync", "aptdb"}) {
            Cli.Result r = Cli.run("run", "--check", "--check-durability", program, "f.dat");
            assertEquals(0, r.exit(), r.toString());
            assertTrue(r.err().contains("checks passed (durability verified"), r.err());
            assertFalse(r.err().contains("VIOLATION"), r.err());
        }
    }

    @Test
    void cpThenCatOnTheDiskWithChecks() {
        String image = dir.resolve("c.img").toString();
        assertEquals(0, Cli.run("run", "--disk", image, "writefsync", "w.dat", "3").exit());
        Cli.Result cp = Cli.run("run", "--disk", image, "--check", "--check-durability", "cp", "w.dat", "copy.dat");
        assertEquals(0, cp.exit(), cp.toString());
        assertTrue(cp.out().contains("cp: copied 12288 bytes"), cp.out());
        Cli.Result cat = Cli.run("run", "--disk", image, "--check", "cat", "copy.dat");
        assertEquals(0, cat.exit(), cat.toString());
        Cli.Result disk = Cli.run("disk", "cat", image, "w.dat");
        assertEquals(0, disk.exit(), disk.toString());
        assertEquals(disk.out(), cat.out(), "the copy, read by the guest, equals the original on the image");
    }

    @Test
    void fsxWithMappedWritesPassesThroughTheCli() {
        Cli.Result r = Cli.run("run", "--check", "fsx", "f.dat", "-N", "3000");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("fsx: 3000 ops ok"), r.out());
    }

    @Test
    void rawsysGivesTheSameOutputAsNatively() throws Exception {
        Path rawsys = Path.of(System.getProperty("pagelab.home"), "guest-programs/target/bin/rawsys");
        Process p = new ProcessBuilder(rawsys.toString(), "r.dat").directory(dir.toFile()).redirectErrorStream(true)
                .start();
        String nativeOut = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), nativeOut);
        Cli.Result r = Cli.run("run", "rawsys", "r.dat");
        assertEquals(0, r.exit(), r.toString());
        assertEquals(nativeOut, r.out());
    }

    @Test
    void aCorruptOrTruncatedImageIsAOneLineErrorAndIsNotModified() throws Exception {
        Path good = dir.resolve("good.img");
        assertEquals(0, Cli.run("run", "--disk", good.toString(), "hello").exit());
        byte[] image = Files.readAllBytes(good);
        Path corrupt = dir.resolve("corrupt.img");
        byte[] bad = image.clone();
        Arrays.fill(bad, 0, 16, (byte) 0x5a);
        Files.write(corrupt, bad);
        Path truncated = dir.resolve("truncated.img");
        Files.write(truncated, Arrays.copyOf(image, 5000));
        for (Path img : new Path[] {corrupt, truncated}) {
            byte[] before = Files.readAllBytes(img);
            Cli.Result r = Cli.run("run", "--disk", img.toString(), "hello");
            assertEquals(2, r.exit(), r.toString());
            assertEquals(1, r.err().strip().lines().count(), r.toString());
            assertTrue(r.err().startsWith("pagelab: run: " + img), r.err());
            assertFalse(r.err().contains("\tat "), r.err());
            assertArrayEquals(before, Files.readAllBytes(img), "a failed run must not touch the image");
        }
    }
}
