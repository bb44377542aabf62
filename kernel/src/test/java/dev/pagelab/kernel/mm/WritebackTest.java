package dev.pagelab.kernel.mm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagelab.emulator.Pte;
import dev.pagelab.emulator.Register;
import dev.pagelab.emulator.Vcpu;
import dev.pagelab.emulator.VmExit;
import dev.pagelab.emulator.selftest.Asm;
import dev.pagelab.kernel.KernelConfig;
import org.junit.jupiter.api.Test;

/** Page-cache tags, clear_page_dirty_for_io under each fix, rmap and page_mkclean. */
class WritebackTest {
    static final long MAP = 0x20_0000L;
    /** Dirty tracking of 2.6.19 without seed 003's fix (2.6.5 had neither). */
    static final KernelConfig PRE_R1 = new KernelConfig("pre-R1", false, false, false, false, false);
    static final KernelConfig FIXED = KernelConfig.LINUX_2_6_30;

    /** A shared writable mapping of a 2-page scripted file, page 0 faulted in by a store. */
    private static Page dirtyMappedPage(MmHarness h, MmStruct mm, ScriptedFile f) {
        mm.insertVma(new Vma(MAP, MAP + 0x2000, Vma.VM_READ | Vma.VM_WRITE | Vma.VM_SHARED, f, 0, "scripted"));
        assertEquals(new FaultResult.Handled(FaultResult.Kind.FILE_WRITE), h.memory.handleMmFault(mm, MAP, true, false));
        Page page = f.mapping.peekPage(0);
        assertTrue(page.test(Page.PG_DIRTY));
        return page;
    }

    private static Pte pte(MmStruct mm, long va) {
        return mm.pageTables().peek(mm.pageTables().pteOffset(va));
    }

    @Test
    void aSharedWriteFaultCallsPageMkwriteMapsWritableDirtyAndDirtiesThePage() {
        MmHarness h = new MmHarness();
        h.run(mm -> {
            ScriptedFile f = new ScriptedFile(h, 0x2000);
            Page page = dirtyMappedPage(h, mm, f);
            assertEquals(java.util.List.of("readpage 0", "page_mkwrite 0", "set_page_dirty 0"), f.calls);
            Pte p = pte(mm, MAP);
            assertTrue(p.writable() && p.dirty());
            assertTrue(f.mapping.tagged(0, AddressSpace.Tag.DIRTY));
            assertEquals(1, h.writeback.nrFileDirty());
            assertFalse(page.test(Page.PG_LOCKED));
        });
    }

    @Test
    void aSharedReadFaultMapsReadOnlySoTheFirstStoreFaults() {
        MmHarness h = new MmHarness();
        h.run(mm -> {
            ScriptedFile f = new ScriptedFile(h, 0x2000);
            mm.insertVma(new Vma(MAP, MAP + 0x2000, Vma.VM_READ | Vma.VM_WRITE | Vma.VM_SHARED, f, 0, "scripted"));
            h.memory.handleMmFault(mm, MAP + 0x1000, false, false);
            assertFalse(pte(mm, MAP + 0x1000).writable());
            assertEquals(new FaultResult.Handled(FaultResult.Kind.FILE_WRITE),
                    h.memory.handleMmFault(mm, MAP + 0x1000, true, false));
            assertTrue(pte(mm, MAP + 0x1000).writable() && pte(mm, MAP + 0x1000).dirty());
            assertTrue(f.mapping.peekPage(1).test(Page.PG_DIRTY));
        });
    }

    @Test
    void pageMkcleanWriteProtectsAndCleansSharedPtesOnce() {
        MmHarness h = new MmHarness();
        h.run(mm -> {
            ScriptedFile f = new ScriptedFile(h, 0x2000);
            Page page = dirtyMappedPage(h, mm, f);
            assertTrue(h.rmap.pageMkclean(page));
            Pte p = pte(mm, MAP);
            assertTrue(p.present() && !p.writable() && !p.dirty());
            assertFalse(h.rmap.pageMkclean(page), "nothing left to clean");
        });
    }

