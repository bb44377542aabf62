package dev.pagelab.trace;

import dev.pagelab.emulator.Capstone;
import dev.pagelab.emulator.TraceRecords;
import dev.pagelab.emulator.Vcpu;
import dev.pagelab.emulator.VmExit;
import dev.pagelab.kernel.Kernel;
import dev.pagelab.kernel.proc.UserThread;
import dev.pagelab.kernel.sched.KernelEvents;
import dev.pagelab.kernel.sched.SchedPoint;
import dev.pagelab.kernel.sched.Task;
import dev.pagelab.kernel.syscall.Syscalls;
import java.io.OutputStream;

/**
 * The instruction-level trace: every retired guest instruction (sequence number, CPU, tid, RIP,
 * bytes, capstone's disassembly) and, on request, every data access, interleaved with the
 * kernel's events (page faults, system calls, task switches, pte changes, TLB flushes) in one
 * stream of text lines or JSON objects. The format is documented in README.md ("Tracing").
 *
 * <p>Instruction records come from each CPU's native trace hook ({@link Vcpu#setTrace}) during
 * the CPU's run, kernel events from {@link KernelEvents} between runs; only one task runs at a
 * time, so both arrive in execution order on whichever thread holds the baton. The sequence
 * number of an instruction is its position among all instructions retired by the machine (so the
 * last one equals the run's instruction count). An instruction that faulted did not retire: it
 * is not listed, its text goes into the fault's line, and it is listed when it runs again.
 */
public final class Tracer implements KernelEvents, TraceRecords.Sink, AutoCloseable {
    public enum Format { TEXT, JSONL }

    /**
     * What to trace and how. {@code tid} -1 traces every thread; {@code count} 0 has no end;
     * {@code lo..hi} bounds the traced RIPs (every instruction still counts for the sequence).
     */
    public record Options(Capstone.Syntax syntax, Format format, boolean memory, long lo, long hi, int tid,
                          long from, long count) {
        public static Options defaults() {
            return new Options(Capstone.Syntax.ATT, Format.TEXT, false, 0, -1L, -1, 1, 0);
        }
    }

    private static final int BYTES_COLUMN = 24;

    private final Options options; // immutable
    private final AsciiOut out; // the stream; confined to the baton holder
    private final Disassembly disassembly; // owned
    private final java.util.List<Vcpu> cpus; // the traced CPUs
    private int[] cpuTid = new int[1]; // tid running on each CPU; guarded by the baton
    private long seq; // instructions the machine retired so far; guarded by the baton
    private long runBase; // seq when the current run began; guarded by the baton
    private int pendingMark = -1; // where the current run's last instruction line starts, or -1
    private Disassembly.Entry pending; // the current run's last traced instruction, or null
    private boolean pendingTraced; // whether the last instruction record was written
    private String faultedText; // disassembly of the instruction behind the last fault, or null
    private long instructionLines; // instruction lines written; guarded by the baton

    private Tracer(Options options, OutputStream stream, java.util.List<Vcpu> cpus) {
        this.options = options;
        this.out = new AsciiOut(stream);
        this.disassembly = new Disassembly(options.syntax());
        this.cpus = cpus;
        this.cpuTid = new int[cpus.size()];
    }

    /**
     * Switches tracing on for every CPU of {@code kernel} (before or during a run: sequence
     * numbers go on from the instructions already retired); install the result as (one of) its
     * events. {@link #close} switches it off again.
     */
    public static Tracer attach(Kernel kernel, Options options, OutputStream stream) {
        Tracer t = new Tracer(options, stream, kernel.cpus());
        t.seq = kernel.instructions();
        for (Vcpu cpu : t.cpus) {
            cpu.setTrace(new TraceRecords.Options(t, options.lo(), options.hi(), options.memory()));
        }
        return t;
    }

    /** Instruction lines written so far. */
    public long instructionLines() {
        return instructionLines;
    }

    /** Instructions decoded by capstone (the rest came from the cache). */
    public long decoded() {
        return disassembly.decoded();
    }

    // ---- instruction records ---------------------------------------------------------------------

