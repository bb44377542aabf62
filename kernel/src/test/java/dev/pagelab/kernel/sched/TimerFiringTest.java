package dev.pagelab.kernel.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Kernel code takes no virtual time, so a timer fires inside a system call only when a strategy
 * chooses it: the clock then jumps to the sleeper's deadline and the sleeper runs.
 */
class TimerFiringTest {
    private static final long NAP = 1_000_000;

    /** A worker passing three scheduling points in kernel code while another task naps. */
    private static List<String> run(Strategy strategy, Scheduler[] out) {
        List<String> log = new ArrayList<>();
        Scheduler s = new Scheduler(strategy);
        out[0] = s;
        s.spawn("napper", () -> {
            s.sleep(NAP);
            log.add("napper wakes at " + s.clock());
        });
        s.spawn("worker", () -> {
            for (int i = 0; i < 3; i++) {
                s.point(SchedPoint.LOCK_ACQUIRE);
                log.add("worker step " + i + " at " + s.clock());
            }
        });
        s.run();
        return log;
    }

    @Test
    void roundRobinNeverFiresATimerEarly() {
        Scheduler[] s = new Scheduler[1];
        List<String> log = run(Strategy.ROUND_ROBIN, s);
        assertEquals(List.of("worker step 0 at 0", "worker step 1 at 0", "worker step 2 at 0",
                "napper wakes at " + NAP), log);
    }

    @Test
    void aStrategyThatChoosesTheTimerRunsTheSleeperInsideTheWorkersKernelCode() {
        Strategy fireAtSecondStep = new Strategy() {
            @Override
            public Task pick(Decision d) {
                if (d.current().name().equals("worker") && d.index() == 1 && !d.timers().isEmpty()) {
                    assertEquals("napper", d.timers().get(0).name());
                    return d.timers().get(0);
                }
                return d.defaultPick();
            }
        };
        Scheduler[] s = new Scheduler[1];
        List<String> log = run(fireAtSecondStep, s);
        assertEquals(List.of("worker step 0 at 0", "napper wakes at " + NAP, "worker step 1 at " + NAP,
                "worker step 2 at " + NAP), log);
        assertEquals(1, s[0].deviations().size(), "firing the timer is one recorded deviation");
        List<String> replayed = run(new Replay(s[0].deviations()), s);
        assertEquals(log, replayed, "and it replays");
    }

    @Test
    void theDecisionLogNamesTheTimersThatCouldHaveFired() {
        Scheduler s = new Scheduler(new Replay(List.of())); // dfs's root run: round-robin's choices, timers offered
        s.keepDecisionLog();
        s.spawn("napper", () -> s.sleep(NAP));
        s.spawn("worker", () -> s.point(SchedPoint.LOCK_ACQUIRE));
        s.run();
        Scheduler.DecisionRecord atLock = s.decisionLog().stream()
                .filter(d -> d.point() == SchedPoint.LOCK_ACQUIRE).findFirst().orElseThrow();
        assertEquals(List.of(0), java.util.Arrays.stream(atLock.timers()).boxed().toList(),
                "dfs branches on firing the napper's timer there");
    }

    @Test
    void aRandomWalkFiresTimersSometimes() {
        boolean early = false;
        for (long seed = 0; seed < 50 && !early; seed++) {
            Scheduler[] s = new Scheduler[1];
            early = run(new RandomWalk(seed), s).indexOf("napper wakes at " + NAP) < 3;
        }
        assertTrue(early, "some seed lets the napper wake while the worker is in kernel code");
    }
}
