package dev.pagelab.kernel.fs;

import dev.pagelab.emulator.PhysicalMemory;
import dev.pagelab.kernel.mm.AddressSpace;
import dev.pagelab.kernel.mm.AddressSpaceOps;
import dev.pagelab.kernel.mm.FrameAllocator;
import dev.pagelab.kernel.mm.MappedFile;
import dev.pagelab.kernel.mm.Page;

/**
 * A file (Linux: struct inode with its address_space). Reads go through the page cache, as
 * generic_file_read does; the backing store fills pages in {@link #readPage}.
 */
public abstract class Inode implements MappedFile, AddressSpaceOps {
    public static final int S_IFREG = 0100000;
    public static final int S_IFCHR = 0020000;

    private final long ino; // immutable
    private String name; // guarded by the baton: changed only by rename
    protected final FrameAllocator frames; // immutable reference
    private final AddressSpace mapping; // immutable reference

    protected Inode(long ino, String name, FrameAllocator frames) {
        this.ino = ino;
        this.name = name;
        this.frames = frames;
        this.mapping = new AddressSpace(this, this, frames);
    }

    public long ino() {
        return ino;
    }

    /** rename(2): the file's new name (the disk's directory entry is already rewritten). */
    void rename(String newName) {
        this.name = newName;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public AddressSpace mapping() {
        return mapping;
    }


    @Override
    public Page getPage(long index) {
        if (index < 0 || index > (size() - 1) >>> 12 || size() == 0) {
            return null;
        }
        return mapping.readCachePage(index);
    }

    /** do_generic_mapping_read: copies file bytes [pos, pos+len) into {@code dst} via the cache. */
    public int read(long pos, byte[] dst, int offset, int length) {
        long size = size();
        if (pos >= size || length <= 0) {
            return 0;
        }
        int n = (int) Math.min(length, size - pos);
        int done = 0;
        PhysicalMemory ram = frames.memory();
        while (done < n) {
            long p = pos + done;
            int inPage = (int) (p & 0xfff);
            int chunk = Math.min(n - done, PhysicalMemory.PAGE_SIZE - inPage);
            Page page = mapping.readCachePage(p >>> 12);
            try {
                ram.read(page.physicalAddress() + inPage, dst, offset + done, chunk);
            } finally {
                frames.putPage(page);
            }
            done += chunk;
        }
        return n;
    }
}
