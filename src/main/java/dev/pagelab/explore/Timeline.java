package dev.pagelab.explore;

import dev.pagelab.emulator.VmExit;
import dev.pagelab.kernel.sched.KernelEvents;
import dev.pagelab.kernel.sched.SchedPoint;
import dev.pagelab.kernel.sched.Task;
import dev.pagelab.kernel.syscall.Syscalls;
import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import dev.pagelab.cli.Json;

/**
 * A run as Chrome/Perfetto trace-event JSON ({@code replay --timeline}): one lane per task (user
 * threads and kernel threads), slices for guest runs, system calls and page faults (a call that
 * sleeps spans the time others run), an instant where a task gets the CPU, one at every
 * preemption naming the scheduling point and the kernel function, and instants for pte changes
 * and TLB flushes. Time is logical: every event is one microsecond after
 * the one before (kernel work takes no virtual time here, so the virtual clock would stack the
 * kernel's steps on top of each other). Perfetto UI and chrome://tracing open the file.
 *
 * <p>With a {@link PageProbe}, a second process ("pid" 2, named after the victim page) carries
 * counter tracks ("ph":"C") for PG_dirty, PG_writeback, PG_locked, the DIRTY and WRITEBACK tags,
 * the dirty buffers and each mapping's pte bits P, RW and D, each sampled at every kernel event
 * and written when it changes; and two lanes of slices: while PG_locked is held and while
 * PG_writeback is set (the page's I/O).
 *
 * <p>A third process ("pid" 3, "locks held") has a lane per lock and holder with a slice for every
 * hold of a {@code KLock} (page_table_lock) or {@code RwSem} (mmap_sem, read or write), named
 * after the lock and the kernel function that took it.
 *
 * <p>A fourth process ("pid" 4, "CPUs (guest code)") has a lane per CPU with a slice for every
 * guest run on it, named after the thread. Kernel code is not placed on a CPU lane: a system call
 * that sleeps would overlap the guest runs of others on the same CPU; the task lanes show it.
 */
public final class Timeline implements KernelEvents {
    private final List<Map<String, Object>> events = new ArrayList<>(); // guarded by the baton
    private final Map<Integer, String> lanes = new LinkedHashMap<>(); // task id -> name; guarded by the baton
    private long ts; // logical microseconds; guarded by the baton
    private Task running; // who has the CPU; guarded by the baton
    private final Map<Integer, Integer> open = new LinkedHashMap<>(); // open slices per task; guarded by the baton
    /** The pid of the victim page's counters and slices. */
    static final int PAGE_PID = 2;
    static final int LOCKED_TID = 1;
    static final int WRITEBACK_TID = 2;
    /** The instant where an oracle first reports a loss (on the lane of the task that has the CPU). */
    static final String LOSS = "the oracle fires";
    private final PageProbe probe; // immutable reference; null: no page followed
    private final Map<String, Long> counters = new LinkedHashMap<>(); // counter -> last value; guarded by the baton
    private long lockedSince = -1; // ts PG_locked was seen set, -1 if clear; guarded by the baton
    private long writebackSince = -1; // ts PG_writeback was seen set, -1 if clear; guarded by the baton
    private boolean finished; // write or finish was called; guarded by the baton
    /** The pid of the lock-hold lanes. */
    static final int LOCKS_PID = 3;
    /** The pid of the per-CPU lanes: which thread ran guest code on each CPU, when. */
    static final int CPUS_PID = 4;
    private final Map<Integer, Long> onCpu = new java.util.TreeMap<>(); // cpu -> ts its guest run began; guarded by the baton
    private final java.util.SortedSet<Integer> cpus = new java.util.TreeSet<>(); // CPUs that ran guest code; guarded by the baton
    private final Map<List<Object>, Integer> lockLanes = new LinkedHashMap<>(); // (lock, task id) -> tid; guarded by the baton
    private final Map<Integer, String> lockLaneNames = new LinkedHashMap<>(); // tid -> name; guarded by the baton
    private final Map<Object, Integer> lockNumbers = new java.util.IdentityHashMap<>(); // lock -> #n; guarded by the baton
    private final Map<Integer, Map<String, Object>> held = new LinkedHashMap<>(); // tid -> open hold; guarded by the baton
    private boolean lossShown; // the oracle's first report is on the timeline; guarded by the baton

