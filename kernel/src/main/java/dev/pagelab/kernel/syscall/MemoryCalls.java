package dev.pagelab.kernel.syscall;

import dev.pagelab.kernel.Errno;
import dev.pagelab.kernel.Kernel;
import dev.pagelab.kernel.fs.DiskInode;
import dev.pagelab.kernel.fs.Inode;
import dev.pagelab.kernel.fs.ShmemFile;
import dev.pagelab.kernel.fs.OpenFile;
import dev.pagelab.kernel.mm.Memory;
import dev.pagelab.kernel.mm.MmStruct;
import dev.pagelab.kernel.mm.Vma;
import dev.pagelab.kernel.proc.UserThread;
import java.util.ArrayList;
import java.util.List;

/**
 * Memory syscalls (Linux mm/mmap.c, mm/mprotect.c, mm/msync.c): mmap, munmap, mprotect, brk,
 * msync. Each takes mmap_sem for writing (msync for reading), as Linux does.
 */
final class MemoryCalls {
    static final int PROT_READ = 1, PROT_WRITE = 2, PROT_EXEC = 4;
    static final int MAP_SHARED = 1, MAP_PRIVATE = 2, MAP_TYPE = 0xf, MAP_FIXED = 0x10, MAP_ANONYMOUS = 0x20;
    static final int MS_ASYNC = 1, MS_INVALIDATE = 2, MS_SYNC = 4;
    private static final long PAGE = 4096;

    private final Kernel kernel; // immutable reference
    private final Memory memory; // immutable reference

    MemoryCalls(Kernel kernel) {
        this.kernel = kernel;
        this.memory = kernel.memory();
    }

    static long pageUp(long a) {
        return (a + PAGE - 1) & ~(PAGE - 1);
    }

    static int vmFlags(long prot, boolean shared) {
        return ((prot & PROT_READ) != 0 ? Vma.VM_READ : 0) | ((prot & PROT_WRITE) != 0 ? Vma.VM_WRITE : 0)
                | ((prot & PROT_EXEC) != 0 ? Vma.VM_EXEC : 0) | (shared ? Vma.VM_SHARED : 0);
    }

    /** do_mmap_pgoff. */
    long mmap(UserThread t, long addr, long length, long prot, long flags, long fd, long offset) {
        long len = pageUp(length);
        int type = (int) (flags & MAP_TYPE);
        boolean anonymous = (flags & MAP_ANONYMOUS) != 0;
        if (length <= 0 || len > MmStruct.TASK_SIZE || (offset & (PAGE - 1)) != 0 || offset < 0
                || (prot & ~7L) != 0 || (type != MAP_SHARED && type != MAP_PRIVATE)) {
            throw new Errno(Errno.EINVAL);
        }
        boolean shared = type == MAP_SHARED;
        Inode inode = anonymous ? (shared ? ShmemFile.create(kernel.frames(), len) : null)
                : mappableInode(t, fd, prot, shared);
        MmStruct mm = t.process().mm();
        mm.mmapSem.downWrite();
        try {
            long start = placeMapping(mm, addr, len, (flags & MAP_FIXED) != 0);
            Vma vma = new Vma(start, start + len, vmFlags(prot, shared), inode, anonymous ? 0 : offset / PAGE,
                    inode != null ? inode.name() : "");
            mm.insertVma(vma);
            return start;
        } finally {
            mm.mmapSem.upWrite();
        }
    }

    private static Inode mappableInode(UserThread t, long fd, long prot, boolean shared) {
        OpenFile f = t.process().files().get(fd);
        if (f.inode() == null) {
            throw new Errno(19); // ENODEV: consoles cannot be mapped
        }
        if (!f.readable() || shared && (prot & PROT_WRITE) != 0 && (!f.writable() || !f.inode().writable())) {
            throw new Errno(Errno.EACCES);
        }
        return f.inode();
    }

    /** get_unmapped_area, or MAP_FIXED's unmap of whatever was there. Caller holds mmap_sem (write). */
    private long placeMapping(MmStruct mm, long addr, long len, boolean fixed) {
        if (fixed) {
            if ((addr & (PAGE - 1)) != 0 || addr <= 0 || addr + len > MmStruct.TASK_SIZE) {
                throw new Errno(Errno.EINVAL);
            }
            doMunmap(mm, addr, len);
            return addr;
        }
        long hint = pageUp(addr);
        if (hint > 0 && hint + len <= MmStruct.TASK_SIZE && !mm.overlaps(hint, hint + len)) {
            return hint;
        }
        long start = mm.getUnmappedArea(len);
        if (start < 0) {
            throw new Errno(Errno.ENOMEM);
        }
        return start;
    }

    /** do_munmap: detach the VMAs of the range and zap their ptes. Caller holds mmap_sem (write). */
    private void doMunmap(MmStruct mm, long start, long len) {
        List<Vma> gone = mm.detachRange(start, start + len);
        for (Vma v : gone) {
            memory.checkDirtyPtes(mm, v, v.start(), v.end(), "munmap");
            memory.zapPteRange(mm, v, v.start(), v.end());
        }
    }