    @Override
    public void records(int cpu, long[] words, int length) {
        int i = 0;
        while (i < length) {
            long h = words[i];
            int kind = TraceRecords.kind(h);
            long s = runBase + TraceRecords.index(h) + 1;
            if (kind == TraceRecords.INSN) {
                instruction(cpu, s, h, words[i + 1], words[i + 3], words[i + 4]);
            } else if (pendingTraced) {
                access(cpu, s, kind, TraceRecords.size(h), words[i + 1], words[i + 2], words[i + 3]);
            }
            i += TraceRecords.words(h);
        }
    }

    private void instruction(int cpu, long s, long h, long rip, long b0, long b1) {
        out.flushBefore(out.length());
        pendingMark = out.length();
        pendingTraced = tidTraced(cpuTid[cpu]) && inWindow(s);
        if (!pendingTraced) {
            pending = null;
            return;
        }
        Disassembly.Entry e = disassembly.at(rip, TraceRecords.size(h), b0, b1);
        pending = e;
        instructionLines++;
        if (options.format() == Format.TEXT) {
            out.str("insn ").dec(s).str(" cpu").dec(cpu).str(" tid").dec(cpuTid[cpu]).ch(' ').hex(rip).str("  ");
            int bytesStart = out.length();
            out.bytes(e.hexAscii()).str("  ").padTo(bytesStart, BYTES_COLUMN).bytes(e.textAscii()).ch('\n');
        } else {
            out.str("{\"kind\":\"insn\",\"seq\":").dec(s).str(",\"cpu\":").dec(cpu).str(",\"tid\":").dec(cpuTid[cpu])
                    .str(",\"rip\":\"").hex(rip).str("\",\"bytes\":\"").bytes(e.hexAscii()).str("\",\"asm\":")
                    .json(e.text()).str("}\n");
        }
    }

    private void access(int cpu, long s, int kind, int size, long va, long pa, long value) {
        String op = kind == TraceRecords.WRITE ? "write" : "read";
        long v = size >= 8 ? value : value & ((1L << (8 * size)) - 1);
        if (options.format() == Format.TEXT) {
            out.str("mem  ").dec(s).str(" cpu").dec(cpu).str(" tid").dec(cpuTid[cpu]).ch(' ').str(op).ch(' ');
            if (va == -1) {
                out.ch('?');
            } else {
                out.hex(va);
            }
            out.str(" size ").dec(size).str(" value ").hex(v).str(" pa ");
            physical(pa).ch('\n');
        } else {
            out.str("{\"kind\":\"mem\",\"seq\":").dec(s).str(",\"cpu\":").dec(cpu).str(",\"tid\":").dec(cpuTid[cpu])
                    .str(",\"op\":\"").str(op).str("\",\"va\":");
            if (va == -1) {
                out.str("null");
            } else {
                out.ch('"').hex(va).ch('"');
            }
            out.str(",\"size\":").dec(size)
                    .str(",\"value\":\"").hex(v).str("\",\"pa\":");
            if (pa == TraceRecords.NO_PHYSICAL) {
                out.str("null");
            } else {
                out.ch('"').hex(pa).ch('"');
            }
            out.str("}\n");
        }
    }

    private AsciiOut physical(long pa) {
        return pa == TraceRecords.NO_PHYSICAL ? out.str("unmapped") : out.hex(pa);
    }

    private boolean tidTraced(int tid) {
        return options.tid() < 0 || options.tid() == tid;
    }

    private boolean inWindow(long s) {
        return s >= options.from() && (options.count() == 0 || s < options.from() + options.count());
    }

    /** Kernel events are shown between the window's first and last instruction. */
    private boolean eventsShown() {
        return seq + 1 >= options.from() && (options.count() == 0 || seq < options.from() + options.count());
    }

    private boolean shown(Task task) {
        return eventsShown() && tidTraced(tid(task));
    }

    private static int tid(Task task) {
        return task != null && task.owner() instanceof UserThread u ? u.tid() : -1;
    }

    // ---- kernel events -----------------------------------------------------------------------------

