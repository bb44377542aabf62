package dev.pagelab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Each seed race through the real command line, on the last kernel before its fix: explored until
 * it loses data, shrunk, replayed, and the same schedule passing on the kernel with the fix.
 * Outcomes: FORBIDDEN "clean" (the window is open: the explorer must find it within the budget);
 * ACCEPTABLE "lost" with the race's own fix among those that alone make the schedule pass.
 * R1 (2.6.5) is not here: see docs/races.md (its window needs kernel time to pass inside fsync).
 */
class RacesCliTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @CsvSource({"R1, 2.6.5", "R2, 2.6.19", "R3, 2.6.20", "R4, 2.6.22", "R5, 2.6.27"})
    @SuppressWarnings("unchecked")
    void theRaceLosesDataBeforeItsFixAndTheSameSchedulePassesWithIt(String race, String kernel) {
        Cli.Result r = Cli.run("races", "--race", race, "--kernel", kernel, "--budget", "400", "--json", "--out",
                dir.toString());
        assertEquals(0, r.exit(), r.toString());
        Map<String, Object> cell = (Map<String, Object>) JsonParser.parse(r.out().lines().findFirst().orElseThrow());
        assertEquals("lost", cell.get("verdict"), r.toString());
        assertEquals(Boolean.TRUE, cell.get("as_history"), r.toString());
        assertTrue(((List<Object>) cell.get("windows")).contains(race), "the race's own fix must close it: " + cell);
        assertEquals(Boolean.TRUE, cell.get("fixed_kernel_passes_same_schedule"), cell.toString());
        Cli.Result replay = Cli.run("replay", (String) cell.get("schedule"), "--explain");
        assertEquals(0, replay.exit(), replay.toString());
        assertTrue(replay.out().contains("the same run, reproduced exactly"), replay.toString());
        assertTrue(replay.out().contains("<== preemption") || race.equals("R2"), "a preemption in the story:\n" + replay);
    }

    @ParameterizedTest
    @CsvSource({"R1", "R2", "R3", "R4", "R5"})
    @SuppressWarnings("unchecked")
    void theFixedKernelLosesNothing(String race) {
        Cli.Result r = Cli.run("races", "--race", race, "--kernel", "2.6.30", "--budget", "150", "--json", "--out",
                dir.toString());
        assertEquals(0, r.exit(), r.toString());
        Map<String, Object> cell = (Map<String, Object>) JsonParser.parse(r.out().lines().findFirst().orElseThrow());
        assertEquals("clean", cell.get("verdict"), r.toString());
    }

    /**
     * Seed 3 finds R4's scenario on 2.6.19 losing bytes through R2's and R4's windows at once:
     * neither fix alone makes the shrunk schedule pass, both together do. (Tied to what seed 3's
     * random walk finds first: if exploration changes, pick the seed that finds such a loss.)
     */
    @Test
    @SuppressWarnings("unchecked")
    void aLossThroughTwoWindowsAtOnceIsAttributedToBothTogether() {
        Cli.Result r = Cli.run("races", "--race", "R4", "--kernel", "2.6.19", "--seed", "3", "--json", "--out",
                dir.toString());
        assertEquals(0, r.exit(), r.toString());
        Map<String, Object> cell = (Map<String, Object>) JsonParser.parse(r.out().lines().findFirst().orElseThrow());
        assertEquals(List.of("R2", "R4"), cell.get("windows"), cell.toString());
        assertEquals(Boolean.TRUE, cell.get("windows_together"), cell.toString());
        assertEquals(Boolean.FALSE, cell.get("fixed_kernel_passes_same_schedule"), cell.toString());
    }
}
