package dev.pagelab.bench;

import static dev.pagelab.emulator.selftest.Asm.Reg.RAX;
import static dev.pagelab.emulator.selftest.Asm.Reg.RBX;
import static dev.pagelab.emulator.selftest.Asm.Reg.RCX;
import static dev.pagelab.emulator.selftest.Asm.Reg.RDI;

import dev.pagelab.emulator.Calibration;
import dev.pagelab.emulator.ContextOffsets;
import dev.pagelab.emulator.Pte;
import dev.pagelab.emulator.Register;
import dev.pagelab.emulator.Vcpu;
import dev.pagelab.emulator.VmExit;
import dev.pagelab.emulator.selftest.Asm;
import dev.pagelab.emulator.selftest.Sandbox;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code pagelab bench hw}: the same two guest loops driven once through pagelab's Java
 * {@link Vcpu} and once by {@code emulator/src/main/c/bench_hw.c} against the same libunicorn, in
 * one invocation. The compute loop measures the engine with no exits; the fault loop measures a
 * page-fault round trip (exit, PTE write, resume). Best of {@code reps} runs each.
 */
public final class HwBench {
    static final long CODE = 0x40_0000L;
    static final long FAULT_BASE = 0x1000_0000L;
    static final long MEMORY = 64L << 20;

    /** Figures of one bench run. */
    public record Result(double javaInsnPerS, double cInsnPerS, double javaFaultsPerS, double cFaultsPerS,
                         long instructions, long faults) {
        public double insnRatio() {
            return javaInsnPerS / cInsnPerS;
        }

        public double faultRatio() {
            return javaFaultsPerS / cFaultsPerS;
        }
    }

    private final long iterations, pages; // immutable
    private final int reps; // immutable
    private final Path cProgram; // immutable

    public HwBench(long iterations, long pages, int reps, Path cProgram) {
        this.iterations = iterations;
        this.pages = pages;
        this.reps = reps;
        this.cProgram = cProgram;
    }

    public Result run() {
        ContextOffsets offsets = Calibration.offsets();
        javaCompute(iterations / 10, 1); // warm-up: let the JIT compile the exit path
        javaFaults(pages / 10, 1);
        long instructions = 4 * iterations + 3;
        double javaInsn = instructions / javaCompute(iterations, reps);
        double javaFaults = pages / javaFaults(pages, reps);
        Map<String, String> c1 = runC("compute", Long.toString(iterations), Integer.toString(reps));
        Map<String, String> c2 = runC("faults", Long.toString(pages), Integer.toString(reps),
                Integer.toString(offsets.oldException()), Integer.toString(offsets.errorCode()));
        return new Result(javaInsn, number(c1, "insn_per_s"), javaFaults, number(c2, "faults_per_s"),
                instructions, pages);
    }

    /** Best seconds for the compute loop: 4 instructions per iteration, one syscall exit. */
    static double javaCompute(long n, int reps) {
        Asm a = new Asm().movImm(RCX, n).movImm(RAX, 0);
        int loop = a.size();
        byte[] code = a.add(RAX, RCX).xor(RBX, RAX).dec(RCX).jnzBack(loop).syscall().bytes();
        try (Sandbox s = new Sandbox(MEMORY)) {
            s.loadCode(CODE, code);
            try (Vcpu cpu = s.cpu(CODE)) {
                double best = Double.MAX_VALUE;
                for (int r = 0; r < reps; r++) {
                    cpu.set(Register.RIP, CODE);
                    long t0 = System.nanoTime();
                    VmExit exit = cpu.run(0);
                    best = Math.min(best, (System.nanoTime() - t0) / 1e9);
                    if (!(exit instanceof VmExit.Syscall)) {
                        throw new IllegalStateException("bench compute: unexpected exit " + exit);
                    }
                }
                return best;
            }
        }
    }

    /** Best seconds for {@code pages} first-touch write faults, each fixed by one PTE write. */
    static double javaFaults(long pages, int reps) {
        Asm a = new Asm().movImm(RDI, FAULT_BASE).movImm(RCX, pages);
        int loop = a.size();
        byte[] code = a.storeIndirect(RDI, RCX).addImm(RDI, 4096).dec(RCX).jnzBack(loop).syscall().bytes();
        try (Sandbox s = new Sandbox(MEMORY)) {
            s.loadCode(CODE, code);
            long shared = s.allocFrame();
            long[] ptes = new long[(int) pages];
            for (int i = 0; i < pages; i++) {
                ptes[i] = s.pteAddress(FAULT_BASE + 4096L * i);
            }
            long pte = Pte.of(shared, Pte.P | Pte.RW | Pte.US | Pte.NX).value();
            try (Vcpu cpu = s.cpu(CODE)) {
                double best = Double.MAX_VALUE;
                for (int r = 0; r < reps; r++) {
                    long t0 = System.nanoTime();
                    long handled = faultLoop(cpu, s, ptes, pte);
                    best = Math.min(best, (System.nanoTime() - t0) / 1e9);
                    if (handled != pages) {
                        throw new IllegalStateException("bench faults: handled " + handled + " of " + pages);
                    }
                    for (long p : ptes) {
                        s.memory().writeLongVolatile(p, 0);
                    }
                    cpu.flushTlb();
                    cpu.set(Register.RIP, CODE);
                }
                return best;
            }
        }
    }

    private static long faultLoop(Vcpu cpu, Sandbox s, long[] ptes, long pte) {
        long handled = 0;
        for (VmExit exit = cpu.run(0); !(exit instanceof VmExit.Syscall); exit = cpu.run(0)) {
            if (!(exit instanceof VmExit.PageFault pf) || pf.errorCode() != 0x6) {
                throw new IllegalStateException("bench faults: unexpected exit " + exit);
            }
            int index = (int) ((pf.address() - FAULT_BASE) >>> 12);
            s.memory().writeLongVolatile(ptes[index], pte);
            handled++;
        }
        return handled;
    }

    private Map<String, String> runC(String... args) {
        if (!Files.isExecutable(cProgram)) {
            throw new IllegalStateException("C bench program not built: " + cProgram
                    + " (run ./mvnw -DskipTests package)");
        }
        String[] command = new String[args.length + 1];
        command[0] = cProgram.toString();
        System.arraycopy(args, 0, command, 1, args.length);
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
                throw new IllegalStateException("C bench " + String.join(" ", args) + " failed: " + output);
            }
            return parse(output);
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + cProgram + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** "key=value key=value" to a map. */
    static Map<String, String> parse(String line) {
        Map<String, String> m = new HashMap<>();
        for (String token : line.split("\\s+")) {
            int eq = token.indexOf('=');
            if (eq > 0) {
                m.put(token.substring(0, eq), token.substring(eq + 1));
            }
        }
        return m;
    }

    private static double number(Map<String, String> m, String key) {
        String v = m.get(key);
        if (v == null) {
            throw new IllegalStateException("C bench printed no " + key + ": " + m);
        }
        return Double.parseDouble(v);
    }
}
