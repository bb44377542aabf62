package dev.pagelab.kernel.syscall;

import dev.pagelab.emulator.VmExit;
import dev.pagelab.kernel.Errno;
import dev.pagelab.kernel.Kernel;
import dev.pagelab.kernel.proc.UserThread;
import java.util.Map;
import java.util.TreeMap;

/**
 * The second half of the system-call table: the calls real static programs (glibc, musl,
 * busybox) make beyond pagelab's original set, and the ones pagelab knows and deliberately
 * answers -ENOSYS (libc falls back: rseq, clone3). {@link Syscalls} asks here for every number
 * it does not handle itself. docs/syscalls.md lists both halves.
 */
final class ProgramCalls {
    static final int OPEN = 2, STAT = 4, LSTAT = 6, RT_SIGACTION = 13, RT_SIGPROCMASK = 14, RT_SIGRETURN = 15,
            IOCTL = 16, ACCESS = 21, DUP = 32, DUP2 = 33, KILL = 62, FCNTL = 72, GETCWD = 79, CHDIR = 80,
            FCHDIR = 81, READLINK = 89, UMASK = 95, GETTIMEOFDAY = 96, GETRLIMIT = 97, GETRUSAGE = 98, SYSINFO = 99,
            TIMES = 100, GETUID = 102, GETGID = 104, GETEUID = 107, GETEGID = 108, SETPGID = 109, GETPPID = 110,
            GETPGRP = 111, SETSID = 112, GETGROUPS = 115, GETRESUID = 118, GETRESGID = 120, GETPGID = 121,
            GETSID = 124, SIGALTSTACK = 131, SETRLIMIT = 160, TKILL = 200, TIME = 201, SCHED_GETAFFINITY = 204,
            GETDENTS64 = 217, CLOCK_GETTIME = 228, CLOCK_GETRES = 229, CLOCK_NANOSLEEP = 230, TGKILL = 234,
            NEWFSTATAT = 262, UNLINKAT = 263, READLINKAT = 267, FACCESSAT = 269, SET_ROBUST_LIST = 273,
            UTIMENSAT = 280, FALLOCATE = 285, DUP3 = 292, PRLIMIT64 = 302, GETRANDOM = 318, STATX = 332, RSEQ = 334,
            CLONE3 = 435, FACCESSAT2 = 439, PIPE = 22, FORK = 57, VFORK = 58, EXECVE = 59, WAIT4 = 61, WAITID = 247,
            PIPE2 = 293, POLL = 7, PPOLL = 271, SENDFILE = 40, RENAME = 82, RENAMEAT = 264, RENAMEAT2 = 316,
            CHMOD = 90, FCHMOD = 91, CHOWN = 92, FCHOWN = 93, LCHOWN = 94, FCHOWNAT = 260, FCHMODAT = 268,
            PRCTL = 157, MKDIR = 83, RMDIR = 84, MKDIRAT = 258, RT_SIGSUSPEND = 130, PAUSE = 34;

