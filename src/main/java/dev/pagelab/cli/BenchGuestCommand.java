package dev.pagelab.cli;

import dev.pagelab.bench.GuestBench;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code pagelab bench guest}: one real program under pagelab, qemu-user and natively. */
@Command(name = "guest", mixinStandardHelpOptions = true,
        description = "Raw guest speed: busybox gzip (or the crunch guest) under pagelab, under qemu-user "
                + "(qemu-x86_64) when at hand, and natively, in one invocation; the outputs must match. "
                + "scripts/setup-bench-guest.sh fetches busybox-static and qemu-user-static into .deps/.")
final class BenchGuestCommand implements Callable<Integer> {
    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @Option(names = "--megabytes", defaultValue = "8",
            description = "Text gzip compresses, in MB (busybox). Default: ${DEFAULT-VALUE}.")
    int megabytes;

    @Option(names = "--kib", defaultValue = "4096",
            description = "KiB crunch round-trips when busybox is not at hand. Default: ${DEFAULT-VALUE}.")
    int kib;

    @Option(names = "--crunch", description = "Run the crunch guest even when busybox is at hand.")
    boolean crunchOnly;

    @Option(names = "--no-qemu", description = "Do not run qemu-user (its fields are then null).")
    boolean noQemu;

    @Option(names = "--reps", defaultValue = "3", description = "Runs of each side; the best counts. "
            + "Default: ${DEFAULT-VALUE}.")
    int reps;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (megabytes < 1 || megabytes > 512 || kib < 1 || kib > 1 << 20 || reps < 1) {
            throw new UserError("bench guest: need 1 <= --megabytes <= 512, 1 <= --kib <= 1048576, --reps >= 1");
        }
        Path deps = Home.root().resolve(".deps/bench-guest");
        Path busybox = deps.resolve("busybox");
        String busyboxReason = null;
        GuestBench.Workload workload;
        if (Files.isExecutable(busybox) && !crunchOnly) {
            workload = GuestBench.busyboxGzip(busybox, megabytes * 1_000_000);
        } else {
            busyboxReason = crunchOnly ? "--crunch given"
                    : busybox + " is missing (scripts/setup-bench-guest.sh fetches it)";
            Path crunch = Home.guestBinaries().resolve("crunch");
            if (!Files.isExecutable(crunch)) {
                throw new UserError("bench guest: " + crunch + " is not built (./mvnw -DskipTests package)");
            }
            workload = GuestBench.crunch(crunch, kib);
        }
        Path qemu = noQemu ? null : findQemu(deps);
        String qemuReason = noQemu ? "--no-qemu given" : qemu == null ? "qemu-x86_64 not found in .deps/bench-guest "
                + "or on PATH (scripts/setup-bench-guest.sh fetches Debian's qemu-user-static)" : null;
        GuestBench.Result r = new GuestBench(workload, qemu, qemuReason, reps).run();
        print(r, busyboxReason);
        return 0;
    }

    private static Path findQemu(Path deps) {
        Path local = deps.resolve("qemu-x86_64");
        if (Files.isExecutable(local)) {
            return local;
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            for (String name : new String[] {"qemu-x86_64", "qemu-x86_64-static"}) {
                Path p = Path.of(dir.isEmpty() ? "." : dir, name);
                if (Files.isExecutable(p)) {
                    return p;
                }
            }
        }
        return null;
    }

    /** CPU times come in clock ticks of 1/100 s: no more digits than that. */
    private static double centis(double seconds) {
        return Math.round(seconds * 100) / 100.0;
    }

    private void print(GuestBench.Result r, String busyboxReason) {
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("program", r.workload().name());
            if (busyboxReason != null) {
                m.put("busybox_reason", busyboxReason);
            }
            m.put("pagelab_s", r.pagelabSeconds());
            m.put("qemu_user_s", r.hasQemu() ? r.qemuSeconds() : null);
            if (!r.hasQemu()) {
                m.put("qemu_user_reason", r.qemuReason());
            }
            m.put("native_s", r.nativeSeconds());
            m.put("ratio_vs_qemu_user", r.hasQemu() ? r.ratioVsQemuUser() : null);
            m.put("ratio_vs_native", r.ratioVsNative());
            m.put("insn_per_s", r.insnPerS());
            m.put("instructions", r.instructions());
            m.put("pagelab_cpu_s", centis(r.pagelabCpuSeconds()));
            m.put("qemu_user_cpu_s", r.hasQemu() ? centis(r.qemuCpuSeconds()) : null);
            m.put("native_cpu_s", centis(r.nativeCpuSeconds()));
            m.put("cpu_ratio_vs_qemu_user", r.hasQemu() ? r.cpuRatioVsQemuUser() : null);
            m.put("output_sha256", r.outputSha256());
            out.println(Json.write(m));
        } else {
            out.printf("%s: %,d instructions, best of %d, identical output%n", r.workload().name(), r.instructions(),
                    reps);
            if (busyboxReason != null) {
                out.printf("  (busybox: %s)%n", busyboxReason);
            }
            out.printf("             wall       cpu%n");
            out.printf("  pagelab    %7.3f s  %7.3f s  (%.0f M instructions/s)%n", r.pagelabSeconds(),
                    r.pagelabCpuSeconds(), r.insnPerS() / 1e6);
            if (r.hasQemu()) {
                out.printf("  qemu-user  %7.3f s  %7.3f s%n", r.qemuSeconds(), r.qemuCpuSeconds());
            } else {
                out.printf("  qemu-user  n/a: %s%n", r.qemuReason());
            }
            out.printf("  native     %7.3f s  %7.3f s%n", r.nativeSeconds(), r.nativeCpuSeconds());
            if (r.hasQemu()) {
                out.printf("  ratio_vs_qemu_user  %.2f  (pagelab time / qemu-user time; target <= 2; cpu %.2f)%n",
                        r.ratioVsQemuUser(), r.cpuRatioVsQemuUser());
            }
            out.printf("  ratio_vs_native     %.2f%n", r.ratioVsNative());
        }
        out.flush();
    }
}