    @Test
    void withR1TheDirtyTagStaysUntilTestSetPageWriteback() {
        MmHarness h = new MmHarness(FIXED);
        h.run(mm -> {
            ScriptedFile f = new ScriptedFile(h, 0x2000);
            Page page = dirtyMappedPage(h, mm, f);
            h.pageLock.lockPage(page);
            assertTrue(h.writeback.clearPageDirtyForIo(page));
            assertTrue(f.mapping.tagged(0, AddressSpace.Tag.DIRTY), "an fsync walking DIRTY tags must still find it");
            h.writeback.testSetPageWriteback(page);
            assertFalse(f.mapping.tagged(0, AddressSpace.Tag.DIRTY));
            assertTrue(f.mapping.tagged(0, AddressSpace.Tag.WRITEBACK));
            h.pageLock.unlockPage(page);
            h.writeback.endPageWriteback(page);
        });
    }

    @Test
    void withoutR1ClearPageDirtyForIoDropsTheTagAtOnce() {
        MmHarness h = new MmHarness(PRE_R1);
        h.run(mm -> {
            ScriptedFile f = new ScriptedFile(h, 0x2000);
            Page page = dirtyMappedPage(h, mm, f);
            assertTrue(h.writeback.clearPageDirtyForIo(page));
            assertFalse(f.mapping.tagged(0, AddressSpace.Tag.DIRTY), "the 2.6.5 window seed 003 fixed");
        });
    }

    @Test
    void withR2ADirtyPteRedirtiesThePageThroughTheFilesystem() {
        MmHarness h = new MmHarness(FIXED);
        h.run(mm -> {
            ScriptedFile f = new ScriptedFile(h, 0x2000);
            Page page = dirtyMappedPage(h, mm, f);
            f.calls.clear();
            h.pageLock.lockPage(page);
            assertTrue(h.writeback.clearPageDirtyForIo(page));
            assertEquals(java.util.List.of("set_page_dirty 0"), f.calls, "->set_page_dirty dirties every buffer");
            h.pageLock.unlockPage(page);
        });
    }

    @Test
    void withoutR2TheDirtyPteIsCleanedWithoutTellingTheFilesystem() {
        MmHarness h = new MmHarness(KernelConfig.preset("2.6.19"));
        h.run(mm -> {
            ScriptedFile f = new ScriptedFile(h, 0x2000);
            Page page = dirtyMappedPage(h, mm, f);
            f.calls.clear();
            assertTrue(h.writeback.clearPageDirtyForIo(page));
            assertTrue(f.calls.isEmpty(), "seed 002: " + f.calls);
            assertFalse(pte(mm, MAP).dirty());
        });
    }

    @Test
    void withR3ClearPageDirtyForIoRequiresThePageLock() {
        MmHarness h = new MmHarness(FIXED);
        h.run(mm -> {
            Page page = dirtyMappedPage(h, mm, new ScriptedFile(h, 0x2000));
            assertThrows(IllegalStateException.class, () -> h.writeback.clearPageDirtyForIo(page));
        });
    }

    @Test
    void writeCachePagesWritesEveryDirtyPageAndTheCounterMatchesARecount() {
        MmHarness h = new MmHarness();
        h.run(mm -> {
            ScriptedFile f = new ScriptedFile(h, 0x2000);
            dirtyMappedPage(h, mm, f);
            h.memory.handleMmFault(mm, MAP + 0x1000, true, false);
            assertEquals(2, h.writeback.nrFileDirty());
            assertEquals(2, PageWriteback.recountDirty(java.util.List.of(f.mapping)));
            h.writeback.filemapFdatawrite(f.mapping, "test");
            assertTrue(f.calls.contains("writepage 0") && f.calls.contains("writepage 1"), f.calls.toString());
            assertEquals(0, h.writeback.nrFileDirty());
            assertEquals(0, PageWriteback.recountDirty(java.util.List.of(f.mapping)));
            assertTrue(f.mapping.taggedIndexes(AddressSpace.Tag.DIRTY).isEmpty());
        });
    }

    /**
     * page_mkclean must flush the TLB on every CPU running the mm: a store through a stale
     * writable TLB entry needs no fault, so neither the pte nor the page learns of it.
     */
    @Test
    void withoutTheShootdownAStoreThroughAStaleTlbEntryEscapes() {
        assertTrue(storeAfterMkcleanEscapes(false), "without a flush the store must land unseen");
        assertFalse(storeAfterMkcleanEscapes(true), "with the flush the store must fault");
    }

