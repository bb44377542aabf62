package dev.pagelab.kernel.syscall;

import dev.pagelab.emulator.Register;
import dev.pagelab.emulator.UserState;
import dev.pagelab.emulator.Vcpu;
import dev.pagelab.kernel.Errno;
import dev.pagelab.kernel.Kernel;
import dev.pagelab.kernel.fs.Inode;
import dev.pagelab.kernel.fs.OpenFile;
import dev.pagelab.kernel.fs.Pipe;
import dev.pagelab.kernel.mm.FrameAllocator;
import dev.pagelab.kernel.mm.Fork;
import dev.pagelab.kernel.mm.MappedFile;
import dev.pagelab.kernel.mm.MmStruct;
import dev.pagelab.kernel.mm.UserAccess;
import dev.pagelab.kernel.proc.ElfException;
import dev.pagelab.kernel.proc.ElfFile;
import dev.pagelab.kernel.proc.Exec;
import dev.pagelab.kernel.proc.ExitStatus;
import dev.pagelab.kernel.proc.Process;
import dev.pagelab.kernel.proc.SignalStruct;
import dev.pagelab.kernel.proc.Signals;
import dev.pagelab.kernel.proc.UserThread;
import dev.pagelab.kernel.sched.WaitQueue;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Processes: fork, vfork, clone without CLONE_VM, execve, wait4, waitid, the parent's side of
 * exit (exit_notify), and pipe/pipe2 (Linux: kernel/fork.c, fs/exec.c, kernel/exit.c, fs/pipe.c).
 *
 * <p>Unlike Linux: vfork is a fork (copy-on-write) whose parent sleeps until the child execs or
 * exits, as vfork promises; execve in a process with several threads is refused (-EINVAL);
 * orphans go to pid 1 while it lives, else they are reaped when they exit; there is no job
 * control (WUNTRACED/WCONTINUED report nothing).
 */
final class ForkCalls {
    static final long CLONE_VM = 0x100, CLONE_VFORK = 0x4000, CLONE_SETTLS = 0x80000, CLONE_PARENT_SETTID = 0x100000,
            CLONE_CHILD_CLEARTID = 0x200000, CLONE_CHILD_SETTID = 0x1000000, CLONE_THREAD = 0x10000;
    static final int WNOHANG = 1, WEXITED = 4, WNOWAIT = 0x0100_0000;
    static final int P_ALL = 0, P_PID = 1, P_PGID = 2;
    static final int CLD_EXITED = 1, CLD_KILLED = 2;
    private static final int MAX_ARGS = 65536, ARG_MAX = 2 << 20, STRING_MAX = 128 << 10;

    private final Kernel kernel; // immutable reference
    private final UserAccess ua; // immutable reference
    private final PathCalls paths; // immutable reference
    private final SignalCalls signals; // immutable reference
    private final Map<Process, WaitQueue> vforkDone = new HashMap<>(); // vfork children not yet exec'd/exited; guarded by the baton

    ForkCalls(Kernel kernel, PathCalls paths, SignalCalls signals) {
        this.kernel = kernel;
        this.ua = kernel.uaccess();
        this.paths = paths;
        this.signals = signals;
    }

    // ---- fork -----------------------------------------------------------------------------------

    long fork(UserThread t) {
        return copyProcess(t, 0, 0, 0, 0, 0);
    }

    long vfork(UserThread t) {
        return copyProcess(t, CLONE_VFORK, 0, 0, 0, 0);
    }

    /**
     * clone without CLONE_THREAD: a new process. Unlike Linux, CLONE_VM here (glibc's posix_spawn
     * and so system() and popen: CLONE_VM|CLONE_VFORK on a stack of their own) still gives the
     * child a copy-on-write copy, so stores the child makes before it execs are not seen by the
     * parent (posix_spawn then reports a failed exec through the child's exit status 127 only).
     */
    long clone(UserThread t, long flags, long newsp, long parentTid, long childTid, long tls) {
        if ((flags & CLONE_THREAD) != 0) {
            throw new Errno(Errno.EINVAL);
        }
        return copyProcess(t, flags, newsp, parentTid, childTid, tls);
    }