    private static final Map<Integer, String> NAMES = new TreeMap<>(Map.ofEntries(
            Map.entry(OPEN, "open"), Map.entry(STAT, "stat"), Map.entry(LSTAT, "lstat"),
            Map.entry(RT_SIGACTION, "rt_sigaction"), Map.entry(RT_SIGPROCMASK, "rt_sigprocmask"),
            Map.entry(RT_SIGRETURN, "rt_sigreturn"), Map.entry(IOCTL, "ioctl"), Map.entry(ACCESS, "access"),
            Map.entry(DUP, "dup"), Map.entry(DUP2, "dup2"), Map.entry(KILL, "kill"), Map.entry(FCNTL, "fcntl"),
            Map.entry(GETCWD, "getcwd"), Map.entry(CHDIR, "chdir"), Map.entry(FCHDIR, "fchdir"),
            Map.entry(READLINK, "readlink"), Map.entry(UMASK, "umask"), Map.entry(GETTIMEOFDAY, "gettimeofday"),
            Map.entry(GETRLIMIT, "getrlimit"), Map.entry(GETRUSAGE, "getrusage"), Map.entry(SYSINFO, "sysinfo"),
            Map.entry(TIMES, "times"), Map.entry(GETUID, "getuid"), Map.entry(GETGID, "getgid"),
            Map.entry(GETEUID, "geteuid"), Map.entry(GETEGID, "getegid"), Map.entry(SETPGID, "setpgid"),
            Map.entry(GETPPID, "getppid"), Map.entry(GETPGRP, "getpgrp"), Map.entry(SETSID, "setsid"),
            Map.entry(GETGROUPS, "getgroups"), Map.entry(GETRESUID, "getresuid"), Map.entry(GETRESGID, "getresgid"),
            Map.entry(GETPGID, "getpgid"), Map.entry(GETSID, "getsid"), Map.entry(SIGALTSTACK, "sigaltstack"),
            Map.entry(SETRLIMIT, "setrlimit"), Map.entry(TKILL, "tkill"), Map.entry(TIME, "time"),
            Map.entry(SCHED_GETAFFINITY, "sched_getaffinity"), Map.entry(GETDENTS64, "getdents64"),
            Map.entry(CLOCK_GETTIME, "clock_gettime"), Map.entry(CLOCK_GETRES, "clock_getres"),
            Map.entry(CLOCK_NANOSLEEP, "clock_nanosleep"), Map.entry(TGKILL, "tgkill"),
            Map.entry(NEWFSTATAT, "newfstatat"), Map.entry(UNLINKAT, "unlinkat"), Map.entry(READLINKAT, "readlinkat"),
            Map.entry(FACCESSAT, "faccessat"), Map.entry(SET_ROBUST_LIST, "set_robust_list"),
            Map.entry(UTIMENSAT, "utimensat"), Map.entry(FALLOCATE, "fallocate"), Map.entry(DUP3, "dup3"),
            Map.entry(PRLIMIT64, "prlimit64"), Map.entry(GETRANDOM, "getrandom"), Map.entry(STATX, "statx"),
            Map.entry(RSEQ, "rseq"), Map.entry(CLONE3, "clone3"), Map.entry(FACCESSAT2, "faccessat2"),
            Map.entry(PIPE, "pipe"), Map.entry(FORK, "fork"), Map.entry(VFORK, "vfork"), Map.entry(EXECVE, "execve"),
            Map.entry(WAIT4, "wait4"), Map.entry(WAITID, "waitid"), Map.entry(PIPE2, "pipe2"),
            Map.entry(POLL, "poll"), Map.entry(PPOLL, "ppoll"), Map.entry(SENDFILE, "sendfile"),
            Map.entry(RENAME, "rename"), Map.entry(RENAMEAT, "renameat"), Map.entry(RENAMEAT2, "renameat2"),
            Map.entry(CHMOD, "chmod"), Map.entry(FCHMOD, "fchmod"), Map.entry(CHOWN, "chown"),
            Map.entry(FCHOWN, "fchown"), Map.entry(LCHOWN, "lchown"), Map.entry(FCHOWNAT, "fchownat"),
            Map.entry(FCHMODAT, "fchmodat"), Map.entry(PRCTL, "prctl"), Map.entry(MKDIR, "mkdir"),
            Map.entry(RMDIR, "rmdir"), Map.entry(MKDIRAT, "mkdirat"), Map.entry(RT_SIGSUSPEND, "rt_sigsuspend"),
            Map.entry(PAUSE, "pause")));

    private final Clocks clocks; // immutable reference
    private final PathCalls paths; // immutable reference
    private final InfoCalls info; // immutable reference
    private final FdCalls fds; // immutable reference
    private final SignalCalls signals; // immutable reference
    private final ForkCalls fork; // immutable reference
    private final PollCalls poll; // immutable reference
    private final MiscCalls misc; // immutable reference
    private final dev.pagelab.kernel.proc.ProcessTable kernelProcesses; // immutable reference

    private final Syscalls table; // immutable reference: for clone3's way into clone
    private final Kernel kernel; // immutable reference

    ProgramCalls(Kernel kernel, Syscalls table) {
        this.table = table;
        this.kernel = kernel;
        this.clocks = new Clocks(kernel.scheduler());
        this.paths = new PathCalls(kernel, clocks);
        this.info = new InfoCalls(kernel, clocks);
        this.fds = new FdCalls(kernel);
        this.signals = new SignalCalls(kernel);
        this.fork = new ForkCalls(kernel, paths, signals);
        this.poll = new PollCalls(kernel);
        this.misc = new MiscCalls(kernel, paths);
        this.kernelProcesses = kernel.processes();
    }

    /** The name of a number this table knows, or null. */
    static String name(long number) {
        return number == (int) number ? NAMES.get((int) number) : null;
    }

    /** Every number this table knows, with its name. */
    static Map<Integer, String> names() {
        return NAMES;
    }

    PathCalls paths() {
        return paths;
    }

    SignalCalls signals() {
        return signals;
    }

    ForkCalls fork() {
        return fork;
    }

