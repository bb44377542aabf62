package dev.pagelab.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Through the {@code ./pagelab} launcher itself, in a shell, as a user types it: JDK discovery
 * with a bare PATH, and what only a shell can set up (a closed stdin, a closed pipe, a full
 * device, bytes that are not UTF-8). PAGELAB_NO_BUILD=1 and PAGELAB_CLASSPATH: the launcher runs
 * the classes under test (inside {@code ./mvnw verify} the packaged jar is not made yet, or is an
 * older one, and a rebuild from here would race with the build).
 */
class LauncherTest {
    @TempDir
    Path dir;

    private Cli.Result sh(String script) {
        Path home = Path.of(System.getProperty("pagelab.home"));
        return Cli.exec(List.of("env", "-i", "PATH=/usr/bin:/bin", "HOME=" + dir, "PAGELAB_NO_BUILD=1",
                "PAGELAB_CLASSPATH=" + System.getProperty("java.class.path"),
                "LAUNCHER=" + home.resolve("pagelab"), "bash", "-c", script), dir, null, Cli.LIMIT_SECONDS);
    }

    @Test
    void theLauncherFindsJdk25AndRunsAGuest() {
        Cli.Result r = sh("\"$LAUNCHER\" run hello && \"$LAUNCHER\" --version");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().startsWith("hello, world\npagelab 0.1.0\nlibunicorn 2.1"), r.out());
        assertTrue(r.out().contains("Java 25"), r.out());
    }

    /** Defect 9: with stdin closed, the guest's fd 0 is closed too, not a file the JVM opened. */
    @Test
    void aClosedStdinIsClosedForTheGuest() {
        Cli.Result r = sh("\"$LAUNCHER\" run cat <&-");
        assertEquals(1, r.exit(), r.toString());
        assertEquals("", r.out());
        assertTrue(r.err().contains("cat: read error on stdin"), r.err());
    }

    /** Defect 10: a closed pipe kills the guest with SIGPIPE (141, silently, like a shell). */
    @Test
    void aClosedPipeIsSigpipe() {
        Cli.Result r = sh("\"$LAUNCHER\" run yes | head -1; echo \"status ${PIPESTATUS[0]}\"");
        assertEquals("y\nstatus 141\n", r.out(), r.toString());
        assertFalse(r.err().contains("write error"), r.err());
    }

    /** Defect 10: a full device is ENOSPC (28), not EIO; disk cat to it fails too. */
    @Test
    void aFullDeviceIsEnospc() {
        Cli.Result r = sh("\"$LAUNCHER\" run yes >/dev/full; echo \"status $?\"");
        assertEquals("status 1\n", r.out(), r.toString());
        assertTrue(r.err().contains("yes: write error: errno 28"), r.err());
        Cli.Result cat = sh("\"$LAUNCHER\" run --disk x.img mapwriter m.dat >/dev/null && "
                + "\"$LAUNCHER\" disk cat x.img m.dat >/dev/full; echo \"status $?\"");
        assertEquals("status 1\n", cat.out(), cat.toString());
        assertTrue(cat.err().contains("No space left on device"), cat.err());
    }

    /** Defect 11: arguments are bytes: 0xE9 arrives as 0xE9, not as EF BF BD. */
    @Test
    void nonUtf8ArgumentsArriveUnchanged() {
        Cli.Result r = sh("\"$LAUNCHER\" run args $'caf\\xe9' $'\\xff\\xfe'");
        assertEquals(0, r.exit(), r.toString());
        byte[] expected = "argc=3\nargv[0]=args\nargv[1]=caf\u00e9\nargv[2]=\u00ff\u00fe\n"
                .getBytes(StandardCharsets.ISO_8859_1);
        assertArrayEquals(expected, r.rawOut(), r.toString());
        Cli.Result name = sh("mkdir -p hd && \"$LAUNCHER\" run --host-dir hd cat $'caf\\xe9'; echo \"status $?\"");
        assertEquals("status 1\n", name.out(), name.toString());
        assertTrue(name.err().contains("cat: cannot open caf"), name.err());
        assertFalse(name.err().contains("internal error"), name.err());
    }

    /** Defect 9: --host-dir does not follow a symlink out of the directory. */
    @Test
    void hostDirDoesNotFollowSymlinksOut() throws Exception {
        Path hd = Files.createDirectories(dir.resolve("hd"));
        Files.writeString(hd.resolve("in.txt"), "inside\n");
        Files.writeString(dir.resolve("secret.txt"), "secret\n");
        Files.createSymbolicLink(hd.resolve("out"), dir.resolve("secret.txt"));
        Files.createSymbolicLink(hd.resolve("ok"), Path.of("in.txt"));
        Cli.Result in = Cli.run("run", "--host-dir", hd.toString(), "cat", "ok");
        assertEquals("inside\n", in.out(), in.toString());
        Cli.Result out = Cli.run("run", "--host-dir", hd.toString(), "cat", "out");
        assertEquals(1, out.exit(), out.toString());
        assertFalse(out.out().contains("secret"), out.toString());
    }
}
