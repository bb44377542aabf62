package dev.pagelab.shell;

import dev.pagelab.emulator.PhysicalMemory;
import dev.pagelab.emulator.Register;
import dev.pagelab.emulator.Vcpu;
import dev.pagelab.emulator.X86Paging;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * The CPU commands: regs (general registers, RIP, RFLAGS and the control registers decoded) and
 * x/xp (memory through the process's page tables, or physical). Disassembly is not here yet:
 * {@code x/i} shows the instruction bytes in hex.
 */
final class CpuView {
    private static final Register[] GENERAL = {Register.RAX, Register.RBX, Register.RCX, Register.RDX, Register.RSI,
        Register.RDI, Register.RBP, Register.RSP, Register.R8, Register.R9, Register.R10, Register.R11, Register.R12,
        Register.R13, Register.R14, Register.R15};
    private static final String[] RFLAGS = {"CF", "", "PF", "", "AF", "", "ZF", "SF", "TF", "IF", "DF", "OF"};

    private final Session session; // immutable reference
    private final PrintStream out; // immutable reference

    CpuView(Session session, PrintStream out) {
        this.session = session;
        this.out = out;
    }

    /** regs: the CPU of the stopped (or first) user thread. */
    void regs() {
        Vcpu cpu = session.cpu();
        out.printf("cpu %d, thread %s%n", cpu.id(), session.thread());
        for (int i = 0; i < GENERAL.length; i += 2) {
            out.printf("%-4s 0x%016x    %-4s 0x%016x%n", name(GENERAL[i]), cpu.get(GENERAL[i]), name(GENERAL[i + 1]),
                    cpu.get(GENERAL[i + 1]));
        }
        long rip = cpu.get(Register.RIP);
        out.printf("rip  0x%016x%s%n", rip, session.symbols().describe(rip));
        long fl = cpu.get(Register.RFLAGS);
        out.printf("rflags 0x%x [%s]%n", fl, flagNames(fl));
        out.printf("fs_base 0x%x  gs_base 0x%x%n", cpu.get(Register.FS_BASE), cpu.get(Register.GS_BASE));
        long cr0 = cpu.get(Register.CR0);
        out.printf("cr0  0x%x [%s]%n", cr0, bitNames(cr0, new long[] {1, 2, 4, 8, 16, 32, 1L << 16, 1L << 18,
            1L << 29, 1L << 30, 1L << 31}, new String[] {"PE", "MP", "EM", "TS", "ET", "NE", "WP", "AM", "NW",
                "CD", "PG"}));
        long cr2 = session.debugger().lastFaultAddress(cpu.id());
        out.printf("cr2  %s%n", cr2 < 0 ? "none (no page fault yet)" : String.format("0x%x (last page-fault address)", cr2));
        out.printf("cr3  0x%x (pgd of %s)%n", cpu.get(Register.CR3), session.process().name());
        long cr4 = cpu.get(Register.CR4);
        out.printf("cr4  0x%x [%s]%n", cr4, bitNames(cr4, new long[] {1L << 4, 1L << 5, 1L << 7, 1L << 9, 1L << 10,
            1L << 16, 1L << 17, 1L << 18}, new String[] {"PSE", "PAE", "PGE", "OSFXSR", "OSXMMEXCPT", "FSGSBASE",
                "PCIDE", "OSXSAVE"}));
        long efer = cpu.readMsr(Vcpu.MSR_EFER);
        out.printf("efer 0x%x [%s]%n", efer, bitNames(efer, new long[] {1, 1L << 8, 1L << 10, 1L << 11},
                new String[] {"SCE", "LME", "LMA", "NXE"}));
    }

    private static String name(Register r) {
        return r.name().toLowerCase(java.util.Locale.ROOT);
    }

    private static String flagNames(long fl) {
        List<String> s = new ArrayList<>();
        for (int i = 0; i < RFLAGS.length; i++) {
            if (!RFLAGS[i].isEmpty() && (fl & (1L << i)) != 0) {
                s.add(RFLAGS[i]);
            }
        }
        s.add("IOPL=" + ((fl >> 12) & 3));
        return String.join(" ", s);
    }

    private static String bitNames(long value, long[] bits, String[] names) {
        List<String> s = new ArrayList<>();
        for (int i = 0; i < bits.length; i++) {
            if ((value & bits[i]) != 0) {
                s.add(names[i]);
            }
        }
        return String.join(" ", s);
    }

    /** A parsed x/FMT: count, format letter (x d u c s i), unit size in bytes. */
    record Format(int count, char letter, int size) {
        static Format parse(String spec) {
            int i = 0;
            while (i < spec.length() && Character.isDigit(spec.charAt(i))) {
                i++;
            }
            int count = i == 0 ? 1 : parseCount(spec.substring(0, i));
            char letter = 'x';
            int size = 0;
            for (char c : spec.substring(i).toCharArray()) {
                switch (c) {
                    case 'x', 'd', 'u', 'c', 's', 'i' -> letter = c;
                    case 'b' -> size = 1;
                    case 'h' -> size = 2;
                    case 'w' -> size = 4;
                    case 'g' -> size = 8;
                    default -> throw new ShellError("x/FMT: unknown format letter '" + c
                            + "' (count, then x d u c s i, then b h w g)");
                }
            }
            if (letter == 'c' || letter == 'i' || letter == 's') {
                size = 1;
            }
            return new Format(count, letter, size == 0 ? 4 : size);
        }

        private static int parseCount(String digits) {
            try {
                int n = Integer.parseInt(digits);
                if (n < 1 || n > 4096) {
                    throw new NumberFormatException();
                }
                return n;
            } catch (NumberFormatException e) {
                throw new ShellError("x/FMT: count must be 1 .. 4096");
            }
        }
    }

    /** x/FMT VA (physical: xp/FMT PA). */
    void examine(Format f, long address, boolean physical) {
        if (f.letter() == 's') {
            out.printf("0x%x: \"%s\"%n", address, string(address, physical));
            return;
        }
        int perLine = f.letter() == 'i' ? 16 : Math.max(1, 16 / f.size());
        int total = f.letter() == 'i' ? 16 * f.count() : f.count();
        StringBuilder line = new StringBuilder();
        for (int n = 0; n < total; n++) {
            long at = address + (long) n * f.size();
            if (n % perLine == 0) {
                if (!line.isEmpty()) {
                    out.println(line);
                }
                line.setLength(0);
                line.append(String.format("0x%x%s:", at, physical ? "" : session.symbols().describe(at)));
            }
            line.append(' ').append(unit(f, read(at, f.size(), physical)));
        }
        out.println(line);
        if (f.letter() == 'i') {
            out.println("(no disassembler yet: instruction bytes in hex)");
        }
    }

    private static String unit(Format f, long v) {
        return switch (f.letter()) {
            case 'd' -> Long.toString(signExtend(v, f.size()));
            case 'u' -> Long.toUnsignedString(v);
            case 'c' -> v >= 32 && v < 127 ? "'" + (char) v + "'" : String.format("\\x%02x", v);
            case 'i' -> String.format("%02x", v);
            default -> String.format("0x%0" + (2 * f.size()) + "x", v);
        };
    }

    private static long signExtend(long v, int size) {
        int shift = 64 - 8 * size;
        return (v << shift) >> shift;
    }

    private String string(long address, boolean physical) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < 256; i++) {
            int c = (int) read(address + i, 1, physical);
            if (c == 0) {
                return s.toString();
            }
            s.append(c >= 32 && c < 127 ? String.valueOf((char) c) : String.format("\\x%02x", c));
        }
        return s + "...";
    }

    /** Reads {@code size} bytes little-endian at a virtual or physical address. */
    private long read(long address, int size, boolean physical) {
        long v = 0;
        for (int i = size - 1; i >= 0; i--) {
            long pa = physical ? checkPhysical(address + i) : translate(address + i);
            v = (v << 8) | (ram().readByte(pa) & 0xffL);
        }
        return v;
    }

    private PhysicalMemory ram() {
        return session.kernel().machine().memory();
    }

    private long checkPhysical(long pa) {
        if (pa < 0 || pa >= ram().size()) {
            throw new ShellError(String.format("pa 0x%x is beyond the machine's %d MiB", pa, ram().size() >> 20));
        }
        return pa;
    }

    private long translate(long va) {
        MmView.requireUser(va);
        X86Paging.Walk w = X86Paging.walk(ram(), session.process().mm().pageTables().pgd(), va);
        if (!w.mapped()) {
            throw new ShellError(String.format("0x%x is not mapped (no present pte)", va));
        }
        return w.physicalAddress();
    }
}
