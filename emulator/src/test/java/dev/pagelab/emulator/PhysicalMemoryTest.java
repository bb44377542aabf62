package dev.pagelab.emulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Guest RAM is reserved, not filled: 16 GiB cost the host only the pages that are touched. */
class PhysicalMemoryTest {
    private static long residentKiB() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new AssertionError("no VmRSS in /proc/self/status");
    }

    @Test
    void sixteenGibOfRamCostsOnlyWhatIsTouched() throws IOException {
        long before = residentKiB();
        try (Machine machine = new Machine(16L << 30)) {
            Vcpu cpu = machine.createVcpu(true); // libunicorn maps the whole reservation (uc_mem_map_ptr)
            PhysicalMemory ram = machine.memory();
            long last = ram.size() - 8;
            assertEquals(0, ram.readLong(last), "untouched RAM reads as zeros");
            ram.writeLong(last, 0x1122334455667788L);
            assertEquals(0x1122334455667788L, ram.readLong(last));
            assertEquals(0, ram.readLong(8L << 30), "a page in the middle is zero too");
            long grown = residentKiB() - before;
            assertTrue(grown < 512 * 1024, "16 GiB of guest RAM made the host process grow by " + grown + " KiB");
            assertEquals(0, cpu.id());
        }
    }
}
