package dev.pagelab.shell;

import dev.pagelab.emulator.Vcpu;
import dev.pagelab.kernel.BootException;
import dev.pagelab.kernel.Kernel;
import dev.pagelab.kernel.fs.DurabilityOracle;
import dev.pagelab.kernel.proc.ElfException;
import dev.pagelab.kernel.proc.ElfFile;
import dev.pagelab.kernel.proc.ExitStatus;
import dev.pagelab.kernel.proc.Process;
import dev.pagelab.kernel.proc.UserThread;
import dev.pagelab.kernel.sched.Task;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * One shell session's machine: the loaded program, the kernel that runs it (on its own thread,
 * stopped and resumed through a {@link Debugger}), the breakpoints, and the last result. Used by
 * the shell thread only.
 */
final class Session {
    /** Where the machine is. */
    enum State { EMPTY, LOADED, STOPPED, EXITED }

    private final Kernel.Options options; // immutable: streams already set
    private final List<String> env; // immutable
    private final Function<String, Path> resolver; // immutable: PROGRAM -> executable, or ShellError
    private final PrintStream out; // immutable reference
    private State state = State.EMPTY;
    private dev.pagelab.trace.Tracer tracer; // while tracing (trace on), else null
    private java.io.OutputStream traceStream; // the trace file's stream while tracing
    private Path traceFile; // where the trace goes while tracing
    private Path exe;
    private List<String> argv = List.of();
    private ElfSymbols symbols = ElfSymbols.NONE;
    private Kernel kernel; // the current or last machine; closed when replaced
    private Debugger debugger;
    private Kernel.Result lastResult;
    private final List<Breakpoint> breakpoints = new ArrayList<>();
    private int nextBreakpoint = 1;

    Session(Kernel.Options options, List<String> env, Function<String, Path> resolver, PrintStream out) {
        this.options = options;
        this.env = List.copyOf(env);
        this.resolver = resolver;
        this.out = out;
    }

    State state() { return state; }
    ElfSymbols symbols() { return symbols; }
    List<Breakpoint> breakpoints() { return List.copyOf(breakpoints); }
    Kernel.Result lastResult() { return lastResult; }
    Kernel.Options options() { return options; }

    /** load PROGRAM [ARGS]: ends a running program first. */
    void load(String program, List<String> args) {
        Path path;
        try {
            path = resolver.apply(program);
        } catch (ShellError e) {
            throw e;
        } catch (RuntimeException e) {
            throw new ShellError(e.getMessage());
        }
        try {
            ElfFile.read(path);
        } catch (ElfException e) {
            throw new ShellError(program + ": cannot execute: " + e.getMessage());
        } catch (IOException e) {
            throw new ShellError(program + ": cannot read: " + e.getMessage());
        }
        if (state == State.STOPPED) {
            kill("killed: a new program was loaded");
        }
        exe = path;
        argv = new ArrayList<>(List.of(program));
        argv.addAll(args);
        argv = List.copyOf(argv);
        symbols = ElfSymbols.read(path);
        state = State.LOADED;
        out.println("loaded " + program + (args.isEmpty() ? "" : " " + String.join(" ", args)) + " ("
                + (symbols == ElfSymbols.NONE ? "no symbols" : "symbols") + "); type run");
    }

    /** run: boots a fresh machine and runs the loaded program until a stop or its end. */
    void run() {
        if (state == State.EMPTY) {
            throw new ShellError("no program loaded (load PROGRAM [ARGS])");
        }
        if (state == State.STOPPED) {
            throw new ShellError("the program is already running (continue, or kill then run)");
        }
        closeKernel();
        try {
            kernel = new Kernel(options);
        } catch (BootException e) {
            throw new ShellError("cannot boot: " + e.getMessage());
        }
        debugger = new Debugger(kernel, symbols::describe);
        debugger.setBreakpoints(breakpoints);
        kernel.scheduler().setEvents(debugger);
        kernel.setBudgetHook(debugger);
        lastResult = null;
        Path program = exe;
        List<String> args = argv;
        Kernel k = kernel;
        show(debugger.start(() -> {
            try {
                return k.run(program, args, env);
            } catch (ElfException e) {
                throw new ShellError(args.get(0) + ": cannot execute: " + e.getMessage());
            }
        }));
    }