    @Override
    public void guestEnter(Task task, int cpu, long budget) {
        if (cpu >= cpuTid.length) {
            cpuTid = java.util.Arrays.copyOf(cpuTid, cpu + 1);
        }
        cpuTid[cpu] = tid(task);
        runBase = seq;
        pendingMark = -1;
        pending = null;
        pendingTraced = false;
    }

    @Override
    public void guestExit(Task task, int cpu, VmExit exit, long retired) {
        boolean faulted = exit instanceof VmExit.CpuException
                || exit instanceof VmExit.PageFault pf && !pf.fetch();
        faultedText = null;
        if (faulted && pendingMark >= 0) {
            if (pending != null) {
                faultedText = pending.text();
            }
            out.truncate(pendingMark);
            if (pending != null) {
                instructionLines--;
            }
        }
        pendingMark = -1;
        pending = null;
        pendingTraced = false;
        seq = runBase + retired;
        if (exit instanceof VmExit.CpuException ce && shown(task)) {
            exception(task, cpu, ce);
        }
    }

    private void exception(Task task, int cpu, VmExit.CpuException ce) {
        if (options.format() == Format.TEXT) {
            line("exception", task, cpu).str(" vector ").dec(ce.vector()).ch(' ').str(ce.mnemonic()).str(" rip ")
                    .hex(ce.rip());
            faultInsn().ch('\n');
        } else {
            line("exception", task, cpu).str(",\"vector\":").dec(ce.vector()).str(",\"name\":").json(ce.mnemonic())
                    .str(",\"rip\":\"").hex(ce.rip()).str("\"");
            if (faultedText != null) {
                out.str(",\"asm\":").json(faultedText);
            }
            out.str("}\n");
        }
    }

    @Override
    public void syscallEntry(Task task, int cpu, VmExit.Syscall call) {
        if (!shown(task)) {
            return;
        }
        String name = syscallName(call.number());
        if (options.format() == Format.TEXT) {
            line("syscall", task, cpu).ch(' ').str(name).ch('(');
            int n = arity(call.number());
            for (int i = 1; i <= n; i++) {
                if (i > 1) {
                    out.str(", ");
                }
                out.hex(call.arg(i));
            }
            out.str(")\n");
        } else {
            line("syscall", task, cpu).str(",\"name\":").json(name).str(",\"args\":[");
            for (int i = 1; i <= 6; i++) {
                out.str(i > 1 ? ",\"" : "\"").hex(call.arg(i)).ch('"');
            }
            out.str("]}\n");
        }
    }

    @Override
    public void syscallExit(Task task, int cpu, VmExit.Syscall call, long result) {
        if (!shown(task)) {
            return;
        }
        String name = syscallName(call.number());
        if (options.format() == Format.TEXT) {
            line("sysret", task, cpu).ch(' ').str(name).str(" = ");
            if (result > -4096 && result < 0x10000) {
                out.dec(result);
            } else {
                out.hex(result);
            }
            out.ch('\n');
        } else {
            line("sysret", task, cpu).str(",\"name\":").json(name).str(",\"result\":").dec(result).str("}\n");
        }
    }

    @Override
    public void pageFault(Task task, int cpu, VmExit.PageFault fault) {
        if (!shown(task)) {
            return;
        }
        String why = VmExit.PageFault.describe(fault.errorCode());
        if (options.format() == Format.TEXT) {
            line("fault", task, cpu).str(" addr ").hex(fault.address()).str(" error ").hex(fault.errorCode())
                    .str(" (").str(why).str(") rip ").hex(fault.rip());
            faultInsn().ch('\n');
        } else {
            line("fault", task, cpu).str(",\"addr\":\"").hex(fault.address()).str("\",\"error\":").dec(fault.errorCode())
                    .str(",\"decoded\":").json(why).str(",\"rip\":\"").hex(fault.rip()).str("\"");
            if (faultedText != null) {
                out.str(",\"asm\":").json(faultedText);
            }
            out.str("}\n");
        }
    }

    private AsciiOut faultInsn() {
        if (faultedText != null && options.format() == Format.TEXT) {
            out.str(": ").str(faultedText);
        }
        return out;
    }

