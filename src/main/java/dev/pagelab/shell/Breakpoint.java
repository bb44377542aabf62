package dev.pagelab.shell;

import dev.pagelab.kernel.sched.SchedPoint;
import java.util.Locale;

/**
 * A shell breakpoint: where the machine stops. Each kind is matched at one kernel event
 * (see {@link Debugger}): a guest address by the CPU's native hook, a system call at its entry,
 * a page fault before it is handled, a kernel point at the scheduling point of that kind or inside
 * the named kernel function.
 */
sealed interface Breakpoint {
    /** The number shown by {@code info break} and used by {@code delete}. */
    int id();

    /** One line for {@code info break}. */
    String describe();

    /** An instruction address in the guest (ELF symbol or number). */
    record GuestAddress(int id, long address, String symbol) implements Breakpoint {
        @Override
        public String describe() {
            return String.format("guest 0x%x%s", address, symbol.isEmpty() ? "" : " <" + symbol + ">");
        }
    }

    /** A system call, by number (its name for display). */
    record Syscall(int id, long number, String name) implements Breakpoint {
        @Override
        public String describe() {
            return "syscall " + name + " (" + number + ")";
        }
    }

    /**
     * A user page fault at an address in [start, end), or in a VMA named {@code vmaName}
     * (when not empty); every fault when the range is everything.
     */
    record Fault(int id, long start, long end, String vmaName) implements Breakpoint {
        boolean matches(long address, String vma) {
            if (!vmaName.isEmpty()) {
                return vmaName.equals(vma);
            }
            return Long.compareUnsigned(address, start) >= 0 && Long.compareUnsigned(address, end) < 0;
        }

        @Override
        public String describe() {
            if (!vmaName.isEmpty()) {
                return "page fault in " + vmaName;
            }
            if (start == 0 && end == -1L) {
                return "page fault (any)";
            }
            return String.format("page fault in 0x%x-0x%x", start, end);
        }
    }

    /** A scheduling point of one kind, anywhere in the kernel. */
    record KernelPoint(int id, SchedPoint point) implements Breakpoint {
        @Override
        public String describe() {
            return "kernel " + point.name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * A kernel function (Linux name, e.g. clear_page_dirty_for_io): stops at the first scheduling
     * point reached inside each call of it.
     */
    record KernelFunction(int id, String linuxName, String javaName) implements Breakpoint {
        @Override
        public String describe() {
            return "kernel " + linuxName + "()";
        }
    }
}
