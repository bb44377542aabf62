package dev.pagelab.emulator;

/**
 * Why {@link Vcpu#run} returned: one variant per reason, like KVM_RUN's exit reasons. The CPU has
 * stopped at a precise instruction boundary; the kernel handles the exit and runs the CPU again.
 */
public sealed interface VmExit {

    /** Where the CPU stopped: the faulting instruction, or the next one to execute. */
    long rip();

    /**
     * A #PF the CPU took at CPL 3. {@code rip} is the faulting instruction, which re-executes
     * when the CPU is run again; {@code address} is CR2; {@code errorCode} is the hardware's.
     */
    record PageFault(long address, int errorCode, long rip) implements VmExit {
        public static final int PRESENT = 1;
        public static final int WRITE = 1 << 1;
        public static final int USER = 1 << 2;
        public static final int RESERVED = 1 << 3;
        public static final int FETCH = 1 << 4;

        public boolean present() { return (errorCode & PRESENT) != 0; }
        public boolean write() { return (errorCode & WRITE) != 0; }
        public boolean user() { return (errorCode & USER) != 0; }
        public boolean fetch() { return (errorCode & FETCH) != 0; }

        @Override
        public String toString() {
            return String.format("PageFault(address=0x%x, errorCode=0x%x [%s], rip=0x%x)", address, errorCode,
                    describe(errorCode), rip);
        }

        /** "user write present" style text of an error code. */
        public static String describe(int errorCode) {
            return ((errorCode & USER) != 0 ? "user " : "supervisor ")
                    + ((errorCode & FETCH) != 0 ? "fetch" : (errorCode & WRITE) != 0 ? "write" : "read")
                    + ((errorCode & PRESENT) != 0 ? " protection" : " not-present");
        }
    }

    /**
     * The guest executed {@code syscall}. {@code rip} is past the instruction; the hardware's own
     * effects were applied (RCX = return RIP, R11 = RFLAGS). Arguments follow the Linux x86-64
     * convention: RDI, RSI, RDX, R10, R8, R9. Write the result to RAX and run again.
     */
    record Syscall(long number, long arg1, long arg2, long arg3, long arg4, long arg5, long arg6, long rip)
            implements VmExit {
        @Override
        public String toString() {
            return String.format("Syscall(nr=%d, args=[0x%x, 0x%x, 0x%x, 0x%x, 0x%x, 0x%x], rip=0x%x)", number, arg1,
                    arg2, arg3, arg4, arg5, arg6, rip);
        }

        /** Argument {@code i}, 1-based as in the Linux man pages. */
        public long arg(int i) {
            return switch (i) {
                case 1 -> arg1;
                case 2 -> arg2;
                case 3 -> arg3;
                case 4 -> arg4;
                case 5 -> arg5;
                case 6 -> arg6;
                default -> throw new IllegalArgumentException("Syscall.arg: no argument " + i);
            };
        }
    }

    /** The CPU stopped on its own with no instruction budget pending (run with no limit). */
    record Halt(long rip) implements VmExit {}

    /** The instruction budget given to {@link Vcpu#run} was used up. */
    record QuantumExpired(long rip) implements VmExit {}

    /** Any other exception the CPU raised at CPL 3 (#DE, #UD, #GP, #DF ...), by vector. */
    record CpuException(int vector, long rip) implements VmExit {
        public String mnemonic() {
            return switch (vector) {
                case 0 -> "#DE divide error";
                case 1 -> "#DB debug";
                case 3 -> "#BP breakpoint";
                case 4 -> "#OF overflow";
                case 5 -> "#BR bound range";
                case 6 -> "#UD invalid opcode";
                case 7 -> "#NM device not available";
                case 8 -> "#DF double fault";
                case 10 -> "#TS invalid TSS";
                case 11 -> "#NP segment not present";
                case 12 -> "#SS stack fault";
                case 13 -> "#GP general protection";
                case 16 -> "#MF x87 floating point";
                case 17 -> "#AC alignment check";
                case 19 -> "#XM SIMD floating point";
                default -> "vector " + vector;
            };
        }

        @Override
        public String toString() {
            return String.format("CpuException(%s, rip=0x%x)", mnemonic(), rip);
        }
    }
}
