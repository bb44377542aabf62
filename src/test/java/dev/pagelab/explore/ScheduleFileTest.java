package dev.pagelab.explore;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.pagelab.kernel.sched.Deviation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A schedule file reads back as it was written. */
class ScheduleFileTest {
    @TempDir
    Path dir;

    @Test
    void aFailureWhoseSignatureHasSpacesReadsBackWhole() throws Exception {
        Scenario s = DeterminismTest.racecount(3);
        Failure f = new Failure("check:dirty pte", "dirty pte without PG_dirty: r.dat page 1");
        List<Deviation> devs = List.of(new Deviation(0, 3, Deviation.Kind.PICK, 2, true, "PTE_WRITE in do_wp_page"),
                new Deviation(0, 4, Deviation.Kind.BUDGET, 17, false, ""));
        ScheduleFile written = new ScheduleFile(s, "ab".repeat(32), "0.1.0", "random seed=1", f, 0x1234L, 99, devs);
        Path file = dir.resolve("x.schedule");
        Files.writeString(file, written.render());
        ScheduleFile read = ScheduleFile.read(file);
        assertEquals(f, read.failure());
        assertEquals(devs, read.deviations());
        assertEquals(0x1234L, read.traceHash());
    }
}
