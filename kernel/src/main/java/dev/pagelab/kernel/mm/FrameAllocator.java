package dev.pagelab.kernel.mm;

import dev.pagelab.emulator.PhysicalMemory;
import java.util.BitSet;

/**
 * The physical frame allocator (Linux: the buddy allocator, reduced to single frames), plus the
 * frame -> {@link Page} map (Linux: mem_map). Allocation order is deterministic (LIFO).
 */
public final class FrameAllocator {
    /** No free frame left: the caller turns this into VM_FAULT_OOM or -ENOMEM. */
    public static final class OutOfMemory extends RuntimeException {
        private static final long serialVersionUID = 1L;

        OutOfMemory() {
            super("out of physical frames", null, false, false);
        }
    }

    /** Frees frames on demand (page reclaim) when none is free. */
    public interface Reclaimer {
        /** Tries to free {@code wanted} frames; returns how many it freed (0: nothing reclaimable). */
        int reclaim(int wanted);
    }

    private Reclaimer reclaimer; // set once at boot; guarded by the baton
    private boolean reclaiming; // reclaim is running (its own allocations must not recurse); guarded by the baton
    private final PhysicalMemory memory; // immutable reference
    private final long[] free; // a stack of free frames; guarded by the baton
    private int top; // guarded by the baton
    private final BitSet used = new BitSet(); // guarded by the baton
    private final Page[] pages; // frame -> Page for user pages; guarded by the baton
    private long inUse, peak; // guarded by the baton

    public FrameAllocator(PhysicalMemory memory, long firstFrame) {
        this.memory = memory;
        long frames = memory.frames();
        this.free = new long[(int) (frames - firstFrame)];
        for (long f = frames - 1; f >= firstFrame; f--) {
            free[top++] = f;
        }
        this.pages = new Page[(int) frames];
    }

    /** Installs page reclaim, run when an allocation finds no free frame. */
    public void setReclaimer(Reclaimer r) {
        this.reclaimer = r;
    }

    public PhysicalMemory memory() {
        return memory;
    }

    /** A zeroed frame (for page tables and anonymous pages). */
    public long allocZeroed() {
        long frame = allocFrame();
        memory.fill(frame << PhysicalMemory.PAGE_SHIFT, PhysicalMemory.PAGE_SIZE, (byte) 0);
        return frame;
    }

    /** A frame with whatever it held before (the caller overwrites all of it). */
    public long allocFrame() {
        if (top == 0 && reclaimer != null && !reclaiming) {
            reclaiming = true;
            try {
                reclaimer.reclaim(32); // direct reclaim (try_to_free_pages)
            } finally {
                reclaiming = false;
            }
        }
        if (top == 0) {
            throw new OutOfMemory();
        }
        long frame = free[--top];
        used.set((int) frame);
        inUse++;
        peak = Math.max(peak, inUse);
        return frame;
    }

    public void freeFrame(long frame) {
        if (!used.get((int) frame)) {
            throw new IllegalStateException("free_page: frame 0x" + Long.toHexString(frame) + " is not allocated");
        }
        if (pages[(int) frame] != null) {
            throw new IllegalStateException("free_page: frame 0x" + Long.toHexString(frame) + " still has a page");
        }
        used.clear((int) frame);
        free[top++] = frame;
        inUse--;
    }

    /** alloc_page: a zeroed frame with a Page (count 1). */
    public Page allocPage() {
        long frame = allocZeroed();
        Page page = new Page(frame);
        pages[(int) frame] = page;
        return page;
    }

    /** alloc_page without zeroing, for pages about to be filled completely (copies, reads). */
    public Page allocPageUninitialized() {
        long frame = allocFrame();
        Page page = new Page(frame);
        pages[(int) frame] = page;
        return page;
    }

    /** get_page. */
    public void getPage(Page page) {
        page.get();
    }

    /** put_page: drops a reference, freeing the frame at zero. */
    public void putPage(Page page) {
        if (page.put()) {
            if (page.mapcount() != 0) {
                throw new IllegalStateException("put_page: freeing a mapped page " + page);
            }
            pages[(int) page.frame()] = null;
            freeFrame(page.frame());
        }
    }

    /** pfn_to_page: the Page of a frame, or null (free frame or page table). */
    public Page pageOf(long frame) {
        return frame >= 0 && frame < pages.length ? pages[(int) frame] : null;
    }

    public long inUse() {
        return inUse;
    }

    public long peak() {
        return peak;
    }

    public long freeFrames() {
        return top;
    }
}