    long call(UserThread t, VmExit.Syscall s) {
        long a1 = s.arg1(), a2 = s.arg2(), a3 = s.arg3(), a4 = s.arg4(), a5 = s.arg5();
        return switch ((int) s.number()) {
            case OPEN -> paths.open(t, a1, a2, a3);
            case STAT, LSTAT -> paths.stat(t, a1, a2);
            case NEWFSTATAT -> paths.newfstatat(t, a1, a2, a3, a4);
            case STATX -> paths.statx(t, a1, a2, a3, a4, a5);
            case ACCESS -> paths.faccessat(t, PathCalls.AT_FDCWD, a1, a2);
            case FACCESSAT, FACCESSAT2 -> paths.faccessat(t, a1, a2, a3);
            case GETCWD -> paths.getcwd(t, a1, a2);
            case CHDIR -> paths.chdir(t, a1);
            case FCHDIR -> paths.fchdir(t, a1);
            case READLINK -> paths.readlinkat(t, PathCalls.AT_FDCWD, a1, a2, a3);
            case READLINKAT -> paths.readlinkat(t, a1, a2, a3, a4);
            case UNLINKAT -> paths.unlinkat(t, a1, a2, a3);
            case UTIMENSAT -> paths.utimensat(t, a1, a2, a3, a4);
            case FALLOCATE -> paths.fallocate(t, a1, a2, a3, a4);
            case IOCTL -> fds.ioctl(t, a1, a2, a3);
            case DUP -> fds.dup(t, a1);
            case DUP2 -> fds.dup2(t, a1, a2);
            case DUP3 -> fds.dup3(t, a1, a2, a3);
            case FCNTL -> fds.fcntl(t, a1, a2, a3);
            case GETDENTS64 -> fds.getdents64(t, a1, a2, a3);
            case RT_SIGACTION -> signals.rtSigaction(t, a1, a2, a3, a4);
            case RT_SIGPROCMASK -> signals.rtSigprocmask(t, a1, a2, a3, a4);
            case RT_SIGRETURN -> signals.rtSigreturn(t);
            case SIGALTSTACK -> signals.sigaltstack(t, a1, a2);
            case KILL -> signals.kill(t, a1, a2);
            case TKILL -> signals.tkill(t, a1, a2);
            case TGKILL -> signals.tgkill(t, a1, a2, a3);
            case RT_SIGSUSPEND -> signals.rtSigsuspend(t, a1, a2);
            case PAUSE -> signals.pause(t);
            case FORK -> fork.fork(t);
            case VFORK -> fork.vfork(t);
            case EXECVE -> fork.execve(t, a1, a2, a3);
            case WAIT4 -> fork.wait4(t, a1, a2, a3, a4);
            case WAITID -> fork.waitid(t, a1, a2, a3, a4, a5);
            case PIPE -> fork.pipe2(t, a1, 0);
            case PIPE2 -> fork.pipe2(t, a1, a2);
            case POLL -> poll.poll(t, a1, a2, a3);
            case PPOLL -> poll.ppoll(t, a1, a2, a3, a4, a5);
            default -> callMisc(t, s);
        };
    }

    private long callMisc(UserThread t, VmExit.Syscall s) {
        long a1 = s.arg1(), a2 = s.arg2(), a3 = s.arg3(), a4 = s.arg4(), a5 = s.arg5();
        return switch ((int) s.number()) {
            case SENDFILE -> misc.sendfile(t, a1, a2, a3, a4);
            case RENAME -> misc.renameat2(t, PathCalls.AT_FDCWD, a1, PathCalls.AT_FDCWD, a2, 0);
            case RENAMEAT -> misc.renameat2(t, a1, a2, a3, a4, 0);
            case RENAMEAT2 -> misc.renameat2(t, a1, a2, a3, a4, a5);
            case CHMOD, CHOWN, LCHOWN -> misc.chmodAt(t, PathCalls.AT_FDCWD, a1);
            case FCHMODAT, FCHOWNAT -> misc.chmodAt(t, a1, a2);
            case FCHMOD, FCHOWN -> misc.fchmod(t, a1);
            case PRCTL -> misc.prctl(t, a1, a2);
            case MKDIR -> paths.mkdirat(t, PathCalls.AT_FDCWD, a1, a2);
            case MKDIRAT -> paths.mkdirat(t, a1, a2, a3);
            case RMDIR -> paths.rmdir(t, a1);
            default -> callInfo(t, s);
        };
    }