    private static boolean storeAfterMkcleanEscapes(boolean shootdowns) {
        MmHarness h = new MmHarness();
        h.shootdowns = shootdowns;
        boolean[] escaped = {false};
        h.run(mm -> {
            ScriptedFile f = new ScriptedFile(h, 0x2000);
            Page page = dirtyMappedPage(h, mm, f);
            long code = 0x40_0000L;
            mm.insertVma(new Vma(code, code + 0x1000, Vma.VM_READ | Vma.VM_EXEC, null, 0, "code"));
            byte[] program = new Asm().movImm(Asm.Reg.RAX, 0x1111).store(MAP, Asm.Reg.RAX).syscall()
                    .movImm(Asm.Reg.RAX, 0x2222).store(MAP + 8, Asm.Reg.RAX).syscall().bytes();
            mm.mmapSem.downRead();
            h.memory.handleMmFault(mm, code, false, true);
            mm.mmapSem.upRead();
            h.machine.memory().write(pte(mm, code).physicalAddress(), program);
            try (Vcpu cpu = h.machine.createVcpu()) {
                h.cpus.add(cpu);
                cpu.setPageTableRoot(mm.pageTables().pgd());
                cpu.set(Register.RIP, code);
                cpu.set(Register.RSP, 0x7000_0000L);
                assertInstanceOf(VmExit.Syscall.class, cpu.run(0)); // the TLB now holds a writable entry
                h.pageLock.lockPage(page);
                h.writeback.clearPageDirtyForIo(page); // writeback: page_mkclean + TestClearPageDirty
                h.pageLock.unlockPage(page);
                VmExit second = cpu.run(0);
                long landed = h.machine.memory().readLong(page.physicalAddress() + 8);
                escaped[0] = second instanceof VmExit.Syscall && landed == 0x2222 && !pte(mm, MAP).dirty()
                        && !page.test(Page.PG_DIRTY);
                if (!escaped[0]) {
                    assertInstanceOf(VmExit.PageFault.class, second);
                }
                h.cpus.clear();
            }
        });
        return escaped[0];
    }

    /**
     * 2.6.5, before dirty tracking: a read fault of a shared writable mapping installs a writable
     * pte, a store sets only the pte's D bit, writeback leaves the pte alone, and msync's
     * filemap_sync moves the D bit to the page.
     */
    @Test
    void on265SharedPtesAreAlwaysWritableAndFilemapSyncMovesTheDirtyBit() {
        MmHarness h = new MmHarness(KernelConfig.preset("2.6.5"));
        h.run(mm -> {
            ScriptedFile f = new ScriptedFile(h, 0x2000);
            Vma vma = new Vma(MAP, MAP + 0x2000, Vma.VM_READ | Vma.VM_WRITE | Vma.VM_SHARED, f, 0, "scripted");
            mm.insertVma(vma);
            h.memory.handleMmFault(mm, MAP, false, false);
            assertTrue(pte(mm, MAP).writable() && !pte(mm, MAP).dirty(), "PAGE_SHARED: writable at once");
            long ptep = mm.pageTables().pteOffset(MAP);
            mm.pageTables().setPteAt(ptep, pte(mm, MAP).mkdirty()); // what the CPU's page walk does on a store
            Page page = f.mapping.peekPage(0);
            assertFalse(page.test(Page.PG_DIRTY), "no fault, no set_page_dirty");
            assertTrue(h.writeback.dirtyOnlyInPtes(page), "fsync does not promise this store (the oracle skips it)");
            assertFalse(f.calls.contains("page_mkwrite 0"));
            h.memory.filemapSync(mm, vma, MAP, MAP + 0x2000);
            assertTrue(page.test(Page.PG_DIRTY), "filemap_sync moved the D bit");
            assertFalse(h.writeback.dirtyOnlyInPtes(page));
            assertFalse(pte(mm, MAP).dirty());
            h.memory.handleMmFault(mm, MAP, true, false); // spurious: the pte is writable
            h.pageLock.lockPage(page);
            assertTrue(h.writeback.clearPageDirtyForIo(page));
            h.pageLock.unlockPage(page);
            assertTrue(pte(mm, MAP).writable(), "writeback never write-protects on 2.6.5");
        });
    }
}
