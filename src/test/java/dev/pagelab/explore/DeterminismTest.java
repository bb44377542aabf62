package dev.pagelab.explore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagelab.kernel.KernelConfig;
import dev.pagelab.kernel.sched.Pct;
import dev.pagelab.kernel.sched.Replay;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A run is a pure function of the program, the configuration and the schedule. */
class DeterminismTest {
    static Scenario racecount(int n) {
        Path p = Path.of(System.getProperty("pagelab.home", ".."), "guest-programs/target/bin/racecount");
        return new Scenario(p, List.of("racecount", Integer.toString(n)), KernelConfig.LINUX_2_6_30, 2, 200_000,
                32L << 20, false, false, 0, 50_000_000, Scenario.EXPLORE_TUNABLES);
    }

    @Test
    void aScheduleReplayedAThousandTimesGivesOneTraceHash() {
        Scenario s = racecount(20);
        Scenario.Outcome recorded = null;
        for (long seed = 0; recorded == null || recorded.deviations().size() < 3; seed++) {
            recorded = s.run(new Pct(seed, 3, 2_000), Scenario.Observe.NOTHING);
        }
        for (int i = 0; i < 1_000; i++) {
            Scenario.Outcome o = s.run(new Replay(recorded.deviations()), Scenario.Observe.NOTHING);
            assertEquals(recorded.traceHash(), o.traceHash(), "replay " + i + " took another path");
            assertEquals(recorded.failure(), o.failure());
            assertEquals(recorded.deviations(), o.deviations());
            assertEquals(0, o.replayMismatches());
        }
    }

    @Test
    void theTraceHashTellsDifferentSchedulesApart() {
        Scenario s = racecount(20);
        Scenario.Outcome rr = s.run(dev.pagelab.kernel.sched.Strategy.ROUND_ROBIN, Scenario.Observe.NOTHING);
        Scenario.Outcome other = s.run(new Pct(1, 3, 2_000), Scenario.Observe.NOTHING);
        assertFalse(other.deviations().isEmpty());
        assertTrue(rr.traceHash() != other.traceHash(), "a different schedule must change the hash");
        assertTrue(rr.deviations().isEmpty(), "round-robin deviates from nothing");
    }
}
