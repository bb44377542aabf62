package dev.pagelab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Programs built with gcc -static on the real glibc (guest-programs/glibc/), run natively and
 * under {@code pagelab run}: stdout and exit status must be the same.
 */
class RealProgramsTest {
    @TempDir
    Path nativeDir;

    static Path binary(String name) {
        return Path.of(System.getProperty("pagelab.home"), "guest-programs/target/bin", name);
    }

    /** Runs {@code cmd} natively in {@code dir} with stdin from /dev/null: exit status and stdout. */
    static Cli.Result runNatively(Path dir, String... cmd) {
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectError(ProcessBuilder.Redirect.DISCARD);
            pb.environment().clear();
            Process p = pb.start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(2, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new AssertionError(String.join(" ", cmd) + " did not finish natively");
            }
            int status = p.exitValue();
            return new Cli.Result(status, new String(out, StandardCharsets.UTF_8), "");
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** The same program natively and under pagelab (extra pagelab options first). */
    static void assertSameAsNative(Path nativeDir, List<String> pagelabOptions, String program, String... args) {
        List<String> nat = new ArrayList<>(List.of(binary(program).toString()));
        nat.addAll(List.of(args));
        Cli.Result expected = runNatively(nativeDir, nat.toArray(String[]::new));
        List<String> cmd = new ArrayList<>(List.of("run"));
        cmd.addAll(pagelabOptions);
        cmd.add(binary(program).toString());
        cmd.addAll(List.of(args));
        Cli.Result got = Cli.run(cmd.toArray(String[]::new));
        assertEquals(expected.out(), got.out(), "stdout differs from the native run; pagelab: " + got);
        assertEquals(expected.exit(), got.exit(), "exit status differs from the native run; pagelab: " + got);
    }

    @Test
    void glibcThreadsStdioDoublesAndASharedMappingPrintWhatTheyPrintNatively() {
        assertSameAsNative(nativeDir, List.of(), "glibc-threads");
    }

    /** Short quanta interleave the two floating-point threads often: neither may see the other's state. */
    @Test
    void twoFloatingPointThreadsInterleavedEveryThousandInstructionsGetNativeResults() {
        assertSameAsNative(nativeDir, List.of("--quantum", "1000"), "glibc-threads");
        Cli.Result r = Cli.run("run", "--quantum", "1000", binary("glibc-threads").toString());
        assertTrue(r.out().startsWith("pi 3.141593\n"), r.toString());
    }

    @Test
    void glibcSignalHandlersMasksAndAbortBehaveAsNatively() {
        assertSameAsNative(nativeDir, List.of(), "glibc-signals");
    }

    @Test
    void glibcForkCopyOnWritePipesExecWaitAndSignalsBehaveAsNatively() {
        assertSameAsNative(nativeDir, List.of(), "glibc-fork");
    }

    /** Short quanta: parent and children interleave every 2000 instructions. */
    @Test
    void glibcForkWithShortQuanta() {
        assertSameAsNative(nativeDir, List.of("--quantum", "2000"), "glibc-fork");
    }
}
