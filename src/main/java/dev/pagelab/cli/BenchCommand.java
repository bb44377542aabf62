package dev.pagelab.cli;

import dev.pagelab.bench.FaultBench;
import dev.pagelab.bench.HwBench;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code pagelab bench}: benchmarks that print figures and ratios. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks (figures and ratios).",
        subcommands = {BenchCommand.Hw.class, BenchCommand.Faults.class, BenchCommand.Explore.class,
            TraceBenchCommand.class, BenchGuestCommand.class, BenchRacesCommand.class})
final class BenchCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** {@code pagelab bench hw}: Java-driven engine vs C-driven engine. */
    @Command(name = "hw", mixinStandardHelpOptions = true,
            description = "Compute loop and page-fault round trip, driven from Java and from C on the same "
                    + "libunicorn, in one invocation.")
    static final class Hw implements Callable<Integer> {
        @Option(names = "--json", description = "Print one JSON object.")
        boolean json;

        @Option(names = "--iterations", defaultValue = "50000000",
                description = "Compute-loop iterations (4 instructions each). Default: ${DEFAULT-VALUE}.")
        long iterations;

        @Option(names = "--faults", defaultValue = "100000",
                description = "Page faults per fault-loop run. Default: ${DEFAULT-VALUE}.")
        long faults;

        @Option(names = "--reps", defaultValue = "5", description = "Runs of each loop; the best counts. "
                + "Default: ${DEFAULT-VALUE}.")
        int reps;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            if (iterations < 1 || faults < 1 || faults > 200_000 || reps < 1) {
                throw new UserError("bench hw: need --iterations >= 1, 1 <= --faults <= 200000, --reps >= 1");
            }
            HwBench.Result r = new HwBench(iterations, faults, reps, Home.cBench()).run();
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("java_insn_per_s", r.javaInsnPerS());
                m.put("c_insn_per_s", r.cInsnPerS());
                m.put("insn_ratio", r.insnRatio());
                m.put("java_faults_per_s", r.javaFaultsPerS());
                m.put("c_faults_per_s", r.cFaultsPerS());
                m.put("fault_ratio", r.faultRatio());
                out.println(Json.write(m));
            } else {
                out.printf("compute loop: %,d instructions, best of %d%n", r.instructions(), reps);
                out.printf("  java  %8.1f M instructions/s%n", r.javaInsnPerS() / 1e6);
                out.printf("  c     %8.1f M instructions/s%n", r.cInsnPerS() / 1e6);
                out.printf("  insn_ratio  %.2f  (target >= 0.90)%n", r.insnRatio());
                out.printf("page-fault round trip: %,d faults, best of %d%n", r.faults(), reps);
                out.printf("  java  %8.0f faults/s  (%.2f us each)%n", r.javaFaultsPerS(), 1e6 / r.javaFaultsPerS());
                out.printf("  c     %8.0f faults/s  (%.2f us each)%n", r.cFaultsPerS(), 1e6 / r.cFaultsPerS());
                out.printf("  fault_ratio %.2f  (target >= 0.50)%n", r.faultRatio());
            }
            out.flush();
            return 0;
        }
    }

    /** {@code pagelab bench faults}: faultstorm under pagelab vs natively. */
    @Command(name = "faults", mixinStandardHelpOptions = true,
            description = "First-touch page faults: the faultstorm guest under pagelab and the same binary run "
                    + "natively on the host, in one invocation.")
    static final class Faults implements Callable<Integer> {
        @Option(names = "--json", description = "Print one JSON object.")
        boolean json;

        @Option(names = "--pages", defaultValue = "50000", description = "Pages faultstorm touches. Default: "
                + "${DEFAULT-VALUE}.")
        long pages;

        @Option(names = "--reps", defaultValue = "5", description = "Runs of each side; the best counts. "
                + "Default: ${DEFAULT-VALUE}.")
        int reps;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            if (pages < 1 || pages > 1_000_000 || reps < 1) {
                throw new UserError("bench faults: need 1 <= --pages <= 1000000 and --reps >= 1");
            }
            java.nio.file.Path faultstorm = Home.guestBinaries().resolve("faultstorm");
            if (!java.nio.file.Files.isExecutable(faultstorm)) {
                throw new UserError("bench faults: " + faultstorm + " is not built (./mvnw -DskipTests package)");
            }
            FaultBench.Result r = new FaultBench(faultstorm, pages, reps).run();
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("pages", r.pages());
                m.put("pagelab_faults_per_s", r.pagelabFaultsPerS());
                m.put("native_faults_per_s", r.nativeFaultsPerS());
                m.put("ratio", r.ratio());
                m.put("pagelab_seconds", r.pagelabSeconds());
                m.put("native_seconds", r.nativeSeconds());
                out.println(Json.write(m));
            } else {
                out.printf("faultstorm %,d: first touch of %,d anonymous pages, best of %d%n", r.pages(), r.pages(), reps);
                out.printf("  pagelab  %9.0f faults/s  (%.3f s, %,d faults handled)%n", r.pagelabFaultsPerS(),
                        r.pagelabSeconds(), r.pagelabFaults());
                out.printf("  native   %9.0f faults/s  (%.3f s)%n", r.nativeFaultsPerS(), r.nativeSeconds());
                out.printf("  ratio    %.2f  (target >= 0.25)%n", r.ratio());
            }
            out.flush();
            return 0;
        }
    }

    /** {@code pagelab bench explore}: schedules per second of an exploration campaign. */
    @Command(name = "explore", mixinStandardHelpOptions = true,
            description = {"Exploration speed: a random-walk campaign on a 2-CPU scenario with the kernel threads "
                + "(default: msyncloop, one thread storing through a shared mapping while another msyncs).",
                "A warm-up campaign runs first (engines, translated code, JIT); the timed one follows."})
    static final class Explore implements Callable<Integer> {
        @Option(names = "--json", description = "Print one JSON object.")
        boolean json;

        @Option(names = "--schedules", defaultValue = "2000", description = "Schedules in the timed campaign. "
                + "Default: ${DEFAULT-VALUE}.")
        long schedules;

        @Option(names = "--jobs", defaultValue = "2", description = "Parallel workers. Default: ${DEFAULT-VALUE}.")
        int jobs;

        @Option(names = "--program", defaultValue = "msyncloop", description = "Guest program (with --arg). "
                + "Default: ${DEFAULT-VALUE}.")
        String program;

        @Option(names = "--arg", description = "Arguments of the program. Default: m.dat 50.")
        java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("m.dat", "50"));

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws InterruptedException {
            if (schedules < 1 || jobs < 1 || jobs > 64) {
                throw new UserError("bench explore: need --schedules >= 1 and 1 <= --jobs <= 64");
            }
            java.util.List<String> argv = new java.util.ArrayList<>();
            argv.add(program);
            argv.addAll(args);
            dev.pagelab.explore.Scenario scenario = new dev.pagelab.explore.Scenario(Programs.resolve(program), argv,
                    dev.pagelab.kernel.KernelConfig.LINUX_2_6_30, 2, 200_000, 32L << 20, false, true, 0, 50_000_000,
                    dev.pagelab.explore.Scenario.EXPLORE_TUNABLES);
            campaign(scenario, Math.max(jobs * 20L, schedules / 10), 1_000_000);
            long[] totals = new long[2];
            dev.pagelab.explore.Explorer.Summary s = campaign(scenario, schedules, 1).run(r -> {
                totals[0] += r.decisions();
                totals[1] += r.instructions();
            });
            double perS = s.schedules() / s.seconds();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("program", String.join(" ", argv));
            m.put("jobs", jobs);
            m.put("schedules", s.schedules());
            m.put("seconds", s.seconds());
            m.put("schedules_per_s", perS);
            m.put("decisions_per_schedule", (double) totals[0] / s.schedules());
            m.put("ns_per_decision", s.seconds() * 1e9 * jobs / totals[0]);
            m.put("guest_insn_per_s", totals[1] / s.seconds());
            m.put("failures", s.failureCount());
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                out.println(Json.write(m));
            } else {
                out.printf("explore %s: %,d schedules (random walk, 2 CPUs, %d jobs) in %.2f s%n", String.join(" ", argv),
                        s.schedules(), jobs, s.seconds());
                out.printf("  schedules/s        %8.0f  (target >= 1000 with 2 jobs)%n", perS);
                out.printf("  decisions/schedule %8.0f%n", (double) totals[0] / s.schedules());
                out.printf("  ns/decision        %8.0f  (per worker, whole run included)%n", s.seconds() * 1e9 * jobs / totals[0]);
                out.printf("  guest insn/s       %8.0f%n", totals[1] / s.seconds());
                out.printf("  failures           %8d%n", s.failureCount());
            }
            out.flush();
            return 0;
        }

        /** A campaign runner: run(callback) runs it. */
        private interface Runner {
            dev.pagelab.explore.Explorer.Summary run(java.util.function.Consumer<dev.pagelab.explore.Explorer.Result> c)
                    throws InterruptedException;
        }

        private Runner campaign(dev.pagelab.explore.Scenario scenario, long n, long seed) throws InterruptedException {
            dev.pagelab.explore.Campaign c = new dev.pagelab.explore.Campaign(scenario, "random", 2, seed, n, 0, false,
                    jobs);
            if (seed != 1) {
                new dev.pagelab.explore.Explorer(c, r -> { }).run();
                return null;
            }
            return callback -> new dev.pagelab.explore.Explorer(c, callback).run();
        }
    }
}
