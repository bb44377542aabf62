package dev.pagelab.explore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagelab.kernel.KernelConfig;
import dev.pagelab.races.Race;
import dev.pagelab.races.RaceMatrix;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * pct-kernel with the depth {@code pagelab races} gives it, on R3's scenario on 2.6.20 (its last
 * buggy preset): a campaign is a function of its seed, never of the number of workers, and it
 * finds the race.
 */
class PctKernelRacesTest {
    static Scenario race3() {
        Path bin = Path.of(System.getProperty("pagelab.home", ".."), "guest-programs/target/bin");
        RaceMatrix m = new RaceMatrix(new RaceMatrix.Settings("pct-kernel", 480, 1, 1, 1, Path.of(".")),
                bin::resolve);
        return m.scenario(Race.byId("R3"), KernelConfig.preset("2.6.20"));
    }

    static List<Explorer.Result> campaign(int jobs) throws InterruptedException {
        Campaign c = new Campaign(race3(), "pct-kernel", 480, 1, 30, 0, false, jobs);
        Explorer.Summary s = new Explorer(c, r -> { }).run();
        assertEquals(30, s.schedules());
        assertTrue(s.failureCount() > 0, "30 pct-kernel schedules of race3msync on 2.6.20 find R3: " + s);
        assertTrue(s.notes().get(0).startsWith("pct-kernel: k = "), s.notes().toString());
        return s.failures();
    }

    @Test
    void theSameSeedGivesTheSameSchedulesWithOneWorkerOrTwo() throws InterruptedException {
        List<Explorer.Result> one = campaign(1);
        List<Explorer.Result> two = campaign(2);
        assertEquals(one.size(), two.size());
        for (int i = 0; i < one.size(); i++) {
            assertEquals(one.get(i).index(), two.get(i).index());
            assertEquals(one.get(i).traceHash(), two.get(i).traceHash(), "schedule " + one.get(i).index());
            assertEquals(one.get(i).deviations(), two.get(i).deviations());
            assertEquals(one.get(i).failure(), two.get(i).failure());
        }
    }
}
