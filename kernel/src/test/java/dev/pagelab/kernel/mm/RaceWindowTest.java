package dev.pagelab.kernel.mm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagelab.emulator.Pte;
import dev.pagelab.kernel.KernelConfig;
import dev.pagelab.kernel.sched.HandOff;
import dev.pagelab.kernel.sched.SchedPoint;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * R3 and R4 driven by hand through the real fault, mprotect, rmap and writeback code: the seed's
 * interleaving on the last preset without the fix leaves a writable dirty pte over a clean page
 * (the store after it is invisible to msync), and the same interleaving attempted on the first
 * preset with the fix cannot get there. The filesystem is ext3-like (no ->page_mkwrite), what the
 * victims of both races ran.
 */
class RaceWindowTest {
    static final long MAP = 0x20_0000L;

    /** What a run left behind. */
    record Outcome(boolean windowReached, boolean pageDirty, Pte pte, List<String> calls, List<String> oracle) {
        boolean lost() {
            return pte.dirty() && !pageDirty;
        }
    }

    private static Pte pte(MmStruct mm) {
        return mm.pageTables().peek(mm.pageTables().pteOffset(MAP));
    }

    /** Shared writable mapping of a one-page file; page 0 dirtied by a store fault. */
    private static Vma mapDirty(MmHarness h, MmStruct mm, ScriptedFile f) {
        Vma vma = new Vma(MAP, MAP + 0x1000, Vma.VM_READ | Vma.VM_WRITE | Vma.VM_SHARED, f, 0, "scripted");
        mm.insertVma(vma);
        h.memory.handleMmFault(mm, MAP, true, false);
        return vma;
    }

    /** Background writeback of one page as write_cache_pages does it. */
    private static void writebackOnePage(MmHarness h, Page page) {
        h.pageLock.lockPage(page);
        if (h.writeback.clearPageDirtyForIo(page)) {
            page.mapping().ops().writePage(page, WritebackControl.background("flusher"));
        } else {
            h.pageLock.unlockPage(page);
        }
    }

    /**
     * R3 (seed 000): writeback locks the page and runs page_mkclean; a store fault comes in
     * before TestClearPageDirty, makes the pte writable and dirty and calls set_page_dirty
     * (PG_dirty still set: a no-op) unless it first waits for the page lock; then writeback
     * clears PG_dirty. Last, the faulting thread's msync.
     */
    static Outcome r3(KernelConfig config) {
        Object[] st = new Object[3]; // mm, page, vma
        HandOff strategy = new HandOff("writeback", point -> point == SchedPoint.LOCK_RELEASE
                && st[1] instanceof Page p && p.test(Page.PG_LOCKED) && !((MmStruct) st[0]).ptl.isLocked()
                && pte((MmStruct) st[0]).present() && !pte((MmStruct) st[0]).writable());
        MmHarness h = new MmHarness(config, strategy);
        ScriptedFile f = new ScriptedFile(h, 0x1000);
        int[] writesAfterMsync = {0};
        h.scheduler.spawn("setup", () -> {
            MmStruct mm = new MmStruct(h.frames, h.machine, h.scheduler);
            st[0] = mm;
            st[2] = mapDirty(h, mm, f);
            st[1] = f.mapping.peekPage(0);
            h.scheduler.spawn("writeback", () -> writebackOnePage(h, (Page) st[1]));
            h.scheduler.spawn("fault", () -> h.memory.handleMmFault(mm, MAP, true, false)); // the store
            h.scheduler.spawn("msync", () -> { // later, more stores through the pte, then msync(MS_SYNC)
                int before = f.calls.size();
                h.writeback.filemapFdatawrite(f.mapping, "msync"); // msync(MS_SYNC) after more stores
                writesAfterMsync[0] = (int) f.calls.subList(before, f.calls.size()).stream()
                        .filter(c -> c.startsWith("writepage")).count();
            });
        });
        h.scheduler.run();
        MmStruct mm = (MmStruct) st[0];
        Page page = (Page) st[1];
        h.memory.checkDirtyPtes(mm, (Vma) st[2], MAP, MAP + 0x1000, "test");
        assertEquals(writesAfterMsync[0] == 0, !page.test(Page.PG_DIRTY) && pte(mm).dirty(),
                "msync writes the page exactly when the kernel knows it is dirty");
        return new Outcome(strategy.fired(), page.test(Page.PG_DIRTY), pte(mm), List.copyOf(f.calls),
                h.writeback.dirtyPteCleanPage());
    }

