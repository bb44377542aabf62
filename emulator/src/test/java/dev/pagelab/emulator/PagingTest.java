package dev.pagelab.emulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The PTE format and the software walk, without the engine. */
class PagingTest {
    @Test
    void pteHelpersMirrorLinux() {
        Pte p = Pte.of(0x1234, Pte.P | Pte.RW | Pte.US);
        assertEquals(0x1234, p.frame());
        assertTrue(p.mkdirty().dirty());
        assertFalse(p.mkdirty().mkclean().dirty());
        assertFalse(p.wrprotect().writable());
        assertEquals("P RW US D", p.mkdirty().flagNames());
        assertEquals(Pte.NX, Pte.of(1, Pte.P | Pte.NX).value() & Pte.NX);
    }

    @Test
    void softwareWalkFollowsTheTablesAndStopsAtTheFirstHole() {
        try (PhysicalMemory mem = new PhysicalMemory(64 * 4096)) {
            long[] next = {2};
            long root = 1L << 12;
            X86Paging.map(mem, root, 0x7f12_3456_7000L, 40, Pte.P | Pte.US, () -> next[0]++);
            X86Paging.Walk w = X86Paging.walk(mem, root, 0x7f12_3456_7abcL);
            assertTrue(w.mapped());
            assertEquals((40L << 12) | 0xabc, w.physicalAddress());
            assertEquals(4, w.depth());
            X86Paging.Walk hole = X86Paging.walk(mem, root, 0x1000);
            assertFalse(hole.mapped());
            assertEquals(1, hole.depth());
        }
    }

    @Test
    void physicalMemoryRejectsOutOfRangeAccesses() {
        try (PhysicalMemory mem = new PhysicalMemory(4096)) {
            assertThrows(IndexOutOfBoundsException.class, () -> mem.readLong(4090));
            assertThrows(IndexOutOfBoundsException.class, () -> mem.writeLong(-8, 1));
        }
    }

    @Test
    void indexesSplitTheAddressNineBitsPerLevel() {
        long va = (3L << 39) | (5L << 30) | (7L << 21) | (9L << 12);
        assertEquals(3, X86Paging.index(va, 0));
        assertEquals(5, X86Paging.index(va, 1));
        assertEquals(7, X86Paging.index(va, 2));
        assertEquals(9, X86Paging.index(va, 3));
        assertTrue(X86Paging.canonical(0xFFFF_8000_0000_0000L));
        assertFalse(X86Paging.canonical(0x8000_0000_0000_0000L));
    }
}