    public Timeline() {
        this(null);
    }

    /** A timeline with counter tracks for {@code probe}'s page (null: none). */
    public Timeline(PageProbe probe) {
        this.probe = probe;
    }

    /** The task lanes: task id -> name, in order of appearance. */
    public Map<Integer, String> lanes() {
        return java.util.Collections.unmodifiableMap(lanes);
    }

    /** The victim page's name, or null without a probe. */
    public String pageName() {
        return probe == null ? null : probe.victim().toString();
    }

    /**
     * Ends the run: closes every open slice (exit and exit_group never return) and returns the
     * events (without the metadata), in time order. Idempotent.
     */
    public List<Map<String, Object>> finish() {
        if (!finished) {
            finished = true;
            long end = ++ts;
            open.forEach((tid, depth) -> {
                for (int i = 0; i < depth; i++) {
                    events.add(new LinkedHashMap<>(Map.of("ph", "E", "ts", end, "pid", 1, "tid", tid)));
                }
            });
            open.clear();
            closePageSlices(end, false, false);
            new ArrayList<>(held.keySet()).forEach(tid -> endHold(tid, end));
        }
        return java.util.Collections.unmodifiableList(events);
    }

    /** Samples the victim page and writes the counters that changed (at a new time if any did). */
    private void observePage() {
        if (probe == null) {
            return;
        }
        if (!lossShown && probe.lostBytes() != null && running != null) {
            lossShown = true;
            instant(running, ++ts, LOSS, Map.of("lost", PageProbe.describeLoss(probe.lostBytes())));
        }
        PageProbe.PageState s = probe.sample();
        Map<String, Long> now = new LinkedHashMap<>();
        now.put("PG_dirty", s.dirty() ? 1L : 0L);
        now.put("PG_writeback", s.writeback() ? 1L : 0L);
        now.put("PG_locked", s.locked() ? 1L : 0L);
        now.put("tag DIRTY", s.tagDirty() ? 1L : 0L);
        now.put("tag WRITEBACK", s.tagWriteback() ? 1L : 0L);
        now.put("dirty buffers", (long) s.dirtyBuffers());
        for (String name : counters.keySet()) {
            if (name.startsWith("pte(")) {
                now.put(name, 0L); // a mapping that went away
            }
        }
        for (PageProbe.PteBits p : s.ptes()) {
            boolean mapsIt = p.present() && !p.otherFrame();
            now.put("pte(" + p.label() + ") P", mapsIt ? 1L : 0L);
            now.put("pte(" + p.label() + ") RW", mapsIt && p.rw() ? 1L : 0L);
            now.put("pte(" + p.label() + ") D", mapsIt && p.dirty() ? 1L : 0L);
        }
        if (now.equals(counters)) {
            return;
        }
        long t = ++ts;
        now.forEach((name, value) -> {
            if (!value.equals(counters.get(name))) {
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("name", name);
                e.put("ph", "C");
                e.put("ts", t);
                e.put("pid", PAGE_PID);
                e.put("args", Map.of("value", value));
                events.add(e);
            }
        });
        counters.clear();
        counters.putAll(now);
        closePageSlices(t, s.locked(), s.writeback());
    }

    /** Ends the PG_locked / PG_writeback slices that are no longer held and starts new ones. */
    private void closePageSlices(long t, boolean locked, boolean writeback) {
        lockedSince = pageSlice(t, LOCKED_TID, "PG_locked", lockedSince, locked);
        writebackSince = pageSlice(t, WRITEBACK_TID, "PG_writeback", writebackSince, writeback);
    }

