package dev.pagelab.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pagelab.kernel.sched.AlignedReplay;
import dev.pagelab.kernel.sched.Deviation;
import dev.pagelab.kernel.sched.Replay;
import dev.pagelab.kernel.sched.SchedPoint;
import dev.pagelab.kernel.sched.Scheduler;
import dev.pagelab.kernel.sched.Strategy;
import dev.pagelab.kernel.sched.Task;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A schedule recorded on one kernel, replayed on a kernel with one more scheduling point: keyed
 * by decision counter the preemption lands one point early; aligned by what the task was doing it
 * lands where it was recorded.
 */
class AlignedReplayTest {
    private List<String> log;
    private Scheduler s;

    /** The "kernel": writePage passes LOCK_ACQUIRE, (with the fix) PAGE_FLAG, then LOCK_RELEASE. */
    private List<String> run(Strategy strategy, boolean fix) {
        log = new ArrayList<>();
        s = new Scheduler(strategy);
        s.spawn("writer", () -> writePage(fix));
        s.spawn("other", () -> log.add("other runs"));
        s.run();
        return log;
    }

    private void writePage(boolean fix) {
        s.point(SchedPoint.LOCK_ACQUIRE);
        log.add("locked");
        if (fix) {
            s.point(SchedPoint.PAGE_FLAG);
            log.add("flag");
        }
        s.point(SchedPoint.LOCK_RELEASE);
        log.add("released");
    }

    /** Preempts the writer at LOCK_RELEASE (its second decision on the kernel without the fix). */
    private static final Strategy PREEMPT_AT_RELEASE = d -> d.current().name().equals("writer")
            && d.point() == SchedPoint.LOCK_RELEASE ? other(d) : d.defaultPick();

    private static Task other(Strategy.Decision d) {
        return d.runnable().stream().filter(t -> t != d.current()).findFirst().orElseThrow();
    }

    @Test
    void aPreemptionStaysAtItsKernelFunctionAndPointWhenAFixAddsAPoint() {
        assertEquals(List.of("locked", "other runs", "released"), run(PREEMPT_AT_RELEASE, false));
        List<Deviation> recorded = s.deviations();

        run(new Replay(recorded), true);
        assertEquals(List.of("locked", "other runs", "flag", "released"), log, "by counter: one point early");

        AlignedReplay recorder = AlignedReplay.recording(recorded);
        run(recorder, false);
        Map<AlignedReplay.Key, Deviation> keyed = recorder.applied();
        assertEquals(1, keyed.size());
        assertEquals("LOCK_RELEASE in write_page", keyed.keySet().iterator().next().label());
        AlignedReplay aligned = new AlignedReplay(keyed);
        run(aligned, true);
        assertEquals(List.of("locked", "flag", "other runs", "released"), log, "aligned: where it was recorded");
        assertEquals(0, aligned.unfollowed());
    }
}
