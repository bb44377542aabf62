package dev.pagelab.bench;

import dev.pagelab.kernel.Kernel;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code pagelab bench faults}: the {@code faultstorm} guest (first touch of N anonymous pages)
 * under pagelab and the same binary run natively on the host, in one invocation. Each side is
 * timed from program start to exit; the best of {@code reps} runs counts.
 */
public final class FaultBench {
    /** Figures of one bench run. */
    public record Result(long pages, double pagelabSeconds, double nativeSeconds, long pagelabFaults) {
        public double pagelabFaultsPerS() {
            return pages / pagelabSeconds;
        }

        public double nativeFaultsPerS() {
            return pages / nativeSeconds;
        }

        public double ratio() {
            return pagelabFaultsPerS() / nativeFaultsPerS();
        }
    }

    private final Path faultstorm; // immutable
    private final long pages; // immutable
    private final int reps; // immutable

    public FaultBench(Path faultstorm, long pages, int reps) {
        this.faultstorm = faultstorm;
        this.pages = pages;
        this.reps = reps;
    }

    public Result run() throws Exception {
        pagelabOnce(Math.max(100, pages / 10)); // warm-up: JIT the fault path
        double best = Double.MAX_VALUE;
        long faults = 0;
        for (int i = 0; i < reps; i++) {
            long[] f = new long[1];
            best = Math.min(best, pagelabOnce(pages, f));
            faults = f[0];
        }
        double nativeBest = Double.MAX_VALUE;
        for (int i = 0; i < reps; i++) {
            nativeBest = Math.min(nativeBest, nativeOnce());
        }
        return new Result(pages, best, nativeBest, faults);
    }

    private double pagelabOnce(long n) throws Exception {
        return pagelabOnce(n, new long[1]);
    }

    private double pagelabOnce(long n, long[] faults) throws Exception {
        long memory = Math.max(256L << 20, (n * 4096 * 5 / 4 + (64L << 20)) & ~0xfffffL);
        Kernel.Options o = Kernel.Options.defaults(new ByteArrayInputStream(new byte[0]), OutputStream.nullOutputStream(),
                OutputStream.nullOutputStream()).withMemory(memory);
        try (Kernel k = new Kernel(o)) {
            long t0 = System.nanoTime();
            Kernel.Result r = k.run(faultstorm, List.of("faultstorm", Long.toString(n)), List.of());
            double s = (System.nanoTime() - t0) / 1e9;
            if (r.status().shellStatus() != 0) {
                throw new IllegalStateException("faultstorm under pagelab failed: " + r.status());
            }
            faults[0] = r.stats().totalFaults();
            return s;
        }
    }

    private double nativeOnce() throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(faultstorm.toString(), Long.toString(pages))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectErrorStream(true).start();
        if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
            throw new IllegalStateException("native faultstorm failed (exit " + p.exitValue() + ")");
        }
        return (System.nanoTime() - t0) / 1e9;
    }
}
