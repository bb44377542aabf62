package dev.pagelab.kernel.mm;

import dev.pagelab.emulator.Pte;

/**
 * A virtual memory area (Linux: struct vm_area_struct): [start, end) with one protection and one
 * backing. Fields are guarded by the owning mm's mmap_sem (written under down_write).
 */
public final class Vma {
    public static final int VM_READ = 1;
    public static final int VM_WRITE = 2;
    public static final int VM_EXEC = 4;
    public static final int VM_SHARED = 8;
    /** The stack: grows down (not used for growth here, only for naming). */
    public static final int VM_GROWSDOWN = 0x100;

    long start, end; // guarded by mmap_sem
    int flags; // guarded by mmap_sem
    final MappedFile file; // immutable: null for anonymous memory
    long pgoff; // file offset of start, in pages; guarded by mmap_sem
    final String name; // immutable: "[heap]", "[stack]", a file name, or "" for anonymous

    public Vma(long start, long end, int flags, MappedFile file, long pgoff, String name) {
        this.start = start;
        this.end = end;
        this.flags = flags;
        this.file = file;
        this.pgoff = pgoff;
        this.name = name;
    }

    public long start() { return start; }
    public long end() { return end; }
    public int flags() { return flags; }
    public MappedFile file() { return file; }
    public long pgoff() { return pgoff; }
    public String name() { return name; }

    public boolean anonymous() { return file == null; }
    public boolean shared() { return (flags & VM_SHARED) != 0; }
    public boolean readable() { return (flags & VM_READ) != 0; }
    public boolean writable() { return (flags & VM_WRITE) != 0; }
    public boolean executable() { return (flags & VM_EXEC) != 0; }
    public boolean contains(long addr) { return addr >= start && addr < end; }

    /** The file page index of {@code addr} (Linux: linear_page_index). */
    public long pageIndex(long addr) {
        return ((addr - start) >>> 12) + pgoff;
    }

    /**
     * vm_page_prot: the pte bits for a page of this VMA. Private writable mappings are installed
     * read-only when the page is shared with the page cache (copy-on-write), and shared writable
     * mappings read-only until the first store (2.6.19 dirty tracking): {@code writeAllowed} says
     * which case the caller is in.
     */
    public long pteFlags(boolean writeAllowed) {
        long bits = Pte.P | Pte.US;
        if (writeAllowed && writable()) {
            bits |= Pte.RW;
        }
        if (!executable()) {
            bits |= Pte.NX;
        }
        return bits;
    }

    /** "r-xp"-style protection text, as /proc/PID/maps shows it. */
    public String protString() {
        return (readable() ? "r" : "-") + (writable() ? "w" : "-") + (executable() ? "x" : "-") + (shared() ? "s" : "p");
    }

    @Override
    public String toString() {
        return String.format("%012x-%012x %s %08x %s", start, end, protString(), pgoff << 12, name);
    }
}
