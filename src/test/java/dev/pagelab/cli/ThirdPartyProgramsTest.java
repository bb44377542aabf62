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
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Debian's busybox-static and programs built with Debian's musl-gcc, fetched by the project's own
 * scripts/setup-programs.sh, run natively and under {@code pagelab run}: the same stdout and
 * exit status.
 */
class ThirdPartyProgramsTest {
    static Path bin;

    @TempDir
    Path dir;

    @BeforeAll
    static void fetchPrograms() throws Exception {
        Path home = Path.of(System.getProperty("pagelab.home"));
        Process p = new ProcessBuilder(home.resolve("scripts/setup-programs.sh").toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertTrue(p.waitFor(10, TimeUnit.MINUTES), "setup-programs.sh did not finish");
        assertEquals(0, p.exitValue(), "scripts/setup-programs.sh failed");
        bin = Path.of(out);
    }

    /** The command lines of busybox-commands.txt as one script: each in a subshell, then its status. */
    static String busyboxScript() throws IOException {
        List<String> lines = new ArrayList<>();
        Path file = Path.of(System.getProperty("pagelab.home"), "src/test/busybox-commands.txt");
        for (String l : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (!l.isBlank() && !l.startsWith("#")) {
                lines.add(l);
            }
        }
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < lines.size(); i++) {
            s.append("( ").append(lines.get(i)).append("\n) </dev/null 2>/dev/null; echo \"== ").append(i)
                    .append(" $?\"\n");
        }
        return s.toString();
    }

    @Test
    void busyboxShellAppletsPipelinesAndExternalCommandsBehaveAsNatively() throws IOException {
        String script = busyboxScript();
        String busybox = bin.resolve("busybox").toString();
        Cli.Result expected = RealProgramsTest.runNatively(dir, busybox, "sh", "-c", script);
        Cli.Result got = Cli.run("run", busybox, "sh", "-c", script);
        assertEquals(0, expected.exit(), "the native run itself failed: " + expected);
        assertEquals(expected.out(), got.out(), "busybox under pagelab differs from the native run: " + got.err());
        assertEquals(expected.exit(), got.exit());
        long compared = expected.out().lines().filter(l -> l.startsWith("== ")).count();
        assertTrue(compared >= 100, "compared only " + compared + " command lines");
    }

    /** Builds {@code source} with musl-gcc -static into the temp folder. */
    private Path muslBuild(String source) throws Exception {
        Path src = Path.of(System.getProperty("pagelab.home"), "guest-programs/glibc", source + ".c");
        Path out = dir.resolve("musl-" + source);
        Process p = new ProcessBuilder(bin.resolve("musl-gcc").toString(), "-static", "-O2", "-o", out.toString(),
                src.toString(), "-lm", "-pthread").redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(2, TimeUnit.MINUTES));
        assertEquals(0, p.exitValue(), "musl-gcc failed: " + log);
        return out;
    }

    private void assertMuslSameAsNative(String source, String... pagelabOptions) throws Exception {
        Path exe = muslBuild(source);
        Path runDir = Files.createDirectory(dir.resolve("native-" + source));
        Cli.Result expected = RealProgramsTest.runNatively(runDir, exe.toString());
        List<String> cmd = new ArrayList<>(List.of("run"));
        cmd.addAll(List.of(pagelabOptions));
        cmd.add(exe.toString());
        Cli.Result got = Cli.run(cmd.toArray(String[]::new));
        assertEquals(expected.out(), got.out(), "stdout differs from the native run; pagelab: " + got);
        assertEquals(expected.exit(), got.exit(), "exit status differs; pagelab: " + got);
    }

    @Test
    void muslThreadsStdioDoublesAndASharedMappingPrintWhatTheyPrintNatively() throws Exception {
        assertMuslSameAsNative("glibc-threads", "--quantum", "1000");
    }

    @Test
    void muslForkPipesExecAndWaitBehaveAsNatively() throws Exception {
        assertMuslSameAsNative("glibc-fork");
    }
}
