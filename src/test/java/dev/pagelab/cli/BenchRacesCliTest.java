package dev.pagelab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code pagelab bench races} through the real command line: its JSON, and bad input. */
class BenchRacesCliTest {
    @Test
    @SuppressWarnings("unchecked")
    void oneRaceTwoSeedsTwoStrategiesGiveOneRowEachAndASummary() {
        Cli.Result r = Cli.run("bench", "races", "--race", "R2", "--seeds", "2", "--budget", "10", "--strategy",
                "random,pct-kernel", "--json");
        assertEquals(0, r.exit(), r.toString());
        List<String> lines = r.out().lines().toList();
        assertEquals(3, lines.size(), r.toString());
        Map<String, Object> random = (Map<String, Object>) JsonParser.parse(lines.get(0));
        Map<String, Object> pct = (Map<String, Object>) JsonParser.parse(lines.get(1));
        for (Map<String, Object> row : List.of(random, pct)) {
            assertEquals("R2", row.get("race"));
            assertEquals("race2mmap", row.get("program"));
            assertEquals("2.6.19", row.get("kernel"), "R2's last buggy preset");
            assertEquals(2L, ((Number) row.get("seeds")).longValue());
            assertEquals(10L, ((Number) row.get("budget")).longValue());
            long found = ((Number) row.get("found")).longValue();
            assertTrue(found >= 0 && found <= 2, row.toString());
            assertEquals(2, ((List<Object>) row.get("schedules")).size(), row.toString());
            assertEquals(2, ((List<Object>) row.get("seconds")).size(), row.toString());
            for (String key : List.of("depth", "jobs", "median_schedules", "min_schedules", "max_schedules",
                    "median_seconds", "ratio_vs_random", "oracles", "fs", "strategy")) {
                assertTrue(row.containsKey(key), key + " in " + row);
            }
        }
        assertEquals("random", random.get("strategy"));
        assertEquals("pct-kernel", pct.get("strategy"));
        // round-robin alone loses R2 on 2.6.19; both seeds of both strategies find it within 10 schedules
        assertEquals(2L, ((Number) random.get("found")).longValue(), r.toString());
        assertEquals(1.0, ((Number) random.get("ratio_vs_random")).doubleValue());
        assertTrue(((Map<String, Object>) pct.get("oracles")).containsKey("oracle:durability"), pct.toString());
        Map<String, Object> summary = (Map<String, Object>) JsonParser.parse(lines.get(2));
        assertEquals(1L, ((Number) summary.get("races")).longValue());
        assertEquals(List.of("random", "pct-kernel"), summary.get("strategies"));
        assertTrue(summary.containsKey("load_average_before"), summary.toString());
    }

    @Test
    @SuppressWarnings("unchecked")
    void aSeedThatFindsNothingIsAMissAndHasNoMedian() {
        Cli.Result r = Cli.run("bench", "races", "--race", "R3", "--kernel", "2.6.30", "--seeds", "1", "--budget",
                "2", "--strategy", "random", "--json");
        assertEquals(0, r.exit(), r.toString());
        Map<String, Object> row = (Map<String, Object>) JsonParser.parse(r.out().lines().findFirst().orElseThrow());
        assertEquals("2.6.30", row.get("kernel"));
        assertEquals(0L, ((Number) row.get("found")).longValue(), "2.6.30 carries every fix: " + row);
        assertNull(row.get("median_schedules"), row.toString());
        assertEquals(java.util.Arrays.asList((Object) null), row.get("schedules"));
    }

    @Test
    void badInputIsOneLineAndExitTwo() {
        for (String[] args : List.of(new String[] {"--strategy", "nope"}, new String[] {"--race", "R9"},
                new String[] {"--seeds", "0"}, new String[] {"--kernel", "9.9"})) {
            String[] full = new String[args.length + 2];
            full[0] = "bench";
            full[1] = "races";
            System.arraycopy(args, 0, full, 2, args.length);
            Cli.Result r = Cli.run(full);
            assertEquals(2, r.exit(), r.toString());
            assertTrue(r.err().startsWith("pagelab: ") && r.err().strip().lines().count() == 1, r.toString());
        }
    }
}