    @Test
    void r3WithoutTheFixTheFaultDirtiesThePageInsideWritebackAndTheStoreIsLost() {
        Outcome o = r3(KernelConfig.preset("2.6.20"));
        assertTrue(o.windowReached(), "the fault ran between page_mkclean and TestClearPageDirty");
        assertTrue(o.lost(), "seed 000's end state: pte writable+dirty, page clean: " + o);
        assertTrue(o.pte().writable());
        assertEquals(1, o.oracle().size(), "the quiescence oracle sees it: " + o.oracle());
        assertTrue(o.oracle().get(0).startsWith("dirty pte without PG_dirty: scripted page 0"), o.oracle().get(0));
    }

    @Test
    void r3WithTheFixTheFaultWaitsForThePageLockAndRedirtiesThePage() {
        Outcome o = r3(KernelConfig.preset("2.6.22"));
        assertTrue(o.windowReached(), "the same hand-off happened");
        assertFalse(o.lost(), o.toString());
        assertTrue(o.pageDirty() || !o.pte().dirty());
        assertTrue(o.oracle().isEmpty(), o.oracle().toString());
        assertEquals(2, o.calls().stream().filter(c -> c.equals("writepage 0")).count(),
                "writeback wrote it once, msync again: " + o.calls());
    }

    /**
     * The no-page half of R3 ("do_no_page is protected similarly"; 2.6.23's __do_fault, the same
     * switch): writeback has run page_mkclean over a page no pte maps, and a store faults on the
     * not-present pte before TestClearPageDirty. Without the page lock around the pte install
     * the page is cleaned under the new writable dirty pte.
     */
    static Outcome r3NoPage(KernelConfig config) {
        Object[] st = new Object[3];
        HandOff strategy = new HandOff("writeback", point -> point == SchedPoint.PAGE_FLAG
                && st[1] instanceof Page p && p.test(Page.PG_LOCKED) && p.test(Page.PG_DIRTY));
        MmHarness h = new MmHarness(config, strategy);
        ScriptedFile f = new ScriptedFile(h, 0x1000);
        h.scheduler.spawn("setup", () -> {
            MmStruct mm = new MmStruct(h.frames, h.machine, h.scheduler);
            Vma vma = mapDirty(h, mm, f);
            h.memory.zapPteRange(mm, vma, MAP, MAP + 0x1000); // the page stays dirty in the cache, unmapped
            st[2] = vma;
            st[1] = f.mapping.peekPage(0);
            st[0] = mm;
            h.scheduler.spawn("writeback", () -> writebackOnePage(h, (Page) st[1]));
            h.scheduler.spawn("fault", () -> h.memory.handleMmFault(mm, MAP, true, false));
        });
        h.scheduler.run();
        MmStruct mm = (MmStruct) st[0];
        h.memory.checkDirtyPtes(mm, (Vma) st[2], MAP, MAP + 0x1000, "test");
        return new Outcome(strategy.fired(), ((Page) st[1]).test(Page.PG_DIRTY), pte(mm), List.copyOf(f.calls),
                h.writeback.dirtyPteCleanPage());
    }

    @Test
    void r3NoPageHalfWithoutTheFixLeavesADirtyPteOverACleanPage() {
        Outcome o = r3NoPage(KernelConfig.preset("2.6.20"));
        assertTrue(o.windowReached());
        assertTrue(o.lost(), o.toString());
        assertEquals(1, o.oracle().size(), o.oracle().toString());
    }

    @Test
    void r3NoPageHalfWithTheFixTheFaultTakesThePageLockBeforeTheInstall() {
        Outcome o = r3NoPage(KernelConfig.preset("2.6.22"));
        assertTrue(o.windowReached());
        assertFalse(o.lost(), o.toString());
        assertTrue(o.pageDirty(), "dirtied after writeback let go of the page");
        assertTrue(o.oracle().isEmpty(), o.oracle().toString());
    }

