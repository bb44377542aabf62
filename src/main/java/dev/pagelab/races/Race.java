package dev.pagelab.races;

import dev.pagelab.kernel.KernelConfig;
import java.util.List;

/**
 * One seed race: its scenario program, the fix that closes its window, and its history. The
 * catalog is {@link #ALL}; docs/races.md tells each race in full.
 *
 * @param id       "R1" .. "R5": the switch of {@link KernelConfig} that carries the fix
 * @param seed     the patch (file name prefix in the seeds)
 * @param program  the scenario guest program
 * @param args     its arguments after the program name
 * @param fs       the filesystem the race's victims ran (null: the preset's own)
 * @param buggyIn  when the buggy code came in
 * @param fixedIn  the release that first carried the fix
 * @param summary  one line: the window
 */
public record Race(String id, String seed, String program, List<String> args, KernelConfig.FsMode fs, String buggyIn,
                   String fixedIn, String summary) {
    public static final List<Race> ALL = List.of(
            new Race("R1", "003 (Andrew Morton, 2004)", "race1fsync", List.of("r.dat"), KernelConfig.FsMode.ORDERED,
                    "2.6.5 and before (tag-based writeback)", "2.6.6",
                    "background writeback clears the DIRTY tag, ->writepage redirties: fsync misses the page"),
            new Race("R2", "002 (Linus Torvalds, 2006)", "race2mmap", List.of("r.dat"), KernelConfig.FsMode.ORDERED,
                    "2.6.19 (dirty tracking of shared mappings)", "2.6.20",
                    "clear_page_dirty_for_io forgets a dirty pte: ->writepage skips a buffer the journal cleaned"),
            new Race("R3", "000 (Nick Piggin, 2007)", "race3msync", List.of("r.dat"), KernelConfig.FsMode.ORDERED,
                    "2.6.19 (dirty tracking of shared mappings)", "2.6.22",
                    "a fault dirties the pte between page_mkclean and TestClearPageDirty"),
            new Race("R4", "004 (Nick Piggin, 2008)", "race4mprotect", List.of("r.dat"), KernelConfig.FsMode.ORDERED,
                    "2.6.19 (page_mkclean over page_check_address)", "2.6.27",
                    "page_mkclean's lockless peek skips a pte mprotect is rewriting"),
            new Race("R5", "001 (Nick Piggin, 2009)", "race5mkwrite", List.of("r.dat"), KernelConfig.FsMode.DELALLOC,
                    "2.6.19 (->page_mkwrite)", "2.6.30",
                    "writeback cleans the page between ->page_mkwrite and set_page_dirty: the reservation is lost"));

    /** A race by id ("R3", case-insensitive). */
    public static Race byId(String id) {
        for (Race r : ALL) {
            if (r.id.equalsIgnoreCase(id)) {
                return r;
            }
        }
        throw new IllegalArgumentException("no race " + id + " (have R1 R2 R3 R4 R5)");
    }

    /** Its number, 1..5. */
    public int number() {
        return id.charAt(1) - '0';
    }

    /** Whether {@code c} carries fix {@code k} (1..5). */
    public static boolean hasFix(KernelConfig c, int k) {
        return switch (k) {
            case 1 -> c.r1();
            case 2 -> c.r2();
            case 3 -> c.r3();
            case 4 -> c.r4();
            case 5 -> c.r5();
            default -> throw new IllegalArgumentException("no fix R" + k);
        };
    }

    /** {@code c} with fix {@code k} added. */
    public static KernelConfig withFix(KernelConfig c, int k) {
        return new KernelConfig(c.name() + "+R" + k, c.r1() || k == 1, c.r2() || k == 2, c.r3() || k == 3,
                c.r4() || k == 4, c.r5() || k == 5, c.dirtyTracking(), c.fs(), c.isizeExtended());
    }

    /**
     * Whether seed {@code k}'s window exists on {@code c}: its fix is absent, and for R2-R5 shared
     * mappings are dirty-tracked (2.6.19+); R5 also needs a ->page_mkwrite (the delalloc
     * filesystem).
     */
    public static boolean windowOpen(KernelConfig c, int k) {
        if (hasFix(c, k)) {
            return false;
        }
        if (k >= 2 && !c.dirtyTracking()) {
            return false;
        }
        return k != 5 || c.pageMkwrite();
    }

    /**
     * The last preset whose kernel (as {@link #kernelFor} sets it up) still has this race's window
     * open: where the race is measured ({@code pagelab bench races}) and found last in history.
     */
    public KernelConfig lastBuggyPreset() {
        KernelConfig last = null;
        for (KernelConfig p : KernelConfig.PRESETS) {
            if (windowOpen(kernelFor(p), number())) {
                last = p;
            }
        }
        if (last == null) {
            throw new IllegalStateException(id + ": no preset has its window open");
        }
        return last;
    }

    /** The kernel this race's scenario runs on, for {@code preset}: the race's filesystem where it has dirty tracking. */
    public KernelConfig kernelFor(KernelConfig preset) {
        return fs == null || !preset.dirtyTracking() ? preset : preset.withFs(fs);
    }
}
