package dev.pagelab.kernel.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagelab.kernel.KernelConfig;
import dev.pagelab.kernel.mm.AddressSpace;
import dev.pagelab.kernel.mm.Page;
import dev.pagelab.kernel.mm.WritebackControl;
import dev.pagelab.kernel.sched.Scheduler;
import dev.pagelab.kernel.sched.Strategy;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * block_write_full_page's locked-buffer path (the R1 ingredient): background writeback skips a
 * buffer the journal holds and redirties the page; integrity writeback writes it.
 */
class LockedBufferTest {
    @TempDir
    Path dir;

    private Scheduler scheduler;

    private void withFile(Consumer<DiskInode> body) throws Exception {
        scheduler = new Scheduler(Strategy.ROUND_ROBIN);
        try (DiskRig rig = new DiskRig(dir.resolve("t.img"), KernelConfig.LINUX_2_6_30, scheduler, new DurabilityOracle(false))) {
            DiskFilesystem sb = rig.sb;
            scheduler.spawn("test", () -> {
                DiskFile f = (DiskFile) sb.open("a", OpenFile.O_CREAT | OpenFile.O_RDWR);
                f.write(new byte[4096], 0, 4096);
                body.accept(f.diskInode());
            });
            scheduler.run();
        }
    }

    @Test
    void backgroundWritebackSkipsAJournalLockedBufferAndRedirtiesThePage() throws Exception {
        withFile(inode -> {
            Page page = inode.mapping().peekPage(0);
            BufferHead[] bhs = Buffers.pageBuffers(page);
            DiskFilesystem sb = inode.filesystem();
            assertTrue(sb.buffers().trylockBuffer(bhs[0]), "stand-in for kjournald holding buffer 0");
            sb.writeback().writeCachePages(inode.mapping(), WritebackControl.background("test"));
            assertTrue(bhs[0].test(BufferHead.BH_DIRTY), "the locked buffer is left dirty");
            for (int i = 1; i < 4; i++) {
                assertFalse(bhs[i].test(BufferHead.BH_DIRTY), "buffer " + i + " was written");
            }
            assertEquals(3, sb.disk().inFlight().size());
            assertTrue(page.test(Page.PG_DIRTY), "redirty_page_for_writepage");
            assertTrue(inode.mapping().tagged(0, AddressSpace.Tag.DIRTY));

            sb.buffers().unlockBuffer(bhs[0]);
            sb.disk().completeAll();
            sb.writeback().filemapFdatawrite(inode.mapping(), "test");
            assertFalse(bhs[0].test(BufferHead.BH_DIRTY), "integrity writeback wrote it");
            assertFalse(page.test(Page.PG_DIRTY));
            sb.disk().completeAll();
        });
    }

    @Test
    void writeMarksOnlyTheWrittenBuffersDirtyAndJournalsThem() throws Exception {
        withFile(inode -> {
            DiskFilesystem sb = inode.filesystem();
            sb.disk().completeAll();
            sb.writeback().filemapFdatawrite(inode.mapping(), "test");
            sb.disk().completeAll();
            int journaled = sb.journalLength();
            inode.write(1024 + 10, new byte[] {1, 2, 3}, 0, 3);
            BufferHead[] bhs = Buffers.pageBuffers(inode.mapping().peekPage(0));
            assertFalse(bhs[0].test(BufferHead.BH_DIRTY));
            assertTrue(bhs[1].test(BufferHead.BH_DIRTY));
            assertFalse(bhs[2].test(BufferHead.BH_DIRTY));
            assertEquals(journaled + 1, sb.journalLength(), "only the written buffer joins the transaction");
        });
    }

    /**
     * __block_write_full_page locks before it tests BH_dirty: a buffer the journal already cleaned
     * but is still writing makes background writeback redirty the page, and makes integrity
     * writeback wait for the lock (so fsync cannot return before the journal's write is done).
     */
    @Test
    void aCleanButJournalLockedBufferStillRedirtiesBackgroundWriteback() throws Exception {
        withFile(inode -> {
            DiskFilesystem sb = inode.filesystem();
            sb.disk().completeAll();
            sb.writeback().filemapFdatawrite(inode.mapping(), "test");
            sb.disk().completeAll();
            Page page = inode.mapping().peekPage(0);
            BufferHead[] bhs = Buffers.pageBuffers(page);
            inode.write(2048, new byte[] {7}, 0, 1); // buffer 2 dirty, page dirty
            assertTrue(sb.buffers().trylockBuffer(bhs[0]), "kjournald writing the clean buffer 0");
            sb.writeback().writeCachePages(inode.mapping(), WritebackControl.background("test"));
            assertTrue(page.test(Page.PG_DIRTY), "redirtied because buffer 0 was locked, although clean");
            assertFalse(bhs[2].test(BufferHead.BH_DIRTY), "buffer 2 went out");
            sb.buffers().unlockBuffer(bhs[0]);
            sb.disk().completeAll();
        });
    }

    @Test
    void integrityWritebackWaitsForABufferTheJournalIsWriting() throws Exception {
        withFile(inode -> {
            DiskFilesystem sb = inode.filesystem();
            sb.disk().completeAll();
            sb.writeback().filemapFdatawrite(inode.mapping(), "test");
            sb.disk().completeAll();
            Page page = inode.mapping().peekPage(0);
            BufferHead[] bhs = Buffers.pageBuffers(page);
            inode.write(0, new byte[] {9}, 0, 1);
            sb.buffers().lockBuffer(bhs[0]); // kjournald: lock, clean, submit
            assertTrue(bhs[0].testAndClear(BufferHead.BH_DIRTY));
            sb.buffers().submitWrite(bhs[0], () -> sb.buffers().unlockBuffer(bhs[0]));
            scheduler.spawn("kdisk", () -> sb.disk().completeAll());
            long before = sb.disk().writesCompleted();
            sb.writeback().filemapFdatawrite(inode.mapping(), "fsync");
            assertTrue(sb.disk().writesCompleted() > before, "fdatawrite slept in lock_buffer until the journal's write completed");
            sb.disk().completeAll();
        });
    }

    /**
     * truncate waits for a buffer write in flight (kjournald's) before the on-disk layer zeroes
     * the partial block: else the late write brings the truncated bytes back, and a later
     * extension shows them (a false durability alarm fsx2 found).
     */
    @Test
    void truncateWaitsForAJournalWriteInFlightBeforeZeroingThePartialBlock() throws Exception {
        withFile(inode -> {
            DiskFilesystem sb = inode.filesystem();
            sb.disk().completeAll();
            sb.writeback().filemapFdatawrite(inode.mapping(), "test");
            sb.disk().completeAll();
            byte[] old = new byte[1024];
            java.util.Arrays.fill(old, (byte) 0x4a);
            inode.write(0, old, 0, old.length);
            BufferHead bh0 = Buffers.pageBuffers(inode.mapping().peekPage(0))[0];
            sb.buffers().lockBuffer(bh0); // kjournald: lock, clean, submit the old bytes
            assertTrue(bh0.testAndClear(BufferHead.BH_DIRTY));
            sb.buffers().submitWrite(bh0, () -> sb.buffers().unlockBuffer(bh0));
            scheduler.spawn("kdisk", () -> sb.disk().completeAll());
            inode.truncate(100);
            inode.truncate(4096);
            sb.disk().completeAll();
            byte[] onDisk = sb.fs().readFile(inode.diskIno());
            assertEquals(0, onDisk[500], "the truncated bytes stay gone on disk");
            assertEquals(0x4a, onDisk[99]);
        });
    }
}