    /**
     * copy_process + wake_up_new_task: the child gets a copy-on-write copy of the mm, copies of
     * the descriptor table (sharing open files), fs_struct and signal handlers, the caller's
     * registers with RAX = 0, and the caller's signal mask. Returns the child's pid.
     */
    private long copyProcess(UserThread t, long flags, long newsp, long parentTid, long childTid, long tls) {
        Process parent = t.process();
        long[] regs = kernel.ensureOnCpu(t).saveUserState();
        MmStruct mm;
        try {
            mm = Fork.dupMm(parent.mm(), kernel.frames(), kernel.machine(), kernel.scheduler(), kernel);
        } catch (FrameAllocator.OutOfMemory e) {
            throw new Errno(Errno.ENOMEM);
        }
        Process child = new Process(kernel.allocPid(), parent.name(), mm, kernel.scheduler(), parent.files().dup(),
                parent.fs().copy(), parent.signal().copy());
        child.inheritGroup(parent);
        child.setExecutable(parent.name(), parent.exe(), parent.exePath(), mm);
        kernel.processes().add(child);
        parent.children().add(child);
        regs[UserState.index(Register.RAX)] = 0;
        if (newsp != 0) {
            regs[UserState.index(Register.RSP)] = newsp;
        }
        if ((flags & CLONE_SETTLS) != 0) {
            regs[UserState.index(Register.FS_BASE)] = tls;
        }
        UserThread main = kernel.spawnProcess(child, regs);
        main.setBlocked(t.blocked());
        if ((flags & CLONE_PARENT_SETTID) != 0) {
            ua.putUserInt(parent.mm(), parentTid, child.pid());
        }
        if ((flags & CLONE_CHILD_SETTID) != 0) {
            ua.putUserInt(mm, childTid, child.pid());
        }
        if ((flags & CLONE_CHILD_CLEARTID) != 0) {
            main.setClearChildTid(childTid);
        }
        if ((flags & CLONE_VFORK) != 0) {
            waitForVforkDone(parent, child);
        }
        return child.pid();
    }

    /** wait_for_vfork_done: the parent sleeps until the child execs or exits. */
    private void waitForVforkDone(Process parent, Process child) {
        WaitQueue q = new WaitQueue(kernel.scheduler());
        vforkDone.put(child, q);
        while (vforkDone.containsKey(child) && !parent.exiting()) {
            parent.sleepInterruptible(q);
        }
    }

    /** mm_release's vfork half: the child no longer borrows its parent's time. */
    private void completeVforkDone(Process child) {
        WaitQueue q = vforkDone.remove(child);
        if (q != null) {
            q.wakeAll();
        }
    }

    // ---- execve ---------------------------------------------------------------------------------

    /**
     * do_execve: reads the path, argv and envp from the old image, loads the new one into a
     * fresh mm, and only then commits (exec_mmap: switch the CPU to the new page tables, tear
     * the old mm down), closes close-on-exec descriptors, resets handled signals, and starts the
     * program with Linux's initial register and FPU state. Never returns on success.
     */
    long execve(UserThread t, long pathname, long argvAddr, long envpAddr) {
        Process p = t.process();
        String path = paths.getname(t, pathname);
        List<String> argv = stringArray(t, argvAddr);
        List<String> envp = stringArray(t, envpAddr);
        if (p.threads().size() > 1) {
            throw new Errno(Errno.EINVAL);
        }
        Executable exe = openExecutable(t, path);
        kernel.execStarted();
        MmStruct mm = new MmStruct(kernel.frames(), kernel.machine(), kernel.scheduler());
        Exec.Image image;
        try {
            image = Exec.loadElfBinary(mm, ua, exe.elf(), exe.file(), argv, envp);
        } catch (UserAccess.Efault | FrameAllocator.OutOfMemory e) {
            kernel.exitMmap(mm);
            throw new Errno(e instanceof UserAccess.Efault ? Errno.E2BIG : Errno.ENOMEM);
        } finally {
            exe.release();
        }
        MmStruct old = p.mm();
        String comm = path.substring(path.lastIndexOf('/') + 1);
        p.setExecutable(comm.length() > 15 ? comm.substring(0, 15) : comm, exe.file(), path, mm);
        Vcpu cpu = kernel.ensureOnCpu(t);
        cpu.setPageTableRoot(mm.pageTables().pgd());
        kernel.exitMmap(old);
        cpu.loadUserState(UserState.initial(image.entry(), image.stackPointer()));
        p.files().closeOnExecAll();
        p.signal().flushHandlers();
        t.setClearChildTid(0);
        completeVforkDone(p);
        return Syscalls.NO_RETURN;
    }

