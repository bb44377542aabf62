package dev.pagelab.cli;

import dev.pagelab.kernel.Kernel;
import dev.pagelab.kernel.sched.KernelEvents;
import dev.pagelab.emulator.Capstone;
import dev.pagelab.trace.Tracer;
import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The {@code --trace} family of options, shared by the commands that run a machine: checks them
 * and turns them into a {@link Tracer} attached to a kernel.
 */
final class TraceOptions {
    @Option(names = "--trace", paramLabel = "FILE", description = "Write an instruction-level trace (every retired "
            + "guest instruction with its disassembly, and the kernel's events) to FILE ('-': stdout).")
    Path file;

    @Option(names = "--trace-format", paramLabel = "FORMAT", defaultValue = "text",
            description = "text (documented lines) or jsonl (one JSON object per line). Default: ${DEFAULT-VALUE}.")
    String format;

    @Option(names = "--trace-syntax", paramLabel = "SYNTAX", defaultValue = "att",
            description = "Disassembly syntax: att or intel. Default: ${DEFAULT-VALUE}.")
    String syntax;

    @Option(names = "--trace-mem", description = "Also trace every data read and write (virtual and physical "
            + "address, size, value).")
    boolean memory;

    @Option(names = "--trace-range", paramLabel = "LO-HI", description = "Only instructions with LO <= RIP <= HI "
            + "(hex with 0x, or decimal).")
    String range;

    @Option(names = "--trace-tid", paramLabel = "TID", defaultValue = "-1",
            description = "Only this guest thread's instructions and events.")
    int tid;

    @Option(names = "--trace-from", paramLabel = "N", defaultValue = "1",
            description = "Start with the N-th retired instruction (1-based). Default: ${DEFAULT-VALUE}.")
    long from;

    @Option(names = "--trace-count", paramLabel = "M", defaultValue = "0",
            description = "Trace at most M instructions from there (0: to the end).")
    long count;

    /** Checks the options (one clear line on bad input) without starting anything. */
    Tracer.Options parse(String command) {
        Tracer.Format f = switch (format.toLowerCase()) {
            case "text" -> Tracer.Format.TEXT;
            case "jsonl" -> Tracer.Format.JSONL;
            default -> throw new UserError(command + ": --trace-format must be text or jsonl, got '" + format + "'");
        };
        Capstone.Syntax s = switch (syntax.toLowerCase()) {
            case "att" -> Capstone.Syntax.ATT;
            case "intel" -> Capstone.Syntax.INTEL;
            default -> throw new UserError(command + ": --trace-syntax must be att or intel, got '" + syntax + "'");
        };
        long lo = 0, hi = -1L;
        if (range != null) {
            int dash = range.indexOf('-', 1);
            if (dash < 0) {
                throw new UserError(command + ": --trace-range needs LO-HI, got '" + range + "'");
            }
            lo = number(command, range.substring(0, dash));
            hi = number(command, range.substring(dash + 1));
            if (Long.compareUnsigned(lo, hi) > 0) {
                throw new UserError(command + ": --trace-range: LO is above HI in '" + range + "'");
            }
        }
        if (from < 1 || count < 0) {
            throw new UserError(command + ": need --trace-from >= 1 and --trace-count >= 0");
        }
        if (file == null && (memory || range != null || tid != -1 || from != 1 || count != 0)) {
            throw new UserError(command + ": the --trace-* options need --trace FILE");
        }
        return new Tracer.Options(s, f, memory, lo, hi, tid, from, count);
    }

    private static long number(String command, String text) {
        String t = text.trim().toLowerCase();
        try {
            return t.startsWith("0x") ? Long.parseUnsignedLong(t.substring(2), 16) : Long.parseLong(t);
        } catch (NumberFormatException e) {
            throw new UserError(command + ": --trace-range: '" + text + "' is not a number");
        }
    }

    boolean enabled() {
        return file != null;
    }

    /** A running trace and the stream it writes. */
    record Session(Tracer tracer, OutputStream stream, boolean ownStream) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            tracer.close();
            if (ownStream) {
                stream.close();
            } else {
                stream.flush();
            }
        }
    }

    /** Opens the trace file and attaches a tracer to every CPU of {@code kernel}; null when off. */
    Session start(String command, Kernel kernel, Tracer.Options options) {
        if (file == null) {
            return null;
        }
        boolean stdout = file.toString().equals("-");
        OutputStream stream;
        try {
            if (!stdout && file.getParent() != null && !Files.isDirectory(file.getParent())) {
                throw new UserError(command + ": --trace " + file + ": no such directory");
            }
            stream = stdout ? new FileOutputStream(FileDescriptor.out)
                    : new BufferedOutputStream(Files.newOutputStream(file), 1 << 16);
        } catch (IOException e) {
            throw new UserError(command + ": --trace " + file + ": " + e.getMessage());
        }
        Tracer tracer;
        try {
            tracer = Tracer.attach(kernel, options, stream);
        } catch (IllegalStateException e) {
            throw new UserError(command + ": --trace: " + e.getMessage());
        }
        return new Session(tracer, stream, !stdout);
    }

    /** The events to install: the trace's, or nothing. */
    static KernelEvents events(Session s) {
        return s == null ? KernelEvents.NONE : s.tracer();
    }
}
