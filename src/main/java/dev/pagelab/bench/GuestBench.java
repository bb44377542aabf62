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
 * <p>Each side is timed from program start to exit, the best of {@code reps} runs counting; the
 * pagelab side runs in this JVM after a warm-up run (no JVM start-up), qemu-user and native as
 * processes.
 */
public final class GuestBench {
    /** What to run: the binary, its arguments after argv[0], and its standard input (or null). */
    public record Workload(String name, Path binary, List<String> args, byte[] stdin) {}

    /**
     * Figures of one bench run; {@code qemuSeconds} is NaN when qemu-user was not run, and then
     * {@code qemuReason} says why.
     */
    public record Result(Workload workload, double pagelabSeconds, double qemuSeconds, String qemuReason,
                         double nativeSeconds, long instructions, String outputSha256) {
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
        Side pagelab = best(this::pagelabOnce, true);
        Side nat = best(() -> processOnce(command(false)), false);
        Side q = qemu == null ? null : best(() -> processOnce(command(true)), false);
        if (!pagelab.sha256.equals(nat.sha256) || q != null && !q.sha256.equals(nat.sha256)) {
            throw new IllegalStateException("bench guest: the outputs differ (pagelab " + pagelab.sha256 + ", native "
                    + nat.sha256 + (q == null ? "" : ", qemu-user " + q.sha256) + ")");
        }
        return new Result(workload, pagelab.seconds, q == null ? Double.NaN : q.seconds, q == null ? qemuReason : null,
                nat.seconds, pagelab.instructions, nat.sha256);
    }

    private record Side(double seconds, String sha256, long instructions) {}

    @FunctionalInterface
    private interface Once {
        Side run() throws Exception;
    }

    private Side best(Once once, boolean warmUp) throws Exception {
        if (warmUp) {
            once.run();
        }
        Side best = null;
        for (int i = 0; i < reps; i++) {
            Side s = once.run();
            if (best == null || s.seconds < best.seconds) {
                best = s;
            }
        }
        return best;
    }

    private Side pagelabOnce() throws Exception {
        DigestStream out = new DigestStream();
        InputStream in = new ByteArrayInputStream(workload.stdin == null ? new byte[0] : workload.stdin);
        Kernel.Options o = Kernel.Options.defaults(in, out, OutputStream.nullOutputStream());
        List<String> argv = new ArrayList<>();
        argv.add(workload.binary.getFileName().toString());
        argv.addAll(workload.args);
        try (Kernel k = new Kernel(o)) {
            long t0 = System.nanoTime();
            Kernel.Result r = k.run(workload.binary, argv, List.of());
            double s = (System.nanoTime() - t0) / 1e9;
            if (r.status().shellStatus() != 0) {
                throw new IllegalStateException("bench guest: " + workload.name + " under pagelab failed: " + r.status());
            }
            return new Side(s, out.hex(), r.stats().instructions());
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
            if (p.exitValue() != 0) {
                throw new IllegalStateException("bench guest: " + String.join(" ", cmd) + " exited " + p.exitValue());
            }
            return new Side(s, out.hex(), -1);
        } finally {
            if (input != null) {
                Files.deleteIfExists(input);
            }
        }
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
