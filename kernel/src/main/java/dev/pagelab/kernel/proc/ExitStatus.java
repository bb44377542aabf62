package dev.pagelab.kernel.proc;

/**
 * How a process ended: an exit code, or a signal with a one-line report
 * ("killed: SIGSEGV at 0x0 (rip 0x401005, error code 0x6)").
 */
public record ExitStatus(int code, int signal, String report) {
    public static final int SIGILL = 4, SIGBUS = 7, SIGFPE = 8, SIGKILL = 9, SIGSEGV = 11, SIGPIPE = 13;

    public static ExitStatus exited(int code) {
        return new ExitStatus(code & 0xff, 0, null);
    }

    public static ExitStatus killed(int signal, String report) {
        return new ExitStatus(0, signal, report);
    }

    /** An exit status with a one-line report (exec failures: 126, as a shell says). */
    public static ExitStatus failed(int code, String report) {
        return new ExitStatus(code & 0xff, 0, report);
    }

    public boolean killed() {
        return signal != 0;
    }

    /** The shell's view: the code, or 128 + signal. */
    public int shellStatus() {
        return signal != 0 ? 128 + signal : code;
    }
}
