package dev.pagelab.kernel.mm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagelab.emulator.Pte;
import dev.pagelab.kernel.fs.HostFile;
import org.junit.jupiter.api.Test;

/**
 * fork's copy-on-write: copy_page_range write-protects both sides and shares each page (count
 * and mapcount up by one, the child's VMA in the file's i_mmap); the first store of either
 * process takes do_wp_page's copy, the second reuses the page it now holds alone.
 */
class ForkTest {
    static final long A = 0x10_0000L;
    static final int RW = Vma.VM_READ | Vma.VM_WRITE;

    private final MmHarness h = new MmHarness();

    private static Pte pte(MmStruct mm, long va) {
        return mm.pageTables().peek(mm.pageTables().pteOffset(va));
    }

    private Page page(MmStruct mm, long va) {
        return h.frames.pageOf(pte(mm, va).frame());
    }

    private void touch(MmStruct mm, long va, boolean write) {
        assertTrue(h.memory.handleMmFault(mm, va, write, false) instanceof FaultResult.Handled);
    }

    @Test
    void forkWriteProtectsBothSidesAndSharesTheAnonymousPage() {
        h.run(parent -> {
            parent.insertVma(new Vma(A, A + 0x2000, RW, null, 0, ""));
            touch(parent, A, true);
            h.uaccess.putUserLong(parent, A, 0x1111);
            Page shared = page(parent, A);
            assertTrue(pte(parent, A).writable());
            int flushes = h.tlbFlushes;
            MmStruct child = Fork.dupMm(parent, h.frames, h.machine, h.scheduler, h);
            assertTrue(h.tlbFlushes > flushes, "the parent's ptes lost RW: its TLBs must be flushed");
            Pte p = pte(parent, A), c = pte(child, A);
            assertEquals(p.frame(), c.frame(), "both map the same frame");
            assertFalse(p.writable(), "parent pte write-protected");
            assertFalse(c.writable(), "child pte write-protected");
            assertTrue(p.dirty(), "the parent keeps its dirty bit");
            assertFalse(c.accessed(), "the child's pte starts old");
            assertEquals(2, shared.count());
            assertEquals(2, shared.mapcount());
            assertEquals(1, child.rss());
            assertFalse(pte(child, A + 0x1000).present(), "an untouched page stays untouched in the child");
        });
    }

    @Test
    void theFirstStoreCopiesTheSecondReuses() {
        h.run(parent -> {
            parent.insertVma(new Vma(A, A + 0x1000, RW, null, 0, ""));
            touch(parent, A, true);
            h.uaccess.putUserLong(parent, A, 0x2222);
            Page original = page(parent, A);
            MmStruct child = Fork.dupMm(parent, h.frames, h.machine, h.scheduler, h);
            long inUse = h.frames.inUse();

            assertEquals(new FaultResult.Handled(FaultResult.Kind.COW), h.memory.handleMmFault(child, A, true, false));
            Page copy = page(child, A);
            assertNotEquals(original.frame(), copy.frame(), "the child's store got its own copy");
            assertTrue(pte(child, A).writable() && pte(child, A).dirty());
            assertEquals(0x2222, h.uaccess.getUserLong(child, A), "the copy holds the parent's data");
            assertEquals(1, original.count());
            assertEquals(1, original.mapcount());
            assertEquals(1, copy.count());
            assertEquals(1, copy.mapcount());
            assertEquals(inUse + 1, h.frames.inUse(), "exactly one new frame");
            assertFalse(pte(parent, A).writable(), "the parent's pte is still write-protected");

            assertEquals(new FaultResult.Handled(FaultResult.Kind.WRITE_PROTECT),
                    h.memory.handleMmFault(parent, A, true, false), "the parent is alone now: reuse, no copy");
            assertEquals(original.frame(), pte(parent, A).frame());
            assertTrue(pte(parent, A).writable());
            assertEquals(inUse + 1, h.frames.inUse());
            h.uaccess.putUserLong(child, A, 0x3333);
            assertEquals(0x2222, h.uaccess.getUserLong(parent, A), "stores stay private");
        });
    }

