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
 */
public final class Timeline implements KernelEvents {
    private final List<Map<String, Object>> events = new ArrayList<>(); // guarded by the baton
    private final Map<Integer, String> lanes = new LinkedHashMap<>(); // task id -> name; guarded by the baton
    private long ts; // logical microseconds; guarded by the baton
    private Task running; // who has the CPU; guarded by the baton
    private final Map<Integer, Integer> open = new LinkedHashMap<>(); // open slices per task; guarded by the baton

    @Override
    public void taskSwitch(Task from, Task to, SchedPoint reason) {
        long t = ++ts;
        if (Story.isPreemption(from, reason)) {
            instant(from, t, "preempted: " + to.name() + " runs", Map.of("at", Story.where(reason)));
        }
        instant(to, t, "gets the CPU", Map.of("from", from.name(), "at", reason.name()));
        running = to;
    }

    @Override
    public void timerFired(Task task, long fromNs, long toNs) {
        instant(task, ++ts, "timer fires early", Map.of("clock_from_ns", fromNs, "clock_to_ns", toNs));
    }

    @Override
    public void guestEnter(Task task, int cpu, long budget) {
        running = task;
        begin(task, ++ts, "guest code", Map.of("cpu", cpu, "budget", budget));
    }

    @Override
    public void guestExit(Task task, int cpu, VmExit exit, long retired) {
        end(task, ++ts, Map.of("retired", retired, "exit", exit.getClass().getSimpleName()));
    }

    @Override
    public void syscallEntry(Task task, int cpu, VmExit.Syscall call) {
        begin(task, ++ts, Syscalls.name(call.number()), Map.of("cpu", cpu,
                "args", String.format("0x%x, 0x%x, 0x%x", call.arg1(), call.arg2(), call.arg3())));
    }

    @Override
    public void syscallExit(Task task, int cpu, VmExit.Syscall call, long result) {
        end(task, ++ts, Map.of("result", result));
    }

    @Override
    public void pageFault(Task task, int cpu, VmExit.PageFault fault) {
        begin(task, ++ts, "page fault", Map.of("cpu", cpu, "address", String.format("0x%x", fault.address()),
                "write", fault.write()));
    }

    @Override
    public void pageFaultDone(Task task, int cpu, VmExit.PageFault fault, String outcome) {
        end(task, ++ts, Map.of("outcome", outcome));
    }

    @Override
    public void pteChange(long ptep, long oldValue, long newValue) {
        if (running != null) {
            instant(running, ++ts, "pte change", Map.of("ptep", String.format("0x%x", ptep),
                    "old", String.format("0x%x", oldValue), "new", String.format("0x%x", newValue)));
        }
    }

    @Override
    public void tlbFlush(int cpu) {
        if (running != null) {
            instant(running, ++ts, "TLB flush", Map.of("cpu", cpu));
        }
    }

    /** Writes the trace-event JSON, thread names first. */
    public void write(Path file) throws IOException {
        long end = ++ts;
        open.forEach((tid, depth) -> {
            for (int i = 0; i < depth; i++) { // exit and exit_group never return
                events.add(Map.of("ph", "E", "ts", end, "pid", 1, "tid", tid));
            }
        });
        open.clear();
        List<Object> all = new ArrayList<>();
        lanes.forEach((id, name) -> all.add(Map.of("ph", "M", "name", "thread_name", "pid", 1, "tid", id,
                "args", Map.of("name", name + " (task " + id + ")"))));
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