    /**
     * R4 (seed 004): mprotect rewrites the dirty writable pte as clear-then-set under the pte
     * lock; writeback's page_mkclean comes in while it reads as not present. Without the fix the
     * lockless peek skips the mapping; with it page_mkclean waits for the pte lock.
     */
    static Outcome r4(KernelConfig config) {
        Object[] st = new Object[3];
        HandOff strategy = new HandOff("mprotect", point -> point == SchedPoint.PTE_WRITE && st[0] != null
                && pte((MmStruct) st[0]).none());
        MmHarness h = new MmHarness(config, strategy);
        ScriptedFile f = new ScriptedFile(h, 0x1000);
        h.scheduler.spawn("setup", () -> {
            MmStruct mm = new MmStruct(h.frames, h.machine, h.scheduler);
            Vma vma = mapDirty(h, mm, f);
            st[1] = f.mapping.peekPage(0);
            st[2] = vma;
            st[0] = mm;
            h.scheduler.spawn("mprotect", () -> h.memory.changeProtection(mm, vma, MAP, MAP + 0x1000));
            h.scheduler.spawn("writeback", () -> writebackOnePage(h, (Page) st[1]));
        });
        h.scheduler.run();
        MmStruct mm = (MmStruct) st[0];
        Page page = (Page) st[1];
        h.memory.checkDirtyPtes(mm, (Vma) st[2], MAP, MAP + 0x1000, "test");
        return new Outcome(strategy.fired(), page.test(Page.PG_DIRTY), pte(mm), List.copyOf(f.calls),
                h.writeback.dirtyPteCleanPage());
    }

    @Test
    void r4WithoutTheFixPageMkcleanSkipsTheTransientlyClearedPte() {
        Outcome o = r4(KernelConfig.preset("2.6.22"));
        assertTrue(o.windowReached(), "writeback ran while mprotect held the pte cleared");
        assertTrue(o.lost(), "pte back writable+dirty over a clean page: " + o);
        assertTrue(o.pte().writable(), "change_pte_range keeps a dirty shared pte writable");
        assertEquals(1, o.oracle().size(), o.oracle().toString());
    }

    @Test
    void r4WithTheFixPageMkcleanWaitsForThePteLock() {
        Outcome o = r4(KernelConfig.preset("2.6.27"));
        assertTrue(o.windowReached());
        assertFalse(o.lost(), o.toString());
        assertFalse(o.pte().writable() || o.pte().dirty(), "page_mkclean cleaned it after mprotect: " + o.pte());
        assertTrue(o.oracle().isEmpty(), o.oracle().toString());
    }

    /** change_pte_range rewrites every present pte, even when nothing changes (2.6.27). */
    @Test
    void mprotectClearsAndSetsEveryPresentPteAndKeepsDirtySharedPtesWritable() {
        MmHarness h = new MmHarness(KernelConfig.preset("2.6.27"));
        h.run(mm -> {
            ScriptedFile f = new ScriptedFile(h, 0x2000);
            Vma vma = new Vma(MAP, MAP + 0x2000, Vma.VM_READ | Vma.VM_WRITE | Vma.VM_SHARED, f, 0, "scripted");
            mm.insertVma(vma);
            h.memory.handleMmFault(mm, MAP, true, false); // page 0: writable dirty
            h.memory.handleMmFault(mm, MAP + 0x1000, false, false); // page 1: read-only clean
            List<Long> writes = new java.util.ArrayList<>();
            h.scheduler.setEvents(new dev.pagelab.kernel.sched.KernelEvents() {
                @Override
                public void pteChange(long ptep, long old, long now) {
                    writes.add(now);
                }
            });
            h.memory.changeProtection(mm, vma, MAP, MAP + 0x2000);
            h.scheduler.setEvents(dev.pagelab.kernel.sched.KernelEvents.NONE);
            assertEquals(4, writes.size(), "clear and set of each present pte: " + writes);
            assertEquals(0L, writes.get(0));
            assertTrue(pte(mm).writable() && pte(mm).dirty());
            Pte p1 = mm.pageTables().peek(mm.pageTables().pteOffset(MAP + 0x1000));
            assertFalse(p1.writable(), "a clean shared pte stays write-protected (write notify)");
        });
    }
}
