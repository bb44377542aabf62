package dev.pagelab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** End-to-end: selftest, --version, --help and a typo, through the real CLI in a child JVM. */
class MachineCommandsTest {
    @Test
    void selftestPrintsAllPassAndExitsZero() {
        Cli.Result r = Cli.run("selftest");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("8 passed, 0 failed"), r.toString());
        assertFalse(r.out().contains("FAIL "), r.toString());
    }

    @Test
    void selftestJsonIsValidWithOneEntryPerCheck() {
        Cli.Result r = Cli.run("selftest", "--json");
        assertEquals(0, r.exit(), r.toString());
        List<?> checks = assertInstanceOf(List.class, JsonParser.parse(r.out()));
        assertEquals(8, checks.size());
        for (Object o : checks) {
            Map<?, ?> check = assertInstanceOf(Map.class, o);
            assertInstanceOf(String.class, check.get("name"));
            assertEquals(Boolean.TRUE, check.get("passed"), check.toString());
        }
    }

    @Test
    void benchHwJsonPrintsTheSixFields() {
        Cli.Result r = Cli.run("bench", "hw", "--json", "--iterations", "100000", "--faults", "500", "--reps", "1");
        assertEquals(0, r.exit(), r.toString());
        Map<?, ?> m = assertInstanceOf(Map.class, JsonParser.parse(r.out()));
        for (String field : List.of("java_insn_per_s", "c_insn_per_s", "insn_ratio", "java_faults_per_s",
                "c_faults_per_s", "fault_ratio")) {
            double v = assertInstanceOf(Double.class, m.get(field), field);
            assertTrue(v > 0, field + " = " + v);
        }
    }

    @Test
    void benchRejectsNonsenseArguments() {
        Cli.Result r = Cli.run("bench", "hw", "--faults", "0");
        assertEquals(2, r.exit(), r.toString());
        assertTrue(r.err().startsWith("pagelab: bench hw:"), r.err());
    }

    @Test
    void versionNamesLibunicorn() {
        Cli.Result r = Cli.run("--version");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().startsWith("pagelab " + Main.VERSION), r.out());
        assertTrue(r.out().contains("libunicorn 2.1"), r.out());
    }

    @Test
    void helpListsTheCommands() {
        Cli.Result r = Cli.run("--help");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("selftest") && r.out().contains("bench"), r.out());
    }

    @Test
    void aTypoIsOneClearErrorNotAStackTrace() {
        Cli.Result r = Cli.run("selftset");
        assertEquals(2, r.exit(), r.toString());
        assertTrue(r.err().contains("Unmatched argument") || r.err().contains("selftset"), r.err());
        assertFalse(r.err().contains("\tat "), r.err());
    }
}
