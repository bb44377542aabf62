package dev.pagelab.kernel.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * PCT on the real scheduler with plain tasks (no machine): what a yield does, and that a schedule
 * is a function of the seed.
 */
class PctTest {
    /** Runs tasks "a" and "b", each doing {@code rounds} times: note its name, then reach {@code point}. */
    static List<String> run(Strategy strategy, SchedPoint point, int rounds) {
        Scheduler s = new Scheduler(strategy);
        List<String> order = new ArrayList<>();
        for (String name : List.of("a", "b")) {
            s.spawn(name, () -> {
                for (int i = 0; i < rounds; i++) {
                    order.add(name);
                    s.point(point);
                }
            });
        }
        s.run();
        return order;
    }

    @Test
    void aYieldDropsTheTaskBelowTheOthersSoTwoYieldingTasksAlternate() {
        for (long seed = 1; seed <= 20; seed++) {
            List<String> order = run(new Pct(seed, 1, 100, false), SchedPoint.YIELD, 4);
            assertEquals(8, order.size());
            for (int i = 1; i < order.size(); i++) {
                assertTrue(!order.get(i).equals(order.get(i - 1)), "seed " + seed + ": a yield must hand the CPU "
                        + "over (under strict priorities it would change nothing): " + order);
            }
        }
    }

    @Test
    void withoutYieldsOnlyChangePointsSwitchAndDepthOneRunsEachTaskToItsEnd() {
        for (long seed = 1; seed <= 20; seed++) {
            List<String> order = run(new Pct(seed, 1, 100, false), SchedPoint.LOCK_RELEASE, 4);
            // the first task runs up to its first decision before any strategy is asked
            assertEquals(1, switches(order.subList(1, order.size())), "seed " + seed
                    + ": from the first decision on, the higher priority runs to its end: " + order);
        }
    }

    @Test
    void theSameSeedGivesTheSameScheduleAndSeedsDiffer() {
        Set<List<String>> distinct = new HashSet<>();
        for (long seed = 1; seed <= 20; seed++) {
            List<String> first = run(new Pct(seed, 4, 12, false), SchedPoint.LOCK_RELEASE, 6);
            assertEquals(first, run(new Pct(seed, 4, 12, false), SchedPoint.LOCK_RELEASE, 6), "seed " + seed);
            assertTrue(switches(first) <= 5, "the first decision, d-1 = 3 change points and the end of a task: "
                    + first);
            distinct.add(first);
        }
        assertTrue(distinct.size() > 3, "change points at random steps give different schedules: " + distinct);
    }

    private static int switches(List<String> order) {
        int n = 0;
        for (int i = 1; i < order.size(); i++) {
            n += order.get(i).equals(order.get(i - 1)) ? 0 : 1;
        }
        return n;
    }
}
