package dev.pagelab.kernel.sched;

import dev.pagelab.emulator.VmExit;
import java.util.List;

/**
 * Several {@link KernelEvents} observers behind the one sink the scheduler has (a trace and a
 * debugger at once): each event goes to every observer, in the order given.
 */
public final class CompositeEvents implements KernelEvents {
    private final List<KernelEvents> observers; // immutable

    private CompositeEvents(List<KernelEvents> observers) {
        this.observers = observers;
    }

    /** The observers that are not null or {@link KernelEvents#NONE}, as one; NONE if there are none. */
    public static KernelEvents of(KernelEvents... observers) {
        List<KernelEvents> live = java.util.Arrays.stream(observers)
                .filter(o -> o != null && o != KernelEvents.NONE).toList();
        return switch (live.size()) {
            case 0 -> KernelEvents.NONE;
            case 1 -> live.get(0);
            default -> new CompositeEvents(live);
        };
    }

    @Override
    public void schedPoint(Task current, SchedPoint point) {
        for (KernelEvents o : observers) {
            o.schedPoint(current, point);
        }
    }

    @Override
    public void taskSwitch(Task from, Task to, SchedPoint reason) {
        for (KernelEvents o : observers) {
            o.taskSwitch(from, to, reason);
        }
    }

    @Override
    public void guestEnter(Task task, int cpu, long budget) {
        for (KernelEvents o : observers) {
            o.guestEnter(task, cpu, budget);
        }
    }

    @Override
    public void guestExit(Task task, int cpu, VmExit exit, long retired) {
        for (KernelEvents o : observers) {
            o.guestExit(task, cpu, exit, retired);
        }
    }

    @Override
    public void syscallEntry(Task task, int cpu, VmExit.Syscall call) {
        for (KernelEvents o : observers) {
            o.syscallEntry(task, cpu, call);
        }
    }

    @Override
    public void syscallExit(Task task, int cpu, VmExit.Syscall call, long result) {
        for (KernelEvents o : observers) {
            o.syscallExit(task, cpu, call, result);
        }
    }

    @Override
    public void pageFault(Task task, int cpu, VmExit.PageFault fault) {
        for (KernelEvents o : observers) {
            o.pageFault(task, cpu, fault);
        }
    }

    @Override
    public void pageFaultDone(Task task, int cpu, VmExit.PageFault fault, String outcome) {
        for (KernelEvents o : observers) {
            o.pageFaultDone(task, cpu, fault, outcome);
        }
    }

    @Override
    public void pteChange(long ptep, long oldValue, long newValue) {
        for (KernelEvents o : observers) {
            o.pteChange(ptep, oldValue, newValue);
        }
    }

    @Override
    public void tlbFlush(int cpu) {
        for (KernelEvents o : observers) {
            o.tlbFlush(cpu);
        }
    }

    @Override
    public void timerFired(Task task, long fromNs, long toNs) {
        for (KernelEvents o : observers) {
            o.timerFired(task, fromNs, toNs);
        }
    }
}
