package dev.pagelab.cli;

import dev.pagelab.bench.TraceBench;
import dev.pagelab.emulator.Capstone;
import dev.pagelab.trace.Tracer;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code pagelab bench trace}: traced vs untraced speed of a compute-bound guest. */
@Command(name = "trace", mixinStandardHelpOptions = true,
        description = "The compute guest untraced and with an instruction trace (disassembly, text) to a file, "
                + "in one invocation.")
final class TraceBenchCommand implements Callable<Integer> {
    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @Option(names = "--rounds", defaultValue = "3", description = "Sieve rounds of the compute guest (about "
            + "0.9 M instructions each). Default: ${DEFAULT-VALUE}.")
    long rounds;

    @Option(names = "--reps", defaultValue = "3", description = "Runs of each side; the best counts. "
            + "Default: ${DEFAULT-VALUE}.")
    int reps;

    @Option(names = "--mem", description = "Trace memory accesses too (--trace-mem).")
    boolean memory;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (rounds < 1 || rounds > 1000 || reps < 1) {
            throw new UserError("bench trace: need 1 <= --rounds <= 1000 and --reps >= 1");
        }
        java.nio.file.Path compute = Home.guestBinaries().resolve("compute");
        if (!java.nio.file.Files.isExecutable(compute)) {
            throw new UserError("bench trace: " + compute + " is not built (./mvnw -DskipTests package)");
        }
        Tracer.Options o = new Tracer.Options(Capstone.Syntax.ATT, Tracer.Format.TEXT, memory, 0, -1L, -1, 1, 0);
        TraceBench.Result r = new TraceBench(compute, rounds, reps, o).run();
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("instructions", r.instructions());
            m.put("untraced_insn_per_s", r.untracedInsnPerS());
            m.put("traced_insn_per_s", r.tracedInsnPerS());
            m.put("ratio", r.ratio());
            m.put("untraced_insn_per_cpu_s", r.untracedInsnPerCpuS());
            m.put("traced_insn_per_cpu_s", r.tracedInsnPerCpuS());
            m.put("trace_bytes", r.traceBytes());
            m.put("trace_instruction_lines", r.traceLines());
            m.put("capstone_decodes", r.decoded());
            m.put("memory", memory);
            out.println(Json.write(m));
        } else {
            out.printf("compute %d rounds: %,d instructions, best of %d%n", rounds, r.instructions(), reps);
            out.printf("  untraced  %8.1f M instructions/s%n", r.untracedInsnPerS() / 1e6);
            out.printf("  traced    %8.2f M instructions/s  (%s, %,d lines, %,d bytes, %,d capstone decodes)%n",
                    r.tracedInsnPerS() / 1e6, memory ? "disassembly and memory accesses" : "disassembly",
                    r.traceLines(), r.traceBytes(), r.decoded());
            out.printf("  ratio     %.3f  (target: >= 2 M traced instructions/s)%n", r.ratio());
            out.printf("  per CPU second (process CPU time, robust on a loaded machine): untraced %.1f M/s, "
                    + "traced %.2f M/s%n", r.untracedInsnPerCpuS() / 1e6, r.tracedInsnPerCpuS() / 1e6);
        }
        out.flush();
        return 0;
    }
}