    private long pageSlice(long t, int tid, String name, long since, boolean held) {
        if (since >= 0 && !held) {
            Map<String, Object> e = completeSlice(name, since, PAGE_PID, tid, Map.of());
            e.put("dur", t - since);
            events.add(e);
            return -1;
        }
        return since < 0 && held ? t : since;
    }

    @Override
    public void taskSwitch(Task from, Task to, SchedPoint reason) {
        observePage();
        long t = ++ts;
        if (Story.isPreemption(from, reason)) {
            instant(from, t, "preempted: " + to.name() + " runs", Map.of("at", Story.where(reason)));
        }
        instant(to, t, "gets the CPU", Map.of("from", from.name(), "at", reason.name()));
        running = to;
    }

    @Override
    public void timerFired(Task task, long fromNs, long toNs) {
        observePage();
        instant(task, ++ts, "timer fires early", Map.of("clock_from_ns", fromNs, "clock_to_ns", toNs));
    }

    @Override
    public void guestEnter(Task task, int cpu, long budget) {
        observePage();
        running = task;
        begin(task, ++ts, "guest code", Map.of("cpu", cpu, "budget", budget));
        onCpu.put(cpu, ts);
        cpus.add(cpu);
    }

    @Override
    public void guestExit(Task task, int cpu, VmExit exit, long retired) {
        observePage();
        end(task, ++ts, Map.of("retired", retired, "exit", exit.getClass().getSimpleName()));
        Long since = onCpu.remove(cpu);
        if (since != null) {
            Map<String, Object> e = completeSlice(task.name(), since, CPUS_PID, cpu,
                    Map.of("task", task.id(), "retired", retired));
            e.put("dur", Math.max(1, ts - since));
            events.add(e);
        }
    }

    @Override
    public void syscallEntry(Task task, int cpu, VmExit.Syscall call) {
        observePage();
        begin(task, ++ts, Syscalls.name(call.number()), Map.of("cpu", cpu,
                "args", String.format("0x%x, 0x%x, 0x%x", call.arg1(), call.arg2(), call.arg3())));
    }

    @Override
    public void syscallExit(Task task, int cpu, VmExit.Syscall call, long result) {
        observePage();
        end(task, ++ts, Map.of("result", result));
    }

    @Override
    public void pageFault(Task task, int cpu, VmExit.PageFault fault) {
        observePage();
        begin(task, ++ts, "page fault", Map.of("cpu", cpu, "address", String.format("0x%x", fault.address()),
                "write", fault.write()));
    }

    @Override
    public void pageFaultDone(Task task, int cpu, VmExit.PageFault fault, String outcome) {
        observePage();
        end(task, ++ts, Map.of("outcome", outcome));
    }

    @Override
    public void pteChange(long ptep, long oldValue, long newValue) {
        observePage();
        if (running != null) {
            instant(running, ++ts, "pte change", Map.of("ptep", String.format("0x%x", ptep),
                    "old", String.format("0x%x", oldValue), "new", String.format("0x%x", newValue)));
        }
    }

    @Override
    public void tlbFlush(int cpu) {
        observePage();
        if (running != null) {
            instant(running, ++ts, "TLB flush", Map.of("cpu", cpu));
        }
    }

    @Override
    public void schedPoint(Task current, SchedPoint point) {
        observePage();
    }

    @Override
    public void lockAcquired(Task task, Object lock, String name) {
        observePage();
        int tid = lockLanes.computeIfAbsent(List.of(lock, task.id()), k -> {
            int n = lockNumbers.computeIfAbsent(lock, l -> lockNumbers.size() + 1);
            int id = lockLanes.size() + 1;
            lockLaneNames.put(id, name.split(" ")[0] + " #" + n + " by " + task.name());
            return id;
        });
        held.put(tid, completeSlice(name, ++ts, LOCKS_PID, tid,
                Map.of("task", task.id(), "function", dev.pagelab.kernel.sched.KernelFunction.caller())));
    }

    @Override
    public void lockReleased(Task task, Object lock, String name) {
        observePage();
        Integer tid = lockLanes.get(List.of(lock, task.id()));
        if (tid == null || !held.containsKey(tid)) {
            throw new IllegalStateException("Timeline: " + task.name() + " releases " + name + " it was not seen taking");
        }
        endHold(tid, ++ts);
    }

