package dev.pagelab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * End-to-end: the quantum changes when the scheduler may switch, never what a program does or how
 * many instructions retire - also when budgets end inside translated blocks thousands of times
 * between page faults (fsx maps, faults and syncs all the time).
 */
class QuantumExactnessTest {
    private static long instructions(Cli.Result r) {
        Matcher m = Pattern.compile("instructions +([0-9,]+)").matcher(r.err());
        if (!m.find()) {
            throw new AssertionError("no instruction count in: " + r);
        }
        return Long.parseLong(m.group(1).replace(",", ""));
    }

    @Test
    void fsxRetiresTheSameInstructionsAtEveryQuantum() {
        Cli.Result whole = Cli.run("run", "--stats", "fsx", "f.dat", "-N", "200");
        assertEquals(0, whole.exit(), whole.toString());
        for (String quantum : new String[] {"37", "5"}) {
            Cli.Result small = Cli.run("run", "--stats", "--quantum", quantum, "fsx", "f.dat", "-N", "200");
            assertEquals(0, small.exit(), "quantum " + quantum + ": " + small);
            assertEquals(whole.out(), small.out(), "quantum " + quantum);
            assertEquals(instructions(whole), instructions(small), "quantum " + quantum);
        }
    }
}
