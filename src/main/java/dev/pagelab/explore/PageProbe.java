package dev.pagelab.explore;

import dev.pagelab.emulator.Pte;
import dev.pagelab.kernel.Kernel;
import dev.pagelab.kernel.fs.BufferHead;
import dev.pagelab.kernel.fs.Buffers;
import dev.pagelab.kernel.fs.DiskInode;
import dev.pagelab.kernel.fs.DurabilityOracle;
import dev.pagelab.kernel.mm.AddressSpace;
import dev.pagelab.kernel.mm.MmStruct;
import dev.pagelab.kernel.mm.Page;
import dev.pagelab.kernel.mm.Vma;
import dev.pagelab.kernel.proc.Process;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The state of one page-cache page (the victim of a race) in kernel terms, read at any moment of
 * a run for {@code replay --explain}, {@code --timeline} and {@code --svg}: PG_dirty, PG_writeback,
 * PG_locked, the radix-tree DIRTY/WRITEBACK tags (Linux: include/linux/page-flags.h,
 * radix_tree_tag_get), the pte of every vma that maps the page (found by the kernel's own
 * {@link dev.pagelab.kernel.mm.Rmap#rmapWalk}, mm/rmap.c's rmap_walk_file, through i_mmap) and
 * the BH_Dirty bit of each of its buffers (include/linux/buffer_head.h). No Linux counterpart: a tool, like the shell's {@code page},
 * {@code rmap} and {@code dirty}, which reads the same kernel accessors.
 *
 * <p>The probe only reads: it takes no kernel lock, passes no scheduling point and takes no page
 * reference ({@link AddressSpace#peekPage}, {@link dev.pagelab.kernel.mm.PageTables#peek}), so a
 * replay with the probe has the same trace hash as one without. The page is looked up by file
 * name and index at every sample: a page truncated and read again is the same victim.
 */
public final class PageProbe {
    /** The page to follow: {@code index} of the disk file named {@code file}. */
    public record Victim(String file, long index) {
        private static final Pattern SPEC = Pattern.compile("(.+):(\\d{1,9})");

        /** "r.dat:1" (the {@code --page} option); null if it is not FILE:INDEX. */
        public static Victim parse(String spec) {
            Matcher m = SPEC.matcher(spec);
            return m.matches() ? new Victim(m.group(1), Long.parseLong(m.group(2))) : null;
        }

        @Override
        public String toString() {
            return "page " + index + " of " + file;
        }
    }

    /** One mapping's pte for the page: absent, mapping another frame, or present with RW and D. */
    public record PteBits(String label, boolean present, boolean otherFrame, boolean rw, boolean dirty) {
        /** "P RW D", "P -- -", "none" (no pte), "other" (the pte maps another frame). */
        public String bits() {
            if (!present) {
                return "none";
            }
            if (otherFrame) {
                return "other";
            }
            return "P " + (rw ? "RW" : "--") + " " + (dirty ? "D" : "-");
        }
    }

    /**
     * The page at one moment. {@code cached} false: the file has no page at that index (then
     * every other component is empty). {@code buffers}: one character per buffer, 'D' for
     * BH_Dirty, '-' clean; "" without buffers.
     */
    public record PageState(boolean cached, long frame, boolean dirty, boolean writeback, boolean locked,
                            boolean tagDirty, boolean tagWriteback, List<PteBits> ptes, String buffers) {
        static final PageState ABSENT = new PageState(false, -1, false, false, false, false, false, List.of(), "");

        /** The number of dirty buffers. */
        public int dirtyBuffers() {
            return (int) buffers.chars().filter(c -> c == 'D').count();
        }

        /** Everything, for the start of the story and after a cut: "frame 0x.. [dirty] tags [DIRTY] ...". */
        public String describe() {
            if (!cached) {
                return "not in the page cache";
            }
            List<String> f = new ArrayList<>();
            if (dirty) {
                f.add("PG_dirty");
            }
            if (writeback) {
                f.add("PG_writeback");
            }
            if (locked) {
                f.add("PG_locked");
            }
            List<String> t = new ArrayList<>();
            if (tagDirty) {
                t.add("DIRTY");
            }
            if (tagWriteback) {
                t.add("WRITEBACK");
            }
            StringBuilder s = new StringBuilder(String.format("frame 0x%x [%s] tags [%s]", frame, String.join(" ", f),
                    String.join(" ", t)));
            for (PteBits p : ptes) {
                s.append("; pte(").append(p.label()).append(") ").append(p.bits());
            }
            s.append("; bh ").append(buffers.isEmpty() ? "none" : buffers);
            return s.toString();
        }

        /** What changed from {@code before} to this state, "" if nothing did. */
        public String changesFrom(PageState before) {
            if (cached != before.cached || (cached && frame != before.frame)) {
                return cached ? (before.cached ? "now frame " : "cached: frame ") + describe().substring(6)
                        : "dropped from the page cache";
            }
            List<String> flags = new ArrayList<>();
            flag(flags, "PG_dirty", before.dirty, dirty);
            flag(flags, "PG_writeback", before.writeback, writeback);
            flag(flags, "PG_locked", before.locked, locked);
            flag(flags, "tag DIRTY", before.tagDirty, tagDirty);
            flag(flags, "tag WRITEBACK", before.tagWriteback, tagWriteback);
            List<String> parts = new ArrayList<>();
            if (!flags.isEmpty()) {
                parts.add(String.join(", ", flags));
            }
            for (PteBits p : ptes) {
                PteBits old = before.pte(p.label());
                String was = old == null ? "unmapped" : old.bits();
                if (!was.equals(p.bits())) {
                    parts.add("pte(" + p.label() + ") " + was + " -> " + p.bits());
                }
            }
            for (PteBits old : before.ptes) {
                if (pte(old.label()) == null) {
                    parts.add("pte(" + old.label() + ") " + old.bits() + " -> unmapped");
                }
            }
            if (!buffers.equals(before.buffers)) {
                parts.add("bh " + (before.buffers.isEmpty() ? "none" : before.buffers) + " -> "
                        + (buffers.isEmpty() ? "none" : buffers));
            }
            return String.join("; ", parts);
        }

        /** The pte of the mapping labelled {@code label}, or null. */
        public PteBits pte(String label) {
            for (PteBits p : ptes) {
                if (p.label().equals(label)) {
                    return p;
                }
            }
            return null;
        }

        private static void flag(List<String> out, String name, boolean was, boolean is) {
            if (was != is) {
                out.add(name + (is ? " set" : " cleared"));
            }
        }
    }

    private final Victim victim; // immutable
    private Kernel kernel; // set once by attach, before the run; guarded by the baton
    private final Map<MmStruct, String> labels = new IdentityHashMap<>(); // mm -> process label; guarded by the baton

    public PageProbe(Victim victim) {
        this.victim = victim;
    }

    public Victim victim() {
        return victim;
    }

    /** Called with the booted kernel before the run (Scenario.Observe's attach). */
    public void attach(Kernel k) {
        if (kernel != null) {
            throw new IllegalStateException("PageProbe.attach: already attached to a kernel");
        }
        kernel = k;
    }

    /** The first lost byte or broken invariant the oracles reported so far, or null. */
    public DurabilityOracle.Violation lostBytes() {
        if (kernel == null) {
            return null;
        }
        List<DurabilityOracle.Violation> v = kernel.oracle().violations();
        return v.isEmpty() ? null : v.get(0);
    }

    /**
     * The lost bytes in words: "r.dat offset 0 (page 0): expected 0x30, found 0x10 on disk (why)",
     * or the broken invariant's report; null for null.
     */
    public static String describeLoss(DurabilityOracle.Violation v) {
        if (v == null) {
            return null;
        }
        if (v.offset() < 0) {
            return v.kind() + ": " + v.file() + ": " + v.detail();
        }
        return String.format("%s: %s offset %d (page %d): expected 0x%02x, found 0x%02x on disk (%s)", v.kind(),
                v.file(), v.offset(), v.offset() >>> 12, v.expected() & 0xff, v.found() & 0xff, v.detail());
    }

    /** The victim page now (absent before the kernel is attached). */
    public PageState sample() {
        DiskInode inode = kernel == null ? null : inode(kernel, victim.file());
        Page p = inode == null ? null : inode.mapping().peekPage(victim.index());
        if (p == null) {
            return PageState.ABSENT;
        }
        AddressSpace m = inode.mapping();
        return new PageState(true, p.frame(), p.test(Page.PG_DIRTY), p.test(Page.PG_WRITEBACK),
                p.test(Page.PG_LOCKED), m.tagged(p.index(), AddressSpace.Tag.DIRTY),
                m.tagged(p.index(), AddressSpace.Tag.WRITEBACK), ptes(p), buffers(p));
    }

    /** The cached disk inode named {@code name}, or null. */
    static DiskInode inode(Kernel k, String name) {
        for (DiskInode i : k.filesystem().cachedInodes()) {
            if (i.name().equals(name)) {
                return i;
            }
        }
        return null;
    }

    /** Every mapping of the page, through the kernel's own rmap_walk (i_mmap order); lockless peeks. */
    private List<PteBits> ptes(Page p) {
        List<PteBits> out = new ArrayList<>();
        kernel.rmap().rmapWalk(p, (page, mm, vma, address) -> {
            long ptep = mm.pageTables().pteOffset(address);
            Pte e = ptep < 0 ? Pte.NONE : mm.pageTables().peek(ptep);
            out.add(new PteBits(label(mm, out), e.present(), e.present() && e.frame() != page.frame(), e.writable(),
                    e.dirty()));
            return true;
        });
        return out;
    }

    /** "race3msync" (the process owning the mm; every thread shares it), "#2" for a second vma. */
    private String label(MmStruct mm, List<PteBits> sofar) {
        String base = labels.computeIfAbsent(mm, this::processName);
        String label = base;
        for (int n = 2; contains(sofar, label); n++) {
            label = base + "#" + n;
        }
        return label;
    }

    private String processName(MmStruct mm) {
        for (Process proc : kernel.processes().all()) {
            if (proc.mm() == mm) {
                return proc.name() + " pid " + proc.pid();
            }
        }
        return "mm " + (labels.size() + 1);
    }

    private static boolean contains(List<PteBits> ptes, String label) {
        return ptes.stream().anyMatch(p -> p.label().equals(label));
    }

    private static String buffers(Page p) {
        if (!(p.privateData() instanceof BufferHead[])) {
            return "";
        }
        StringBuilder s = new StringBuilder();
        for (BufferHead bh : Buffers.pageBuffers(p)) {
            s.append(bh.test(BufferHead.BH_DIRTY) ? 'D' : '-');
        }
        return s.toString();
    }

    /**
     * A first replay's observer that finds the victim: the page holding the first lost byte if
     * an oracle fired, else the first disk-file page a page fault mapped (a shared mapping
     * preferred). Reads only, like the probe.
     */
    public static final class Discovery implements dev.pagelab.kernel.sched.KernelEvents {
        private static final Pattern AT_OFFSET = Pattern.compile("at offset (\\d+)");
        private Kernel kernel; // set once by attach; guarded by the baton
        private Victim firstMapped; // the first disk-file page mapped by a fault; guarded by the baton
        private boolean firstShared; // whether firstMapped is in a shared mapping; guarded by the baton

        /** Called with the booted kernel before the run; returns this observer. */
        public dev.pagelab.kernel.sched.KernelEvents attach(Kernel k) {
            kernel = k;
            return this;
        }

        @Override
        public void pageFaultDone(dev.pagelab.kernel.sched.Task task, int cpu,
                                  dev.pagelab.emulator.VmExit.PageFault fault, String outcome) {
            if (firstShared || !(task.owner() instanceof dev.pagelab.kernel.proc.UserThread u)) {
                return;
            }
            Vma vma = u.process().mm().findVma(fault.address());
            if (vma != null && vma.file() instanceof DiskInode d && (firstMapped == null || vma.shared())) {
                firstMapped = new Victim(d.name(), vma.pgoff() + ((fault.address() - vma.start()) >>> 12));
                firstShared = vma.shared();
            }
        }

        /** The victim after the run, or null if the run lost nothing and mapped no disk file. */
        public Victim victim() {
            DurabilityOracle.Violation v = kernel == null || kernel.oracle().violations().isEmpty() ? null
                    : kernel.oracle().violations().get(0);
            if (v != null) {
                long offset = v.offset();
                Matcher m = AT_OFFSET.matcher(v.detail());
                if (offset < 0 && m.find()) {
                    offset = Long.parseLong(m.group(1)); // the invariant's report has its offset only in words
                }
                if (offset >= 0) {
                    return new Victim(v.file(), offset >>> 12);
                }
            }
            return firstMapped;
        }
    }
}
