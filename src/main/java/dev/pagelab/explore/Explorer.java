package dev.pagelab.explore;

import dev.pagelab.kernel.sched.Deviation;
import dev.pagelab.kernel.sched.Pct;
import dev.pagelab.kernel.sched.RandomWalk;
import dev.pagelab.kernel.sched.Replay;
import dev.pagelab.kernel.sched.Scheduler;
import dev.pagelab.kernel.sched.Strategy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;

/**
 * Runs a {@link Campaign}: schedule after schedule of one scenario, each under a strategy seeded
 * from the campaign's seed and the schedule's index, in parallel on {@code jobs} workers (each
 * run builds its own machine). Results come back in index order, so what is found, and where
 * first, depends only on the campaign, never on {@code jobs}.
 *
 * <p>DFS is iterative context bounding: the round-robin schedule first, then every schedule with
 * one deviation from it (a preemption at any scheduling point or after any guest instruction, or
 * another pick where a task blocks), then two, up to {@code depth}. Guest runs of more than
 * {@link #DFS_GUEST_POINTS} instructions are cut at that many evenly spaced places only.
 */
public final class Explorer {
    /** At most this many preemption places per guest run in DFS. */
    public static final int DFS_GUEST_POINTS = 256;

    /** One schedule's result. */
    public record Result(long index, Failure failure, List<Deviation> deviations, long traceHash, long decisions,
                         long preemptions, long instructions) {}

