package dev.pagelab.kernel;

import java.util.List;
import java.util.Locale;

/**
 * Which of the five seed fixes the kernel carries (races.md, docs/races.md), plus the three
 * properties of a release that are not seed fixes but decide which windows can exist at all. Each
 * fix is one switch, read at the one place its patch changed Linux; a preset turns on what a
 * release had.
 *
 * @param r1 2.6.6  clear_page_dirty_for_io leaves the DIRTY tag; test_set_page_writeback drops it
 *           (seed 003, "fdatasync misses a page")
 * @param r2 2.6.20 clear_page_dirty_for_io: {@code if (page_mkclean(page)) set_page_dirty(page)}
 *           before TestClearPageDirty (seed 002, shared mmap writeback corruption)
 * @param r3 2.6.22 the fault path waits on the page lock before set_page_dirty, and
 *           clear_page_dirty_for_io requires the page lock (seed 000). The same switch also stands
 *           for 2.6.23's {@code __do_fault}, which holds the page lock while it installs the pte of
 *           a write fault on a not-present pte ("do_no_page is protected similarly"): before it the
 *           write path of the no-page fault takes no page lock at all.
 * @param r4 2.6.27 page_mkclean_one takes the pte lock instead of peeking (seed 004)
 * @param r5 2.6.30 page_mkwrite returns with the page locked (VM_FAULT_LOCKED) and the fault keeps
 *           it locked until the pte and the page are dirty (seed 001)
 * @param dirtyTracking 2.6.19 (Peter Zijlstra's "tracking dirty pages in shared writable
 *           mappings"): clean shared pages are mapped read-only, the first store faults and dirties
 *           the page, writeback write-protects again with page_mkclean, and ->page_mkwrite exists.
 *           Off (2.6.5): shared writable ptes are always writable, the CPU's D bit is the only
 *           record of a store, msync's filemap_sync moves pte dirty bits to the pages, and
 *           writeback never touches ptes. R2-R5's windows need it on.
 * @param fs which filesystem the disk is mounted as (what each race's victims ran)
 * @param isizeExtended 3.18's {@code pagecache_isize_extended}: when i_size grows past a partial
 *           last page that is mapped, write-protect it so the next store faults and
 *           ->page_mkwrite covers the new tail. Later than every seed and off in every preset;
 *           without it a mapped partial last page keeps a writable pte while i_size grows (a real
 *           Linux bug, outside the seed matrix): scenarios stay clear of it.
 */
public record KernelConfig(String name, boolean r1, boolean r2, boolean r3, boolean r4, boolean r5,
                           boolean dirtyTracking, FsMode fs, boolean isizeExtended) {

    /** The filesystem behaviour the disk is mounted with. */
    public enum FsMode {
        /**
         * ext3 data=ordered as 2.6.5-2.6.29 shipped it, the filesystem of R1-R4's victims: blocks
         * are allocated by write() at once (block_prepare_write with create=1) and by ->writepage
         * for holes dirtied through a mapping; the journal flushes single dirty buffers; there is
         * NO ->page_mkwrite, so the shared do_wp_page keeps the pte lock from pte_same to the pte
         * set, and the classic R3 interleaving is reachable.
         */
        ORDERED,
        /**
         * A filesystem whose ->page_mkwrite attaches metadata to the dirty page, the victims of R5
         * (ceph, NFS, fsblock, btrfs; ext4's delayed allocation for holes): page_mkwrite reserves
         * space for every buffer of the page inside EOF and dirties them (block_page_mkwrite's
         * block_commit_write); ->writepage consumes the reservation of each buffer it writes (the
         * data goes to a newly allocated place, as a copy-on-write or delayed-allocation
         * filesystem does). Invariant: a buffer dirtied through a mapping carries a reservation.
         */
        DELALLOC;

        /** "ordered" / "delalloc" (case-insensitive). */
        public static FsMode parse(String s) {
            for (FsMode m : values()) {
                if (m.name().equalsIgnoreCase(s)) {
                    return m;
                }
            }
            throw new IllegalArgumentException("no filesystem mode " + s + " (have ordered delalloc)");
        }

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * The seed switches alone: 2.6.19+ dirty tracking and ext3-ordered, no 3.18 fix (what a
     * combination of fixes such as {@code --fixes R1,R2} runs on).
     */
    public KernelConfig(String name, boolean r1, boolean r2, boolean r3, boolean r4, boolean r5) {
        this(name, r1, r2, r3, r4, r5, true, FsMode.ORDERED, false);
    }

    /**
     * 2.6.30, the first release with every seed fix. Its default filesystem is the
     * delayed-allocation one (ext4 with delalloc, stable since 2.6.28), whose ->page_mkwrite
     * reserves blocks.
     */
    public static final KernelConfig LINUX_2_6_30 = new KernelConfig("2.6.30", true, true, true, true, true, true,
            FsMode.DELALLOC, false);

    /**
     * The presets of races.md, oldest first. Defaults: 2.6.5 has no dirty tracking of shared
     * mappings (and so no ->page_mkwrite) and runs ext3-ordered; 2.6.19 to 2.6.27 run ext3-ordered
     * (R1-R4's victims); 2.6.30 runs the delayed-allocation filesystem. {@link #withFs} picks the
     * other one (R5's scenario runs delalloc on every preset with dirty tracking).
     */
    public static final List<KernelConfig> PRESETS = List.of(
            new KernelConfig("2.6.5", false, false, false, false, false, false, FsMode.ORDERED, false),
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


    /** The same kernel with the disk mounted as {@code mode}. */
    public KernelConfig withFs(FsMode mode) {
        return new KernelConfig(name, r1, r2, r3, r4, r5, dirtyTracking, mode, isizeExtended);
    }

    /** The same kernel with (or without) 3.18's pagecache_isize_extended. */
    public KernelConfig withIsizeExtended(boolean on) {
        return new KernelConfig(name, r1, r2, r3, r4, r5, dirtyTracking, fs, on);
    }

    /**
     * Whether shared mappings of this filesystem have a ->page_mkwrite, and so whether the
     * delayed-allocation rules (reserve in page_mkwrite, consume in writepage, the invariant) are
     * in force. Without dirty tracking (2.6.5) no kernel calls ->page_mkwrite, and the
     * delayed-allocation filesystem behaves as ext3 does for stores through a mapping.
     */
    public boolean pageMkwrite() {
        return dirtyTracking && fs == FsMode.DELALLOC;
    }

    /** "2.6.30 [R1 R2 R3 R4 R5] delalloc". */
    @Override
    public String toString() {
        return name + " [" + (r1 ? "R1 " : "-- ") + (r2 ? "R2 " : "-- ") + (r3 ? "R3 " : "-- ") + (r4 ? "R4 " : "-- ")
                + (r5 ? "R5" : "--") + "] " + fs + (dirtyTracking ? "" : " no-dirty-tracking")
                + (isizeExtended ? " +isize_extended" : "");
    }
}