    @Override
    public void pageFaultDone(Task task, int cpu, VmExit.PageFault fault, String outcome) {
        if (!shown(task)) {
            return;
        }
        if (options.format() == Format.TEXT) {
            line("fault-done", task, cpu).str(" addr ").hex(fault.address()).str(" outcome ").str(outcome).ch('\n');
        } else {
            line("fault-done", task, cpu).str(",\"addr\":\"").hex(fault.address()).str("\",\"outcome\":").json(outcome)
                    .str("}\n");
        }
    }

    @Override
    public void taskSwitch(Task from, Task to, SchedPoint reason) {
        if (!eventsShown()) {
            return;
        }
        if (options.format() == Format.TEXT) {
            out.str("switch ").dec(seq).ch(' ').str(taskName(from)).str(" -> ").str(taskName(to)).str(" (")
                    .str(reason.name().toLowerCase()).str(")\n");
        } else {
            out.str("{\"kind\":\"switch\",\"seq\":").dec(seq).str(",\"from\":").json(taskName(from)).str(",\"to\":")
                    .json(taskName(to)).str(",\"reason\":").json(reason.name().toLowerCase()).str("}\n");
        }
    }

    @Override
    public void pteChange(long ptep, long oldValue, long newValue) {
        if (!eventsShown()) {
            return;
        }
        if (options.format() == Format.TEXT) {
            out.str("pte ").dec(seq).str(" ptep ").hex(ptep).ch(' ').hex(oldValue).str(" -> ").hex(newValue).ch('\n');
        } else {
            out.str("{\"kind\":\"pte\",\"seq\":").dec(seq).str(",\"ptep\":\"").hex(ptep).str("\",\"old\":\"")
                    .hex(oldValue).str("\",\"new\":\"").hex(newValue).str("\"}\n");
        }
    }

    @Override
    public void tlbFlush(int cpu) {
        if (!eventsShown()) {
            return;
        }
        if (options.format() == Format.TEXT) {
            out.str("tlb-flush ").dec(seq).str(" cpu").dec(cpu).ch('\n');
        } else {
            out.str("{\"kind\":\"tlb-flush\",\"seq\":").dec(seq).str(",\"cpu\":").dec(cpu).str("}\n");
        }
    }

    /** The common start of an event line: kind, seq, CPU, tid (a JSON object is left open). */
    private AsciiOut line(String kind, Task task, int cpu) {
        if (options.format() == Format.TEXT) {
            return out.str(kind).ch(' ').dec(seq).str(" cpu").dec(cpu).str(" tid").dec(tid(task));
        }
        return out.str("{\"kind\":\"").str(kind).str("\",\"seq\":").dec(seq).str(",\"cpu\":").dec(cpu)
                .str(",\"tid\":").dec(tid(task));
    }

    private static String taskName(Task t) {
        if (t == null) {
            return "none";
        }
        return t.owner() instanceof UserThread u ? "tid" + u.tid() : t.name();
    }

    private static String syscallName(long nr) {
        String n = Syscalls.name(nr);
        return n != null ? n : "syscall_" + nr;
    }

    /** How many arguments the text format shows (the JSON form always has six). */
    private static int arity(long nr) {
        String n = Syscalls.name(nr);
        if (n == null) {
            return 6;
        }
        return switch (n) {
            case "getpid", "gettid", "sched_yield" -> 0;
            case "close", "brk", "exit", "exit_group", "set_tid_address", "uname", "fsync", "fdatasync", "unlink" -> 1;
            case "munmap", "arch_prctl", "nanosleep", "ftruncate", "fstat" -> 2;
            case "read", "write", "lseek", "mprotect", "msync", "writev" -> 3;
            case "openat", "pread64", "pwrite64" -> 4;
            case "clone", "futex" -> 5;
            default -> 6;
        };
    }

    /** Writes what is buffered; switches tracing off on every CPU. */
    @Override
    public void close() {
        out.flush();
        for (Vcpu cpu : cpus) {
            try {
                cpu.setTrace(null);
            } catch (RuntimeException e) {
                // the machine may already be closed: nothing is traced any more either way
            }
        }
        disassembly.close();
    }

    /** Writes what is buffered (the stream stays open). */
    public void flush() {
        out.flush();
    }
}