    @Test
    void privateFilePagesAreSharedAndTheChildJoinsTheFilesRmap() {
        h.run(parent -> {
            HostFile f = h.file("f", new byte[0x2000]);
            parent.insertVma(new Vma(A, A + 0x2000, RW, f, 0, "f"));
            touch(parent, A, false);
            Page cache = page(parent, A);
            assertFalse(cache.anonymous());
            int count = cache.count();
            MmStruct child = Fork.dupMm(parent, h.frames, h.machine, h.scheduler, h);
            assertEquals(cache.frame(), pte(child, A).frame());
            assertEquals(count + 1, cache.count());
            assertEquals(2, cache.mapcount());
            assertEquals(2, f.mapping().iMmap().size(), "the child's VMA is in i_mmap");
            assertEquals(new FaultResult.Handled(FaultResult.Kind.COW), h.memory.handleMmFault(child, A, true, false));
            assertTrue(page(child, A).anonymous(), "the child's store copied the cache page");
            assertEquals(1, cache.mapcount());
        });
    }

    @Test
    void sharedFileMappingsAreLeftForTheChildToFault() {
        h.run(parent -> {
            HostFile f = h.file("f", new byte[0x1000]);
            parent.insertVma(new Vma(A, A + 0x1000, Vma.VM_READ | Vma.VM_SHARED, f, 0, "f"));
            touch(parent, A, false);
            MmStruct child = Fork.dupMm(parent, h.frames, h.machine, h.scheduler, h);
            assertEquals(-1, child.pageTables().pteOffset(A), "no pte copied");
            assertEquals(0, child.rss());
            assertEquals(2, f.mapping().iMmap().size());
        });
    }

    @Test
    void tearingDownBothSidesFreesEveryFrame() {
        h.run(parent -> {
            long before = h.frames.inUse();
            parent.insertVma(new Vma(A, A + 0x4000, RW, null, 0, ""));
            for (long va = A; va < A + 0x4000; va += 0x1000) {
                touch(parent, va, true);
            }
            MmStruct child = Fork.dupMm(parent, h.frames, h.machine, h.scheduler, h);
            touch(child, A, true);
            touch(parent, A + 0x1000, true);
            for (MmStruct mm : new MmStruct[] {parent, child}) {
                mm.mmapSem.downWrite();
                for (Vma v : mm.vmas()) {
                    h.memory.zapPteRange(mm, v, v.start(), v.end());
                    mm.detachRange(v.start(), v.end());
                }
                mm.pageTables().freeAll();
                mm.mmapSem.upWrite();
            }
            assertEquals(before - 1, h.frames.inUse(), "every page and table frame back, the parent's pgd too");
        });
    }

    @Test
    void sharedAnonymousMemoryIsOneShmemPageForParentAndChild() {
        h.run(parent -> {
            dev.pagelab.kernel.fs.ShmemFile shm = dev.pagelab.kernel.fs.ShmemFile.create(h.frames, 0x1000);
            parent.insertVma(new Vma(A, A + 0x1000, RW | Vma.VM_SHARED, shm, 0, "shm"));
            touch(parent, A, true);
            h.uaccess.putUserLong(parent, A, 0x4242);
            MmStruct child = Fork.dupMm(parent, h.frames, h.machine, h.scheduler, h);
            touch(child, A, true);
            assertEquals(pte(parent, A).frame(), pte(child, A).frame(), "the same page, no copy");
            assertTrue(pte(child, A).writable());
            assertEquals(0x4242, h.uaccess.getUserLong(child, A));
            h.uaccess.putUserLong(child, A, 0x4343);
            assertEquals(0x4343, h.uaccess.getUserLong(parent, A), "the child's store is the parent's");
            assertEquals(2, page(parent, A).mapcount());
            assertTrue(page(parent, A).test(Page.PG_DIRTY), "a store dirties the shmem page");
            assertEquals(0, h.writeback.nrFileDirty(), "... without counting it for writeback");
        });
    }
}