    private long callInfo(UserThread t, VmExit.Syscall s) {
        long a1 = s.arg1(), a2 = s.arg2(), a3 = s.arg3(), a4 = s.arg4();
        return switch ((int) s.number()) {
            case CLOCK_GETTIME -> info.clockGettime(t, a1, a2);
            case CLOCK_GETRES -> info.clockGetres(t, a1, a2);
            case CLOCK_NANOSLEEP -> info.clockNanosleep(t, a1, a2, a3, a4);
            case GETTIMEOFDAY -> info.gettimeofday(t, a1, a2);
            case TIME -> info.time(t, a1);
            case TIMES -> info.times(t, a1);
            case GETRUSAGE -> info.getrusage(t, a1, a2);
            case SYSINFO -> info.sysinfo(t, a1);
            case PRLIMIT64 -> info.prlimit64(t, a1, a2, a3, a4);
            case GETRLIMIT -> info.getrlimit(t, a1, a2);
            case SETRLIMIT -> info.setrlimit(t, a1, a2);
            case GETRANDOM -> info.getrandom(t, a1, a2, a3);
            case SCHED_GETAFFINITY -> info.schedGetaffinity(t, a1, a2, a3);
            case SET_ROBUST_LIST -> info.setRobustList(t, a1, a2);
            case UMASK -> info.umask(t, a1);
            case GETUID, GETGID, GETEUID, GETEGID -> 0;
            case GETRESUID, GETRESGID -> info.getresid(t, a1, a2, a3);
            case GETGROUPS -> info.getgroups(t, a1, a2);
            case GETPPID -> t.process().parentPid();
            case GETPGRP -> t.process().pgid();
            case GETPGID -> pgidOf(t, a1);
            case GETSID -> t.process().sid();
            case SETPGID -> setpgid(t, a1, a2);
            case SETSID -> setsid(t);
            case RSEQ -> throw new Errno(Errno.ENOSYS);
            case CLONE3 -> clone3(t, a1, a2);
            default -> throw new IllegalStateException("ProgramCalls: no handler for " + s.number());
        };
    }

    private long pgidOf(UserThread t, long pid) {
        if (pid == 0) {
            return t.process().pgid();
        }
        dev.pagelab.kernel.proc.Process p = kernelProcesses.find(pid);
        if (p == null) {
            throw new Errno(Errno.ESRCH);
        }
        return p.pgid();
    }

    /** setpgid: the caller or one of its children moves to group {@code pgid} (0: its own pid). */
    private long setpgid(UserThread t, long pid, long pgid) {
        if (pgid < 0) {
            throw new Errno(Errno.EINVAL);
        }
        dev.pagelab.kernel.proc.Process p = pid == 0 ? t.process() : kernelProcesses.find(pid);
        if (p == null || p != t.process() && p.parentPid() != t.process().pid()) {
            throw new Errno(Errno.ESRCH);
        }
        p.setPgid(pgid == 0 ? p.pid() : (int) pgid);
        return 0;
    }

    /** setsid: a new session and group led by the caller; EPERM for a group leader. */
    private long setsid(UserThread t) {
        dev.pagelab.kernel.proc.Process p = t.process();
        if (p.pgid() == p.pid()) {
            throw new Errno(Errno.EPERM);
        }
        p.setSession(p.pid());
        return p.pid();
    }

    /**
     * clone3: struct clone_args (at least CLONE_ARGS_SIZE_VER0, 64 bytes) turned into clone's
     * arguments: the stack is given by its lowest address and size, the exit signal separately.
     */
    private long clone3(UserThread t, long uargs, long size) {
        if (size < 64 || size > 4096) {
            throw new Errno(Errno.EINVAL);
        }
        dev.pagelab.kernel.mm.MmStruct mm = t.process().mm();
        dev.pagelab.kernel.mm.UserAccess ua = kernel.uaccess();
        long flags = ua.getUserLong(mm, uargs);
        long childTid = ua.getUserLong(mm, uargs + 16);
        long parentTid = ua.getUserLong(mm, uargs + 24);
        long exitSignal = ua.getUserLong(mm, uargs + 32);
        long stack = ua.getUserLong(mm, uargs + 40);
        long stackSize = ua.getUserLong(mm, uargs + 48);
        long tls = ua.getUserLong(mm, uargs + 56);
        if ((flags & 0xff) != 0 || exitSignal < 0 || exitSignal > 64 || (stack == 0) != (stackSize == 0)) {
            throw new Errno(Errno.EINVAL);
        }
        return table.clone(t, flags | exitSignal, stack == 0 ? 0 : stack + stackSize, parentTid, childTid, tls);
    }
}
