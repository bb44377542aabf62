package dev.pagelab.kernel.sched;

import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Replays deviations on a kernel that differs from the one they were recorded on (a fix added,
 * for attributing a loss to a window). {@link Replay} keys a deviation by the task's decision
 * counter, so a kernel whose fix adds one scheduling point (a {@code lock_page} in
 * {@code clear_page_dirty_for_io}, say) shifts every later deviation of that task to another
 * place, and the run may pass for that reason alone. Here a deviation is keyed by what the task
 * was doing: its scheduling point and kernel function ("LOCK_RELEASE in write_chunk"), and how
 * many times the task had been there before; a budget by how many budgets the task had had.
 * Points the fix added or removed leave the others where they were.
 *
 * <p>Naming the kernel function walks the stack at every decision: for a few replays, not for
 * exploration.
 */
public final class AlignedReplay implements Strategy {
    /** A decision named by what the task was doing, and the how-many-th time. */
    public record Key(int task, String label, long occurrence) { }

    private final Map<Key, Deviation> byKey; // immutable after construction; unused when following
    private final Replay following; // immutable reference; null: follow byKey
    private final Map<String, Long> seen = new HashMap<>(); // (task, label) -> occurrences so far; guarded by the baton
    private int unfollowed; // recorded picks whose task could not run there; guarded by the baton
    private final Map<Key, Deviation> applied = new LinkedHashMap<>(); // what this run did differently; guarded by the baton

    public AlignedReplay(Map<Key, Deviation> deviations) {
        this(Map.copyOf(deviations), null);
    }

    private AlignedReplay(Map<Key, Deviation> byKey, Replay following) {
        this.byKey = byKey;
        this.following = following;
    }

    /**
     * Replays {@code deviations} exactly as {@link Replay} does (keyed by decision counter), and
     * names each one it applies by its {@link Key}: run it on the kernel they were recorded on,
     * then give {@link #applied()} to an {@link AlignedReplay} on another kernel.
     */
    public static AlignedReplay recording(List<Deviation> deviations) {
        return new AlignedReplay(Map.of(), new Replay(deviations));
    }

    @Override
    public Task pick(Decision d) {
        Key key = next(d.current().id(), label(d.point()));
        Task chosen = following != null ? following.pick(d) : follow(byKey.get(key), d);
        if (chosen != d.defaultPick()) {
            applied.put(key, new Deviation(d.current().id(), d.index(), Deviation.Kind.PICK, chosen.id(),
                    d.preemptible(), key.label()));
        }
        return chosen;
    }

    /** The task {@code dev} picks if it can run here (runnable, or a timer that may fire). */
    private Task follow(Deviation dev, Decision d) {
        if (dev == null || dev.kind() != Deviation.Kind.PICK) {
            return d.defaultPick();
        }
        for (List<Task> tasks : List.of(d.runnable(), d.timers())) {
            for (Task t : tasks) {
                if (t.id() == dev.value()) {
                    return t;
                }
            }
        }
        unfollowed++;
        return d.defaultPick();
    }

    @Override
    public long budget(Task task, long max, long index) {
        Key key = next(task.id(), BUDGET);
        long b;
        if (following != null) {
            b = following.budget(task, max, index);
        } else {
            Deviation dev = byKey.get(key);
            b = dev == null || dev.kind() != Deviation.Kind.BUDGET ? max : Math.max(1, Math.min(max, dev.value()));
        }
        if (b != max) {
            applied.put(key, new Deviation(task.id(), index, Deviation.Kind.BUDGET, b, false, ""));
        }
        return b;
    }

    /**
     * The deviations this run made, in order, by key; each also carries this run's decision
     * counter, so {@code applied().values()} replays the same run with {@link Replay}.
     */
    public Map<Key, Deviation> applied() {
        return Collections.unmodifiableMap(applied);
    }

    /** Recorded picks that could not be followed on this kernel (the fix took that path away). */
    public int unfollowed() {
        return unfollowed;
    }

    private Key next(int task, String label) {
        String k = task + "/" + label;
        long n = seen.merge(k, 1L, Long::sum) - 1;
        return new Key(task, label, n);
    }

    private static final String BUDGET = "budget";

    private static String label(SchedPoint point) {
        return point.inGuestCode() ? point.name() : point + " in " + KernelFunction.caller();
    }
}
