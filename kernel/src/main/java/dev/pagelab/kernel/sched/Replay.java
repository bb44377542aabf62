package dev.pagelab.kernel.sched;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Replays a recorded list of {@link Deviation}s: round-robin everywhere else. A PICK whose task is
 * not runnable at its decision means the run went another way than the recorded one (a different
 * program or version): it is counted in {@link #mismatches()} and round-robin is used instead.
 */
public final class Replay implements Strategy {
    private final Map<Long, Deviation> byKey = new HashMap<>(); // immutable after construction
    private int mismatches; // guarded by the baton

    public Replay(List<Deviation> deviations) {
        for (Deviation d : deviations) {
            byKey.put(d.key(), d);
        }
    }

    @Override
    public Task pick(Decision d) {
        Deviation dev = byKey.get(Deviation.key(d.current().id(), d.index()));
        if (dev == null || dev.kind() != Deviation.Kind.PICK) {
            return d.defaultPick();
        }
        for (Task t : d.runnable()) {
            if (t.id() == dev.value()) {
                return t;
            }
        }
        for (Task t : d.timers()) {
            if (t.id() == dev.value()) {
                return t;
            }
        }
        mismatches++;
        return d.defaultPick();
    }

    @Override
    public long budget(Task task, long max, long index) {
        Deviation dev = byKey.get(Deviation.key(task.id(), index));
        if (dev == null || dev.kind() != Deviation.Kind.BUDGET) {
            return max;
        }
        return Math.max(1, Math.min(max, dev.value()));
    }

    /** Recorded picks that could not be followed. */
    public int mismatches() {
        return mismatches;
    }
}
