package dev.pagelab.explore;

import dev.pagelab.emulator.VmExit;
import dev.pagelab.kernel.sched.KernelEvents;
import dev.pagelab.kernel.sched.KernelFunction;
import dev.pagelab.kernel.sched.SchedPoint;
import dev.pagelab.kernel.sched.Task;
import dev.pagelab.kernel.syscall.Syscalls;
import java.util.ArrayList;
import java.util.List;

/**
 * A run told as a story in kernel terms, for {@code replay --explain}: which task had the CPU
 * (and on which CPU a user thread ran), where each switch happened (scheduling point and kernel
 * function), the system calls with their results, the page faults with their outcomes. Guest
 * runs between two kernel events are folded into one line. With a {@link PageProbe}, every change of
 * the victim page (flags, tags, ptes, buffers) is its own indented line where it was seen, and
 * an excerpt says the page's whole state where it resumes after a cut.
 */
public final class Story implements KernelEvents {
    private final List<String> lines = new ArrayList<>(); // guarded by the baton
    private final List<Boolean> pageLine = new ArrayList<>(); // per line: a page change; guarded by the baton
    private final List<PageProbe.PageState> stateBefore = new ArrayList<>(); // per line; guarded by the baton
    private final PageProbe probe; // immutable reference; null: no page followed
    private PageProbe.PageState seen = PageProbe.PageState.ABSENT; // the page as last told; guarded by the baton
    private int lossLine = -1; // the line of the oracle's first report, -1 if none; guarded by the baton
    private Task running; // who had the CPU at the last scheduling point or switch; guarded by the baton
    private String lastFunction; // the kernel function of running's last point or pte write, or null; guarded by the baton
    private long guestInstructions; // retired since the last line; guarded by the baton
    private Task guestTask; // whose guest run is being folded; guarded by the baton

    private final List<Integer> marked = new ArrayList<>(); // lines that are preemptions; guarded by the baton

    public Story() {
        this(null);
    }

    /** A story that follows {@code probe}'s page (null: none). */
    public Story(PageProbe probe) {
        this.probe = probe;
    }

    /** The victim page at the end of the run as last seen, or null without a probe. */
    public PageProbe.PageState lastPageState() {
        return probe == null ? null : seen;
    }

    public List<String> lines() {
        return List.copyOf(lines);
    }

