package dev.pagelab.kernel.mm;

import java.util.ArrayList;
import java.util.List;

/**
 * A scripted filesystem file for unit tests of the layer above it: pages read as zeros, and
 * every call of an address_space operation is recorded.
 */
final class ScriptedFile implements MappedFile, AddressSpaceOps {
    final List<String> calls = new ArrayList<>();
    final AddressSpace mapping;
    final PageWriteback writeback;
    final long size;

    ScriptedFile(MmHarness h, long size) {
        this.mapping = new AddressSpace(this, this, h.frames);
        this.writeback = h.writeback;
        this.size = size;
    }

    @Override public String name() { return "scripted"; }
    @Override public long size() { return size; }
    @Override public AddressSpace mapping() { return mapping; }
    @Override public boolean writable() { return true; }

    @Override
    public Page getPage(long index) {
        return index < (size + 4095) / 4096 ? mapping.readCachePage(index) : null;
    }

    @Override
    public void readPage(Page page) {
        calls.add("readpage " + page.index());
    }

    @Override
    public void writePage(Page page, WritebackControl wbc) {
        calls.add("writepage " + page.index());
        writeback.testSetPageWriteback(page);
        writeback.pageLock().unlockPage(page);
        writeback.endPageWriteback(page);
    }

    @Override
    public void setPageDirty(Page page) {
        calls.add("set_page_dirty " + page.index());
        writeback.setPageDirtyNobuffers(page);
    }

    @Override
    public MkwriteResult pageMkwrite(Page page) {
        calls.add("page_mkwrite " + page.index());
        return MkwriteResult.OK;
    }
}