    /** continue, step, stepi, until: resumes the stopped machine. */
    void resume(Debugger.Mode mode, Debugger.Event until, long instructions) {
        requireStopped();
        Task t = debugger.stoppedTask();
        if (mode == Debugger.Mode.STEPI && (t == null || !(t.owner() instanceof UserThread))) {
            throw new ShellError("stepi: stopped in " + Debugger.who(t) + ", a kernel thread (step or continue "
                    + "to a user thread's event first)");
        }
        show(debugger.resume(mode, until, instructions));
    }

    /** Ends the stopped program (SIGKILL) and lets the machine wind down without stopping. */
    void kill(String report) {
        requireStopped();
        Process p = debugger.process();
        if (p != null) {
            p.beginExit(ExitStatus.killed(ExitStatus.SIGKILL, report));
        }
        show(debugger.resume(Debugger.Mode.FREE, null, 0));
    }

    /** Power loss now: in-flight writes are lost; the kernel then remounts, checks and fscks. */
    void crash() {
        requireStopped();
        kernel.crash();
        kill("crashed: simulated power loss (shell crash)");
    }

    /** sync: a kernel thread writes back every dirty file and waits; the machine stops after it. */
    void sync() {
        requireStopped();
        Kernel k = kernel;
        Debugger d = debugger;
        long before = k.writeback().nrFileDirty();
        k.scheduler().spawn("sync", () -> {
            k.filesystem().syncAll();
            d.stopHere(k.scheduler().current(), "sync: done (NR_FILE_DIRTY " + before + " -> "
                    + k.writeback().nrFileDirty() + ", under writeback " + k.writeback().nrWriteback() + ")");
        });
        show(debugger.resume(Debugger.Mode.CONTINUE, null, 0));
    }

    /** Ctrl-C while the machine runs. */
    void interrupt() {
        Debugger d = debugger;
        if (d != null) {
            d.interrupt();
        }
    }

    private void show(Debugger.Outcome outcome) {
        switch (outcome) {
            case Debugger.Outcome.Stopped s -> {
                state = State.STOPPED;
                out.println(s.report());
            }
            case Debugger.Outcome.Finished f -> finished(f);
        }
    }

    private void finished(Debugger.Outcome.Finished f) {
        state = State.EXITED;
        out.flush();
        if (f.failure() != null) {
            out.println("error: " + f.failure());
            return;
        }
        lastResult = f.result();
        ExitStatus s = f.result().status();
        out.println(s.killed() ? "program ended: " + s.report() + " (status " + s.shellStatus() + ")"
                : "program exited with status " + s.code());
        for (DurabilityOracle.Violation v : f.result().violations()) {
            out.println("VIOLATION " + v);
        }
        for (String p : f.result().problems()) {
            out.println("CHECK FAILED " + p);
        }
    }

    private void requireStopped() {
        switch (state) {
            case EMPTY -> throw new ShellError("no program loaded (load PROGRAM [ARGS])");
            case LOADED -> throw new ShellError("the program is not running (run)");
            case EXITED -> throw new ShellError("the program has exited (run starts it again)");
            case STOPPED -> { }
        }
    }

    /** The machine to inspect: the stopped one, or the last one after its end. */
    Kernel kernel() {
        if (kernel == null) {
            throw new ShellError(state == State.EMPTY ? "no program loaded (load PROGRAM [ARGS])"
                    : "the program is not running (run)");
        }
        return kernel;
    }

    /** The stopped machine (errors if it is not stopped). */
    Kernel stoppedKernel() {
        requireStopped();
        return kernel;
    }