    /** The hold on lane {@code tid} ends at {@code t}: its slice is complete. */
    private void endHold(int tid, long t) {
        Map<String, Object> e = held.remove(tid);
        e.put("dur", Math.max(1, t - (Long) e.get("ts")));
        events.add(e);
    }

    /** Writes the trace-event JSON, process and thread names first. */
    public void write(Path file) throws IOException {
        finish();
        List<Object> all = new ArrayList<>();
        all.add(Map.of("ph", "M", "name", "process_name", "pid", 1, "args", Map.of("name", "tasks")));
        lanes.forEach((id, name) -> all.add(Map.of("ph", "M", "name", "thread_name", "pid", 1, "tid", id,
                "args", Map.of("name", name + " (task " + id + ")"))));
        if (probe != null) {
            all.add(Map.of("ph", "M", "name", "process_name", "pid", PAGE_PID, "args",
                    Map.of("name", probe.victim().toString())));
            all.add(Map.of("ph", "M", "name", "thread_name", "pid", PAGE_PID, "tid", LOCKED_TID, "args",
                    Map.of("name", "PG_locked held")));
            all.add(Map.of("ph", "M", "name", "thread_name", "pid", PAGE_PID, "tid", WRITEBACK_TID, "args",
                    Map.of("name", "PG_writeback (I/O)")));
        }
        if (!lockLaneNames.isEmpty()) {
            all.add(Map.of("ph", "M", "name", "process_name", "pid", LOCKS_PID, "args", Map.of("name", "locks held")));
            lockLaneNames.forEach((tid, name) -> all.add(Map.of("ph", "M", "name", "thread_name", "pid", LOCKS_PID,
                    "tid", tid, "args", Map.of("name", name))));
        }
        if (!cpus.isEmpty()) {
            all.add(Map.of("ph", "M", "name", "process_name", "pid", CPUS_PID, "args",
                    Map.of("name", "CPUs (guest code)")));
            cpus.forEach(c -> all.add(Map.of("ph", "M", "name", "thread_name", "pid", CPUS_PID, "tid", c, "args",
                    Map.of("name", "CPU" + c))));
        }
        all.addAll(events);
        try (Writer w = Files.newBufferedWriter(file)) {
            w.write(Json.write(Map.of("traceEvents", all, "displayTimeUnit", "ns")));
        }
    }

    private void begin(Task task, long t, String name, Map<String, Object> args) {
        lanes.putIfAbsent(task.id(), task.name());
        open.merge(task.id(), 1, Integer::sum);
        events.add(event("B", task, t, name, args));
    }

    private void end(Task task, long t, Map<String, Object> args) {
        open.merge(task.id(), -1, Integer::sum);
        events.add(event("E", task, t, null, args));
    }

    private void instant(Task task, long t, String name, Map<String, Object> args) {
        lanes.putIfAbsent(task.id(), task.name());
        Map<String, Object> e = event("i", task, t, name, args);
        e.put("s", "t");
        events.add(e);
    }

    /** A complete ("X") slice from {@code since} on lane (pid, tid); the caller sets "dur" when it ends. */
    private static Map<String, Object> completeSlice(String name, long since, int pid, int tid,
                                                     Map<String, Object> args) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("name", name);
        e.put("ph", "X");
        e.put("ts", since);
        e.put("pid", pid);
        e.put("tid", tid);
        if (!args.isEmpty()) {
            e.put("args", args);
        }
        return e;
    }

    private static Map<String, Object> event(String ph, Task task, long t, String name, Map<String, Object> args) {
        Map<String, Object> e = new LinkedHashMap<>();
        if (name != null) {
            e.put("name", name);
        }
        e.put("ph", ph);
        e.put("ts", t);
        e.put("pid", 1);
        e.put("tid", task.id());
        if (!args.isEmpty()) {
            e.put("args", args);
        }
        return e;
    }
}