    long munmap(UserThread t, long addr, long length) {
        if ((addr & (PAGE - 1)) != 0 || length <= 0 || addr + pageUp(length) > MmStruct.TASK_SIZE || addr < 0) {
            throw new Errno(Errno.EINVAL);
        }
        MmStruct mm = t.process().mm();
        mm.mmapSem.downWrite();
        try {
            doMunmap(mm, addr, pageUp(length));
            return 0;
        } finally {
            mm.mmapSem.upWrite();
        }
    }

    /** sys_mprotect: every page of the range must be mapped (else ENOMEM). */
    long mprotect(UserThread t, long addr, long length, long prot) {
        long len = pageUp(length);
        if ((addr & (PAGE - 1)) != 0 || (prot & ~7L) != 0 || addr < 0 || addr + len > MmStruct.TASK_SIZE) {
            throw new Errno(Errno.EINVAL);
        }
        if (len == 0) {
            return 0;
        }
        MmStruct mm = t.process().mm();
        mm.mmapSem.downWrite();
        try {
            requireMapped(mm, addr, addr + len);
            for (Vma v : mm.vmas()) {
                if (v.end() > addr && v.start() < addr + len && v.shared() && (prot & PROT_WRITE) != 0
                        && !v.file().writable()) {
                    throw new Errno(Errno.EACCES);
                }
            }
            for (Vma old : mm.detachRange(addr, addr + len)) {
                Vma changed = new Vma(old.start(), old.end(), vmFlags(prot, old.shared()) | (old.flags() & Vma.VM_GROWSDOWN),
                        old.file(), old.pgoff(), old.name());
                mm.insertVma(changed);
                memory.changeProtection(mm, changed, changed.start(), changed.end());
            }
            return 0;
        } finally {
            mm.mmapSem.upWrite();
        }
    }

    private static void requireMapped(MmStruct mm, long start, long end) {
        for (long a = start; a < end; ) {
            Vma v = mm.findVma(a);
            if (v == null) {
                throw new Errno(Errno.ENOMEM);
            }
            a = v.end();
        }
    }

    /** sys_brk: grows or shrinks the heap VMA; returns the (possibly unchanged) break. */
    long brk(UserThread t, long requested) {
        MmStruct mm = t.process().mm();
        mm.mmapSem.downWrite();
        try {
            long start = mm.startBrk();
            if (requested < start || requested > MmStruct.MMAP_BASE) {
                return mm.brk();
            }
            long oldEnd = pageUp(mm.brk());
            long newEnd = pageUp(requested);
            if (newEnd > oldEnd && mm.overlaps(oldEnd, newEnd)) {
                return mm.brk();
            }
            if (newEnd < oldEnd) {
                doMunmap(mm, newEnd, oldEnd - newEnd);
            }
            mm.detachRange(start, Math.max(oldEnd, newEnd));
            if (newEnd > start) {
                mm.insertVma(new Vma(start, newEnd, Vma.VM_READ | Vma.VM_WRITE, null, 0, "[heap]"));
            }
            mm.setBrk(start, requested);
            return requested;
        } finally {
            mm.mmapSem.upWrite();
        }
    }

    /**
     * sys_msync (2.6.19+): MS_SYNC is fsync of each shared file mapped in the range (mmap_sem is
     * dropped around it, as Linux does); MS_ASYNC has nothing to do now that dirty ptes are
     * tracked by faults; MS_INVALIDATE is accepted (pages are never stale here). Without dirty
     * tracking (2.6.5) msync_interval first runs filemap_sync over the range (MS_SYNC and
     * MS_ASYNC alike), moving the ptes' dirty bits to their pages, then for MS_SYNC
     * filemap_fdatawrite, ->fsync and filemap_fdatawait.
     */
    long msync(UserThread t, long addr, long length, long flags) {
        if ((addr & (PAGE - 1)) != 0 || (flags & ~7L) != 0
                || (flags & MS_ASYNC) != 0 && (flags & MS_SYNC) != 0) {
            throw new Errno(Errno.EINVAL);
        }
        MmStruct mm = t.process().mm();
        List<DiskInode> toSync = new ArrayList<>();
        mm.mmapSem.downRead();
        try {
            requireMapped(mm, addr, addr + pageUp(length));
            for (Vma v : mm.vmas()) {
                if (v.end() > addr && v.start() < addr + pageUp(length) && v.shared()
                        && v.file() instanceof DiskInode inode) {
                    if (!kernel.writeback().config().dirtyTracking()) {
                        memory.filemapSync(mm, v, Math.max(addr, v.start()), Math.min(addr + pageUp(length), v.end()));
                    }
                    if (!toSync.contains(inode)) {
                        toSync.add(inode);
                    }
                }
            }
        } finally {
            mm.mmapSem.upRead();
        }
        if ((flags & MS_SYNC) != 0) {
            for (DiskInode inode : toSync) {
                kernel.filesystem().fsync(inode, "msync(MS_SYNC)");
            }
        }
        return 0;
    }
}
