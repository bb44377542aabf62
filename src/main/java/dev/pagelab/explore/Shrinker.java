package dev.pagelab.explore;

import dev.pagelab.kernel.sched.Deviation;
import dev.pagelab.kernel.sched.Replay;
import java.util.ArrayList;
import java.util.List;

/**
 * Shrinks a failing schedule (delta debugging, Zeller's ddmin): first to the fewest preemptions,
 * then to the fewest deviations from round-robin, then merges a thread's consecutive budgets,
 * keeping the failure's signature (the same
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
        return mergeBudgets(cur);
    }

    /**
     * Fewer decisions: two budgets of one thread in a row (budget b1 at decision i, round-robin's
     * "go on" at the PREEMPT point i+1, budget b2 at i+2) cut the same guest code as one budget
     * b1+b2 at i, which is two decisions fewer; the thread's later deviations move up by two. Each
     * merge is kept only if the replay still fails the same way.
     */
    private List<Deviation> mergeBudgets(List<Deviation> devs) {
        List<Deviation> cur = devs;
        for (boolean merged = true; merged; ) {
            merged = false;
            for (Deviation a : cur) {
                Deviation b = find(cur, a.task(), a.index() + 2);
                if (a.kind() != Deviation.Kind.BUDGET || b == null || b.kind() != Deviation.Kind.BUDGET
                        || find(cur, a.task(), a.index() + 1) != null) {
                    continue;
                }
                List<Deviation> candidate = new ArrayList<>();
                for (Deviation d : cur) {
                    if (d == b) {
                        continue;
                    }
                    if (d == a) {
                        candidate.add(new Deviation(a.task(), a.index(), Deviation.Kind.BUDGET, a.value() + b.value(),
                                false, ""));
                    } else if (d.task() == a.task() && d.index() > b.index()) {
                        candidate.add(new Deviation(d.task(), d.index() - 2, d.kind(), d.value(), d.preemption(),
                                d.where()));
                    } else {
                        candidate.add(d);
                    }
                }
                List<Deviation> applied = replayApplied(candidate);
                if (applied != null && applied.size() < cur.size()) {
                    cur = applied;
                    merged = true;
                    break;
                }
            }
        }
        return cur;
    }

    private static Deviation find(List<Deviation> devs, int task, long index) {
        for (Deviation d : devs) {
            if (d.task() == task && d.index() == index) {
                return d;
            }
        }
        return null;
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
