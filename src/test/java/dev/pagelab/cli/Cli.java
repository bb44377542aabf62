package dev.pagelab.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs the real command line in a child JVM (the same entry point the {@code ./pagelab} launcher
 * uses), with a hard time limit, and captures what it printed. stdout and stderr are drained on
 * their own threads while the child runs, so a child that hangs (or fills a pipe) fails the test
 * after the limit instead of blocking the suite.
 */
final class Cli {
    static final long LIMIT_SECONDS = 300;

    private Cli() {}

    record Result(int exit, String out, String err, byte[] rawOut) {
        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout ---\n" + out + "\n--- stderr ---\n" + err;
        }
    }

    static Result run(String... args) {
        return runIn(null, args);
    }

    static Result runIn(Path dir, String... args) {
        return exec(javaCommand(args), dir, null, LIMIT_SECONDS);
    }

    /** The java command line that runs {@code pagelab ARGS} in a child JVM. */
    static List<String> javaCommand(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.add("-Dpagelab.home=" + System.getProperty("pagelab.home"));
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        cmd.addAll(List.of(args));
        return cmd;
    }

    /**
     * Runs {@code cmd} (in {@code dir} if not null) with {@code stdin} as its input (null: none,
     * closed at once), reading its output concurrently, and kills it after {@code limitSeconds}.
     */
    static Result exec(List<String> cmd, Path dir, byte[] stdin, long limitSeconds) {
        Process p;
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd);
            if (dir != null) {
                pb.directory(dir.toFile());
            }
            p = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        CompletableFuture<byte[]> out = drain(p.getInputStream());
        CompletableFuture<byte[]> err = drain(p.getErrorStream());
        CompletableFuture.runAsync(() -> feed(p, stdin));
        try {
            if (!p.waitFor(limitSeconds, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError(String.join(" ", cmd) + " did not finish in " + limitSeconds + " s");
            }
            byte[] o = out.get(30, TimeUnit.SECONDS);
            byte[] e = err.get(30, TimeUnit.SECONDS);
            return new Result(p.exitValue(), new String(o, StandardCharsets.UTF_8),
                    new String(e, StandardCharsets.UTF_8), o);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new AssertionError(e);
        } catch (ExecutionException | TimeoutException e) {
            throw new AssertionError("reading the output of " + String.join(" ", cmd) + ": " + e, e);
        }
    }

    private static CompletableFuture<byte[]> drain(InputStream in) {
        CompletableFuture<byte[]> f = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try (in) {
                ByteArrayOutputStream b = new ByteArrayOutputStream();
                in.transferTo(b);
                f.complete(b.toByteArray());
            } catch (IOException e) {
                f.completeExceptionally(e);
            }
        }, "cli-drain");
        t.setDaemon(true);
        t.start();
        return f;
    }

    private static void feed(Process p, byte[] stdin) {
        try (var o = p.getOutputStream()) {
            if (stdin != null) {
                o.write(stdin);
            }
        } catch (IOException ignored) {
            // the child did not read all of it
        }
    }
}
