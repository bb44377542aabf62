package dev.pagelab.explore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagelab.emulator.VmExit;
import dev.pagelab.kernel.KernelConfig;
import dev.pagelab.kernel.proc.UserThread;
import dev.pagelab.kernel.sched.KernelEvents;
import dev.pagelab.kernel.sched.KernelFunction;
import dev.pagelab.kernel.sched.SchedPoint;
import dev.pagelab.kernel.sched.Strategy;
import dev.pagelab.kernel.sched.Task;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Kernel code is preemptible: a schedule stops the flusher after clear_page_dirty_for_io and
 * before test_set_page_writeback (the page locked, PG_dirty just cleared, PG_writeback not yet
 * set: the window of seeds 000 and 003) and lets the user thread run guest code meanwhile.
 */
class KernelPreemptionTest {
    /** Stops the flusher at the PAGE_FLAG point that opens test_set_page_writeback; a user thread runs. */
    static final class StopFlusherBeforeWriteback implements Strategy {
        int fired; // guarded by the baton

        @Override
        public Task pick(Decision d) {
            if (d.current().name().equals("flusher") && d.point() == SchedPoint.PAGE_FLAG
                    && KernelFunction.caller().equals("test_set_page_writeback")) {
                for (Task t : d.runnable()) {
                    if (t.owner() instanceof UserThread) {
                        fired++;
                        return t;
                    }
                }
            }
            return d.defaultPick();
        }
    }

    /** Counts guest instructions that user threads retire while the flusher is parked in the window. */
    static final class Watch implements KernelEvents {
        boolean flusherParked; // guarded by the baton
        long userInstructionsWhileParked; // guarded by the baton

        @Override
        public void taskSwitch(Task from, Task to, SchedPoint reason) {
            if (from.name().equals("flusher") && reason == SchedPoint.PAGE_FLAG) {
                flusherParked = KernelFunction.caller().equals("test_set_page_writeback");
            }
            if (to.name().equals("flusher")) {
                flusherParked = false;
            }
        }

        @Override
        public void guestExit(Task task, int cpu, VmExit exit, long retired) {
            if (flusherParked && task.owner() instanceof UserThread) {
                userInstructionsWhileParked += retired;
            }
        }
    }

    @Test
    void theFlusherIsStoppedBetweenClearPageDirtyForIoAndTestSetPageWritebackWhileAUserThreadRuns() {
        Path p = Path.of(System.getProperty("pagelab.home", ".."), "guest-programs/target/bin/mapwriter");
        Scenario s = new Scenario(p, List.of("mapwriter", "m.dat", "65536"), KernelConfig.LINUX_2_6_30, 2, 5_000,
                32L << 20, true, true, 0, 50_000_000, Scenario.EXPLORE_TUNABLES);
        StopFlusherBeforeWriteback strategy = new StopFlusherBeforeWriteback();
        Watch watch = new Watch();
        Scenario.Outcome o = s.run(strategy, new Scenario.Observe(false, true, watch));
        assertTrue(strategy.fired > 0, "the flusher never reached test_set_page_writeback with a user thread runnable");
        assertTrue(watch.userInstructionsWhileParked > 0, "no user instruction ran while the flusher was parked");
        assertTrue(o.deviations().stream().anyMatch(d -> d.preemption()
                && d.where().equals("PAGE_FLAG in test_set_page_writeback")), o.deviations().toString());
        assertEquals(Failure.NONE, o.failure(), "2.6.30 must stay correct under this preemption: " + o.output());
    }
}
