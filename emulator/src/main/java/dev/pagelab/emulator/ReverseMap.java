package dev.pagelab.emulator;

import java.util.HashMap;
import java.util.Map;

/**
 * Which virtual page maps each physical frame under one page-table root: built by walking the
 * tables (user half only, without touching A/D bits). libunicorn's memory hooks report physical
 * addresses; the trace uses this to name the virtual address as well. Where several pages map a
 * frame, the lowest wins; a frame no pte maps (reached through a stale TLB entry) has none.
 */
final class ReverseMap {
    private static final long ADDR = 0x000f_ffff_ffff_f000L, P = 1, PS = 1L << 7;

    private final Map<Long, Long> pageOfFrame = new HashMap<>(); // frame address -> virtual page

    ReverseMap(PhysicalMemory ram, long cr3) {
        walk(ram, cr3 & ADDR, 3, 0, 256);
    }

    private void walk(PhysicalMemory ram, long table, int level, long base, int entries) {
        if (table + 4096 > ram.size()) {
            return;
        }
        int shift = 12 + 9 * level;
        for (int i = 0; i < entries; i++) {
            long e = ram.readLong(table + 8L * i);
            if ((e & P) == 0) {
                continue;
            }
            long va = base | ((long) i << shift);
            if (level == 0) {
                pageOfFrame.putIfAbsent(e & ADDR, va);
            } else if ((level == 1 || level == 2) && (e & PS) != 0) {
                long size = 1L << shift;
                for (long off = 0; off < size; off += 4096) {
                    pageOfFrame.putIfAbsent((e & ADDR & ~(size - 1)) + off, va + off);
                }
            } else {
                walk(ram, e & ADDR, level - 1, va, 512);
            }
        }
    }

    /** The virtual address that maps {@code pa}, or -1 if none does. */
    long virtualOf(long pa) {
        Long page = pageOfFrame.get(pa & ~0xfffL);
        return page == null ? -1 : page | (pa & 0xfff);
    }
}
