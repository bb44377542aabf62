package dev.pagelab.kernel.proc;

import dev.pagelab.kernel.fs.FileTable;
import dev.pagelab.kernel.mm.MmStruct;
import dev.pagelab.kernel.sched.Scheduler;
import dev.pagelab.kernel.sched.WaitQueue;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A process (Linux: a thread group sharing one mm_struct and one files_struct). Fields are
 * guarded by the baton (only one task runs at a time).
 */
public final class Process {
    private final int pid; // immutable: the thread-group id
    private final String name; // immutable
    private final MmStruct mm; // immutable reference
    private final FileTable files = new FileTable(); // immutable reference
    private final FsStruct fs = new FsStruct(); // immutable reference
    private final SignalStruct signal = new SignalStruct(); // immutable reference
    private final List<UserThread> threads = new ArrayList<>(); // live threads
    private final Map<Long, WaitQueue> futexes = new HashMap<>(); // futex queues by user address
    private final Scheduler scheduler; // immutable reference
    private ExitStatus exitStatus; // set once by the first exit_group or fatal signal
    private int parentPid; // getppid: 0 for the first process (its parent is the host); guarded by the baton
    private int pgid; // process group; guarded by the baton
    private int sid; // session; guarded by the baton

    public Process(int pid, String name, MmStruct mm, Scheduler scheduler) {
        this.pid = pid;
        this.name = name;
        this.mm = mm;
        this.scheduler = scheduler;
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

    public int pid() { return pid; }
    public String name() { return name; }
    public MmStruct mm() { return mm; }
    public FileTable files() { return files; }
    public FsStruct fs() { return fs; }
    public SignalStruct signal() { return signal; }
    public List<UserThread> threads() { return threads; }

    /** The futex wait queue of {@code uaddr} (Linux: the futex hash bucket for a private key). */
    public WaitQueue futexQueue(long uaddr) {
        return futexes.computeIfAbsent(uaddr, a -> new WaitQueue(scheduler));
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
    }
}
