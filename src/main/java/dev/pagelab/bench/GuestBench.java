package dev.pagelab.bench;

import dev.pagelab.kernel.Kernel;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * {@code pagelab bench guest}: raw guest speed. One real program, the same binary and input, timed
 * under pagelab, under qemu-user ({@code qemu-x86_64}) when it is at hand, and natively, in one
 * invocation; the three outputs must be identical. The program is Debian's busybox-static
 * {@code gzip -c} of generated text when {@code scripts/setup-bench-guest.sh} has fetched it, and the
 * project's own {@code crunch} guest (an LZ77 round trip) otherwise.
 *
 * <p>Each side is timed from program start to exit, wall clock and CPU time (user + system), the
 * best of {@code reps} runs counting; the sides take turns (pagelab, qemu-user, native, again), so
 * a machine whose load drifts slows all three alike. The pagelab side runs in this JVM after a
 * warm-up run (no JVM start-up; its CPU time is the whole process's), qemu-user and native as
 * processes (their CPU time is what the reaped child used, from {@code /proc/self/stat}).
 */
public final class GuestBench {
    /** What to run: the binary, its arguments after argv[0], and its standard input (or null). */
    public record Workload(String name, Path binary, List<String> args, byte[] stdin) {}

    /**
     * Figures of one bench run; {@code qemuSeconds} is NaN when qemu-user was not run, and then
     * {@code qemuReason} says why.
     */
    public record Result(Workload workload, double pagelabSeconds, double qemuSeconds, String qemuReason,
                         double nativeSeconds, long instructions, String outputSha256, double pagelabCpuSeconds,
                         double qemuCpuSeconds, double nativeCpuSeconds) {
        public boolean hasQemu() {
            return !Double.isNaN(qemuSeconds);
        }

        /** pagelab time over qemu-user time (lower is better; the target is 2 or less). */
        public double ratioVsQemuUser() {
            return pagelabSeconds / qemuSeconds;
        }

        /** pagelab time over native time. */
        public double ratioVsNative() {
            return pagelabSeconds / nativeSeconds;
        }

        /** pagelab CPU time over qemu-user CPU time (less sensitive to a loaded machine). */
        public double cpuRatioVsQemuUser() {
            return pagelabCpuSeconds / qemuCpuSeconds;
        }

        /** Guest instructions retired per second under pagelab. */
        public double insnPerS() {
            return instructions / pagelabSeconds;
        }
    }

    private final Workload workload; // immutable
    private final Path qemu; // immutable; null when not at hand
    private final String qemuReason; // immutable; why qemu is null
    private final int reps; // immutable

    public GuestBench(Workload workload, Path qemu, String qemuReason, int reps) {
        this.workload = workload;
        this.qemu = qemu;
        this.qemuReason = qemuReason;
        this.reps = reps;
    }

    /** busybox {@code gzip -c} of {@code bytes} of generated text on stdin. */
    public static Workload busyboxGzip(Path busybox, int bytes) {
        return new Workload("busybox gzip -c (" + bytes / 1_000_000 + " MB of text)", busybox, List.of("gzip", "-c"),
                text(bytes));
    }

    /** The project's {@code crunch} guest over {@code kib} KiB. */
    public static Workload crunch(Path crunch, int kib) {
        return new Workload("crunch " + kib + " (LZ77 round trip of " + kib + " KiB)", crunch,
                List.of(Integer.toString(kib)), null);
    }

    /** Deterministic English-like text: words of a fixed vocabulary, about 70 characters a line. */
    static byte[] text(int bytes) {
        Random r = new Random(1);
        String[] words = new String[5000];
        for (int i = 0; i < words.length; i++) {
            StringBuilder w = new StringBuilder();
            for (int n = 2 + r.nextInt(8); n > 0; n--) {
                w.append((char) ('a' + r.nextInt(26)));
            }
            words[i] = w.toString();
        }
        byte[] out = new byte[bytes];
        int at = 0, line = 0;
        while (at < bytes) {
            byte[] w = words[r.nextInt(words.length)].getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            for (int i = 0; i < w.length && at < bytes; i++, line++) {
                out[at++] = w[i];
            }
            if (at < bytes) {
                out[at++] = (byte) (line > 70 ? '\n' : ' ');
                line = line > 70 ? 0 : line + 1;
            }
        }
        return out;
    }

    public Result run() throws Exception {
        pagelabOnce(); // warm-up: JIT the run loop and the syscall paths
        Best pagelab = new Best(), nat = new Best(), q = new Best();
        for (int i = 0; i < reps; i++) {
            pagelab.add(pagelabOnce());
            if (qemu != null) {
                q.add(processOnce(command(true)));
            }
            nat.add(processOnce(command(false)));
        }
        String expected = nat.wall.sha256;
        if (!pagelab.wall.sha256.equals(expected) || qemu != null && !q.wall.sha256.equals(expected)) {
            throw new IllegalStateException("bench guest: the outputs differ (pagelab " + pagelab.wall.sha256
                    + ", native " + expected + (qemu == null ? "" : ", qemu-user " + q.wall.sha256) + ")");
        }
        return new Result(workload, pagelab.wall.seconds, qemu == null ? Double.NaN : q.wall.seconds,
                qemu == null ? qemuReason : null, nat.wall.seconds, pagelab.wall.instructions, expected,
                pagelab.cpu.cpuSeconds, qemu == null ? Double.NaN : q.cpu.cpuSeconds, nat.cpu.cpuSeconds);
    }

    private record Side(double seconds, double cpuSeconds, String sha256, long instructions) {}

    /** The run with the least wall time and the run with the least CPU time of one side. */
    private static final class Best {
        Side wall, cpu; // confined to run()

        void add(Side s) {
            if (wall == null || s.seconds < wall.seconds) {
                wall = s;
            }
            if (cpu == null || s.cpuSeconds < cpu.cpuSeconds) {
                cpu = s;
            }
        }
    }

    private Side pagelabOnce() throws Exception {
        DigestStream out = new DigestStream();
        InputStream in = new ByteArrayInputStream(workload.stdin == null ? new byte[0] : workload.stdin);
        Kernel.Options o = Kernel.Options.defaults(in, out, OutputStream.nullOutputStream());
        List<String> argv = new ArrayList<>();
        argv.add(workload.binary.getFileName().toString());
        argv.addAll(workload.args);
        var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean();
        try (Kernel k = new Kernel(o)) {
            long c0 = os.getProcessCpuTime();
            long t0 = System.nanoTime();
            Kernel.Result r = k.run(workload.binary, argv, List.of());
            double s = (System.nanoTime() - t0) / 1e9;
            double cpu = (os.getProcessCpuTime() - c0) / 1e9;
            if (r.status().shellStatus() != 0) {
                throw new IllegalStateException("bench guest: " + workload.name + " under pagelab failed: " + r.status());
            }
            return new Side(s, cpu, out.hex(), r.stats().instructions());
        }
    }

    private List<String> command(boolean underQemu) {
        List<String> cmd = new ArrayList<>();
        if (underQemu) {
            cmd.add(qemu.toString());
        }
        cmd.add(workload.binary.toString());
        cmd.addAll(workload.args);
        return cmd;
    }

    private Side processOnce(List<String> cmd) throws IOException, InterruptedException {
        Path input = null;
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD);
        if (workload.stdin != null) {
            input = Files.createTempFile("pagelab-bench-", ".in");
            Files.write(input, workload.stdin);
            pb.redirectInput(input.toFile());
        }
        try {
            double c0 = childrenCpuSeconds();
            long t0 = System.nanoTime();
            Process p = pb.start();
            DigestStream out = new DigestStream();
            try (InputStream from = p.getInputStream()) {
                from.transferTo(out);
            }
            if (!p.waitFor(10, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IllegalStateException("bench guest: " + cmd.get(0) + " did not finish in 10 minutes");
            }
            double s = (System.nanoTime() - t0) / 1e9;
            double cpu = childrenCpuSeconds() - c0;
            if (p.exitValue() != 0) {
                throw new IllegalStateException("bench guest: " + String.join(" ", cmd) + " exited " + p.exitValue());
            }
            return new Side(s, cpu, out.hex(), -1);
        } finally {
            if (input != null) {
                Files.deleteIfExists(input);
            }
        }
    }

    /**
     * User + system CPU seconds of this process's reaped children: fields 16 and 17 of
     * {@code /proc/self/stat} (cutime, cstime), in clock ticks of 1/100 s.
     */
    static double childrenCpuSeconds() throws IOException {
        String stat = Files.readString(Path.of("/proc/self/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        // f[0] is field 3 (state): cutime is field 16, cstime field 17
        return (Long.parseLong(f[13]) + Long.parseLong(f[14])) / 100.0;
    }

    /** An output stream that keeps only the SHA-256 of what passes through. */
    private static final class DigestStream extends OutputStream {
        private final MessageDigest sha; // owned

        DigestStream() {
            try {
                sha = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void write(int b) {
            sha.update((byte) b);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            sha.update(b, off, len);
        }

        String hex() {
            return HexFormat.of().formatHex(sha.digest());
        }
    }
}