    /** An executable to load: its parsed ELF, the file its pages map, and what to release after loading. */
    private record Executable(ElfFile elf, MappedFile file, OpenFile opened) {
        void release() {
            if (opened != null) {
                opened.release();
            }
        }
    }

    /**
     * Finds the executable: "/proc/self/exe" is the running one; else the disk, then
     * --host-dir (open_exec). Not an ELF executable pagelab runs: -ENOEXEC (a shell then runs
     * the file as a script itself).
     */
    private Executable openExecutable(UserThread t, String path) {
        if (path.equals("/proc/self/exe") && t.process().exe() != null) {
            MappedFile f = t.process().exe();
            return new Executable(parse(readAll((Inode) f)), f, null);
        }
        String abs = paths.resolve(t, PathCalls.AT_FDCWD, path);
        OpenFile f = paths.openRegular(abs);
        try {
            if (!(f.inode() instanceof Inode inode)) {
                throw new Errno(Errno.EACCES);
            }
            return new Executable(parse(readAll(inode)), inode, f);
        } catch (Errno e) {
            f.release();
            throw e;
        }
    }

    private static byte[] readAll(Inode inode) {
        long size = inode.size();
        if (size > 256L << 20) {
            throw new Errno(Errno.ENOEXEC);
        }
        byte[] image = new byte[(int) size];
        inode.read(0, image, 0, image.length);
        return image;
    }

    private static ElfFile parse(byte[] image) {
        try {
            return ElfFile.parse(image);
        } catch (ElfException e) {
            throw new Errno(Errno.ENOEXEC);
        }
    }

    /** copy_strings: a NULL-terminated array of string pointers (NULL itself: an empty array). */
    private List<String> stringArray(UserThread t, long addr) {
        List<String> out = new ArrayList<>();
        if (addr == 0) {
            return out;
        }
        long total = 0;
        for (int i = 0; ; i++) {
            if (i >= MAX_ARGS) {
                throw new Errno(Errno.E2BIG);
            }
            long ptr = ua.getUserLong(t.process().mm(), addr + 8L * i);
            if (ptr == 0) {
                return out;
            }
            String s;
            try {
                s = ua.strncpyFromUser(t.process().mm(), ptr, STRING_MAX);
            } catch (IllegalArgumentException e) {
                throw new Errno(Errno.E2BIG);
            }
            total += s.length() + 1;
            if (total > ARG_MAX) {
                throw new Errno(Errno.E2BIG);
            }
            out.add(s);
        }
    }

    // ---- exit and wait --------------------------------------------------------------------------

    /**
     * exit_notify, for a process whose last thread has gone: its children go to pid 1 (or are
     * reaped when they exit, if pid 1 is gone); it becomes a zombie for its parent, which gets
     * SIGCHLD and a wake-up in wait4 - or is reaped at once when there is no parent to wait
     * (the first process) or the parent ignores SIGCHLD.
     */
    void exitNotify(Process p) {
        completeVforkDone(p);
        p.setZombie();
        reparentChildren(p);
        Process parent = kernel.processes().find(p.parentPid());
        if (parent == null || parent.zombie() || parent.signal().action(Signals.SIGCHLD).handler() == SignalStruct.SIG_IGN) {
            if (parent != null) {
                parent.children().remove(p);
                parent.childExit().wakeAll();
            }
            kernel.processes().remove(p);
            return;
        }
        signals.sendToProcess(parent, Signals.SIGCHLD);
        parent.childExit().wakeAll();
    }

    /** forget_original_parent: children move to pid 1; zombies among them with nobody to wait go now. */
    private void reparentChildren(Process p) {
        Process init = kernel.processes().find(1);
        boolean initWaits = init != null && init != p && !init.zombie();
        for (Process c : List.copyOf(p.children())) {
            p.children().remove(c);
            if (initWaits) {
                c.setParentPid(1);
                init.children().add(c);
                if (c.zombie()) {
                    init.childExit().wakeAll();
                }
            } else {
                c.setParentPid(0);
                if (c.zombie()) {
                    kernel.processes().remove(c);
                }
            }
        }
    }

