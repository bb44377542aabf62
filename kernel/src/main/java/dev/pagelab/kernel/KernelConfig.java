package dev.pagelab.kernel;

import java.util.List;

/**
 * Which of the five seed fixes the kernel carries (races.md). Each fix is one switch, read at the
 * one place its patch changed Linux; a preset turns on the fixes a release had.
 *
 * @param r1 2.6.6  clear_page_dirty_for_io leaves the DIRTY tag; test_set_page_writeback drops it
 *           (seed 003, "fdatasync misses a page")
 * @param r2 2.6.20 clear_page_dirty_for_io: {@code if (page_mkclean(page)) set_page_dirty(page)}
 *           before TestClearPageDirty (seed 002, shared mmap writeback corruption)
 * @param r3 2.6.22 the fault path waits on the page lock before set_page_dirty, and
 *           clear_page_dirty_for_io requires the page lock (seed 000)
 * @param r4 2.6.27 page_mkclean_one takes the pte lock instead of peeking (seed 004)
 * @param r5 2.6.30 page_mkwrite returns with the page locked (VM_FAULT_LOCKED) and the fault keeps
 *           it locked until the pte and the page are dirty (seed 001)
 */
public record KernelConfig(String name, boolean r1, boolean r2, boolean r3, boolean r4, boolean r5) {
    public static final KernelConfig LINUX_2_6_30 = new KernelConfig("2.6.30", true, true, true, true, true);

    /** The presets of races.md, oldest first. */
    public static final List<KernelConfig> PRESETS = List.of(
            new KernelConfig("2.6.5", false, false, false, false, false),
            new KernelConfig("2.6.19", true, false, false, false, false),
            new KernelConfig("2.6.20", true, true, false, false, false),
            new KernelConfig("2.6.22", true, true, true, false, false),
            new KernelConfig("2.6.27", true, true, true, true, false),
            LINUX_2_6_30);

    /** A preset by release name ("2.6.22"). */
    public static KernelConfig preset(String name) {
        for (KernelConfig c : PRESETS) {
            if (c.name.equals(name)) {
                return c;
            }
        }
        throw new IllegalArgumentException("no kernel preset " + name + " (have 2.6.5 2.6.19 2.6.20 2.6.22 2.6.27 2.6.30)");
    }

    /**
     * Exactly the fixes named ("R1,R3", or "none"), for switch combinations that no release had;
     * named after them ("fixes R1,R3").
     */
    public static KernelConfig withFixes(String fixes) {
        List<String> f = fixes.equalsIgnoreCase("none") ? List.of()
                : List.of(fixes.toUpperCase(java.util.Locale.ROOT).split(","));
        for (String x : f) {
            if (!x.matches("R[1-5]")) {
                throw new IllegalArgumentException("unknown fix '" + x + "' (have R1 R2 R3 R4 R5, or none)");
            }
        }
        return new KernelConfig(f.isEmpty() ? "fixes-none" : "fixes-" + String.join("+", f), f.contains("R1"),
                f.contains("R2"), f.contains("R3"), f.contains("R4"), f.contains("R5"));
    }

    /** "2.6.30 [R1 R2 R3 R4 R5]". */
    @Override
    public String toString() {
        return name + " [" + (r1 ? "R1 " : "-- ") + (r2 ? "R2 " : "-- ") + (r3 ? "R3 " : "-- ") + (r4 ? "R4 " : "-- ")
                + (r5 ? "R5" : "--") + "]";
    }
}
