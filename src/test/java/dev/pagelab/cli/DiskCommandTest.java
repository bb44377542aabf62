package dev.pagelab.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** End-to-end: pagelab disk mkfs / import / ls / cat / export / fsck through the real CLI in a child JVM. */
class DiskCommandTest {
    @TempDir
    Path tmp;

    private static void assertOneLineError(Cli.Result r, int exit, String prefix) {
        assertEquals(exit, r.exit(), r.toString());
        assertTrue(r.err().startsWith("pagelab: " + prefix), r.toString());
        assertEquals(1, r.err().lines().count(), "one line on stderr: " + r);
        assertFalse(r.err().contains("\tat ") || r.err().contains("Exception"), r.toString());
    }

    @Test
    void mkfsImportLsCatExportRoundTripAndFsckClean() throws Exception {
        Path img = tmp.resolve("d.img");
        Cli.Result mk = Cli.run("disk", "mkfs", img.toString(), "--blocks", "2048");
        assertEquals(0, mk.exit(), mk.toString());
        assertTrue(mk.out().contains("2048 blocks of 1 KiB, 128 inodes"), mk.out());

        Path text = tmp.resolve("hello.txt");
        Files.writeString(text, "hello, pagelab\n");
        byte[] big = new byte[300 * 1024 + 17]; // through the double-indirect block
        new Random(1).nextBytes(big);
        Path bin = tmp.resolve("big.bin");
        Files.write(bin, big);
        assertEquals(0, Cli.run("disk", "import", img.toString(), text.toString()).exit());
        Cli.Result imp = Cli.run("disk", "import", img.toString(), bin.toString(), "data");
        assertEquals(0, imp.exit(), imp.toString());

        Cli.Result ls = Cli.run("disk", "ls", img.toString());
        assertEquals(0, ls.exit(), ls.toString());
        List<String> lines = ls.out().lines().toList();
        assertEquals(3, lines.size(), ls.out());
        assertTrue(lines.get(0).matches("NAME +SIZE +INO"), lines.get(0));
        assertTrue(lines.get(1).matches("data +307217 +3"), lines.get(1));
        assertTrue(lines.get(2).matches("hello\\.txt +15 +2"), lines.get(2));

        Cli.Result cat = Cli.run("disk", "cat", img.toString(), "hello.txt");
        assertEquals(0, cat.exit(), cat.toString());
        assertEquals("hello, pagelab\n", cat.out());

        Path back = tmp.resolve("back.bin");
        Cli.Result exp = Cli.run("disk", "export", img.toString(), "data", back.toString());
        assertEquals(0, exp.exit(), exp.toString());
        assertArrayEquals(big, Files.readAllBytes(back));

        Cli.Result fsck = Cli.run("disk", "fsck", img.toString());
        assertEquals(0, fsck.exit(), fsck.toString());
        assertTrue(fsck.out().matches("(?s).*: clean \\(2 files, \\d+ blocks used of 2048\\)\\s*"), fsck.out());
    }

    @Test
    void mkfsRefusesToOverwriteWithoutForce() throws Exception {
        Path img = tmp.resolve("d.img");
        Files.writeString(img, "precious");
        assertOneLineError(Cli.run("disk", "mkfs", img.toString()), 2, "disk mkfs: " + img + ": exists");
        assertEquals("precious", Files.readString(img));
        assertEquals(0, Cli.run("disk", "mkfs", img.toString(), "--blocks", "64", "--force").exit());
        assertEquals(64 * 1024, Files.size(img));
        assertOneLineError(Cli.run("disk", "mkfs", tmp.resolve("e.img").toString(), "--blocks", "10"), 2, "disk mkfs:");
    }

    @Test
    void missingFilesAreOneLineErrors() throws Exception {
        Path img = tmp.resolve("d.img");
        assertOneLineError(Cli.run("disk", "ls", img.toString()), 2, "disk ls: " + img + ": no such file");
        assertEquals(0, Cli.run("disk", "mkfs", img.toString(), "--blocks", "128").exit());
        assertOneLineError(Cli.run("disk", "cat", img.toString(), "nope"), 2,
                "disk cat: " + img + ": no file \"nope\"");
        assertOneLineError(Cli.run("disk", "import", img.toString(), tmp.resolve("missing").toString()), 2,
                "disk import: ");
        Path long60 = tmp.resolve("x".repeat(60));
        Files.writeString(long60, "x");
        assertOneLineError(Cli.run("disk", "import", img.toString(), long60.toString()), 2, "disk import: " + img
                + ": \"" + "x".repeat(60) + "\": ENAMETOOLONG");
        assertEquals(0, Cli.run("disk", "fsck", img.toString()).exit());
    }

    /** Every subcommand on a damaged image: exit 2 (fsck: 1 if it can report), one line, image untouched. */
    @Test
    void truncatedAndRandomImagesGiveOneLineAndAreNeverModified() throws Exception {
        Path good = tmp.resolve("good.img");
        assertEquals(0, Cli.run("disk", "mkfs", good.toString(), "--blocks", "256").exit());
        Path host = tmp.resolve("h.txt");
        Files.writeString(host, "data");
        assertEquals(0, Cli.run("disk", "import", good.toString(), host.toString()).exit());
        byte[] image = Files.readAllBytes(good);

        Path truncated = tmp.resolve("truncated.img");
        Files.write(truncated, Arrays.copyOf(image, image.length - 1000));
        Path shortened = tmp.resolve("short.img");
        Files.write(shortened, Arrays.copyOf(image, image.length / 2));
        Path random = tmp.resolve("random.img");
        byte[] noise = new byte[image.length];
        new Random(7).nextBytes(noise);
        Files.write(random, noise);

        for (Path bad : List.of(truncated, shortened, random)) {
            byte[] before = Files.readAllBytes(bad);
            String img = bad.toString();
            Path out = tmp.resolve("out");
            assertOneLineError(Cli.run("disk", "ls", img), 2, "disk ls: " + img + ": ");
            assertOneLineError(Cli.run("disk", "cat", img, "h.txt"), 2, "disk cat: " + img + ": ");
            assertOneLineError(Cli.run("disk", "export", img, "h.txt", out.toString()), 2,
                    "disk export: " + img + ": ");
            assertOneLineError(Cli.run("disk", "import", img, host.toString()), 2, "disk import: " + img + ": ");
            Cli.Result fsck = Cli.run("disk", "fsck", img);
            assertOneLineError(fsck, bad == truncated ? 2 : 1, "disk fsck: " + img + ": ");
            assertFalse(Files.exists(out));
            assertArrayEquals(before, Files.readAllBytes(bad), img + " was modified");
        }
        Cli.Result r = Cli.run("disk", "fsck", random.toString());
        assertTrue(r.err().contains("bad magic: not a pagelab filesystem"), r.toString());
        assertTrue(r.out().contains("error: bad magic"), r.toString());
        Cli.Result t = Cli.run("disk", "ls", truncated.toString());
        assertTrue(t.err().contains("not a multiple of 1024"), t.toString());
        Cli.Result s = Cli.run("disk", "cat", shortened.toString(), "h.txt");
        assertTrue(s.err().contains("superblock says 256 blocks but the disk has 128"), s.toString());
    }

    @Test
    void helpListsTheDiskCommands() {
        Cli.Result r = Cli.run("disk", "--help");
        assertEquals(0, r.exit(), r.toString());
        for (String c : List.of("mkfs", "ls", "cat", "import", "export", "fsck")) {
            assertTrue(r.out().contains(c), c + " missing from: " + r.out());
        }
        assertTrue(r.out().contains("pfs"), r.out());
    }
}
