package dev.pagelab.kernel.syscall;

import dev.pagelab.emulator.VmExit;
import dev.pagelab.kernel.Errno;
import dev.pagelab.kernel.Kernel;
import dev.pagelab.kernel.mm.UserAccess;
import dev.pagelab.kernel.proc.UserThread;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The system-call table (Linux x86-64 numbers, arch/x86/syscalls/syscall_64.tbl) and dispatch.
 * A handler returns its result or throws {@link Errno}; a bad user pointer anywhere becomes
 * -EFAULT; an unknown number is -ENOSYS and is remembered for {@code --stats}.
 */
public final class Syscalls {
    /** A handler's result meaning "this thread does not return to user mode" (exit). */
    public static final long NO_RETURN = Long.MIN_VALUE;

    static final int READ = 0, WRITE = 1, CLOSE = 3, FSTAT = 5, LSEEK = 8, MMAP = 9, MPROTECT = 10, MUNMAP = 11,
            BRK = 12, PREAD64 = 17, PWRITE64 = 18, WRITEV = 20, SCHED_YIELD = 24, MSYNC = 26, NANOSLEEP = 35,
            GETPID = 39, CLONE = 56, EXIT = 60, UNAME = 63, FSYNC = 74, FDATASYNC = 75, FTRUNCATE = 77, UNLINK = 87,
            ARCH_PRCTL = 158, GETTID = 186, FUTEX = 202, SET_TID_ADDRESS = 218, EXIT_GROUP = 231, OPENAT = 257;

    private final FileCalls files; // immutable reference
    private final MemoryCalls memory; // immutable reference
    private final ProcessCalls process; // immutable reference
    private final ProgramCalls program; // immutable reference: the rest of the table
    private final SortedMap<String, Long> counts = new TreeMap<>(); // guarded by the baton
    private final SortedSet<Long> unknown = new TreeSet<>(); // guarded by the baton

    public Syscalls(Kernel kernel) {
        this.files = new FileCalls(kernel);
        this.memory = new MemoryCalls(kernel);
        this.process = new ProcessCalls(kernel);
        this.program = new ProgramCalls(kernel, this);
    }

    /** exit_notify for a process whose last thread has exited (zombie, SIGCHLD, reparenting). */
    public void exitNotify(dev.pagelab.kernel.proc.Process p) {
        program.fork().exitNotify(p);
    }

    /** Signal delivery on the way back to user mode; true if the process is now exiting. */
    public boolean doSignal(UserThread t) {
        return program.signals().doSignal(t);
    }

    /** Runs the syscall and returns RAX (a -errno on failure) or {@link #NO_RETURN}. */
    public long dispatch(UserThread t, VmExit.Syscall sc) {
        String name = name(sc.number());
        if (name == null) {
            name = ProgramCalls.name(sc.number());
        }
        if (name == null) {
            unknown.add(sc.number());
            return -Errno.ENOSYS;
        }
        counts.merge(name, 1L, Long::sum);
        try {
            return call(t, sc);
        } catch (Errno e) {
            if (e.errno() == Errno.EPIPE && (sc.number() == WRITE || sc.number() == WRITEV || sc.number() == PWRITE64)) {
                program.signals().sendToThread(t, dev.pagelab.kernel.proc.Signals.SIGPIPE); // Linux: pipe_write
            }
            return -e.errno();
        } catch (UserAccess.Efault e) {
            return -Errno.EFAULT;
        }
    }

