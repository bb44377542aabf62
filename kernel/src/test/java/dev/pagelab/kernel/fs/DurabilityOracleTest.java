package dev.pagelab.kernel.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The fsync/msync durability oracle on its own: it must fire for a write dropped on purpose, and
 * stay quiet for what the kernel never promised (bytes changed during the call, pages a fault is
 * still dirtying).
 */
class DurabilityOracleTest {
    private static final byte[] A = {1, 1, 1, 1};

    private static DurabilityOracle judge(byte[] atCall, Set<Long> dirtying, byte[] atReturn, byte[] onDisk,
                                          boolean writtenDuringCall) {
        DurabilityOracle o = new DurabilityOracle(true);
        o.fsyncReturned("fsync", 5, "f", atCall, off -> dirtying.contains(off >>> 12), atReturn, onDisk,
                off -> writtenDuringCall);
        return o;
    }

    @Test
    void aWriteDroppedOnPurposeIsReportedWithWhereAndWhat() {
        byte[] disk = {1, 1, 0, 1}; // byte 2 never reached the disk
        DurabilityOracle o = judge(A, Set.of(), A, disk, false);
        assertEquals(1, o.violations().size());
        assertEquals("durability: f offset 2: expected 0x01, found 0x00 on disk (fsync returned before this byte "
                + "reached the disk)", o.violations().get(0).toString());
        assertEquals(1, o.checks());
    }

    @Test
    void aByteChangedABCDuringTheCallIsNotJudgedWhenItsBlockWasWrittenDuringTheCall() {
        byte[] atReturn = {1, 1, 3, 1}; // A -> B (written out) -> C
        byte[] disk = {1, 1, 2, 1};
        assertTrue(judge(A, Set.of(), atReturn, disk, true).violations().isEmpty());
        assertEquals(1, judge(A, Set.of(), atReturn, disk, false).violations().size(),
                "B on disk but not written during the call: it was there before, the promise is broken");
    }

    @Test
    void theValueAtReturnIsAcceptedForAByteChangedDuringTheCall() {
        byte[] now = {1, 1, 0, 1}; // e.g. truncated and extended by another thread meanwhile
        assertTrue(judge(A, Set.of(), now, now, false).violations().isEmpty());
    }

    @Test
    void aPageAFaultIsStillDirtyingIsNotJudged() {
        byte[] disk = {1, 1, 0, 1};
        assertTrue(judge(A, Set.of(0L), A, disk, false).violations().isEmpty());
    }
}
