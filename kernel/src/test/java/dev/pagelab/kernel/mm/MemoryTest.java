package dev.pagelab.kernel.mm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagelab.emulator.Pte;
import dev.pagelab.emulator.X86Paging;
import dev.pagelab.kernel.fs.HostFile;
import java.util.List;
import org.junit.jupiter.api.Test;

/** VMA handling, page-table construction and the fault paths, without a CPU. */
class MemoryTest {
    static final long A = 0x10_0000L;
    static final int RW = Vma.VM_READ | Vma.VM_WRITE;

    private final MmHarness h = new MmHarness();

    private static Pte pte(MmStruct mm, long va) {
        return mm.pageTables().peek(mm.pageTables().pteOffset(va));
    }

    @Test
    void detachRangeSplitsVmasAtBothEdges() {
        h.run(mm -> {
            mm.insertVma(new Vma(A, A + 0x10000, RW, null, 0, "x"));
            List<Vma> gone = mm.detachRange(A + 0x3000, A + 0x5000);
            assertEquals(1, gone.size());
            assertEquals(A + 0x3000, gone.get(0).start());
            assertEquals(A + 0x5000, gone.get(0).end());
            assertEquals(A + 0x3000, mm.findVma(A).end());
            assertEquals(A + 0x5000, mm.findVma(A + 0x6000).start());
            assertNull(mm.findVma(A + 0x4000));
        });
    }

    @Test
    void splittingAFileVmaKeepsEachPiecesFileOffset() {
        h.run(mm -> {
            HostFile f = h.file("f", new byte[0x10000]);
            mm.insertVma(new Vma(A, A + 0x10000, Vma.VM_READ, f, 2, "f"));
            mm.detachRange(A + 0x4000, A + 0x5000);
            assertEquals(2 + 5, mm.findVma(A + 0x5000).pgoff());
            assertEquals(2 + 7, mm.findVma(A + 0x7000).pageIndex(A + 0x7000));
        });
    }

    @Test
    void overlappingInsertIsABug() {
        h.run(mm -> {
            mm.insertVma(new Vma(A, A + 0x2000, RW, null, 0, ""));
            assertThrows(IllegalStateException.class, () -> mm.insertVma(new Vma(A + 0x1000, A + 0x3000, RW, null, 0, "")));
        });
    }

    @Test
    void pteAllocBuildsFourLevelsThatTheHardwareWalkFollows() {
        h.run(mm -> {
            long va = 0x7f12_3456_7000L;
            long ptep = mm.pageTables().pteAlloc(va);
            assertEquals(3, mm.pageTables().tablePages());
            mm.pageTables().setPteAt(ptep, Pte.of(0x123, Pte.P | Pte.US));
            X86Paging.Walk w = X86Paging.walk(h.machine.memory(), mm.pageTables().pgd(), va + 0x10);
            assertTrue(w.mapped());
            assertEquals((0x123L << 12) + 0x10, w.physicalAddress());
            assertEquals(ptep, mm.pageTables().pteOffset(va));
        });
    }

    @Test
    void anonymousWriteFaultMapsAZeroedWritableDirtyPage() {
        h.run(mm -> {
            mm.insertVma(new Vma(A, A + 0x4000, RW, null, 0, ""));
            var r = h.memory.handleMmFault(mm, A + 0x1234, true, false);
            assertEquals(new FaultResult.Handled(FaultResult.Kind.ANONYMOUS), r);
            Pte p = pte(mm, A + 0x1000);
            assertTrue(p.present() && p.writable() && p.dirty() && p.user() && p.noExecute());
            assertEquals(1, h.frames.pageOf(p.frame()).mapcount());
            assertEquals(0, h.machine.memory().readLong(p.physicalAddress() + 8));
        });
    }

    @Test
    void accessesTheVmaForbidsAreSigsegv() {
        h.run(mm -> {
            mm.insertVma(new Vma(A, A + 0x1000, Vma.VM_READ, null, 0, ""));
            assertInstanceOf(FaultResult.SigSegv.class, h.memory.handleMmFault(mm, A, true, false));
            assertInstanceOf(FaultResult.SigSegv.class, h.memory.handleMmFault(mm, A, false, true));
            FaultResult.SigSegv unmapped = assertInstanceOf(FaultResult.SigSegv.class,
                    h.memory.handleMmFault(mm, A + 0x5000, false, false));
            assertFalse(unmapped.mapped());
        });
    }

