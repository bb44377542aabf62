package dev.pagelab.gdb;

import dev.pagelab.emulator.DebugControl;
import dev.pagelab.emulator.PhysicalMemory;
import dev.pagelab.emulator.Pte;
import dev.pagelab.emulator.Vcpu;
import dev.pagelab.emulator.VmExit;
import dev.pagelab.emulator.X86Paging;
import dev.pagelab.kernel.Kernel;
import dev.pagelab.kernel.proc.ExitStatus;
import dev.pagelab.kernel.proc.Process;
import dev.pagelab.kernel.proc.UserThread;
import dev.pagelab.kernel.sched.KernelEvents;
import dev.pagelab.kernel.sched.Task;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A gdb remote stub for the machine (gdbserver's role): listens on 127.0.0.1 only, serves one
 * gdb at a time (a second connection is closed at once) and speaks the Remote Serial Protocol.
 * Threads are the guest's threads; memory is virtual, through the stopped thread's page tables.
 *
 * <p>How the machine stops: this is a {@link KernelEvents} observer, and only one task runs at a
 * time, so blocking inside an event pauses everything. Breakpoints, single steps and Ctrl-C use
 * each CPU's native stop check ({@link Vcpu#attachDebugger}), which ends the CPU's run before
 * the instruction; the stop is then reported from {@link #guestExit}. A step that crossed a
 * kernel entry (a system call) completes at the thread's next {@link #guestEnter}; a fatal page
 * fault or CPU exception stops with SIGSEGV/SIGILL/SIGFPE before the kernel kills the process.
 * While stopped, the machine's thread answers gdb's packets until one resumes it.
 *
 * <p>All state below is used by the thread holding the baton (the machine is stopped around
 * every event), except {@link #interruptRequested}, which gdb's reader thread sets.
 */
public final class GdbStub implements KernelEvents, AutoCloseable {
    private static final int SIGINT = 2, SIGTRAP = 5, SIGKILL = 9;

    /** What a packet handler asks the machine to do next. */
    private enum Next { STAY, RESUME, DETACH }

    private final Kernel kernel; // immutable reference
    private final ServerSocket server; // owned
    private final PrintStream log; // notices to the user
    private final List<DebugControl> controls = new java.util.concurrent.CopyOnWriteArrayList<>(); // per CPU
    private RspConnection conn; // the gdb connection, or null
    private Thread acceptor; // refuses further connections
    private final Set<Long> swBreaks = new LinkedHashSet<>(), hwBreaks = new LinkedHashSet<>();
    private final Set<Watch> watches = new LinkedHashSet<>(); // gdb's Z2/Z3/Z4
    private final java.util.Map<Integer, long[][]> watchRanges = new java.util.HashMap<>(); // cpu -> {va, pa} of each range sent

    /** A watchpoint: {@code kind} is 2 (write), 3 (read) or 4 (access), as in gdb's Z packets. */
    private record Watch(int kind, long addr, int length) {}
    private UserThread stepThread; // the thread being single-stepped, or null
    private long stepRetired; // instructions stepThread retired since the step began
    private UserThread resumeThread; // its next run must not stop at resumeRip first
    private long resumeRip = -1;
    private UserThread general; // the thread of g/G/p/P/m/M (Hg), or null for the stopped one
    private UserThread stopped; // the thread of the last stop
    private Process process; // the debugged process, once seen
    private String lastStop = "S05"; // the last stop reply, for '?'
    private boolean started; // the first stop (before the first instruction) has happened
    private boolean awaitingStop; // gdb resumed the machine and waits for a stop reply
    private boolean detached; // no debugger any more (detach, kill, or the connection closed)
    private boolean killed; // gdb killed the process: its threads must run no more instructions
    private volatile boolean interruptRequested; // Ctrl-C arrived (reader thread)

    private GdbStub(Kernel kernel, ServerSocket server, PrintStream log) {
        this.kernel = kernel;
        this.server = server;
        this.log = log;
    }

    /** Listens on 127.0.0.1:{@code port} (0: any free port). */
    public static GdbStub listen(Kernel kernel, int port, PrintStream log) throws IOException {
        ServerSocket s = new ServerSocket(port, 4, InetAddress.getLoopbackAddress());
        return new GdbStub(kernel, s, log);
    }

    public int port() {
        return server.getLocalPort();
    }

    /**
     * Waits for gdb to connect, then attaches the stop check to every CPU. Further connections
     * are accepted and closed at once, with a notice.
     */
    public void awaitConnection() throws IOException {
        Socket s = server.accept();
        conn = new RspConnection(s, this::interrupt);
        for (Vcpu cpu : kernel.cpus()) {
            controls.add(cpu.attachDebugger());
        }
        log.println("pagelab: gdb connected from " + s.getRemoteSocketAddress());
        acceptor = Thread.ofPlatform().daemon().name("gdb-acceptor").start(this::refuseOthers);
    }

    private void refuseOthers() {
        while (!server.isClosed()) {
            try (Socket extra = server.accept()) {
                log.println("pagelab: gdb: refused a second connection from " + extra.getRemoteSocketAddress()
                        + " (one debugger at a time)");
            } catch (IOException e) {
                return; // the server socket was closed
            }
        }
    }

    /** Ctrl-C from gdb (reader thread): stop every CPU before its next instruction. */
    private void interrupt() {
        interruptRequested = true;
        for (DebugControl c : controls) {
            try {
                c.requestStop();
            } catch (IllegalStateException e) {
                // detached meanwhile: nothing to stop
            }
        }
    }

    private boolean active() {
        return conn != null && !detached;
    }

    private static UserThread owner(Task task) {
        return task != null && task.owner() instanceof UserThread u ? u : null;
    }

    // ---- where the machine stops ----------------------------------------------------------------

    @Override
    public void guestEnter(Task task, int cpu, long budget) {
        UserThread t = owner(task);
        if (t == null || conn == null) {
            return;
        }
        if (killed) {
            controls.get(cpu).requestStop(); // run no further instruction
            return;
        }
        if (detached) {
            return;
        }
        process = t.process();
        if (!started) {
            started = true;
            stop(t, SIGTRAP, "");
        } else if (interruptRequested) {
            stop(t, SIGINT, "");
        } else if (stepThread == t && stepRetired >= 1) {
            stop(t, SIGTRAP, "");
        }
        if (killed) {
            controls.get(cpu).requestStop();
        } else if (active()) {
            configure(controls.get(cpu), t);
            configureWatches(cpu);
        }
    }

    /**
     * Sends CPU {@code cpu} the physical ranges behind the watched virtual ranges, page by page,
     * under the current page tables (recomputed before every run: the kernel may have mapped or
     * moved pages meanwhile). Unmapped parts cannot be accessed without a fault, so are left out.
     */
    private void configureWatches(int cpu) {
        List<long[]> ranges = new java.util.ArrayList<>(); // {va, pa, length, kind}
        for (Watch w : watches) {
            long va = w.addr(), end = w.addr() + w.length();
            while (va < end && ranges.size() < DebugControl.MAX_WATCHES) {
                long chunk = Math.min(end, (va | 0xfff) + 1) - va;
                long pa = physical(va);
                if (pa >= 0) {
                    ranges.add(new long[] {va, pa, chunk, w.kind()});
                }
                va += chunk;
            }
        }
        long[] lo = new long[ranges.size()], hi = new long[ranges.size()];
        int[] kind = new int[ranges.size()];
        long[][] sent = new long[ranges.size()][];
        for (int i = 0; i < lo.length; i++) {
            long[] r = ranges.get(i);
            lo[i] = r[1];
            hi[i] = r[1] + r[2];
            kind[i] = (int) r[3];
            sent[i] = new long[] {r[0], r[1]};
        }
        watchRanges.put(cpu, sent);
        kernel.cpus().get(cpu).setWatchpoints(lo, hi, kind);
    }

    /** Sets CPU's stop check for {@code t}'s coming run. */
    private void configure(DebugControl c, UserThread t) {
        long[] all = new long[swBreaks.size() + hwBreaks.size()];
        int i = 0;
        for (long a : swBreaks) {
            all[i++] = a;
        }
        for (long a : hwBreaks) {
            all[i++] = a;
        }
        c.setBreakpoints(java.util.Arrays.copyOf(all, Math.min(all.length, DebugControl.MAX_BREAKPOINTS)));
        c.setStep(stepThread == t);
        c.setResumeRip(resumeThread == t ? resumeRip : -1);
        if (resumeThread == t) {
            resumeThread = null;
        }
        if (interruptRequested) {
            c.requestStop();
        }
    }

    @Override
    public void guestExit(Task task, int cpu, VmExit exit, long retired) {
        UserThread t = owner(task);
        if (t == null || !active()) {
            return;
        }
        if (stepThread == t) {
            stepRetired += retired;
        }
        DebugControl control = controls.get(cpu);
        int reason = control.stopReason();
        int hit = control.watchHit();
        if (hit >= 0 && (reason == DebugControl.WATCHPOINT || reason == DebugControl.NONE)) {
            long[] range = watchRanges.get(cpu)[hit];
            long va = range[0] + (control.watchPhysical() - range[1]);
            int kind = watchKind(range[0]);
            stop(t, SIGTRAP, (kind == DebugControl.WATCH_WRITE ? "watch" : kind == DebugControl.WATCH_READ ? "rwatch"
                    : "awatch") + ":" + Long.toHexString(va) + ";");
        } else if (reason == DebugControl.BREAKPOINT) {
            long rip = exit instanceof VmExit.QuantumExpired q ? q.rip() : -1;
            stop(t, SIGTRAP, hwBreaks.contains(rip) && !swBreaks.contains(rip) ? "hwbreak:;" : "swbreak:;");
        } else if (reason == DebugControl.STEP) {
            stop(t, SIGTRAP, "");
        } else if (reason == DebugControl.INTERRUPT) {
            stop(t, SIGINT, "");
        } else if (exit instanceof VmExit.CpuException ce) {
            stop(t, switch (ce.vector()) {
                case 0 -> ExitStatus.SIGFPE;
                case 6 -> ExitStatus.SIGILL;
                case 3 -> SIGTRAP;
                default -> ExitStatus.SIGSEGV;
            }, "");
        }
    }

    /** The kind of the watch whose range starts at or covers {@code va}. */
    private int watchKind(long va) {
        for (Watch w : watches) {
            if (va >= w.addr() && va < w.addr() + w.length()) {
                return w.kind();
            }
        }
        return DebugControl.WATCH_ACCESS;
    }

    @Override
    public void pageFaultDone(Task task, int cpu, VmExit.PageFault fault, String outcome) {
        UserThread t = owner(task);
        if (t == null || !active()) {
            return;
        }
        if (outcome.equals("SigSegv")) {
            stop(t, ExitStatus.SIGSEGV, "");
        } else if (outcome.equals("SigBus")) {
            stop(t, ExitStatus.SIGBUS, "");
        }
    }

    /** Reports a stop of {@code t} (if gdb waits for one) and serves gdb until it resumes. */
    private void stop(UserThread t, int signal, String why) {
        interruptRequested = false;
        for (DebugControl c : controls) {
            c.clearStop();
        }
        stepThread = null;
        stopped = t;
        general = null;
        process = t.process();
        lastStop = String.format("T%02xthread:%x;%s", signal, t.tid(), why);
        if (awaitingStop) {
            conn.send(lastStop);
            awaitingStop = false;
        }
        serve();
    }

    /** The process ended: tell a waiting gdb (W or X), then close the connection. */
    public void processExited(ExitStatus status) {
        if (active() && !killed) {
            conn.send(status.killed() ? String.format("X%02x", status.signal()) : String.format("W%02x",
                    status.code() & 0xff));
        }
        detached = true;
    }

    // ---- packets --------------------------------------------------------------------------------

    private void serve() {
        while (active()) {
            byte[] packet = conn.next();
            if (packet == RspConnection.CLOSED) {
                log.println("pagelab: gdb disconnected; the program runs on");
                detachAll();
                return;
            }
            Next next;
            try {
                next = handle(new String(packet, StandardCharsets.ISO_8859_1), packet);
            } catch (RuntimeException e) {
                conn.send("E01"); // malformed: an error reply, the machine stays as it is
                continue;
            }
            if (next == Next.RESUME) {
                awaitingStop = true;
                return;
            }
            if (next == Next.DETACH) {
                detachAll();
                return;
            }
        }
    }

    private Next handle(String p, byte[] raw) {
        if (p.isEmpty()) {
            conn.send("");
            return Next.STAY;
        }
        switch (p.charAt(0)) {
            case '?' -> conn.send(p.length() == 1 ? lastStop : "E01");
            case 'g' -> conn.send(p.length() == 1 ? readRegisters(thread()) : "E01");
            case 'G' -> writeRegisters(thread(), p.substring(1));
            case 'p' -> readRegister(p.substring(1));
            case 'P' -> writeRegister(p.substring(1));
            case 'm' -> readMemory(p.substring(1), false);
            case 'x' -> readMemory(p.substring(1), true);
            case 'M' -> writeMemory(p.substring(1), raw, false);
            case 'X' -> writeMemory(p.substring(1), raw, true);
            case 'H' -> selectThread(p.substring(1));
            case 'T' -> conn.send(find(parseTid(p.substring(1))) != null ? "OK" : "E01");
            case 'Z', 'z' -> breakpoint(p);
            case 'c', 'C' -> {
                return resume(null, false);
            }
            case 's', 'S' -> {
                return resume(stopped, true);
            }
            case 'v' -> {
                return verbose(p);
            }
            case 'k' -> {
                kill();
                return Next.DETACH;
            }
            case 'D' -> {
                conn.send("OK");
                log.println("pagelab: gdb detached; the program runs on");
                return Next.DETACH;
            }
            case 'q' -> query(p);
            default -> conn.send("");
        }
        return Next.STAY;
    }

    private Next verbose(String p) {
        if (p.equals("vCont?")) {
            conn.send("vCont;c;C;s;S");
        } else if (p.startsWith("vCont;")) {
            UserThread step = null;
            boolean any = false;
            for (String action : p.substring(6).split(";")) {
                if (action.isEmpty()) {
                    throw new IllegalArgumentException("empty vCont action");
                }
                char kind = action.charAt(0);
                int colon = action.indexOf(':');
                UserThread target = colon < 0 ? stopped : find(parseTid(action.substring(colon + 1)));
                if (kind == 's' || kind == 'S') {
                    if (target == null) {
                        throw new IllegalArgumentException("vCont: no such thread");
                    }
                    step = step == null ? target : step;
                } else if (kind != 'c' && kind != 'C' && kind != 't') {
                    throw new IllegalArgumentException("vCont: unknown action");
                }
                any = true;
            }
            if (!any) {
                throw new IllegalArgumentException("vCont: no action");
            }
            return resume(step, step != null);
        } else if (p.startsWith("vKill")) {
            kill();
            conn.send("OK");
            return Next.DETACH;
        } else {
            conn.send(""); // vMustReplyEmpty, vFile, ... : not supported
        }
        return Next.STAY;
    }

    /** Continue (or single-step {@code stepping}); the thread that stopped skips its breakpoint once. */
    private Next resume(UserThread stepping, boolean step) {
        UserThread from = step ? stepping : stopped;
        if (from != null) {
            resumeThread = from;
            resumeRip = registers(from)[16];
        }
        stepThread = step ? stepping : null;
        stepRetired = 0;
        return Next.RESUME;
    }

    private void kill() {
        killed = true;
        if (process != null) {
            process.beginExit(ExitStatus.killed(SIGKILL, "killed: SIGKILL (by the debugger)"));
        }
        log.println("pagelab: gdb killed the program");
    }

    private void query(String p) {
        if (p.equals("qSupported") || p.startsWith("qSupported:")) {
            conn.send("PacketSize=4000;qXfer:features:read+;swbreak+;hwbreak+;vContSupported+");
        } else if (p.startsWith("qXfer:features:read:")) {
            xferFeatures(p.substring("qXfer:features:read:".length()));
        } else if (p.equals("qAttached")) {
            conn.send("1");
        } else if (p.equals("qC")) {
            conn.send(stopped != null ? "QC" + Integer.toHexString(stopped.tid()) : "");
        } else if (p.equals("qfThreadInfo")) {
            StringBuilder b = new StringBuilder("m");
            for (UserThread t : threads()) {
                b.append(b.length() > 1 ? "," : "").append(Integer.toHexString(t.tid()));
            }
            conn.send(b.length() > 1 ? b.toString() : "l");
        } else if (p.equals("qsThreadInfo")) {
            conn.send("l");
        } else if (p.startsWith("qThreadExtraInfo,")) {
            UserThread t = find(parseTid(p.substring("qThreadExtraInfo,".length())));
            conn.send(t == null ? "E01" : toHex(t.toString().getBytes(StandardCharsets.US_ASCII)));
        } else if (p.startsWith("qSymbol")) {
            conn.send("OK");
        } else {
            conn.send(""); // qTStatus, qOffsets, ... : not supported
        }
    }

    private void xferFeatures(String args) {
        int colon = args.indexOf(':');
        if (colon < 0 || !args.substring(0, colon).equals("target.xml")) {
            conn.send("E00");
            return;
        }
        String[] range = args.substring(colon + 1).split(",");
        int offset = Integer.parseInt(range[0], 16), length = Integer.parseInt(range[1], 16);
        byte[] xml = TargetDescription.XML.getBytes(StandardCharsets.US_ASCII);
        if (offset < 0 || length < 0 || offset > xml.length) {
            conn.send("E01");
            return;
        }
        int end = (int) Math.min(xml.length, (long) offset + length);
        String part = new String(xml, offset, end - offset, StandardCharsets.US_ASCII);
        conn.send((end == xml.length ? "l" : "m") + part);
    }

    // ---- threads and registers ------------------------------------------------------------------

    private List<UserThread> threads() {
        return process == null ? List.of() : List.copyOf(process.threads());
    }

    private static int parseTid(String s) {
        if (s.startsWith("p")) {
            s = s.substring(s.indexOf('.') + 1); // multiprocess form p<pid>.<tid>
        }
        return s.equals("-1") ? -1 : Integer.parseInt(s, 16);
    }

    /** The thread with {@code tid}; 0 and -1 mean the stopped one. */
    private UserThread find(int tid) {
        if (tid == 0 || tid == -1) {
            return stopped;
        }
        for (UserThread t : threads()) {
            if (t.tid() == tid) {
                return t;
            }
        }
        return null;
    }

    private void selectThread(String args) {
        if (args.isEmpty()) {
            throw new IllegalArgumentException("H needs an operation");
        }
        char op = args.charAt(0);
        UserThread t = find(parseTid(args.substring(1)));
        if (t == null) {
            conn.send("E01");
            return;
        }
        if (op == 'g') {
            general = t;
        } else if (op != 'c') {
            throw new IllegalArgumentException("H" + op);
        }
        conn.send("OK");
    }

    private UserThread thread() {
        UserThread t = general != null && threads().contains(general) ? general : stopped;
        if (t == null) {
            throw new IllegalStateException("no thread");
        }
        return t;
    }

    /** A copy of {@code t}'s user state: live on its CPU if it owns it, else as saved. */
    private long[] registers(UserThread t) {
        int cpu = kernel.cpuOf(t);
        if (kernel.cpuOwner(cpu) == t) {
            return kernel.cpus().get(cpu).saveUserState();
        }
        return t.savedRegisters().clone();
    }

    private void setRegisters(UserThread t, long[] state) {
        int cpu = kernel.cpuOf(t);
        if (kernel.cpuOwner(cpu) == t) {
            kernel.cpus().get(cpu).loadUserState(state);
        } else {
            t.saveRegisters(state);
        }
    }

    private String readRegisters(UserThread t) {
        long[] state = registers(t);
        StringBuilder b = new StringBuilder();
        for (int n = 0; n < Registers.COUNT; n++) {
            Registers.hex(b, state, n);
        }
        return b.toString();
    }

    private void writeRegisters(UserThread t, String hex) {
        long[] state = registers(t);
        int pos = 0;
        for (int n = 0; n < Registers.COUNT && pos < hex.length(); n++) {
            Registers.set(state, n, Registers.parse(hex, pos, n));
            pos += 2 * Registers.size(n);
        }
        setRegisters(t, state);
        conn.send("OK");
    }

    private void readRegister(String args) {
        int n = Integer.parseInt(args, 16);
        if (n < 0 || n >= Registers.COUNT) {
            conn.send("E01");
            return;
        }
        StringBuilder b = new StringBuilder();
        Registers.hex(b, registers(thread()), n);
        conn.send(b.toString());
    }

    private void writeRegister(String args) {
        int eq = args.indexOf('=');
        int n = Integer.parseInt(args.substring(0, eq), 16);
        if (n < 0 || n >= Registers.COUNT) {
            conn.send("E01");
            return;
        }
        String hex = args.substring(eq + 1);
        if (hex.length() != 2 * Registers.size(n)) {
            throw new IllegalArgumentException("register value of the wrong size");
        }
        UserThread t = thread();
        long[] state = registers(t);
        Registers.set(state, n, Registers.parse(hex, 0, n));
        setRegisters(t, state);
        conn.send("OK");
    }

    // ---- memory -----------------------------------------------------------------------------------

    /**
     * The physical address of user address {@code va} in the process's address space, or -1 (as
     * for ptrace, the machine's supervisor pages are out of reach).
     */
    private long physical(long va) {
        if (!X86Paging.canonical(va) || process == null) {
            return -1;
        }
        X86Paging.Walk w = X86Paging.walk(kernel.machine().memory(), process.mm().pageTables().pgd(), va);
        if (!w.mapped()) {
            return -1;
        }
        for (int level = 0; level < w.depth(); level++) {
            if ((w.entries()[level] & Pte.US) == 0) {
                return -1;
            }
        }
        return w.physicalAddress();
    }

    private void readMemory(String args, boolean binary) {
        int comma = args.indexOf(',');
        long addr = Long.parseUnsignedLong(args.substring(0, comma), 16);
        int len = Integer.parseInt(args.substring(comma + 1), 16);
        if (len < 0 || len > RspConnection.MAX_PACKET / 2) {
            conn.send("E01");
            return;
        }
        PhysicalMemory ram = kernel.machine().memory();
        ByteArrayOutputStream data = new ByteArrayOutputStream(len);
        for (int i = 0; i < len; i++) {
            long pa = physical(addr + i);
            if (pa < 0 || pa >= ram.size()) {
                break; // a short read: gdb asks again for the rest, then gets an error
            }
            data.write(ram.readByte(pa));
        }
        if (data.size() == 0 && len > 0) {
            conn.send("E14"); // EFAULT
            return;
        }
        if (binary) {
            byte[] bytes = data.toByteArray();
            byte[] reply = new byte[bytes.length + 1];
            reply[0] = 'b';
            System.arraycopy(bytes, 0, reply, 1, bytes.length);
            conn.send(reply);
        } else {
            conn.send(toHex(data.toByteArray()));
        }
    }

    private void writeMemory(String args, byte[] raw, boolean binary) {
        int comma = args.indexOf(','), colon = args.indexOf(':');
        long addr = Long.parseUnsignedLong(args.substring(0, comma), 16);
        int len = Integer.parseInt(args.substring(comma + 1, colon), 16);
        byte[] data;
        if (binary) {
            int start = 1 + colon + 1; // raw holds the packet: 'X' then args
            data = java.util.Arrays.copyOfRange(raw, start, raw.length);
        } else {
            data = fromHex(args.substring(colon + 1));
        }
        if (len < 0 || data.length != len) {
            conn.send("E01");
            return;
        }
        PhysicalMemory ram = kernel.machine().memory();
        long[] pas = new long[len];
        boolean code = false;
        for (int i = 0; i < len; i++) {
            pas[i] = physical(addr + i);
            if (pas[i] < 0 || pas[i] >= ram.size()) {
                conn.send("E14");
                return;
            }
            code |= executable(addr + i);
        }
        for (int i = 0; i < len; i++) {
            ram.writeByte(pas[i], data[i]);
        }
        conn.send("OK");
        if (code) {
            kernel.flushCodeCaches(); // the CPUs may have translated the old bytes (this takes seconds)
        }
    }

    /** Whether {@code va}'s page may hold code (its pte lacks NX). */
    private boolean executable(long va) {
        X86Paging.Walk w = X86Paging.walk(kernel.machine().memory(), process.mm().pageTables().pgd(), va);
        return w.mapped() && !w.leaf().noExecute();
    }

    private void breakpoint(String p) {
        String[] f = p.substring(1).split(",");
        if (f.length < 3) {
            throw new IllegalArgumentException("Z/z needs type,addr,kind");
        }
        int type = Integer.parseInt(f[0]);
        long addr = Long.parseUnsignedLong(f[1], 16);
        if (type >= DebugControl.WATCH_WRITE && type <= DebugControl.WATCH_ACCESS) {
            watchpoint(p.charAt(0) == 'Z', new Watch(type, addr, Integer.parseInt(f[2], 16)));
            return;
        }
        Set<Long> set = switch (type) {
            case 0 -> swBreaks;
            case 1 -> hwBreaks;
            default -> null;
        };
        if (set == null) {
            conn.send(""); // not supported
            return;
        }
        if (p.charAt(0) == 'Z') {
            if (swBreaks.size() + hwBreaks.size() >= DebugControl.MAX_BREAKPOINTS && !set.contains(addr)) {
                conn.send("E28"); // ENOSPC
                return;
            }
            set.add(addr);
        } else {
            set.remove(addr);
        }
        conn.send("OK");
    }

    private void watchpoint(boolean insert, Watch w) {
        if (w.length() < 1 || w.length() > 4096 || w.addr() + w.length() < w.addr()) {
            conn.send("E01");
            return;
        }
        if (!insert) {
            watches.remove(w);
        } else if (watches.size() >= DebugControl.MAX_WATCHES / 2 && !watches.contains(w)) {
            conn.send("E28"); // ENOSPC
            return;
        } else {
            watches.add(w);
        }
        conn.send("OK");
    }

    // ---- helpers ----------------------------------------------------------------------------------

    private static String toHex(byte[] bytes) {
        StringBuilder b = new StringBuilder(bytes.length * 2);
        for (byte x : bytes) {
            b.append(Character.forDigit((x >> 4) & 0xf, 16)).append(Character.forDigit(x & 0xf, 16));
        }
        return b.toString();
    }

    private static byte[] fromHex(String hex) {
        if (hex.length() % 2 != 0) {
            throw new IllegalArgumentException("odd hex");
        }
        byte[] b = new byte[hex.length() / 2];
        for (int i = 0; i < b.length; i++) {
            int hi = RspConnection.hexDigit(hex.charAt(2 * i)), lo = RspConnection.hexDigit(hex.charAt(2 * i + 1));
            if (hi < 0 || lo < 0) {
                throw new IllegalArgumentException("bad hex");
            }
            b[i] = (byte) (hi << 4 | lo);
        }
        return b;
    }

    /** Removes every stop check and lets the program run on (detach, kill or a lost connection). */
    private void detachAll() {
        detached = true;
        swBreaks.clear();
        hwBreaks.clear();
        watches.clear();
        stepThread = null;
        if (!killed) {
            for (Vcpu cpu : kernel.cpus()) {
                cpu.detachDebugger();
            }
            controls.clear();
        }
        conn.close();
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            // closing anyway
        }
        if (conn != null) {
            conn.close();
        }
    }
}
