package dev.pagelab.kernel.mm;

/**
 * One physical frame in use for user data (Linux: struct page): an anonymous page or a page-cache
 * page. Page-table frames have no Page.
 *
 * <p>Fields are guarded by the baton (one task runs at a time); {@link #flags} changes are
 * scheduling points where the races need them (see PageWriteback, later).
 */
public final class Page {
    public static final int PG_LOCKED = 1;
    public static final int PG_DIRTY = 1 << 1;
    public static final int PG_WRITEBACK = 1 << 2;
    public static final int PG_UPTODATE = 1 << 3;

    private final long frame; // immutable
    private int flags; // guarded by the baton
    private int count = 1; // references (Linux: _count); freed at 0
    private int mapcount; // ptes mapping this page (Linux: _mapcount + 1)
    private AddressSpace mapping; // the page cache holding this page; null for anonymous pages
    private Object privateData; // the filesystem's per-page state (buffer heads); Linux: page->private
    private long index; // page offset in its file (page-cache pages)
    private boolean wasFile; // once in a page cache, never anonymous (even after truncation)
    private int dirtyingFaults; // faults between "pte made writable" and set_page_dirty; guarded by the baton

    Page(long frame) {
        this.frame = frame;
    }

    public long frame() {
        return frame;
    }

    public long physicalAddress() {
        return frame << 12;
    }

    public boolean test(int flag) {
        return (flags & flag) != 0;
    }

    public void set(int flag) {
        flags |= flag;
    }

    public void clear(int flag) {
        flags &= ~flag;
    }

    /** TestSetPageX: sets {@code flag}, returns whether it was already set. */
    public boolean testAndSet(int flag) {
        boolean was = test(flag);
        flags |= flag;
        return was;
    }

    /** TestClearPageX: clears {@code flag}, returns whether it was set. */
    public boolean testAndClear(int flag) {
        boolean was = test(flag);
        flags &= ~flag;
        return was;
    }

    public int flags() {
        return flags;
    }

    /** An anonymous page (never in a page cache). Truncated file pages have no mapping either. */
    public boolean anonymous() {
        return mapping == null && !wasFile;
    }

    public AddressSpace mapping() {
        return mapping;
    }

    /** PagePrivate: the filesystem's per-page state (buffer heads), or null. */
    public Object privateData() {
        return privateData;
    }

    public void setPrivateData(Object data) {
        this.privateData = data;
    }

    public long index() {
        return index;
    }

    public void setMapping(AddressSpace mapping, long index) {
        wasFile |= mapping != null;
        this.mapping = mapping;
        this.index = index;
    }

    /**
     * Faults of shared mappings that have made a pte of this page writable and not yet called
     * set_page_dirty. Not Linux state: the durability oracle does not judge such a page (a store
     * through that pte is not yet a completed write the kernel knows of).
     */
    public int dirtyingFaults() {
        return dirtyingFaults;
    }

    void beginDirtyingFault() {
        dirtyingFaults++;
    }

    void endDirtyingFault() {
        if (dirtyingFaults <= 0) {
            throw new IllegalStateException("endDirtyingFault without begin: " + this);
        }
        dirtyingFaults--;
    }

    public int count() {
        return count;
    }

    void get() {
        count++;
    }

    /** Drops a reference; returns true when it was the last one (the frame is then freed). */
    boolean put() {
        if (count <= 0) {
            throw new IllegalStateException("put_page: count already " + count + " for frame 0x" + Long.toHexString(frame));
        }
        return --count == 0;
    }

    public int mapcount() {
        return mapcount;
    }

    void addMap() {
        mapcount++;
    }

    void removeMap() {
        if (mapcount <= 0) {
            throw new IllegalStateException("page_remove_rmap: mapcount already 0 for frame 0x" + Long.toHexString(frame));
        }
        mapcount--;
    }

    /** "locked dirty uptodate" style text. */
    public String flagNames() {
        StringBuilder s = new StringBuilder();
        if (test(PG_LOCKED)) s.append("locked ");
        if (test(PG_DIRTY)) s.append("dirty ");
        if (test(PG_WRITEBACK)) s.append("writeback ");
        if (test(PG_UPTODATE)) s.append("uptodate ");
        return s.toString().trim();
    }

    @Override
    public String toString() {
        return String.format("page(frame 0x%x, %s, count %d, mapcount %d%s)", frame, flagNames(), count, mapcount,
                mapping == null ? ", anon" : ", index " + index);
    }
}
