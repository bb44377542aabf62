package dev.pagelab.kernel.mm;

/**
 * A filesystem's page-cache operations (Linux: struct address_space_operations plus the
 * vm_operations' page_mkwrite).
 */
public interface AddressSpaceOps {
    /** ->readpage: fills {@code page} (index {@code page.index()}) from the backing store. */
    void readPage(Page page);

    /**
     * ->writepage: called with the page locked and PG_dirty already cleared by
     * clear_page_dirty_for_io. Must unlock the page (now, or when it hands the page to I/O).
     */
    void writePage(Page page, WritebackControl wbc);

    /** ->set_page_dirty: marks the page dirty (and whatever the filesystem tracks below it). */
    void setPageDirty(Page page);

    /** What ->page_mkwrite returned (VM_FAULT_* codes). */
    enum MkwriteResult {
        /** 0: ready; the page is unlocked. */
        OK,
        /** VM_FAULT_LOCKED (2.6.30): ready, and the page is returned locked. */
        LOCKED,
        /** VM_FAULT_NOPAGE: the page was truncated meanwhile; retry the fault. */
        RETRY,
        /** VM_FAULT_SIGBUS: e.g. no space for a block reservation. */
        SIGBUS
    }

    /**
     * ->page_mkwrite: the page is about to become writable through a shared mapping. Called with
     * the page unlocked; returns it locked only as {@link MkwriteResult#LOCKED}.
     */
    MkwriteResult pageMkwrite(Page page);

    /**
     * ->releasepage (try_to_release_page): may reclaim drop this clean, unmapped page? False
     * while private state (dirty, locked or reserved buffers) still needs it.
     */
    default boolean releasePage(Page page) {
        return true;
    }
}