    /** What a campaign found. */
    public record Summary(long schedules, Map<String, Long> failuresBySignature, long firstFailure,
                          double seconds, List<Result> failures, List<String> notes, long pctK) {
        public long failureCount() {
            return failuresBySignature.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    private final Campaign campaign; // immutable
    private final Consumer<Result> progress; // called in index order
    private final List<String> notes = new ArrayList<>(); // guarded by the calling thread

    public Explorer(Campaign campaign, Consumer<Result> progress) {
        this.campaign = campaign;
        this.progress = progress;
    }

    /** Runs the campaign. */
    public Summary run() throws InterruptedException {
        long start = System.nanoTime();
        long deadline = campaign.timeLimitMs() > 0 ? start + campaign.timeLimitMs() * 1_000_000 : Long.MAX_VALUE;
        List<Result> all = new ArrayList<>();
        long k = 0;
        ExecutorService pool = Executors.newFixedThreadPool(campaign.jobs());
        try {
            if (campaign.strategy().equals("dfs")) {
                dfs(pool, all, deadline);
            } else {
                k = campaign.strategy().startsWith("pct") ? measureSteps() : 0;
                long steps = k;
                batches(pool, all, deadline, 0, campaign.budget(), i -> new Work(i, strategyFor(i, steps), false, List.of()));
            }
        } finally {
            // Runs still in flight (a failure stopped the campaign mid-batch) end normally and
            // close their kernels: abandoned, the JVM's exit would cut them off and leave their
            // temporary disk images behind.
            pool.shutdown();
            if (!pool.awaitTermination(10, java.util.concurrent.TimeUnit.MINUTES)) {
                pool.shutdownNow();
            }
        }
        return summarize(all, (System.nanoTime() - start) / 1e9, k);
    }

    /**
     * PCT's k, counted exactly as {@link Pct} counts steps: the steps of a PCT run without change
     * points (depth 1) seeded with the campaign's seed: its decisions with a choice, plus its
     * retired instructions for "pct".
     */
    private long measureSteps() {
        boolean all = campaign.strategy().equals("pct");
        Pct probe = new Pct(campaign.seed(), 1, 1, all);
        Scenario.Outcome o = campaign.scenario().run(probe, Scenario.Observe.NOTHING);
        long k = Math.max(1, probe.steps());
        notes.add(String.format("%s: k = %,d steps (decisions with a choice%s of a PCT run without change points), n = %d tasks; a depth-%d bug "
                + "is found per schedule with probability >= 1/(n*k^%d) = %.2g", campaign.strategy(), k,
                all ? " + instructions" : "", o.taskNames().size(), campaign.depth(), campaign.depth() - 1,
                1.0 / (o.taskNames().size() * Math.pow(k, campaign.depth() - 1))));
        return k;
    }

    private Strategy strategyFor(long index, long k) {
        long seed = Campaign.scheduleSeed(campaign.seed(), index);
        return switch (campaign.strategy()) {
            case "pct" -> new Pct(seed, campaign.depth(), k, true);
            case "pct-kernel" -> new Pct(seed, campaign.depth(), k, false);
            default -> new RandomWalk(seed);
        };
    }

    /** One schedule to run: its index, its strategy, whether DFS needs its decision log. */
    private record Work(long index, Strategy strategy, boolean log, List<Deviation> base) {}

    private interface WorkSource {
        Work at(long index);
    }

    /**
     * Runs schedules [from, to) in batches of 4*jobs; stops early at the first failure (when asked)
     * or the deadline. Returns the outcomes with decision logs (for DFS), in order.
     */
    private List<Scenario.Outcome> batches(ExecutorService pool, List<Result> all, long deadline, long from, long to,
                                           WorkSource source) throws InterruptedException {
        List<Scenario.Outcome> outcomes = new ArrayList<>();
        int batch = 4 * campaign.jobs();
        for (long i = from; i < to && !stopped(all, deadline); i += batch) {
            List<Future<Scenario.Outcome>> futures = new ArrayList<>();
            List<Work> works = new ArrayList<>();
            for (long j = i; j < Math.min(to, i + batch); j++) {
                Work w = source.at(j);
                works.add(w);
                futures.add(pool.submit(() -> campaign.scenario().run(w.strategy(),
                        new Scenario.Observe(w.log(), false, dev.pagelab.kernel.sched.KernelEvents.NONE))));
            }
            for (int n = 0; n < futures.size(); n++) {
                Scenario.Outcome o = get(futures.get(n));
                Result r = new Result(works.get(n).index(), o.failure(), o.deviations(), o.traceHash(), o.decisions(),
                        o.preemptions(), o.instructions());
                if (stopped(all, deadline)) {
                    break;
                }
                all.add(r);
                outcomes.add(o);
                progress.accept(r);
            }
            futures.forEach(f -> f.cancel(false)); // those not started yet, once stopped
        }
        return outcomes;
    }

    private boolean stopped(List<Result> all, long deadline) {
        if (all.size() >= campaign.budget() || System.nanoTime() > deadline) {
            return true;
        }
        return campaign.stopOnFirst() && all.stream().anyMatch(r -> r.failure().failed());
    }

    private static Scenario.Outcome get(Future<Scenario.Outcome> f) throws InterruptedException {
        try {
            return f.get();
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            throw c instanceof RuntimeException re ? re : new IllegalStateException(c);
        }
    }

    /** A DFS node: its deviations and the decision-log position of its last one. */
    private record Node(List<Deviation> deviations, int lastPos) {}

    private void dfs(ExecutorService pool, List<Result> all, long deadline) throws InterruptedException {
        List<Node> level = List.of(new Node(List.of(), -1));
        for (int bound = 0; bound <= campaign.depth() && !level.isEmpty(); bound++) {
            List<Node> nodes = level;
            long first = all.size();
            List<Scenario.Outcome> outs = batches(pool, all, deadline, first, first + nodes.size(),
                    i -> new Work(i, new Replay(nodes.get((int) (i - first)).deviations()), true, List.of()));
            if (outs.size() < nodes.size()) {
                notes.add(String.format("dfs: stopped inside bound %d after %d of its %d schedules", bound,
                        outs.size(), nodes.size()));
                return;
            }
            notes.add(String.format("dfs: bound %d exhausted: all %d schedules with %d deviation%s from round-robin",
                    bound, nodes.size(), bound, bound == 1 ? "" : "s"));
            List<Node> next = new ArrayList<>();
            if (bound < campaign.depth()) {
                for (int n = 0; n < nodes.size(); n++) {
                    children(nodes.get(n), outs.get(n).decisionLog(), next);
                }
            }
            level = next;
        }
    }

    /** Every schedule with one more deviation than {@code node}, after its last one. */
    private static void children(Node node, List<Scheduler.DecisionRecord> log, List<Node> out) {
        for (int pos = node.lastPos() + 1; pos < log.size(); pos++) {
            Scheduler.DecisionRecord d = log.get(pos);
            if (!d.isBudget()) {
                for (int u : alternatives(d)) {
                    if (u != d.defaultPick()) {
                        out.add(new Node(plus(node.deviations(), new Deviation(d.task(), d.index(),
                                Deviation.Kind.PICK, u, d.defaultPick() == d.task(), "")), pos));
                    }
                }
                continue;
            }
            for (long b : guestCuts(d.retired())) {
                for (int u : d.runnable()) {
                    if (u != d.task()) {
                        out.add(new Node(plus(node.deviations(),
                                new Deviation(d.task(), d.index(), Deviation.Kind.BUDGET, b, false, ""),
                                new Deviation(d.task(), d.index() + 1, Deviation.Kind.PICK, u, true, "")), pos));
                    }
                }
            }
        }
    }

    /** Who could have run instead at pick {@code d}: a runnable task, or one whose timer fires early. */
    private static int[] alternatives(Scheduler.DecisionRecord d) {
        int[] all = java.util.Arrays.copyOf(d.runnable(), d.runnable().length + d.timers().length);
        System.arraycopy(d.timers(), 0, all, d.runnable().length, d.timers().length);
        return all;
    }

    /** The places a guest run of {@code retired} instructions may be cut: 1..retired-1, thinned. */
    static long[] guestCuts(long retired) {
        long n = Math.max(0, retired - 1);
        int count = (int) Math.min(n, DFS_GUEST_POINTS);
        long[] cuts = new long[count];
        for (int i = 0; i < count; i++) {
            cuts[i] = n <= DFS_GUEST_POINTS ? i + 1 : 1 + (i * (n - 1)) / (count - 1);
        }
        return cuts;
    }

    /** {@code base} with {@code more} appended. */
    private static List<Deviation> plus(List<Deviation> base, Deviation... more) {
        List<Deviation> devs = new ArrayList<>(base);
        devs.addAll(List.of(more));
        return List.copyOf(devs);
    }

    private Summary summarize(List<Result> all, double seconds, long k) {
        Map<String, Long> bySig = new TreeMap<>();
        List<Result> failures = new ArrayList<>();
        long first = -1;
        for (Result r : all) {
            if (r.failure().failed()) {
                bySig.merge(r.failure().signature(), 1L, Long::sum);
                failures.add(r);
                if (first < 0) {
                    first = r.index();
                }
            }
        }
        return new Summary(all.size(), bySig, first, seconds, failures, List.copyOf(notes), k);
    }
}
