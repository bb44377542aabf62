package dev.pagelab.kernel.mm;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A file's page cache (Linux: struct address_space): index -> page, the radix-tree tags DIRTY and
 * WRITEBACK that writeback walks, and i_mmap, the shared mappings of the file that the reverse map
 * walks. The cache holds one reference on each of its pages; pages are not evicted.
 *
 * <p>Fields are guarded by the baton, standing in for Linux's mapping->tree_lock (tags, pages) and
 * i_mmap_lock (i_mmap): neither is a scheduling point.
 */
public final class AddressSpace {
    /** Radix-tree tags. */
    public enum Tag { DIRTY, WRITEBACK }

    /** One mapping of this file (Linux: a vma on the i_mmap prio tree). */
    public record Mapping(MmStruct mm, Vma vma) {}

    private final MappedFile host; // immutable
    private final AddressSpaceOps ops; // immutable
    private final FrameAllocator frames; // immutable reference
    private final TreeMap<Long, Page> pages = new TreeMap<>(); // guarded by tree_lock (the baton)
    private final TreeSet<Long> dirtyTag = new TreeSet<>(); // guarded by tree_lock
    private final TreeSet<Long> writebackTag = new TreeSet<>(); // guarded by tree_lock
    private final List<Mapping> iMmap = new ArrayList<>(); // guarded by i_mmap_lock (the baton)
    private int error; // AS_EIO / AS_ENOSPC as an errno, 0 if none; guarded by the baton
    private long dirtiedWhen = -1; // virtual ns when the mapping went from clean to dirty; -1 if clean

    public AddressSpace(MappedFile host, AddressSpaceOps ops, FrameAllocator frames) {
        this.host = host;
        this.ops = ops;
        this.frames = frames;
    }

    public MappedFile host() { return host; }
    public FrameAllocator frames() { return frames; }
    public AddressSpaceOps ops() { return ops; }

    /** find_get_page: the cached page at {@code index} with a reference taken, or null. */
    public Page findGetPage(long index) {
        Page p = pages.get(index);
        if (p != null) {
            frames.getPage(p);
        }
        return p;
    }

    /** The cached page without taking a reference (tools, recounts). */
    public Page peekPage(long index) {
        return pages.get(index);
    }

    /**
     * read_cache_page / find_or_create_page: the up-to-date page at {@code index}, read through
     * ->readpage if absent, with a reference taken for the caller.
     */
    public Page readCachePage(long index) {
        Page p = findGetPage(index);
        if (p != null) {
            return p;
        }
        p = frames.allocPage();
        p.setMapping(this, index);
        ops.readPage(p);
        p.set(Page.PG_UPTODATE);
        pages.put(index, p); // the cache's reference is the allocation's
        frames.getPage(p);
        return p;
    }

    /**
     * remove_from_page_cache for truncation: drops the cache's reference. The page must be
     * unmapped, clean and not under writeback.
     */
    public void removePage(Page p) {
        if (p.mapcount() != 0 || p.test(Page.PG_WRITEBACK)) {
            throw new IllegalStateException("remove_from_page_cache: page busy " + p);
        }
        pages.remove(p.index());
        dirtyTag.remove(p.index());
        p.setMapping(null, p.index());
        frames.putPage(p);
    }

    public Collection<Page> pages() {
        return List.copyOf(pages.values());
    }

    public int nrPages() {
        return pages.size();
    }

    // ---- tags --------------------------------------------------------------------------------

    public void tagSet(long index, Tag tag) {
        (tag == Tag.DIRTY ? dirtyTag : writebackTag).add(index);
    }

    public void tagClear(long index, Tag tag) {
        (tag == Tag.DIRTY ? dirtyTag : writebackTag).remove(index);
    }

    public boolean tagged(long index, Tag tag) {
        return (tag == Tag.DIRTY ? dirtyTag : writebackTag).contains(index);
    }

    /** mapping_tagged: whether any page carries {@code tag}. */
    public boolean hasTagged(Tag tag) {
        return !(tag == Tag.DIRTY ? dirtyTag : writebackTag).isEmpty();
    }

    /** find_get_pages_tag: the indexes carrying {@code tag}, ascending, as of now. */
    public List<Long> taggedIndexes(Tag tag) {
        return List.copyOf(tag == Tag.DIRTY ? dirtyTag : writebackTag);
    }

    /**
     * mapping_set_error: writeback of this mapping failed (AS_EIO, AS_ENOSPC); the next fsync or
     * msync reports it. Only the first error is kept until it is reported.
     */
    public void setError(int errno) {
        if (error == 0) {
            error = errno;
        }
    }

    /** The pending writeback error (an Errno value), cleared by reading it; 0 if none. */
    public int testAndClearError() {
        int e = error;
        error = 0;
        return e;
    }

    public long dirtiedWhen() {
        return dirtiedWhen;
    }

    public void setDirtiedWhen(long ns) {
        dirtiedWhen = ns;
    }

    // ---- i_mmap ------------------------------------------------------------------------------

    /** vma_link for a file VMA. */
    public void linkVma(MmStruct mm, Vma vma) {
        iMmap.add(new Mapping(mm, vma));
    }

    /** vma_unlink / remove_vm_struct. */
    public void unlinkVma(MmStruct mm, Vma vma) {
        iMmap.removeIf(m -> m.mm() == mm && m.vma() == vma);
    }

    public List<Mapping> iMmap() {
        return List.copyOf(iMmap);
    }

    /** Drops every page (end of run): mapped pages are a bug. */
    public void truncateAll() {
        for (Page p : List.copyOf(pages.values())) {
            if (p.mapcount() != 0) {
                throw new IllegalStateException("truncate_inode_pages: page still mapped " + p);
            }
            pages.remove(p.index());
            frames.putPage(p);
        }
        dirtyTag.clear();
        writebackTag.clear();
    }
}
