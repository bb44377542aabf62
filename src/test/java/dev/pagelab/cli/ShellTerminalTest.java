package dev.pagelab.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pagelab shell} on a real pseudo-terminal: a private tmux server runs the real CLI, the test
 * types keys with send-keys and reads the screen with capture-pane. It checks Tab completion,
 * history (Up arrow, and the history file), Ctrl-C stopping a guest that spins in a loop, Ctrl-C at
 * an idle prompt not ending the session, and Ctrl-D leaving. tmux comes from scripts/setup-tmux.sh
 * (the system's, or Debian's package unpacked into .deps/).
 */
class ShellTerminalTest {
    private static final long WAIT_SECONDS = 90; // generous: a deadline for a hang, not a measurement

    @TempDir
    Path home;

    private String tmux;
    private final String socket = "pagelab-test-" + ProcessHandle.current().pid();

    @BeforeEach
    void startTmux() throws Exception {
        Path root = Path.of(System.getProperty("pagelab.home"));
        tmux = run(List.of(root.resolve("scripts/setup-tmux.sh").toString())).strip();
        List<String> java = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--enable-native-access=ALL-UNNAMED", "-Dpagelab.home=" + root, "-cp",
                System.getProperty("java.class.path"), Main.class.getName(), "shell", "spin"));
        StringBuilder cmd = new StringBuilder("cd " + quote(home.toString()) + " && exec env HOME=" + quote(home.toString()));
        for (String w : java) {
            cmd.append(' ').append(quote(w));
        }
        tmux("new-session", "-d", "-s", "shell", "-x", "160", "-y", "50", cmd.toString());
    }

    @AfterEach
    void stopTmux() throws Exception {
        try {
            tmux("kill-server");
        } catch (AssertionError ignored) {
            // the server ended with its only session
        }
    }

    @Test
    void completionHistoryAndCtrlCThroughARealTerminal() throws Exception {
        waitFor("the prompt", s -> s.contains("loaded spin") && lastLine(s).equals("(pagelab)"));
        keys("br", "Tab");
        waitFor("break completed", s -> lastLine(s).equals("(pagelab) break"));
        keys("kernel clear_page_d", "Tab");
        waitFor("a kernel function completed", s -> lastLine(s).equals("(pagelab) break kernel clear_page_dirty_for_io"));
        keys("Enter");
        waitFor("the breakpoint", s -> s.contains("Breakpoint 1: kernel clear_page_dirty_for_io()"));
        keys("run", "Enter");
        waitFor("the guest spinning", s -> s.contains("spin: counting forever"));
        keys("C-c");
        waitFor("Ctrl-C stopping the guest", s -> s.contains("interrupted: spin[1/1]") && lastLine(s).equals("(pagelab)"));
        keys("regs", "Enter");
        waitFor("registers of the stopped guest", s -> s.contains("rip  0x") && s.contains("<main+"));
        long prompts = prompts(screen());
        keys("C-c");
        waitFor("a fresh prompt after Ctrl-C at the prompt", s -> prompts(s) > prompts && lastLine(s).equals("(pagelab)"));
        keys("info break", "Enter");
        waitFor("the session alive after Ctrl-C at the prompt",
                s -> s.contains("1   kernel clear_page_dirty_for_io()") && lastLine(s).equals("(pagelab)"));
        keys("Up", "Up", "Up");
        waitFor("history recalling run", s -> lastLine(s).equals("(pagelab) run"));
        keys("C-u", "C-d");
        waitFor("Ctrl-D leaving", s -> !sessionAlive());
        String history = Files.readString(home.resolve(".pagelab_history"));
        assertTrue(history.contains("break kernel clear_page_dirty_for_io") && history.contains(":run")
                && history.contains(":info break"), history);
    }

    private void keys(String... keys) throws Exception {
        List<String> args = new ArrayList<>(List.of("send-keys", "-t", "shell"));
        args.addAll(List.of(keys));
        tmux(args.toArray(String[]::new));
    }

    private String screen() throws Exception {
        return tmux("capture-pane", "-p", "-J", "-t", "shell", "-S", "-500");
    }

    private boolean sessionAlive() {
        try {
            tmux("has-session", "-t", "shell");
            return true;
        } catch (AssertionError | Exception e) {
            return false;
        }
    }

    private static long prompts(String screen) {
        return screen.lines().filter(l -> l.startsWith("(pagelab)")).count();
    }

    private static String lastLine(String screen) {
        String[] lines = screen.stripTrailing().split("\n");
        return lines[lines.length - 1].stripTrailing();
    }

    /** Polls the screen until {@code done} holds; fails with the screen after the deadline. */
    private void waitFor(String what, Predicate<String> done) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        String last = "";
        while (System.nanoTime() < deadline) {
            if (what.startsWith("Ctrl-D") ? done.test("") : done.test(last = screen())) {
                return;
            }
            Thread.sleep(100);
        }
        fail("waited for " + what + "; the screen:\n" + last);
    }

    private String tmux(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(tmux, "-L", socket));
        cmd.addAll(List.of(args));
        return run(cmd);
    }

    private static String run(List<String> cmd) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putIfAbsent("TERM", "xterm-256color");
        Process p = pb.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(2, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new AssertionError(String.join(" ", cmd) + " failed: " + out);
        }
        return out;
    }

    private static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
