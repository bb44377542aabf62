package dev.pagelab.kernel.proc;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Linux: the pid hash (kernel/pid.c find_task_by_vpid) and the task list: every process that has
 * not been reaped, zombies included, by pid. Guarded by the baton.
 */
public final class ProcessTable {
    private final Map<Integer, Process> byPid = new TreeMap<>(); // guarded by the baton

    public void add(Process p) {
        if (byPid.putIfAbsent(p.pid(), p) != null) {
            throw new IllegalStateException("ProcessTable.add: pid " + p.pid() + " already in use");
        }
    }

    /** The process {@code pid}, or null. */
    public Process find(long pid) {
        return pid == (int) pid ? byPid.get((int) pid) : null;
    }

    /** release_task: the reaped process leaves the table. */
    public void remove(Process p) {
        if (byPid.remove(p.pid()) != p) {
            throw new IllegalStateException("ProcessTable.remove: pid " + p.pid() + " not in the table");
        }
    }

    /** Processes with a live thread (not zombies). */
    public int live() {
        int n = 0;
        for (Process p : byPid.values()) {
            if (!p.threads().isEmpty()) {
                n++;
            }
        }
        return n;
    }

    public int count() {
        return byPid.size();
    }

    public List<Process> all() {
        return new ArrayList<>(byPid.values());
    }
}
