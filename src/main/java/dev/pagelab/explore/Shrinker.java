package dev.pagelab.explore;

import dev.pagelab.kernel.sched.AlignedReplay;
import dev.pagelab.kernel.sched.Deviation;
import dev.pagelab.kernel.sched.Replay;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;

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

    /**
     * The shrunk deviations (1-minimal: removing any one of them makes the failure go away).
     * ddmin runs twice: with candidates replayed by decision counter ({@link Replay}), then on
     * what is left, aligned by what each task was doing ({@link AlignedReplay}). By counter,
     * dropping a deviation that changed the path (a timer that no longer fires, a preemption
     * that no longer happens) moves every later deviation of that task to another place, which
     * often keeps dozens of them; aligned, the others stay where they were.
     */
    public List<Deviation> shrink(List<Deviation> failing) {
        List<Deviation> cur = replayApplied(failing);
        if (cur == null) {
            throw new IllegalStateException("shrink: the schedule does not fail with " + signature + " when replayed");
        }
        cur = ddmin(cur, Deviation::preemption, this::replayApplied);
        cur = ddmin(cur, d -> true, this::replayApplied);
        AlignedReplay recorder = AlignedReplay.recording(cur);
        replays++;
        scenario.run(recorder, Scenario.Observe.NOTHING);
        List<Map.Entry<AlignedReplay.Key, Deviation>> aligned = List.copyOf(recorder.applied().entrySet());
        aligned = ddmin(aligned, e -> e.getValue().preemption(), this::replayAligned);
        aligned = ddmin(aligned, e -> true, this::replayAligned);
        List<Deviation> byCounter = replayApplied(aligned.stream().map(Map.Entry::getValue).toList());
        if (byCounter == null) {
            throw new IllegalStateException("shrink: the shrunk schedule does not fail with " + signature
                    + " when replayed by decision counter");
        }
        return mergeBudgets(byCounter);
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
     * ddmin over the items {@code movable} selects, the others kept as they are; {@code replay}
     * gives what a candidate's run applied if it failed the same way, else null.
     */
    private static <T> List<T> ddmin(List<T> all, Predicate<T> movable, Function<List<T>, List<T>> replay) {
        List<T> cur = all;
        int n = 2;
        while (true) {
            List<T> mov = cur.stream().filter(movable).toList();
            if (mov.isEmpty()) {
                return cur;
            }
            n = Math.min(n, mov.size());
            boolean reduced = false;
            for (int i = 0; i < n && !reduced; i++) {
                List<T> without = new ArrayList<>(cur);
                without.removeAll(chunk(mov, n, i));
                List<T> applied = replay.apply(without);
                if (applied != null) {
                    cur = applied;
                    n = Math.max(2, n - 1);
                    reduced = true;
                }
            }
            if (!reduced) {
                if (n >= mov.size()) {
                    return cur;
                }
                n = Math.min(mov.size(), 2 * n);
            }
        }
    }

    /** Replays {@code devs} aligned; the deviations it made if it failed the same way, else null. */
    private List<Map.Entry<AlignedReplay.Key, Deviation>> replayAligned(List<Map.Entry<AlignedReplay.Key, Deviation>> devs) {
        replays++;
        Map<AlignedReplay.Key, Deviation> m = new LinkedHashMap<>();
        devs.forEach(e -> m.put(e.getKey(), e.getValue()));
        AlignedReplay strategy = new AlignedReplay(m);
        Scenario.Outcome o = scenario.run(strategy, Scenario.Observe.NOTHING);
        return o.failure().signature().equals(signature) ? List.copyOf(strategy.applied().entrySet()) : null;
    }

    private static <T> List<T> chunk(List<T> list, int n, int i) {
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
