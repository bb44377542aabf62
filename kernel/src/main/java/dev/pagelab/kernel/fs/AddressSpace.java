package dev.pagelab.kernel.fs;

import dev.pagelab.kernel.mm.FrameAllocator;
import dev.pagelab.kernel.mm.Page;
import java.util.Collection;
import java.util.TreeMap;

/**
 * A file's page cache (Linux: struct address_space): index -> page. The cache holds one
 * reference on each of its pages. Pages are never evicted (pagelab's machines have more RAM than
 * their files).
 */
public final class AddressSpace {
    private final Inode host; // immutable: the owning inode
    private final FrameAllocator frames; // immutable reference
    private final TreeMap<Long, Page> pages = new TreeMap<>(); // guarded by the baton (tree_lock)

    AddressSpace(Inode host, FrameAllocator frames) {
        this.host = host;
        this.frames = frames;
    }

    public Inode host() {
        return host;
    }

    /** find_get_page: the cached page at {@code index} with a reference taken, or null. */
    public Page findGetPage(long index) {
        Page p = pages.get(index);
        if (p != null) {
            frames.getPage(p);
        }
        return p;
    }

    /**
     * read_cache_page: the up-to-date page at {@code index}, read through the inode if absent,
     * with a reference taken for the caller.
     */
    public Page readCachePage(long index) {
        Page p = findGetPage(index);
        if (p != null) {
            return p;
        }
        p = frames.allocPage();
        p.setMapping(this, index);
        host.readPage(p);
        p.set(Page.PG_UPTODATE);
        pages.put(index, p); // the cache's reference is the allocation's
        frames.getPage(p);
        return p;
    }

    public Collection<Page> pages() {
        return pages.values();
    }

    public int nrPages() {
        return pages.size();
    }

    /** Drops every page (the inode is gone); mapped pages are a bug. */
    public void truncateAll() {
        for (Page p : pages.values()) {
            if (p.mapcount() != 0) {
                throw new IllegalStateException("truncate_inode_pages: page still mapped " + p);
            }
            frames.putPage(p);
        }
        pages.clear();
    }
}
