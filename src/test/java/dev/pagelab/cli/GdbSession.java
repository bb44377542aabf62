package dev.pagelab.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code pagelab run --gdb 0 ...} in a child JVM (as {@link Cli} runs the command line), the port
 * it listens on, and Debian's gdb (installed by scripts/setup-gdb.sh when missing) run against it.
 */
final class GdbSession implements AutoCloseable {
    private static final Pattern WAITING = Pattern.compile("waiting for gdb on 127\\.0\\.0\\.1:(\\d+)");

    final Process pagelab; // the machine
    final Path out, err; // its stdout and stderr
    final int port;

    GdbSession(Path dir, String... runArgs) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.add("-Dpagelab.home=" + System.getProperty("pagelab.home"));
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        cmd.add("run");
        cmd.add("--gdb");
        cmd.add("0");
        cmd.addAll(List.of(runArgs));
        out = Files.createTempFile(dir, "pagelab", ".out");
        err = Files.createTempFile(dir, "pagelab", ".err");
        pagelab = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        pagelab.getOutputStream().close();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        int p = -1;
        while (System.nanoTime() < deadline && pagelab.isAlive()) {
            Matcher m = WAITING.matcher(Files.readString(err));
            if (m.find()) {
                p = Integer.parseInt(m.group(1));
                break;
            }
            Thread.sleep(50);
        }
        if (p < 0) {
            pagelab.destroyForcibly();
            throw new AssertionError("pagelab did not listen for gdb: " + Files.readString(err));
        }
        port = p;
    }

    /** gdb's command: what scripts/setup-gdb.sh prints (it installs gdb where it is missing). */
    static String gdb() throws IOException, InterruptedException {
        Path script = Path.of(System.getProperty("pagelab.home"), "scripts", "setup-gdb.sh");
        Process p = new ProcessBuilder("bash", script.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String path = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (p.waitFor() != 0 || path.isEmpty()) {
            throw new AssertionError("scripts/setup-gdb.sh failed to provide gdb");
        }
        return path;
    }

    /** Runs gdb in batch mode on {@code program} with {@code commands} after connecting; its output. */
    String batch(Path program, String... commands) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(gdb(), "-nx", "-batch", "-ex", "set pagination off", "-ex",
                "target remote 127.0.0.1:" + port));
        for (String c : commands) {
            cmd.add("-ex");
            cmd.add(c);
        }
        cmd.add(program.toString());
        Process g = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        g.getOutputStream().close();
        byte[] text = g.getInputStream().readAllBytes();
        if (!g.waitFor(120, TimeUnit.SECONDS)) {
            g.destroyForcibly();
            throw new AssertionError("gdb did not finish");
        }
        return new String(text, StandardCharsets.UTF_8);
    }

    /** Waits for pagelab to end; its exit status. */
    int exit() throws InterruptedException {
        if (!pagelab.waitFor(120, TimeUnit.SECONDS)) {
            pagelab.destroyForcibly();
            throw new AssertionError("pagelab did not end after gdb");
        }
        return pagelab.exitValue();
    }

    String stdout() throws IOException {
        return Files.readString(out);
    }

    String stderr() throws IOException {
        return Files.readString(err);
    }

    @Override
    public void close() {
        if (pagelab.isAlive()) {
            pagelab.destroyForcibly();
        }
    }
}
