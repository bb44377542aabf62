package dev.pagelab.kernel.fs;

import dev.pagelab.kernel.mm.Page;

/**
 * One 1 KiB block of a page-cache page (Linux: struct buffer_head); four per 4 KiB page. Flags are
 * guarded by the baton; BH_Lock is taken and released through {@link Buffers}.
 */
public final class BufferHead {
    public static final int BH_UPTODATE = 1, BH_DIRTY = 1 << 1, BH_LOCK = 1 << 2, BH_MAPPED = 1 << 3,
            BH_RESERVED = 1 << 4;
    public static final int PER_PAGE = 4;
    public static final int SIZE = 1024;

    private final Page page; // immutable
    private final int slot; // immutable: 0..3 within the page
    private int state; // guarded by the baton
    private long blocknr; // the disk block when BH_MAPPED

    BufferHead(Page page, int slot) {
        this.page = page;
        this.slot = slot;
    }

    public Page page() { return page; }
    public int slot() { return slot; }
    public long blocknr() { return blocknr; }

    /** The byte offset of this buffer in its file. */
    public long fileOffset() {
        return (page.index() << 12) + (long) slot * SIZE;
    }

    /** The file block (1 KiB units) this buffer holds. */
    public long fileBlock() {
        return fileOffset() / SIZE;
    }

    public boolean test(int flag) { return (state & flag) != 0; }
    void set(int flag) { state |= flag; }
    void clear(int flag) { state &= ~flag; }

    boolean testAndClear(int flag) {
        boolean was = test(flag);
        state &= ~flag;
        return was;
    }

    boolean testAndSet(int flag) {
        boolean was = test(flag);
        state |= flag;
        return was;
    }

    void map(long block) {
        blocknr = block;
        set(BH_MAPPED);
    }

    /** "dirty locked mapped" style text. */
    public String stateNames() {
        StringBuilder s = new StringBuilder();
        if (test(BH_UPTODATE)) s.append("uptodate ");
        if (test(BH_DIRTY)) s.append("dirty ");
        if (test(BH_LOCK)) s.append("locked ");
        if (test(BH_MAPPED)) s.append("mapped(").append(blocknr).append(") ");
        if (test(BH_RESERVED)) s.append("reserved ");
        return s.toString().trim();
    }

    @Override
    public String toString() {
        return "bh[" + slot + " " + stateNames() + "]";
    }
}
