package dev.pagelab.shell;

import dev.pagelab.emulator.PhysicalMemory;
import dev.pagelab.emulator.Pte;
import dev.pagelab.emulator.Vcpu;
import dev.pagelab.emulator.X86Paging;
import dev.pagelab.kernel.Kernel;
import dev.pagelab.kernel.fs.BufferHead;
import dev.pagelab.kernel.fs.Buffers;
import dev.pagelab.kernel.fs.DiskInode;
import dev.pagelab.kernel.mm.AddressSpace;
import dev.pagelab.kernel.mm.MmStruct;
import dev.pagelab.kernel.mm.Page;
import dev.pagelab.kernel.mm.PageTables;
import dev.pagelab.kernel.mm.Rmap;
import dev.pagelab.kernel.mm.Vma;
import dev.pagelab.kernel.proc.UserThread;
import dev.pagelab.kernel.sched.Task;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The memory-management commands: pt, pte, vmas, page, rmap, dirty, tlb, tasks. They read the
 * kernel's own structures (PageTables, MmStruct and Vma, Page, AddressSpace, Rmap, BufferHead)
 * and decode entries with the emulator's X86Paging and Pte; they never take kernel locks or pass
 * scheduling points (the machine is stopped while they run).
 */
final class MmView {
    private final Session session; // immutable reference
    private final PrintStream out; // immutable reference

    MmView(Session session, PrintStream out) {
        this.session = session;
        this.out = out;
    }

    private MmStruct mm() {
        return session.process().mm();
    }

    private PhysicalMemory ram() {
        return session.kernel().machine().memory();
    }

    static void requireUser(long va) {
        if (va < 0 || va >= MmStruct.TASK_SIZE + 0x1000) {
            throw new ShellError(String.format("0x%x is not a user address (0 .. 0x%x)", va, MmStruct.TASK_SIZE));
        }
    }

    /** pt VA: the four-level walk, each entry's address, raw value and bits, then the result. */
    void pt(long va) {
        requireUser(va);
        MmStruct mm = mm();
        long pgd = mm.pageTables().pgd();
        X86Paging.Walk w = X86Paging.walk(ram(), pgd, va);
        Vma vma = mm.findVma(va);
        out.printf("pt 0x%x (pgd 0x%x)%s%n", va, pgd, vma == null ? ", in no VMA" : ", in VMA " + vma);
        for (int level = 0; level < w.depth(); level++) {
            Pte e = new Pte(w.entries()[level]);
            String label = X86Paging.LEVEL_NAMES[level] + "[" + X86Paging.index(va, level) + "]";
            out.printf("  %-9s at pa 0x%09x: 0x%016x %s%n", label, w.entryAddresses()[level], e.value(), bits(e));
        }
        if (w.mapped()) {
            out.printf("  -> pa 0x%x (frame 0x%x)%n", w.physicalAddress(), w.physicalAddress() >>> 12);
        } else {
            out.println("  -> not mapped");
        }
    }

    /** "[P RW US A D NX]" or "(not present)" / "[... not present]" for an entry without P. */
    static String bits(Pte e) {
        if (e.present()) {
            return "[" + e.flagNames() + "]";
        }
        return e.value() == 0 ? "(not present)" : "[" + e.flagNames() + "] (not present)";
    }

    /** pte VA: the leaf entry. */
    void pte(long va) {
        requireUser(va);
        PageTables pt = mm().pageTables();
        long ptep = pt.pteOffset(va);
        if (ptep < 0) {
            out.printf("pte of 0x%x: no page table covers it (not present)%n", va);
            return;
        }
        Pte e = pt.peek(ptep);
        out.printf("pte of 0x%x at pa 0x%x: 0x%016x %s%s%n", va, ptep, e.value(), bits(e),
                e.present() ? String.format(" frame 0x%x", e.frame()) : "");
    }

    /**
     * pte set VA BITS: rewrites the leaf entry (an experiment): BITS is a raw value (0x...) or
     * +NAME/-NAME words (P RW US PWT PCD A D PS G NX). No TLB flush: the CPUs may keep the old one.
     */
    void pteSet(long va, List<String> changes) {
        requireUser(va);
        if (changes.isEmpty()) {
            throw new ShellError("pte set VA BITS: give a value (0x...) or +BIT/-BIT words (e.g. +D -RW)");
        }
        PageTables pt = mm().pageTables();
        long ptep = pt.pteOffset(va);
        if (ptep < 0) {
            throw new ShellError(String.format("pte set: no page table covers 0x%x", va));
        }
        long value = pt.peek(ptep).value();
        for (String c : changes) {
            value = apply(value, c);
        }
        long old = ram().readLongVolatile(ptep);
        ram().writeLongVolatile(ptep, value);
        out.printf("pte of 0x%x: 0x%016x %s -> 0x%016x %s (TLBs not flushed: tlb flush)%n", va, old,
                bits(new Pte(old)), value, bits(new Pte(value)));
    }

