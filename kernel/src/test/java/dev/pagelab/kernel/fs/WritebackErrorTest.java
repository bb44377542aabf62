package dev.pagelab.kernel.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pagelab.kernel.Errno;
import dev.pagelab.kernel.KernelConfig;
import dev.pagelab.kernel.fs.disk.FsException;
import dev.pagelab.kernel.sched.Scheduler;
import dev.pagelab.kernel.sched.Strategy;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A writeback that cannot put a file's data on the disk is never silent (Linux: mapping_set_error,
 * AS_ENOSPC/AS_EIO): the next fsync of that file fails with the error, once.
 */
class WritebackErrorTest {
    @TempDir
    Path dir;

    @Test
    void aWritebackFailureReachesTheNextFsyncOnce() throws Exception {
        Scheduler scheduler = new Scheduler(Strategy.ROUND_ROBIN);
        AtomicReference<String> outcome = new AtomicReference<>("not run");
        try (DiskRig rig = new DiskRig(dir.resolve("t.img"), KernelConfig.LINUX_2_6_30, scheduler, new DurabilityOracle(false))) {
            DiskFilesystem sb = rig.sb;
            scheduler.spawn("test", () -> {
                DiskFile f = (DiskFile) sb.open("a", OpenFile.O_CREAT | OpenFile.O_RDWR);
                assertEquals(4096, f.write(new byte[4096], 0, 4096), "accepted: its blocks are reserved");
                // The space vanishes underneath (a stand-in for a failing device): another file takes
                // every free block without consulting the reservations.
                try {
                    int other = sb.fs().create("thief");
                    sb.fs().setSize(other, 1024L * 1024);
                    for (long fb = 0; ; fb++) {
                        sb.fs().allocBlock(other, fb);
                    }
                } catch (FsException e) {
                    assertEquals(Errno.ENOSPC, e.errno());
                }
                Errno first = assertThrows(Errno.class, () -> sb.fsync(f.diskInode(), "fsync"));
                assertEquals(Errno.ENOSPC, first.errno());
                sb.fsync(f.diskInode(), "fsync"); // reported once, as Linux does
                outcome.set("fsync failed with ENOSPC, then succeeded");
            });
            scheduler.run();
        }
        assertTrue(outcome.get().startsWith("fsync failed"), outcome.get());
    }
}
