package dev.pagelab.explore;

import dev.pagelab.kernel.sched.Deviation;
import dev.pagelab.kernel.sched.Replay;
import java.util.ArrayList;
import java.util.List;

/**
 * Shrinks a failing schedule (delta debugging, Zeller's ddmin): first to the fewest preemptions,
 * then to the fewest deviations from round-robin, keeping the failure's signature (the same
 * oracle, signal or status). Every candidate is replayed for real; what a replay actually applied
 * replaces the candidate, so deviations that no longer take effect disappear.
 */
public final class Shrinker {
    private final Scenario scenario; // immutable
    private final String signature; // immutable: what must still fail
    private int replays; // guarded by the calling thread

    public Shrinker(Scenario scenario, String signature) {
        this.scenario = scenario;
        this.signature = signature;
    }

    /** The shrunk deviations (1-minimal: removing any one of them makes the failure go away). */
    public List<Deviation> shrink(List<Deviation> failing) {
        List<Deviation> cur = replayApplied(failing);
        if (cur == null) {
            throw new IllegalStateException("shrink: the schedule does not fail with " + signature + " when replayed");
        }
        cur = ddmin(cur, true);
        cur = ddmin(cur, false);
        return cur;
    }

    public int replays() {
        return replays;
    }

    /**
     * ddmin over the deviations that {@code preemptionsOnly} selects (preemptive picks, or all),
     * the others kept as they are.
     */
    private List<Deviation> ddmin(List<Deviation> all, boolean preemptionsOnly) {
        List<Deviation> cur = all;
        int n = 2;
        while (true) {
            List<Deviation> movable = cur.stream().filter(d -> !preemptionsOnly || d.preemption()).toList();
            if (movable.isEmpty()) {
                return cur;
            }
            n = Math.min(n, movable.size());
            boolean reduced = false;
            for (int i = 0; i < n && !reduced; i++) {
                List<Deviation> chunk = chunk(movable, n, i);
                List<Deviation> without = new ArrayList<>(cur);
                without.removeAll(chunk);
                List<Deviation> applied = replayApplied(without);
                if (applied != null) {
                    cur = applied;
                    n = Math.max(2, n - 1);
                    reduced = true;
                }
            }
            if (!reduced) {
                if (n >= movable.size()) {
                    return cur;
                }
                n = Math.min(movable.size(), 2 * n);
            }
        }
    }

    private static List<Deviation> chunk(List<Deviation> list, int n, int i) {
        int size = list.size();
        return list.subList(i * size / n, (i + 1) * size / n);
    }

    /** Replays {@code devs}; the deviations it applied if it failed the same way, else null. */
    private List<Deviation> replayApplied(List<Deviation> devs) {
        replays++;
        Scenario.Outcome o = scenario.run(new Replay(devs), Scenario.Observe.NOTHING);
        if (!o.failure().signature().equals(signature)) {
            return null;
        }
        return mergeWhere(o.deviations(), devs);
    }

    /** The applied deviations, keeping the recorded 'where' of each. */
    private static List<Deviation> mergeWhere(List<Deviation> applied, List<Deviation> recorded) {
        List<Deviation> out = new ArrayList<>();
        for (Deviation a : applied) {
            String where = recorded.stream().filter(r -> r.key() == a.key()).map(Deviation::where).findFirst()
                    .orElse(a.where());
            out.add(a.withWhere(where));
        }
        return out;
    }
}