    private static long apply(long value, String change) {
        if (change.startsWith("+") || change.startsWith("-")) {
            long bit = bitNamed(change.substring(1));
            return change.startsWith("+") ? value | bit : value & ~bit;
        }
        return Shell.parseNumber(change, "pte value");
    }

    private static long bitNamed(String name) {
        return switch (name.toUpperCase(Locale.ROOT)) {
            case "P" -> Pte.P;
            case "RW" -> Pte.RW;
            case "US" -> Pte.US;
            case "PWT" -> Pte.PWT;
            case "PCD" -> Pte.PCD;
            case "A" -> Pte.A;
            case "D" -> Pte.D;
            case "PS" -> Pte.PS;
            case "G" -> Pte.G;
            case "NX" -> Pte.NX;
            default -> throw new ShellError("unknown pte bit '" + name + "' (P RW US PWT PCD A D PS G NX)");
        };
    }

    /** vmas: like /proc/PID/maps, with the resident pages and page-table pages. */
    void vmas() {
        MmStruct mm = mm();
        for (Vma v : mm.vmas()) {
            out.println(v);
        }
        out.printf("rss %d pages, page tables %d pages (+ pgd)%n", mm.rss(), mm.pageTables().tablePages());
    }

    /** The frame a PFN-or-VA argument names: below the machine's frame count it is a PFN. */
    long frameOf(long value) {
        if (value >= 0 && value < ram().frames()) {
            return value;
        }
        requireUser(value);
        X86Paging.Walk w = X86Paging.walk(ram(), mm().pageTables().pgd(), value);
        if (!w.mapped()) {
            throw new ShellError(String.format("0x%x is not mapped (no present pte)", value));
        }
        return w.physicalAddress() >>> 12;
    }

    private Page pageOf(long frame) {
        Page p = session.kernel().frames().pageOf(frame);
        if (p == null) {
            throw new ShellError(String.format("frame 0x%x has no struct page (free, a page table, or the machine's)",
                    frame));
        }
        return p;
    }

    /** page PFN|VA: struct page and its buffers. */
    void page(long value) {
        long frame = frameOf(value);
        Page p = pageOf(frame);
        out.printf("page frame 0x%x (pa 0x%x): flags [%s], count %d, mapcount %d%n", frame, frame << 12,
                p.flagNames(), p.count(), p.mapcount());
        AddressSpace m = p.mapping();
        if (m != null) {
            out.printf("  mapping %s index %d, tags [%s]%n", m.host().name(), p.index(), tags(m, p.index()));
        } else {
            out.println(p.anonymous() ? "  anonymous" : "  no mapping (truncated file page)");
        }
        BufferHead[] bhs = p.privateData() instanceof BufferHead[] ? Buffers.pageBuffers(p) : null;
        if (bhs == null) {
            out.println("  no buffers");
            return;
        }
        for (BufferHead bh : bhs) {
            out.printf("  buffer %d (file block %d): [%s]%n", bh.slot(), bh.fileBlock(), bh.stateNames());
        }
    }

    private static String tags(AddressSpace m, long index) {
        List<String> t = new ArrayList<>();
        for (AddressSpace.Tag tag : AddressSpace.Tag.values()) {
            if (m.tagged(index, tag)) {
                t.add(tag.name().toLowerCase(Locale.ROOT));
            }
        }
        return String.join(" ", t);
    }