    /**
     * The story cut to what matters: {@code around} event lines either side of every preemption
     * and the last {@code tail} ones (page-change lines among them do not count), "..." where
     * lines were left out; with a probe, each kept stretch opens with the page's whole state.
     */
    public List<String> excerpt(int around, int tail) {
        boolean[] keep = new boolean[lines.size()];
        for (int m : marked) {
            keepEvents(keep, m, -1, around);
            keepEvents(keep, m, 1, around);
        }
        keepEvents(keep, lines.size() - 1, -1, tail - 1);
        keepLastWindow(keep, Math.max(4 * around, 40));
        List<String> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (keep[i]) {
                if (probe != null && (i == 0 || !keep[i - 1])) {
                    out.add(stateLine("is", stateBefore.get(i)));
                }
                out.add(lines.get(i));
            } else if (out.isEmpty() || !out.get(out.size() - 1).equals("...")) {
                out.add("...");
            }
        }
        return out;
    }

    /**
     * Keeps everything from the last preemption before the oracle's report to the report, if that
     * stretch has at most {@code limit} event lines: the steps that lost the data.
     */
    private void keepLastWindow(boolean[] keep, int limit) {
        int from = -1;
        for (int m : marked) {
            if (m < lossLine) {
                from = Math.max(from, m);
            }
        }
        if (from < 0 || pageLine.subList(from, lossLine).stream().filter(p -> !p).count() > limit) {
            return;
        }
        for (int i = from; i <= lossLine; i++) {
            keep[i] = true;
        }
    }

    /** Keeps line {@code from} and {@code count} event lines from it in direction {@code step}. */
    private void keepEvents(boolean[] keep, int from, int step, int count) {
        int events = 0;
        for (int i = from; i >= 0 && i < lines.size() && events <= count; i += step) {
            keep[i] = true;
            events += pageLine.get(i) ? 0 : 1;
        }
    }

    /** "page 0 of r.dat is: frame 0x.. [PG_dirty] ...", indented under the task names. */
    public String stateLine(String verb, PageProbe.PageState state) {
        return String.format("%-14s   %s %s: %s", "", probe.victim(), verb, state.describe());
    }

    private void add(String line, boolean page) {
        lines.add(line);
        pageLine.add(page);
        stateBefore.add(seen);
    }

    private static boolean buffersOnly(String change) {
        return change.startsWith("bh ") && !change.contains(";");
    }

    /** A line for the victim page if it changed since last told (after the folded guest run). */
    private void observePage() {
        observePage(null);
    }

    /**
     * As {@link #observePage()}; a change is followed by who made it where, if {@code where}
     * (asked only then: a stack walk) can tell: "(race3msync/2 in clear_page_dirty_for_io)".
     */
    private void observePage(java.util.function.Supplier<String> where) {
        if (probe == null) {
            return;
        }
        PageProbe.PageState now = probe.sample();
        String change = now.changesFrom(seen);
        if (!change.isEmpty()) {
            tellPage(now, change, where == null ? "" : "   (" + where.get() + ")");
        }
        if (lossLine < 0 && probe.lostBytes() != null) {
            flushGuest();
            lossLine = lines.size();
            marked.add(lossLine);
            add(String.format("%-14s   <== the oracle fires: %s", "", PageProbe.describeLoss(probe.lostBytes())), true);
        }
    }

    private void tellPage(PageProbe.PageState now, String change, String where) {
        flushGuest();
        int last = lines.size() - 1;
        if (last >= 0 && pageLine.get(last) && buffersOnly(change) && buffersOnly(now.changesFrom(stateBefore.get(last)))
                && lines.get(last).endsWith(where)) {
            // block_write_full_page cleans the buffers one by one: one line for the run of them
            lines.set(last, String.format("%-14s   %s: %s%s", "", probe.victim(), now.changesFrom(stateBefore.get(last)),
                    where));
        } else {
            add(String.format("%-14s   %s: %s%s", "", probe.victim(), change, where), true);
        }
        seen = now;
    }

    @Override
    public void taskSwitch(Task from, Task to, SchedPoint reason) {
        observePage();
        running = to;
        lastFunction = null;
        flushGuest();
        String how = from.state() == Task.State.RUNNABLE ? "is preempted at "
                : from.state() == Task.State.DEAD ? "exits" : "sleeps at ";
        boolean deviation = isPreemption(from, reason);
        if (deviation) {
            marked.add(lines.size());
        }
        add(String.format("%-14s %s%s -> %s runs%s", from.name(), how, from.state() == Task.State.DEAD ? ""
                : where(reason), to.name(), deviation ? "   <== preemption" : ""), false);
    }

    /** Whether the switch away from {@code from} at {@code reason} is a preemption (not round-robin's). */
    static boolean isPreemption(Task from, SchedPoint reason) {
        return from.state() == Task.State.RUNNABLE && !reason.roundRobinSwitch();
    }

    /** "PREEMPT", or "LOCK_ACQUIRE in write_page": the point and, in kernel code, the function. */
    static String where(SchedPoint reason) {
        return reason.inGuestCode() ? reason.name() : reason + " in " + KernelFunction.caller();
    }

    @Override
    public void timerFired(Task task, long fromNs, long toNs) {
        observePage();
        flushGuest();
        add(String.format("%-14s timer fires early: the kernel work so far took until %,d ns (+%,d ns)",
                task.name(), toNs, toNs - fromNs), false);
    }

    @Override
    public void guestExit(Task task, int cpu, VmExit exit, long retired) {
        if (guestTask != task) {
            flushGuest();
            guestTask = task;
        }
        guestInstructions += retired;
        observePage(() -> task.name() + "'s guest code"); // a store through a pte sets its D bit
        lastFunction = null;
    }

    @Override
    public void syscallEntry(Task task, int cpu, VmExit.Syscall call) {
        observePage();
        flushGuest();
        add(String.format("%-14s CPU%d %s(0x%x, 0x%x, 0x%x)", task.name(), cpu, Syscalls.name(call.number()),
                call.arg1(), call.arg2(), call.arg3()), false);
    }

    @Override
    public void syscallExit(Task task, int cpu, VmExit.Syscall call, long result) {
        observePage();
        add(String.format("%-14s CPU%d %s returns %d", task.name(), cpu, Syscalls.name(call.number()), result), false);
    }

    @Override
    public void pageFault(Task task, int cpu, VmExit.PageFault fault) {
        observePage();
        flushGuest();
        add(String.format("%-14s CPU%d page fault at 0x%x (%s, rip 0x%x)", task.name(), cpu, fault.address(),
                fault.write() ? "write" : fault.fetch() ? "fetch" : "read", fault.rip()), false);
    }

    @Override
    public void pageFaultDone(Task task, int cpu, VmExit.PageFault fault, String outcome) {
        observePage();
        add(String.format("%-14s CPU%d page fault at 0x%x handled: %s", task.name(), cpu, fault.address(),
                outcome), false);
    }

    @Override
    public void pteChange(long ptep, long oldValue, long newValue) {
        if (probe != null) {
            String here = KernelFunction.caller(); // right after the write: exact
            observePage(() -> (running == null ? "" : running.name() + " in ") + here);
            lastFunction = here;
        }
    }

    @Override
    public void schedPoint(Task current, SchedPoint point) {
        if (probe == null) {
            return;
        }
        if (running != current) {
            lastFunction = null;
        }
        running = current;
        String here = KernelFunction.caller();
        String before = lastFunction;
        // the change was made after the last point and before this one: one function or two
        observePage(() -> current.name() + (before == null || before.equals(here) ? " in " + here
                : " between " + before + " and " + here));
        lastFunction = here;
    }

    private void flushGuest() {
        if (guestTask != null && guestInstructions > 0) {
            add(String.format("%-14s runs %,d guest instructions", guestTask.name(), guestInstructions), false);
        }
        guestTask = null;
        guestInstructions = 0;
    }
}
