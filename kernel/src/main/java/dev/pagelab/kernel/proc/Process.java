package dev.pagelab.kernel.proc;

import dev.pagelab.kernel.fs.FileTable;
import dev.pagelab.kernel.mm.MappedFile;
import dev.pagelab.kernel.mm.MmStruct;
import dev.pagelab.kernel.sched.Scheduler;
import dev.pagelab.kernel.sched.WaitQueue;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A process (Linux: a thread group sharing one mm_struct and one files_struct, with its
 * signal_struct, sighand_struct and fs_struct). Fields are guarded by the baton (only one task
 * runs at a time).
 *
 * <p>Life cycle: running (threads live) -> exiting ({@link #beginExit}: the status is decided,
 * every thread leaves at its next kernel boundary) -> zombie (no threads; the parent has not
 * reaped it with wait4/waitid) -> reaped (gone from the process table).
 */
public final class Process {
    private final int pid; // immutable: the thread-group id
    private String name; // comm; guarded by the baton (exec changes it)
    private MmStruct mm; // guarded by the baton: exec replaces it (exec_mmap)
    private final FileTable files; // immutable reference
    private final FsStruct fs; // immutable reference
    private final SignalStruct signal; // immutable reference
    private final List<UserThread> threads = new ArrayList<>(); // live threads
    private final Map<Long, WaitQueue> futexes = new HashMap<>(); // futex queues by user address
    private final Scheduler scheduler; // immutable reference
    private final WaitQueue childExit; // wait_chldexit: the parent sleeps here in wait4; immutable reference
    private final WaitQueue signalArrived; // sigsuspend/pause sleep here until a signal is sent; immutable reference
    private final Set<WaitQueue> sleepingOn = new LinkedHashSet<>(); // queues a thread sleeps on interruptibly
    private ExitStatus exitStatus; // set once by the first exit_group or fatal signal
    private int parentPid; // getppid: 0 for the first process (its parent is the host); guarded by the baton
    private int pgid; // process group; guarded by the baton
    private int sid; // session; guarded by the baton
    private boolean zombie; // every thread has exited; guarded by the baton
    private MappedFile exe; // the executable (/proc/self/exe); guarded by the baton
    private String exePath = ""; // the path it was executed as; guarded by the baton
    private final List<Process> children = new ArrayList<>(); // live and zombie children; guarded by the baton

    public Process(int pid, String name, MmStruct mm, Scheduler scheduler) {
        this(pid, name, mm, scheduler, new FileTable(), new FsStruct(), new SignalStruct());
    }

    /** copy_process: a process with the given (already copied or shared) parts. */
    public Process(int pid, String name, MmStruct mm, Scheduler scheduler, FileTable files, FsStruct fs,
                   SignalStruct signal) {
        this.pid = pid;
        this.name = name;
        this.mm = mm;
        this.scheduler = scheduler;
        this.files = files;
        this.fs = fs;
        this.signal = signal;
        this.childExit = new WaitQueue(scheduler);
        this.signalArrived = new WaitQueue(scheduler);
        this.pgid = pid;
        this.sid = pid;
    }

    public int parentPid() { return parentPid; }
    public void setParentPid(int ppid) { this.parentPid = ppid; }
    public int pgid() { return pgid; }
    public void setPgid(int pgid) { this.pgid = pgid; }
    public int sid() { return sid; }

    /** setsid: a new session whose group is the caller's pid. */
    public void setSession(int id) {
        this.sid = id;
        this.pgid = id;
    }

    /** fork: the child starts in its parent's group and session. */
    public void inheritGroup(Process parent) {
        this.parentPid = parent.pid;
        this.pgid = parent.pgid;
        this.sid = parent.sid;
    }

    public int pid() { return pid; }
    public String name() { return name; }
    public MmStruct mm() { return mm; }
    public FileTable files() { return files; }
    public FsStruct fs() { return fs; }
    public SignalStruct signal() { return signal; }
    public List<UserThread> threads() { return threads; }
    public List<Process> children() { return children; }
    public WaitQueue childExit() { return childExit; }
    public WaitQueue signalArrived() { return signalArrived; }
    public boolean zombie() { return zombie; }
    public void setZombie() { this.zombie = true; }
    public MappedFile exe() { return exe; }
    public String exePath() { return exePath; }

    /** exec: the new program's name, executable and address space. */
    public void setExecutable(String comm, MappedFile file, String path, MmStruct newMm) {
        this.name = comm;
        this.exe = file;
        this.exePath = path;
        this.mm = newMm;
    }

    /** The futex wait queue of {@code uaddr} (Linux: the futex hash bucket for a private key). */
    public WaitQueue futexQueue(long uaddr) {
        return futexes.computeIfAbsent(uaddr, a -> new WaitQueue(scheduler));
    }

    /**
     * An interruptible sleep on {@code q} (pipes, wait4): a fatal signal wakes it. The caller
     * re-checks its condition and {@link #exiting()} after waking.
     */
    public void sleepInterruptible(WaitQueue q) {
        sleepingOn.add(q);
        try {
            q.sleep();
        } finally {
            sleepingOn.remove(q);
        }
    }

    /** True once the process is going away: every thread exits at its next kernel boundary. */
    public boolean exiting() {
        return exitStatus != null;
    }

    public ExitStatus exitStatus() {
        return exitStatus;
    }

    /**
     * do_group_exit / a fatal signal: records how the process ends (the first reason wins) and
     * wakes every thread so each notices and exits.
     */
    public void beginExit(ExitStatus status) {
        if (exitStatus == null) {
            exitStatus = status;
        }
        for (WaitQueue q : futexes.values()) {
            q.wakeAll();
        }
        for (WaitQueue q : List.copyOf(sleepingOn)) {
            q.wakeAll();
        }
        childExit.wakeAll();
        signalArrived.wakeAll();
    }
}