    /**
     * rmap PFN|VA: every pte that maps the page. File pages through the kernel's reverse map
     * (i_mmap); unlike Linux there is no anon_vma, so anonymous pages are found by scanning the
     * process's page tables.
     */
    void rmap(long value) {
        long frame = frameOf(value);
        Page p = pageOf(frame);
        int[] found = {0};
        if (p.mapping() != null) {
            out.printf("rmap of frame 0x%x (%s index %d, mapcount %d), through i_mmap:%n", frame,
                    p.mapping().host().name(), p.index(), p.mapcount());
            session.kernel().rmap().rmapWalk(p, new Rmap.RmapWalkControl() {
                @Override
                public boolean rmapOne(Page page, MmStruct mm, Vma vma, long address) {
                    found[0] += showMapping(mm, vma, address, frame) ? 1 : 0;
                    return true;
                }
            });
        } else {
            out.printf("rmap of frame 0x%x (anonymous, mapcount %d), by scanning the page tables:%n", frame,
                    p.mapcount());
            MmStruct mm = mm();
            for (Vma v : mm.vmas()) {
                mm.pageTables().forEachPte(v.start(), v.end(), (va, ptep) -> {
                    Pte e = mm.pageTables().peek(ptep);
                    if (e.present() && e.frame() == frame) {
                        found[0] += showMapping(mm, v, va, frame) ? 1 : 0;
                    }
                });
            }
        }
        out.printf("  %d pte%s map%s it%n", found[0], found[0] == 1 ? "" : "s", found[0] == 1 ? "s" : "");
    }

    private boolean showMapping(MmStruct mm, Vma vma, long address, long frame) {
        long ptep = mm.pageTables().pteOffset(address);
        Pte e = ptep < 0 ? Pte.NONE : mm.pageTables().peek(ptep);
        boolean maps = e.present() && e.frame() == frame;
        out.printf("  va 0x%x in %s %s: pte 0x%016x %s%s%n", address, vma.protString(),
                vma.name().isEmpty() ? "[anon]" : vma.name(), e.value(), bits(e),
                maps || !e.present() ? "" : String.format(" (maps frame 0x%x instead)", e.frame()));
        return maps;
    }

    /** dirty FILE: the file's page-cache pages with PG_dirty, PG_writeback, tags and buffers. */
    void dirty(String name) {
        Kernel k = session.kernel();
        DiskInode inode = null;
        for (DiskInode i : k.filesystem().cachedInodes()) {
            if (i.name().equals(name)) {
                inode = i;
            }
        }
        if (inode == null) {
            throw new ShellError(name + ": not in the inode cache (no program opened it)");
        }
        AddressSpace m = inode.mapping();
        out.printf("%s: %d bytes, %d pages cached, tags dirty %s writeback %s; NR_FILE_DIRTY %d (all files)%n",
                name, inode.size(), m.nrPages(), m.taggedIndexes(AddressSpace.Tag.DIRTY),
                m.taggedIndexes(AddressSpace.Tag.WRITEBACK), k.writeback().nrFileDirty());
        for (Page p : m.pages()) {
            BufferHead[] bhs = p.privateData() instanceof BufferHead[] ? Buffers.pageBuffers(p) : null;
            List<String> b = new ArrayList<>();
            if (bhs != null) {
                for (BufferHead bh : bhs) {
                    b.add(bh.slot() + ":" + (bh.stateNames().isEmpty() ? "-" : bh.stateNames().replace(' ', ',')));
                }
            }
            out.printf("  index %-4d frame 0x%-6x [%s] tags [%s] mapcount %d buffers %s%n", p.index(), p.frame(),
                    p.flagNames(), tags(m, p.index()), p.mapcount(), b.isEmpty() ? "none" : String.join(" ", b));
        }
    }

    /** tlb flush [CPU]: drops the cached translations of one CPU or all. */
    void tlbFlush(Integer cpu) {
        List<Vcpu> cpus = session.kernel().cpus();
        if (cpu != null && (cpu < 0 || cpu >= cpus.size())) {
            throw new ShellError("no cpu " + cpu + " (the machine has " + cpus.size() + ")");
        }
        for (Vcpu c : cpus) {
            if (cpu == null || c.id() == cpu) {
                c.flushTlb();
                out.println("tlb flushed on cpu " + c.id());
            }
        }
    }

    /** tasks: the scheduler's tasks, who runs, on which CPU, and where blocked ones sleep. */
    void tasks() {
        Kernel k = session.stoppedKernel();
        Task current = k.scheduler().current();
        out.printf("  %-3s %-18s %-9s %-4s %s%n", "ID", "TASK", "STATE", "CPU", "WAITS IN");
        for (Task t : k.scheduler().tasks()) {
            String cpu = t.owner() instanceof UserThread u ? Integer.toString(k.cpuOf(u)) : "-";
            String waits = t.state() == Task.State.BLOCKED ? session.debugger().waitsIn(t) : null;
            out.printf("%s %-3d %-18s %-9s %-4s %s%n", t == current ? "*" : " ", t.id(), Debugger.who(t),
                    t.state(), cpu, waits == null ? "" : waits + "()");
        }
        out.printf("clock %d ns, %d task switches%n", k.scheduler().clock(), k.scheduler().switches());
    }
}