    private long call(UserThread t, VmExit.Syscall s) {
        return switch ((int) s.number()) {
            case READ -> files.read(t, s.arg1(), s.arg2(), s.arg3());
            case WRITE -> files.write(t, s.arg1(), s.arg2(), s.arg3());
            case CLOSE -> files.close(t, s.arg1());
            case FSTAT -> files.fstat(t, s.arg1(), s.arg2());
            case LSEEK -> files.lseek(t, s.arg1(), s.arg2(), s.arg3());
            case PREAD64 -> files.pread(t, s.arg1(), s.arg2(), s.arg3(), s.arg4());
            case PWRITE64 -> files.pwrite(t, s.arg1(), s.arg2(), s.arg3(), s.arg4());
            case WRITEV -> files.writev(t, s.arg1(), s.arg2(), s.arg3());
            case OPENAT -> program.paths().openat(t, s.arg1(), s.arg2(), s.arg3(), s.arg4());
            case FSYNC -> files.fsync(t, s.arg1(), "fsync");
            case FDATASYNC -> files.fsync(t, s.arg1(), "fdatasync");
            case FTRUNCATE -> files.ftruncate(t, s.arg1(), s.arg2());
            case UNLINK -> files.unlink(t, s.arg1());
            case MMAP -> memory.mmap(t, s.arg1(), s.arg2(), s.arg3(), s.arg4(), s.arg5(), s.arg6());
            case MUNMAP -> memory.munmap(t, s.arg1(), s.arg2());
            case MPROTECT -> memory.mprotect(t, s.arg1(), s.arg2(), s.arg3());
            case BRK -> memory.brk(t, s.arg1());
            case MSYNC -> memory.msync(t, s.arg1(), s.arg2(), s.arg3());
            case CLONE -> clone(t, s.arg1(), s.arg2(), s.arg3(), s.arg4(), s.arg5());
            case EXIT -> process.exit(t, s.arg1());
            case EXIT_GROUP -> process.exitGroup(t, s.arg1());
            case FUTEX -> process.futex(t, s.arg1(), s.arg2(), s.arg3(), s.arg4());
            case SCHED_YIELD -> process.schedYield();
            case NANOSLEEP -> process.nanosleep(t, s.arg1());
            case GETPID -> t.process().pid();
            case GETTID -> t.tid();
            case ARCH_PRCTL -> process.archPrctl(t, s.arg1(), s.arg2());
            case SET_TID_ADDRESS -> process.setTidAddress(t, s.arg1());
            case UNAME -> process.uname(t, s.arg1());
            default -> program.call(t, s);
        };
    }

    /** clone and clone3: a thread (CLONE_THREAD) or a process. */
    long clone(UserThread t, long flags, long newsp, long parentTid, long childTid, long tls) {
        return (flags & ProcessCalls.CLONE_THREAD) == 0
                ? program.fork().clone(t, flags, newsp, parentTid, childTid, tls)
                : process.clone(t, flags, newsp, parentTid, childTid, tls);
    }

    /** The syscall's name, or null if pagelab does not implement it. */
    public static String name(long number) {
        if (number != (int) number) {
            return null;
        }
        return switch ((int) number) {
            case READ -> "read";
            case WRITE -> "write";
            case CLOSE -> "close";
            case FSTAT -> "fstat";
            case LSEEK -> "lseek";
            case MMAP -> "mmap";
            case MPROTECT -> "mprotect";
            case MUNMAP -> "munmap";
            case BRK -> "brk";
            case PREAD64 -> "pread64";
            case PWRITE64 -> "pwrite64";
            case WRITEV -> "writev";
            case SCHED_YIELD -> "sched_yield";
            case MSYNC -> "msync";
            case NANOSLEEP -> "nanosleep";
            case GETPID -> "getpid";
            case CLONE -> "clone";
            case EXIT -> "exit";
            case UNAME -> "uname";
            case FSYNC -> "fsync";
            case FDATASYNC -> "fdatasync";
            case FTRUNCATE -> "ftruncate";
            case UNLINK -> "unlink";
            case ARCH_PRCTL -> "arch_prctl";
            case GETTID -> "gettid";
            case FUTEX -> "futex";
            case SET_TID_ADDRESS -> "set_tid_address";
            case EXIT_GROUP -> "exit_group";
            case OPENAT -> "openat";
            default -> null;
        };
    }

    public SortedMap<String, Long> counts() {
        return new TreeMap<>(counts);
    }

    public SortedSet<Long> unknown() {
        return new TreeSet<>(unknown);
    }
}