    @Test
    void privateFileReadMapsTheCachePageReadOnlyThenAWriteCopiesIt() {
        h.run(mm -> {
            byte[] data = new byte[0x2000];
            data[0x1010] = 42;
            HostFile f = h.file("data", data);
            mm.insertVma(new Vma(A, A + 0x2000, RW, f, 0, "data"));
            assertEquals(new FaultResult.Handled(FaultResult.Kind.FILE_READ),
                    h.memory.handleMmFault(mm, A + 0x1010, false, false));
            Pte ro = pte(mm, A + 0x1000);
            Page cached = f.mapping().findGetPage(1);
            assertEquals(cached.frame(), ro.frame());
            assertFalse(ro.writable());
            assertEquals(1, cached.mapcount());

            int flushesBefore = h.tlbFlushes;
            assertEquals(new FaultResult.Handled(FaultResult.Kind.COW),
                    h.memory.handleMmFault(mm, A + 0x1010, true, false));
            Pte rw = pte(mm, A + 0x1000);
            assertNotEquals(cached.frame(), rw.frame());
            assertTrue(rw.writable() && rw.dirty());
            assertEquals(42, h.machine.memory().readByte(rw.physicalAddress() + 0x10));
            assertEquals(0, cached.mapcount(), "the cache page is no longer mapped");
            assertTrue(h.tlbFlushes > flushesBefore, "COW must shoot down the old translation");
            h.frames.putPage(cached);
        });
    }

    @Test
    void aFaultBeyondTheEndOfTheFileIsSigbus() {
        h.run(mm -> {
            HostFile f = h.file("short", new byte[100]);
            mm.insertVma(new Vma(A, A + 0x3000, Vma.VM_READ, f, 0, "short"));
            assertInstanceOf(FaultResult.Handled.class, h.memory.handleMmFault(mm, A, false, false));
            assertInstanceOf(FaultResult.SigBus.class, h.memory.handleMmFault(mm, A + 0x2000, false, false));
        });
    }

    @Test
    void zapFreesAnonymousFramesAndTheTablesGoAtExit() {
        h.run(mm -> {
            long before = h.frames.inUse();
            Vma v = new Vma(A, A + 0x8000, RW, null, 0, "");
            mm.insertVma(v);
            for (long a = A; a < A + 0x8000; a += 0x1000) {
                h.memory.handleMmFault(mm, a, true, false);
            }
            assertEquals(8, mm.rss());
            h.memory.zapPteRange(mm, v, A, A + 0x8000);
            assertEquals(0, mm.rss());
            mm.pageTables().freeAll();
            assertEquals(before - 1, h.frames.inUse(), "only the (now freed) pgd was allocated before");
        });
    }

    @Test
    void copyToUserFaultsPagesInAndSetsDirtyLikeTheCpu() {
        h.run(mm -> {
            mm.insertVma(new Vma(A, A + 0x2000, RW, null, 0, ""));
            h.uaccess.copyToUser(mm, A + 0xff8, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16});
            assertTrue(pte(mm, A).dirty() && pte(mm, A + 0x1000).dirty());
            assertArrayEquals(new byte[] {8, 9, 10}, h.uaccess.copyFromUser(mm, A + 0xfff, 3));
        });
    }

    @Test
    void badUserPointersAreEfault() {
        h.run(mm -> {
            mm.insertVma(new Vma(A, A + 0x1000, Vma.VM_READ, null, 0, ""));
            assertThrows(UserAccess.Efault.class, () -> h.uaccess.copyFromUser(mm, 0x5000, 8));
            assertThrows(UserAccess.Efault.class, () -> h.uaccess.copyToUser(mm, A, new byte[1]));
            assertThrows(UserAccess.Efault.class, () -> h.uaccess.copyFromUser(mm, -8, 8));
            assertThrows(UserAccess.Efault.class, () -> h.uaccess.copyFromUser(mm, MmStruct.TASK_SIZE - 4, 8));
        });
    }

    @Test
    void getUnmappedAreaPlacesTopDownBelowTheStackGap() {
        h.run(mm -> {
            long first = mm.getUnmappedArea(0x3000);
            assertEquals(MmStruct.MMAP_BASE - 0x3000, first);
            mm.insertVma(new Vma(first, first + 0x3000, RW, null, 0, ""));
            assertEquals(first - 0x1000, mm.getUnmappedArea(0x1000));
        });
    }
}
