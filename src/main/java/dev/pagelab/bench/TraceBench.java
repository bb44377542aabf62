package dev.pagelab.bench;

import dev.pagelab.kernel.Kernel;
import dev.pagelab.trace.Tracer;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code pagelab bench trace}: the compute-bound {@code compute} guest run untraced and then with
 * an instruction trace (capstone disassembly, text lines) written to a file, in one invocation.
 * Each side is timed from program start to exit; the best of {@code reps} runs counts.
 */
public final class TraceBench {
    /** Figures of one bench run. */
    public record Result(long instructions, double untracedSeconds, double tracedSeconds, long traceBytes,
                         long traceLines, long decoded, double untracedCpuSeconds, double tracedCpuSeconds) {
        /** Traced instructions per second of process CPU time (robust on a loaded machine). */
        public double tracedInsnPerCpuS() {
            return instructions / tracedCpuSeconds;
        }

        public double untracedInsnPerCpuS() {
            return instructions / untracedCpuSeconds;
        }

        public double untracedInsnPerS() {
            return instructions / untracedSeconds;
        }

        public double tracedInsnPerS() {
            return instructions / tracedSeconds;
        }

        /** Traced speed over untraced speed. */
        public double ratio() {
            return tracedInsnPerS() / untracedInsnPerS();
        }
    }

    private final Path compute; // immutable
    private final long rounds; // immutable
    private final int reps; // immutable
    private final Tracer.Options options; // immutable

    public TraceBench(Path compute, long rounds, int reps, Tracer.Options options) {
        this.compute = compute;
        this.rounds = rounds;
        this.reps = reps;
        this.options = options;
    }

    public Result run() throws Exception {
        Path file = Files.createTempFile("pagelab-bench-trace", ".txt");
        try {
            once(null, new long[4]); // warm-up: JIT the kernel paths
            once(file, new long[4]); // and the trace's
            double untraced = Double.MAX_VALUE, traced = Double.MAX_VALUE;
            double untracedCpu = Double.MAX_VALUE, tracedCpu = Double.MAX_VALUE;
            long[] figures = new long[4];
            for (int i = 0; i < reps; i++) {
                untraced = Math.min(untraced, once(null, figures));
                untracedCpu = Math.min(untracedCpu, figures[3] / 1e9);
            }
            for (int i = 0; i < reps; i++) {
                traced = Math.min(traced, once(file, figures));
                tracedCpu = Math.min(tracedCpu, figures[3] / 1e9);
            }
            return new Result(figures[0], untraced, traced, Files.size(file), figures[1], figures[2], untracedCpu,
                    tracedCpu);
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /**
     * One run; figures gets instructions, trace lines, capstone decodes and the process CPU time
     * in ns. Returns wall seconds.
     */
    private double once(Path traceFile, long[] figures) throws Exception {
        Kernel.Options o = Kernel.Options.defaults(new ByteArrayInputStream(new byte[0]),
                OutputStream.nullOutputStream(), OutputStream.nullOutputStream());
        try (Kernel k = new Kernel(o)) {
            OutputStream stream = traceFile == null ? null : new BufferedOutputStream(Files.newOutputStream(traceFile),
                    1 << 16);
            Tracer tracer = stream == null ? null : Tracer.attach(k, options, stream);
            if (tracer != null) {
                k.scheduler().setEvents(tracer);
            }
            com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean)
                    java.lang.management.ManagementFactory.getOperatingSystemMXBean();
            long c0 = os.getProcessCpuTime();
            long t0 = System.nanoTime();
            Kernel.Result r = k.run(compute, List.of("compute", Long.toString(rounds)), List.of());
            if (tracer != null) {
                tracer.close();
                stream.close();
            }
            double s = (System.nanoTime() - t0) / 1e9;
            figures[3] = os.getProcessCpuTime() - c0;
            if (r.status().shellStatus() != 0) {
                throw new IllegalStateException("compute under pagelab failed: " + r.status());
            }
            figures[0] = r.stats().instructions();
            if (tracer != null) {
                figures[1] = tracer.instructionLines();
                figures[2] = tracer.decoded();
            }
            return s;
        }
    }
}