    Debugger debugger() {
        return debugger;
    }

    /** The user process of the stopped machine. */
    Process process() {
        requireStopped();
        Process p = debugger.process();
        if (p == null || p.threads().isEmpty()) {
            throw new ShellError("no user process is running yet");
        }
        return p;
    }

    /** The thread commands look at: the stopped one if it is a user thread, else the first. */
    UserThread thread() {
        Process p = process();
        Task t = debugger.stoppedTask();
        if (t != null && t.owner() instanceof UserThread u && p.threads().contains(u)) {
            return u;
        }
        return p.threads().get(0);
    }

    /** The CPU of {@link #thread()}. */
    Vcpu cpu() {
        UserThread t = thread();
        return kernel.cpus().get(kernel.cpuOf(t));
    }

    // ---- breakpoints ---------------------------------------------------------------------------

    int nextBreakpointId() {
        return nextBreakpoint++;
    }

    void addBreakpoint(Breakpoint b) {
        breakpoints.add(b);
        pushBreakpoints();
    }

    /** Deletes breakpoint {@code id}; false if there is none. */
    boolean deleteBreakpoint(int id) {
        boolean removed = breakpoints.removeIf(b -> b.id() == id);
        pushBreakpoints();
        return removed;
    }

    void deleteAllBreakpoints() {
        breakpoints.clear();
        pushBreakpoints();
    }

    private void pushBreakpoints() {
        if (debugger != null) {
            debugger.setBreakpoints(breakpoints);
        }
    }

    /** quit: ends a running program and releases the machine. */
    void close() {
        if (state == State.STOPPED) {
            Process p = debugger.process();
            if (p != null) {
                p.beginExit(ExitStatus.killed(ExitStatus.SIGKILL, "killed: the shell quit"));
            }
            debugger.resume(Debugger.Mode.FREE, null, 0);
            state = State.EXITED;
        }
        closeKernel();
    }

    /**
     * trace on FILE [att|intel]: from now on every retired guest instruction and kernel event goes
     * to FILE (the tracer of {@code run --trace}, beside the debugger). Only while stopped.
     */
    void traceOn(Path file, dev.pagelab.emulator.Capstone.Syntax syntax) {
        requireStopped();
        if (tracer != null) {
            throw new ShellError("trace: already tracing to " + traceFile + " (trace off first)");
        }
        try {
            traceStream = new java.io.BufferedOutputStream(java.nio.file.Files.newOutputStream(file), 1 << 16);
        } catch (java.io.IOException e) {
            throw new ShellError("trace: cannot write " + file + ": " + e.getMessage());
        }
        dev.pagelab.trace.Tracer.Options o = dev.pagelab.trace.Tracer.Options.defaults();
        tracer = dev.pagelab.trace.Tracer.attach(kernel, new dev.pagelab.trace.Tracer.Options(syntax, o.format(),
                o.memory(), o.lo(), o.hi(), o.tid(), o.from(), o.count()), traceStream);
        traceFile = file;
        kernel.scheduler().setEvents(dev.pagelab.kernel.sched.CompositeEvents.of(debugger, tracer));
        out.println("tracing to " + file);
    }

    /** trace off: stops tracing and closes the file. */
    void traceOff() {
        if (tracer == null) {
            throw new ShellError("trace: not tracing");
        }
        long lines = tracer.instructionLines();
        stopTracing();
        out.println("trace off: " + lines + " instructions written to " + traceFile);
    }

    private void stopTracing() {
        if (tracer == null) {
            return;
        }
        tracer.close();
        try {
            traceStream.close();
        } catch (java.io.IOException ignored) {
            // the lines already written stay
        }
        tracer = null;
        if (kernel != null && debugger != null) {
            kernel.scheduler().setEvents(debugger);
        }
    }

    private void closeKernel() {
        stopTracing();
        if (kernel != null) {
            kernel.close();
            kernel = null;
        }
    }
}