    /** wait4: status word = code << 8 for an exit, the signal for a kill. */
    long wait4(UserThread t, long pid, long status, long options, long rusage) {
        if ((options & ~(WNOHANG | 2 | 8 | 0x2000_0000 | 0x4000_0000 | 0x8000_0000L)) != 0) {
            throw new Errno(Errno.EINVAL);
        }
        Process z = waitForZombie(t, pid == -1 ? P_ALL : pid > 0 ? P_PID : P_PGID,
                pid > 0 ? pid : pid == 0 ? t.process().pgid() : -pid, (options & WNOHANG) != 0);
        if (z == null) {
            return 0;
        }
        ExitStatus es = z.exitStatus();
        if (status != 0) {
            ua.putUserInt(t.process().mm(), status, es.killed() ? es.signal() & 0x7f : (es.code() & 0xff) << 8);
        }
        if (rusage != 0) {
            ua.copyToUser(t.process().mm(), rusage, new byte[144]);
        }
        reap(t.process(), z);
        return z.pid();
    }

    /** waitid: siginfo with si_signo SIGCHLD, si_code CLD_EXITED/CLD_KILLED, si_pid, si_status. */
    long waitid(UserThread t, long idtype, long id, long infop, long options, long rusage) {
        if ((options & WEXITED) == 0 || idtype < P_ALL || idtype > P_PGID) {
            throw new Errno(Errno.EINVAL);
        }
        Process z = waitForZombie(t, (int) idtype, idtype == P_PGID && id == 0 ? t.process().pgid() : id,
                (options & WNOHANG) != 0);
        if (infop != 0) {
            ByteBuffer b = ByteBuffer.allocate(128).order(ByteOrder.LITTLE_ENDIAN);
            if (z != null) {
                ExitStatus es = z.exitStatus();
                b.putInt(0, Signals.SIGCHLD).putInt(8, es.killed() ? CLD_KILLED : CLD_EXITED).putInt(16, z.pid())
                        .putInt(24, es.killed() ? es.signal() : es.code());
            }
            ua.copyToUser(t.process().mm(), infop, b.array());
        }
        if (z != null && (options & WNOWAIT) == 0) {
            reap(t.process(), z);
        }
        return 0;
    }

    /**
     * do_wait: a zombie child matching (idtype, id), sleeping until one exits unless
     * {@code nohang}; null for WNOHANG with none yet; ECHILD with no matching child at all.
     */
    private Process waitForZombie(UserThread t, int idtype, long id, boolean nohang) {
        Process p = t.process();
        while (true) {
            boolean any = false;
            for (Process c : p.children()) {
                if (idtype == P_PID && c.pid() != id || idtype == P_PGID && c.pgid() != id) {
                    continue;
                }
                any = true;
                if (c.zombie()) {
                    return c;
                }
            }
            if (!any) {
                throw new Errno(Errno.ECHILD);
            }
            if (nohang) {
                return null;
            }
            p.sleepInterruptible(p.childExit());
            if (p.exiting()) {
                throw new Errno(Errno.EINTR);
            }
        }
    }

    /** release_task: the zombie leaves its parent and the process table. */
    private void reap(Process parent, Process z) {
        parent.children().remove(z);
        kernel.processes().remove(z);
    }

    // ---- pipes ----------------------------------------------------------------------------------

    /** pipe2: fds[0] the read end, fds[1] the write end; O_CLOEXEC and O_NONBLOCK. */
    long pipe2(UserThread t, long fds, long flags) {
        if ((flags & ~(OpenFile.O_CLOEXEC | OpenFile.O_NONBLOCK)) != 0) {
            throw new Errno(Errno.EINVAL);
        }
        OpenFile[] ends = Pipe.create(kernel.scheduler(), this::sleepOnPipe, (int) flags);
        boolean cloexec = (flags & OpenFile.O_CLOEXEC) != 0;
        int r = t.process().files().installFrom(0, ends[0], cloexec);
        int w;
        try {
            w = t.process().files().installFrom(0, ends[1], cloexec);
        } catch (Errno e) {
            t.process().files().close(r);
            ends[1].release();
            throw e;
        }
        try {
            ua.putUserInt(t.process().mm(), fds, r);
            ua.putUserInt(t.process().mm(), fds + 4, w);
        } catch (UserAccess.Efault e) {
            t.process().files().close(r);
            t.process().files().close(w);
            throw e;
        }
        return 0;
    }

    /** Pipe.Sleeper: the running thread's process sleeps interruptibly; a dying process gets EINTR. */
    private void sleepOnPipe(WaitQueue q) {
        UserThread me = (UserThread) kernel.scheduler().current().owner();
        me.process().sleepInterruptible(q);
        if (me.process().exiting()) {
            throw new Errno(Errno.EINTR);
        }
    }
}
