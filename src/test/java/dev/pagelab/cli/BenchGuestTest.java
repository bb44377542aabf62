package dev.pagelab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * End-to-end: {@code bench guest} through the real CLI (busybox gzip when set up, else the crunch
 * guest; qemu-user when at hand, else a null field and a reason), and the crunch guest under
 * pagelab printing exactly what it prints natively.
 */
class BenchGuestTest {
    @Test
    void benchGuestJsonHasTheNamedFieldsAndQemuIsAFigureOrNullWithAReason() {
        Cli.Result r = Cli.run("bench", "guest", "--json", "--megabytes", "1", "--kib", "64", "--reps", "1");
        assertEquals(0, r.exit(), r.toString());
        Map<?, ?> m = assertInstanceOf(Map.class, JsonParser.parse(r.out()));
        for (String field : List.of("pagelab_s", "native_s", "ratio_vs_native", "insn_per_s", "pagelab_cpu_s")) {
            double v = assertInstanceOf(Double.class, m.get(field), field);
            assertTrue(v > 0, field + " = " + v);
        }
        double pagelab = (Double) m.get("pagelab_s");
        assertEquals(pagelab / (Double) m.get("native_s"), (Double) m.get("ratio_vs_native"), 1e-9);
        assertTrue(((Number) m.get("instructions")).longValue() > 1_000_000, r.out());
        if (m.get("qemu_user_s") == null) {
            assertNull(m.get("ratio_vs_qemu_user"), r.out());
            assertTrue(assertInstanceOf(String.class, m.get("qemu_user_reason")).contains("qemu-x86_64"), r.out());
        } else {
            double qemu = assertInstanceOf(Double.class, m.get("qemu_user_s"));
            assertEquals(pagelab / qemu, (Double) m.get("ratio_vs_qemu_user"), 1e-9);
        }
    }

    @Test
    void withoutQemuItsFieldsAreNullWithAReasonAndCrunchStandsInForBusybox() {
        Cli.Result r = Cli.run("bench", "guest", "--json", "--crunch", "--no-qemu", "--kib", "64", "--reps", "1");
        assertEquals(0, r.exit(), r.toString());
        Map<?, ?> m = assertInstanceOf(Map.class, JsonParser.parse(r.out()));
        assertTrue(m.containsKey("qemu_user_s") && m.get("qemu_user_s") == null, r.out());
        assertTrue(m.containsKey("ratio_vs_qemu_user") && m.get("ratio_vs_qemu_user") == null, r.out());
        assertEquals("--no-qemu given", m.get("qemu_user_reason"));
        assertTrue(assertInstanceOf(String.class, m.get("program")).startsWith("crunch 64"), r.out());
        assertTrue(assertInstanceOf(Double.class, m.get("pagelab_s")) > 0, r.out());
    }

    @Test
    void benchGuestRejectsNonsenseArguments() {
        Cli.Result r = Cli.run("bench", "guest", "--reps", "0");
        assertEquals(2, r.exit(), r.toString());
        assertTrue(r.err().startsWith("pagelab: bench guest:"), r.err());
    }

    @Test
    void crunchUnderPagelabPrintsWhatItPrintsNatively() {
        Cli.Result r = Cli.run("run", "--stats", "--quantum", "997", "crunch", "64", "7");
        assertEquals(0, r.exit(), r.toString());
        assertEquals("crunch: 64 KiB -> 45694 bytes, checksum 0x928fbdfe1d1c9f9b\n", r.out());
        assertTrue(r.err().contains("instructions"), r.err());
    }
}
