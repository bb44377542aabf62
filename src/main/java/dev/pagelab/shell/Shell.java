package dev.pagelab.shell;

import dev.pagelab.emulator.Register;
import dev.pagelab.kernel.Kernel;
import dev.pagelab.kernel.Stats;
import dev.pagelab.kernel.fs.DiskInode;
import dev.pagelab.kernel.mm.Vma;
import dev.pagelab.kernel.sched.SchedPoint;
import dev.pagelab.kernel.syscall.Syscalls;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * {@code pagelab shell}: the command interpreter over one {@link Session}. Every command is a line
 * ("x/4xg $rsp"); errors are one line ("error: ...") and never end the session. Batch mode
 * ({@link #runBatch}) and the interactive line editor ({@link Interactive}) both go through
 * {@link #execute}, so they print the same.
 */
public final class Shell {
    /** What the shell needs from the command line. */
    public record Settings(Kernel.Options options, List<String> env, Function<String, Path> resolver, Path disk,
                           BiConsumer<PrintStream, Stats> statsPrinter, List<String> guestNames) {}

    /** One command: its name, short aliases, usage line, help, and what it does. */
    private record Command(String name, List<String> aliases, String usage, String help, Handler handler) {}

    @FunctionalInterface
    private interface Handler {
        void run(List<String> args);
    }

    private static final int MAX_GUEST_BREAKPOINTS = 32;

    private final Settings settings; // immutable
    private final PrintStream out; // immutable reference
    private final Session session; // immutable reference
    private final MmView mm; // immutable reference
    private final CpuView cpu; // immutable reference
    private final DiskView disk; // immutable reference
    private final Map<String, Command> commands = new LinkedHashMap<>(); // immutable after construction
    private boolean quit; // set by quit

    public Shell(Settings settings, PrintStream out) {
        this.settings = settings;
        this.out = out;
        this.session = new Session(settings.options(), settings.env(), settings.resolver(), out);
        this.mm = new MmView(session, out);
        this.cpu = new CpuView(session, out);
        this.disk = new DiskView(session, settings.disk(), out);
        define();
    }

    /** True once quit was given. */
    public boolean quitting() {
        return quit;
    }

    /** Ctrl-C while a command runs the machine: it stops at its next kernel event. */
    public void interrupt() {
        session.interrupt();
    }

    /** Ends a running program and frees the machine. */
    public void close() {
        session.close();
    }

    // ---- running commands ----------------------------------------------------------------------

    /**
     * Runs the commands of a script (one per line or separated by ';', '#' starts a comment),
     * echoing each after the prompt. Returns 0 if every command succeeded, 1 otherwise.
     */
    public int runBatch(String script) {
        int failures = 0;
        for (String line : splitCommands(script)) {
            out.println("(pagelab) " + line);
            if (!execute(line)) {
                failures++;
            }
            if (quit) {
                break;
            }
        }
        close();
        out.flush();
        return failures == 0 ? 0 : 1;
    }

    /** The commands in {@code script}: split at newlines and ';', trimmed, comments dropped. */
    static List<String> splitCommands(String script) {
        List<String> lines = new ArrayList<>();
        for (String raw : script.split("[\\n;]")) {
            String line = raw.strip();
            if (!line.isEmpty() && !line.startsWith("#")) {
                lines.add(line);
            }
        }
        return lines;
    }

    /** Runs one command line; prints an error line and returns false if it failed. */
    public boolean execute(String line) {
        List<String> words = words(line);
        if (words.isEmpty()) {
            return true;
        }
        String head = words.get(0);
        String suffix = "";
        int slash = head.indexOf('/');
        if (slash > 0) {
            suffix = head.substring(slash + 1);
            head = head.substring(0, slash);
        }
        Command c = lookup(head);
        try {
            if (c == null) {
                throw new ShellError("unknown command '" + head + "' (help lists them)");
            }
            List<String> args = new ArrayList<>(words.subList(1, words.size()));
            if (!suffix.isEmpty()) {
                args.add(0, "/" + suffix);
            }
            c.handler().run(args);
            return true;
        } catch (ShellError e) {
            out.println("error: " + e.getMessage());
        } catch (RuntimeException e) {
            out.println("error: internal: " + e);
            if (System.getenv("PAGELAB_DEBUG") != null) {
                e.printStackTrace(out);
            }
        }
        return false;
    }

    private static List<String> words(String line) {
        return Arrays.stream(line.strip().split("\\s+")).filter(w -> !w.isEmpty()).toList();
    }

    private Command lookup(String name) {
        Command c = commands.get(name);
        if (c != null) {
            return c;
        }
        for (Command k : commands.values()) {
            if (k.aliases().contains(name)) {
                return k;
            }
        }
        return null;
    }

    // ---- the commands --------------------------------------------------------------------------

    private void add(String name, List<String> aliases, String usage, String help, Handler h) {
        commands.put(name, new Command(name, aliases, usage, help, h));
    }

    private void define() {
        add("help", List.of("h", "?"), "help [COMMAND]", "List the commands, or explain one.", this::help);
        add("load", List.of(), "load PROGRAM [ARGS]", "Load a guest program (ELF path or built guest name); "
                + "run starts it.", a -> {
                    need(a, 1, "load PROGRAM [ARGS]");
                    session.load(a.get(0), a.subList(1, a.size()));
                });
        add("run", List.of("r"), "run", "Boot a fresh machine and run the loaded program until a breakpoint, "
                + "Ctrl-C or its end.", a -> session.run());
        add("continue", List.of("c"), "continue", "Resume until a breakpoint, Ctrl-C or the end.",
                a -> session.resume(Debugger.Mode.CONTINUE, null, 0));
        add("step", List.of("s"), "step", "Resume until the next kernel event (sched point, task switch, "
                + "guest exit, syscall entry or exit, page fault, fault done, pte change, TLB flush).",
                a -> session.resume(Debugger.Mode.STEP, null, 0));
        add("stepi", List.of("si"), "stepi [N]", "Run exactly N guest instructions (default 1) of the stopped "
                + "thread.", a -> session.resume(Debugger.Mode.STEPI, null, a.isEmpty() ? 1 : count(a.get(0))));
        add("until", List.of("u"), "until EVENT", "Resume until the next event of one kind: "
                + eventWords() + ".", this::until);
        add("kill", List.of(), "kill", "End the running program (SIGKILL); the machine winds down.",
                a -> session.kill("killed: by the shell (kill)"));
        add("break", List.of("b"), "break ADDR|SYMBOL | syscall NAME | fault [START[-END]|VMA] | kernel POINT|FUNCTION",
                "Stop at a guest instruction, a system call's entry, a user page fault (in an address range or "
                        + "a VMA by name), a scheduling point kind or inside a kernel function "
                        + "(e.g. clear_page_dirty_for_io).", this::breakpoint);
        add("info", List.of("i"), "info break", "List the breakpoints.", this::info);
        add("delete", List.of("d"), "delete [N...]", "Delete breakpoints N (all without N).", this::delete);
        add("regs", List.of(), "regs", "General registers, RIP, RFLAGS, CR0 CR2 CR3 CR4 EFER decoded.",
                a -> cpu.regs());
        add("x", List.of(), "x/FMT ADDR", "Examine virtual memory through the process's page tables. FMT: count, "
                + "format x d u c s i, size b h w g (x/8xb, x/2g, x/s).", a -> examine(a, false));
        add("xp", List.of(), "xp/FMT PADDR", "Examine physical memory.", a -> examine(a, true));
        add("pt", List.of(), "pt VA", "The four-level page walk of VA: every entry's address, raw value and "
                + "bits P RW US PWT PCD A D PS G NX, and the physical address.", a -> mm.pt(address(a, "pt VA")));
        add("pte", List.of(), "pte VA | pte set VA BITS", "Show the pte of VA, or rewrite it (BITS: 0x... or "
                + "+D -RW ...; no TLB flush).", this::pte);
        add("vmas", List.of(), "vmas", "The process's VMAs, like /proc/PID/maps.", a -> mm.vmas());
        add("page", List.of(), "page PFN|VA", "struct page: flags, count, mapcount, mapping, index, tags and "
                + "buffers (a number below the frame count is a PFN).", a -> mm.page(address(a, "page PFN|VA")));
        add("rmap", List.of(), "rmap PFN|VA", "Every pte that maps the page, with its bits.",
                a -> mm.rmap(address(a, "rmap PFN|VA")));
        add("dirty", List.of(), "dirty FILE", "The file's page-cache pages: PG_dirty, PG_writeback, tags, "
                + "buffers.", a -> {
                    need(a, 1, "dirty FILE");
                    mm.dirty(a.get(0));
                });
        add("tlb", List.of(), "tlb flush [CPU]", "Flush one CPU's TLB, or every CPU's.", this::tlb);
        add("trace", List.of(), "trace on FILE [att|intel] | trace off", "Write every retired guest instruction "
                + "(disassembled) and kernel event to FILE from now on, as run --trace does; trace off stops.",
                this::trace);
        add("tasks", List.of(), "tasks", "The scheduler's tasks: who runs, on which CPU, who waits where.",
                a -> mm.tasks());
        add("stats", List.of(), "stats", "Instructions, faults, syscalls, frames (as run --stats).",
                a -> settings.statsPrinter().accept(out, session.kernel().stats()));
        add("disk", List.of(), "disk ls | disk fsck", "The disk image as it is now (not the page cache).",
                this::disk);
        add("sync", List.of(), "sync", "Write back every dirty file and wait (a kernel thread does it; the "
                + "machine stops after it).", a -> session.sync());
        add("crash", List.of(), "crash", "Power cut now: writes in flight are lost, the program ends, the disk "
                + "is remounted (recovery), checked and fscked.", a -> {
                    session.crash();
                    disk.fsck();
                });
        add("check", List.of(), "check", "The oracles of run --check: dirty accounting, durability, fsck "
                + "(and the end state after the end).", a -> disk.check());
        add("quit", List.of("q", "exit"), "quit", "Leave (a running program is killed). Ctrl-D too.",
                a -> quit = true);
    }

    private void help(List<String> a) {
        if (!a.isEmpty()) {
            Command c = lookup(a.get(0));
            if (c == null) {
                throw new ShellError("no command '" + a.get(0) + "' (help lists them)");
            }
            out.println(c.usage());
            out.println("  " + c.help() + (c.aliases().isEmpty() ? "" : " Aliases: " + String.join(" ", c.aliases())
                    + "."));
            return;
        }
        for (Command c : commands.values()) {
            out.printf("  %-34s %s%n", c.usage().length() > 34 ? c.name() + " ..." : c.usage(),
                    firstSentence(c.help()));
        }
    }

    /** Up to the first ". " followed by a capital (so "e.g. x" and "0x... or" do not end it). */
    private static String firstSentence(String s) {
        for (int dot = s.indexOf(". "); dot >= 0; dot = s.indexOf(". ", dot + 1)) {
            if (dot + 2 < s.length() && Character.isUpperCase(s.charAt(dot + 2))) {
                return s.substring(0, dot + 1);
            }
        }
        return s;
    }

    private static void need(List<String> a, int n, String usage) {
        if (a.size() < n) {
            throw new ShellError("usage: " + usage);
        }
    }

    private static long count(String s) {
        long n = parseNumber(s, "count");
        if (n < 1 || n > 1_000_000_000L) {
            throw new ShellError("count must be 1 .. 1000000000, got " + s);
        }
        return n;
    }

    private static String eventWords() {
        return String.join(" ", Stream.of(Debugger.Event.values()).map(e -> e.word).toList());
    }

    private void until(List<String> a) {
        need(a, 1, "until EVENT (" + eventWords() + ")");
        Debugger.Event e = Debugger.Event.byWord(a.get(0));
        if (e == null) {
            throw new ShellError("unknown event '" + a.get(0) + "' (" + eventWords() + ")");
        }
        session.resume(Debugger.Mode.UNTIL, e, 0);
    }

    private void info(List<String> a) {
        if (a.isEmpty() || !(a.get(0).startsWith("b"))) {
            throw new ShellError("usage: info break");
        }
        List<Breakpoint> all = session.breakpoints();
        if (all.isEmpty()) {
            out.println("no breakpoints");
        }
        for (Breakpoint b : all) {
            out.printf("%-3d %s%n", b.id(), b.describe());
        }
    }

    private void delete(List<String> a) {
        if (a.isEmpty()) {
            session.deleteAllBreakpoints();
            out.println("deleted all breakpoints");
            return;
        }
        for (String w : a) {
            long id = parseNumber(w, "breakpoint number");
            if (!session.deleteBreakpoint((int) id)) {
                throw new ShellError("no breakpoint " + w);
            }
            out.println("deleted breakpoint " + w);
        }
    }

    private void breakpoint(List<String> a) {
        need(a, 1, "break ADDR|SYMBOL | syscall NAME | fault [START[-END]|VMA] | kernel POINT|FUNCTION");
        String kind = a.get(0);
        Breakpoint b = switch (kind) {
            case "syscall" -> syscallBreak(a);
            case "fault" -> faultBreak(a);
            case "kernel" -> kernelBreak(a);
            default -> guestBreak(kind);
        };
        session.addBreakpoint(b);
        out.println("Breakpoint " + b.id() + ": " + b.describe());
    }

    private Breakpoint syscallBreak(List<String> a) {
        need(a, 2, "break syscall NAME|NUMBER");
        String w = a.get(1);
        for (int nr = 0; nr < 512; nr++) {
            if (w.equals(Syscalls.name(nr))) {
                return new Breakpoint.Syscall(session.nextBreakpointId(), nr, w);
            }
        }
        if (!Character.isDigit(w.charAt(0))) {
            throw new ShellError("unknown system call '" + w + "' (pagelab implements: "
                    + String.join(" ", syscallNames()) + ")");
        }
        long nr = parseNumber(w, "system call number");
        return new Breakpoint.Syscall(session.nextBreakpointId(), nr, Debugger.syscallName(nr));
    }

    private static List<String> syscallNames() {
        List<String> names = new ArrayList<>();
        for (int nr = 0; nr < 512; nr++) {
            if (Syscalls.name(nr) != null) {
                names.add(Syscalls.name(nr));
            }
        }
        return names.stream().sorted().toList();
    }

    private Breakpoint faultBreak(List<String> a) {
        if (a.size() < 2) {
            return new Breakpoint.Fault(session.nextBreakpointId(), 0, -1L, "");
        }
        String w = a.get(1);
        if (!Character.isDigit(w.charAt(0))) {
            return new Breakpoint.Fault(session.nextBreakpointId(), 0, 0, w);
        }
        int dash = w.indexOf('-');
        long start = parseNumber(dash < 0 ? w : w.substring(0, dash), "fault address");
        long end = dash < 0 ? (start & ~0xfffL) + 0x1000 : parseNumber(w.substring(dash + 1), "fault range end");
        if (dash < 0) {
            start &= ~0xfffL;
        }
        if (Long.compareUnsigned(end, start) <= 0) {
            throw new ShellError("break fault START-END: END must be above START");
        }
        return new Breakpoint.Fault(session.nextBreakpointId(), start, end, "");
    }

    private Breakpoint kernelBreak(List<String> a) {
        need(a, 2, "break kernel POINT|FUNCTION (points: " + String.join(" ", KernelFunctions.pointNames()) + ")");
        String w = a.get(1);
        SchedPoint p = KernelFunctions.point(w);
        if (p != null) {
            return new Breakpoint.KernelPoint(session.nextBreakpointId(), p);
        }
        String linux = w.endsWith("()") ? w.substring(0, w.length() - 2) : w;
        String java = KernelFunctions.javaName(linux);
        if (java == null) {
            throw new ShellError("no kernel point or function '" + w + "' (points: "
                    + String.join(" ", KernelFunctions.pointNames()) + "; functions by Linux name, e.g. "
                    + "clear_page_dirty_for_io)");
        }
        return new Breakpoint.KernelFunction(session.nextBreakpointId(), linux, java);
    }

    private Breakpoint guestBreak(String w) {
        long addr = value(w);
        MmView.requireUser(addr);
        long guest = session.breakpoints().stream().filter(b -> b instanceof Breakpoint.GuestAddress).count();
        if (guest >= MAX_GUEST_BREAKPOINTS) {
            throw new ShellError("at most " + MAX_GUEST_BREAKPOINTS + " guest breakpoints");
        }
        String sym = session.symbols().describe(addr);
        return new Breakpoint.GuestAddress(session.nextBreakpointId(), addr,
                sym.isEmpty() ? "" : sym.substring(2, sym.length() - 1));
    }

    private void examine(List<String> a, boolean physical) {
        String fmt = !a.isEmpty() && a.get(0).startsWith("/") ? a.remove(0).substring(1) : "";
        need(a, 1, physical ? "xp/FMT PADDR" : "x/FMT ADDR");
        CpuView.Format f = CpuView.Format.parse(fmt);
        long at = physical ? parseNumber(a.get(0), "physical address") : value(a.get(0));
        cpu.examine(f, at, physical);
    }

    private void pte(List<String> a) {
        if (!a.isEmpty() && a.get(0).equals("set")) {
            need(a, 3, "pte set VA BITS");
            mm.pteSet(value(a.get(1)), a.subList(2, a.size()));
            return;
        }
        mm.pte(address(a, "pte VA | pte set VA BITS"));
    }

    private void trace(List<String> a) {
        if (a.size() == 1 && a.get(0).equals("off")) {
            session.traceOff();
            return;
        }
        if (a.size() < 2 || a.size() > 3 || !a.get(0).equals("on")) {
            throw new ShellError("usage: trace on FILE [att|intel] | trace off");
        }
        String syntax = a.size() == 3 ? a.get(2) : "att";
        if (!syntax.equals("att") && !syntax.equals("intel")) {
            throw new ShellError("trace: syntax is att or intel, not " + syntax);
        }
        session.traceOn(Path.of(a.get(1)), syntax.equals("att") ? dev.pagelab.emulator.Capstone.Syntax.ATT
                : dev.pagelab.emulator.Capstone.Syntax.INTEL);
    }

    private void tlb(List<String> a) {
        if (a.isEmpty() || !a.get(0).equals("flush")) {
            throw new ShellError("usage: tlb flush [CPU]");
        }
        mm.tlbFlush(a.size() > 1 ? (int) parseNumber(a.get(1), "cpu") : null);
    }

    private void disk(List<String> a) {
        String sub = a.isEmpty() ? "" : a.get(0);
        switch (sub) {
            case "ls" -> disk.ls();
            case "fsck" -> disk.fsck();
            default -> throw new ShellError("usage: disk ls | disk fsck");
        }
    }

    // ---- values --------------------------------------------------------------------------------

    private long address(List<String> a, String usage) {
        need(a, 1, usage);
        return value(a.get(0));
    }

    /** A number (0x.., decimal), $register of the stopped thread's CPU, or SYMBOL[+OFFSET]. */
    long value(String w) {
        if (w.equalsIgnoreCase("$cr2")) {
            long cr2 = session.debugger() == null ? -1 : session.debugger().lastFaultAddress(session.cpu().id());
            if (cr2 < 0) {
                throw new ShellError("$cr2: no page fault yet");
            }
            return cr2;
        }
        if (w.startsWith("$")) {
            try {
                return session.cpu().get(Register.valueOf(w.substring(1).toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new ShellError("unknown register '" + w + "'");
            }
        }
        if (!w.isEmpty() && Character.isDigit(w.charAt(0))) {
            return parseNumber(w, "address");
        }
        int plus = w.indexOf('+');
        String name = plus < 0 ? w : w.substring(0, plus);
        Long base = session.symbols().address(name);
        if (base == null) {
            throw new ShellError("bad address '" + w + "' (a number, 0x..., $register or a symbol of the program)");
        }
        return base + (plus < 0 ? 0 : parseNumber(w.substring(plus + 1), "offset"));
    }

    /** Parses 0x-hex or decimal; a ShellError naming {@code what} otherwise. */
    static long parseNumber(String w, String what) {
        try {
            if (w.startsWith("0x") || w.startsWith("0X")) {
                return Long.parseUnsignedLong(w.substring(2), 16);
            }
            return Long.parseLong(w);
        } catch (NumberFormatException e) {
            throw new ShellError("bad " + what + " '" + w + "' (a number: 0x1000 or 4096)");
        }
    }

    // ---- completion ----------------------------------------------------------------------------

    /** Completion candidates for the word at {@code index} of {@code words} (the words before it count). */
    public List<String> complete(List<String> words, int index) {
        if (index == 0) {
            return List.copyOf(commands.keySet());
        }
        String cmd = words.get(0);
        int slash = cmd.indexOf('/');
        Command c = lookup(slash > 0 ? cmd.substring(0, slash) : cmd);
        if (c == null) {
            return List.of();
        }
        String prev = words.get(index - 1);
        String current = index < words.size() ? words.get(index) : "";
        return switch (c.name()) {
            case "help" -> index == 1 ? List.copyOf(commands.keySet()) : List.of();
            case "load" -> index == 1 ? programs(current) : files(current);
            case "break" -> breakWords(index, prev);
            case "until" -> Stream.of(Debugger.Event.values()).map(e -> e.word).toList();
            case "info" -> List.of("break");
            case "disk" -> List.of("ls", "fsck");
            case "tlb" -> List.of("flush");
            case "trace" -> index == 1 ? List.of("on", "off") : index == 2 ? files(current) : List.of("att", "intel");
            case "pte" -> index == 1 ? concat(List.of("set"), addressWords()) : addressWords();
            case "delete" -> session.breakpoints().stream().map(b -> Integer.toString(b.id())).toList();
            case "dirty" -> fileNames();
            case "x", "pt", "page", "rmap" -> addressWords();
            default -> List.of();
        };
    }

    private List<String> breakWords(int index, String prev) {
        if (index == 1) {
            return concat(List.of("syscall", "fault", "kernel"), symbolNames());
        }
        return switch (prev) {
            case "syscall" -> syscallNames();
            case "kernel" -> concat(KernelFunctions.pointNames(), KernelFunctions.names());
            case "fault" -> vmaNames();
            default -> List.of();
        };
    }

    private List<String> symbolNames() {
        List<String> s = new ArrayList<>();
        session.symbols().names().forEach(s::add);
        return s;
    }

    private List<String> addressWords() {
        List<String> s = new ArrayList<>(symbolNames());
        s.addAll(List.of("$rip", "$rsp", "$rbp", "$rax", "$rdi", "$rsi"));
        return s;
    }

    private List<String> vmaNames() {
        try {
            return session.process().mm().vmas().stream().map(Vma::name).filter(n -> !n.isEmpty()).distinct().toList();
        } catch (ShellError e) {
            return List.of();
        }
    }

    private List<String> fileNames() {
        try {
            return session.kernel().filesystem().cachedInodes().stream().map(DiskInode::name).sorted().toList();
        } catch (ShellError e) {
            return List.of();
        }
    }

    private List<String> programs(String current) {
        return concat(current.contains("/") ? List.of() : settings.guestNames(), files(current));
    }

    /** Host file names completing {@code partial} (directories end in '/'). */
    static List<String> files(String partial) {
        int slash = partial.lastIndexOf('/');
        String dirPart = slash < 0 ? "" : partial.substring(0, slash + 1);
        Path dir = Path.of(dirPart.isEmpty() ? "." : dirPart);
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            for (Path p : s) {
                names.add(dirPart + p.getFileName() + (Files.isDirectory(p) ? "/" : ""));
            }
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
        return names.stream().sorted().toList();
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    /** load PROGRAM [ARGS] given on the command line (errors printed like a command's). */
    public boolean loadAtStart(String program, List<String> args) {
        try {
            session.load(program, args);
            return true;
        } catch (ShellError e) {
            out.println("error: " + e.getMessage());
            return false;
        }
    }
}
