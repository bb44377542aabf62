package dev.pagelab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The defects of issue 12, each through the real command line. */
class HardEdgesTest {
    @TempDir
    Path dir;

    private static void assertNoInternalError(Cli.Result r) {
        assertFalse(r.err().contains("internal error") || r.err().contains("\tat "), r.toString());
    }

    /** Defect 1: a PT_LOAD in the stack is refused like any bad ELF (126), not an internal error. */
    @Test
    void segmentOverlappingTheStackCannotBeExecuted() throws IOException {
        byte[] elf = Files.readAllBytes(Home.guestBinaries().resolve("hello"));
        ByteBuffer b = ByteBuffer.wrap(elf).order(ByteOrder.LITTLE_ENDIAN);
        int phoff = (int) b.getLong(32);
        int phnum = b.getShort(56);
        int last = phoff + (phnum - 1) * 56; // hello's last program header is PT_GNU_STACK
        assertEquals(0x6474e551, b.getInt(last), "PT_GNU_STACK expected last");
        b.putInt(last, 1); // PT_LOAD
        b.putInt(last + 4, 6); // RW
        b.putLong(last + 8, 0); // p_offset
        b.putLong(last + 16, 0x7fff_ffff_0000L); // p_vaddr: inside the stack
        b.putLong(last + 32, 0); // p_filesz
        b.putLong(last + 40, 0x1000); // p_memsz
        b.putLong(last + 48, 0x1000);
        Path bad = dir.resolve("stackload");
        Files.write(bad, elf);
        Cli.Result r = Cli.run("run", bad.toString());
        assertEquals(126, r.exit(), r.toString());
        assertTrue(r.err().contains("overlap the stack"), r.err());
        assertNoInternalError(r);
    }

    /** Defects 2, 3 and 4: lengths and offsets at the edges get Linux's errors, not internal errors. */
    @Test
    void syscallsAtTheEdgesOfTheirArgumentsGetLinuxErrors() {
        Cli.Result r = Cli.run("run", "--check", "edges");
        assertEquals(0, r.exit(), r.toString());
        assertNoInternalError(r);
        assertEquals("""
                mprotect huge length: -ENOMEM
                mprotect length -4096: -ENOMEM
                mprotect length -1: -ENOMEM
                munmap huge length: -EINVAL
                munmap length -1: -EINVAL
                mmap fixed huge length: -ENOMEM
                mmap length -1: -ENOMEM
                mmap fixed past the top: -ENOMEM
                msync length -4096: -ENOMEM
                msync huge length: -ENOMEM
                mprotect still works: 0
                write 16: ok
                pread offset+count overflows: -EINVAL
                pwrite offset+count overflows: -EINVAL
                pread negative offset: -EINVAL
                pwrite at 2^50: -EFBIG
                ftruncate 2^62: -EFBIG
                ftruncate 2^63-1: -EFBIG
                ftruncate -1: -EINVAL
                lseek near 2^63: -EINVAL
                lseek cur overflow: -EINVAL
                write after lseek: ok
                fsync: 0
                size: 32
                edges: done
                """, r.out());
    }

    /** Defect 5: on a full disk every accepted byte is on the disk at fsync, and the write is short. */
    @Test
    void aFullDiskNeverLosesAcceptedData() {
        Cli.Result r = Cli.run("run", "--check", "--check-durability", "fill", "f.dat");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("fill: write failed with errno 28"), r.out());
        assertTrue(r.out().endsWith("fill: fsync ok\nfill: ok\n"), r.out());
        assertTrue(r.err().contains("checks passed"), r.err());
    }

    /** Defect 6: a futex wait nothing can wake is a deadlock, reported, not an endless spin. */
    @Test
    void aFutexWaitNothingCanWakeIsReportedAsADeadlock() {
        Cli.Result r = Cli.run("run", "hang", "futex");
        assertEquals(137, r.exit(), r.toString());
        assertTrue(r.err().contains("killed: deadlock: every task is blocked and nothing can wake one"), r.err());
    }

    /** Defect 6: 1000 s of guest sleep skips the idle flusher and journal (few task switches). */
    @Test
    void aLongSleepSkipsTheIdleKernelThreads() {
        Cli.Result r = Cli.run("run", "--stats", "hang", "sleep", "1000");
        assertEquals(0, r.exit(), r.toString());
        assertEquals("hang: slept 1000 s\n", r.out());
        long switches = Long.parseLong(r.err().replaceAll("(?s).*task switches\\s+([0-9,]+).*", "$1").replace(",", ""));
        assertTrue(switches < 50, "the flusher woke every interval: " + r.err());
    }

    /** Defect 7: an image in use by another process is refused with one line, never shared. */
    @Test
    void anImageInUseIsLocked() throws IOException {
        Path img = dir.resolve("x.img");
        assertEquals(0, Cli.run("disk", "mkfs", img.toString()).exit());
        Path host = dir.resolve("h.txt");
        Files.writeString(host, "data");
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(img,
                java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE);
             java.nio.channels.FileLock held = ch.lock()) {
            for (String[] cmd : List.of(new String[] {"disk", "import", img.toString(), host.toString()},
                    new String[] {"disk", "ls", img.toString()},
                    new String[] {"run", "--disk", img.toString(), "hello"})) {
                Cli.Result r = Cli.run(cmd);
                assertEquals(2, r.exit(), r.toString());
                assertTrue(r.err().contains("in use by another pagelab"), r.err());
                assertEquals(1, r.err().lines().count(), r.err());
            }
        }
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(img,
                java.nio.file.StandardOpenOption.READ);
             java.nio.channels.FileLock shared = ch.lock(0, Long.MAX_VALUE, true)) {
            assertEquals(0, Cli.run("disk", "ls", img.toString()).exit(), "readers share");
            assertEquals(2, Cli.run("disk", "import", img.toString(), host.toString()).exit());
        }
        assertEquals(0, Cli.run("disk", "import", img.toString(), host.toString()).exit());
        assertEquals(0, Cli.run("disk", "fsck", img.toString()).exit());
    }

    /** Defect 8: run --check judges the image it leaves, as disk fsck does (a leak is an error). */
    @Test
    void runCheckAgreesWithDiskFsck() throws IOException {
        Path img = dir.resolve("k.img");
        assertEquals(0, Cli.run("disk", "mkfs", img.toString()).exit());
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(img.toFile(), "rw")) {
            f.seek(1024 + 16000 / 8); // the bitmap (block 1): mark block 16000 used, referenced by nothing
            int b = f.read();
            f.seek(1024 + 16000 / 8);
            f.write(b | 1);
        }
        Cli.Result fsck = Cli.run("disk", "fsck", img.toString());
        assertEquals(1, fsck.exit(), fsck.toString());
        Cli.Result r = Cli.run("run", "--disk", img.toString(), "--check", "hello");
        assertEquals(3, r.exit(), r.toString());
        assertTrue(r.err().contains("CHECK FAILED fsck: block 16000 is marked used but referenced by nothing"),
                r.err());
    }

    /** Defect 12: a run on an image it cannot write says why. */
    @Test
    void aReadOnlyImageGivesAReason() throws IOException {
        org.junit.jupiter.api.Assumptions.assumeFalse("root".equals(System.getProperty("user.name")),
                "root can write a read-only file");
        Path img = dir.resolve("ro.img");
        assertEquals(0, Cli.run("disk", "mkfs", img.toString()).exit());
        assertTrue(img.toFile().setWritable(false, false));
        Cli.Result r = Cli.run("run", "--disk", img.toString(), "hello");
        assertEquals(2, r.exit(), r.toString());
        assertTrue(r.err().contains("permission denied"), r.err());
    }

    /** Defect 12: int $0x80 is refused with a reason; everything after PROGRAM is the guest's. */
    @Test
    void int80SaysWhyAndOptionsAfterProgramBelongToTheGuest() {
        Cli.Result r = Cli.run("run", "int80");
        assertEquals(139, r.exit(), r.toString());
        assertTrue(r.err().contains("int $0x80: the 32-bit system call ABI is not supported"), r.err());
        Cli.Result args = Cli.run("run", "args", "--check", "-V", "--stats");
        assertEquals("argc=4\nargv[0]=args\nargv[1]=--check\nargv[2]=-V\nargv[3]=--stats\n", args.out(),
                args.toString());
        assertEquals("", args.err());
    }

    /** -V works on every subcommand; run --help lists the exit statuses; unknown syscalls have names. */
    @Test
    void versionHelpAndSyscallNames() {
        for (String[] cmd : List.of(new String[] {"run", "-V"}, new String[] {"disk", "ls", "-V"},
                new String[] {"selftest", "-V"})) {
            Cli.Result r = Cli.run(cmd);
            assertTrue(r.out().startsWith("pagelab 0.1.0\nlibunicorn"), String.join(" ", cmd) + ": " + r);
        }
        Cli.Result help = Cli.run("run", "--help");
        assertTrue(help.out().contains("Exit status:") && help.out().contains("141") && help.out().contains("126"),
                help.out());
        Cli.Result stats = Cli.run("run", "--stats", "sysfuzz", "1", "300");
        assertTrue(java.util.regex.Pattern.compile("unknown syscalls .*\\b[a-z_0-9]+ \\(#\\d+\\)").matcher(stats.err()).find(),
                "unknown syscalls are shown by name: " + stats.err());
    }

    /**
     * No syscall, however wild its arguments, ends a run as an internal error: the random-syscall
     * guest, 100,000 calls for each of three seeds, with the end-of-run checks.
     */
    @Test
    void randomSyscallsNeverEndInAnInternalError() {
        for (String seed : List.of("1", "2", "3")) {
            Cli.Result r = Cli.run("run", "--check", "sysfuzz", seed);
            assertNoInternalError(r);
            assertEquals(0, r.exit(), r.toString());
            assertTrue(r.out().startsWith("sysfuzz: seed " + seed + ": 100000 calls"), r.out());
            assertTrue(r.err().contains("checks passed"), r.err());
        }
    }

    /** Page reclaim: a 12 MB file through 8 MiB of RAM, every fsync durable, the end state exact. */
    @Test
    void fileDataLargerThanRamIsReclaimed() {
        Cli.Result r = Cli.run("run", "--memory", "8", "--stats", "--check", "writefsync", "w.dat", "3000");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().endsWith("writefsync: 3000 blocks verified\nwritefsync: ok\n")
                || r.out().contains("writefsync: 3000 blocks verified"), r.out());
        assertTrue(r.err().contains("page reclaim"), r.err());
        assertTrue(r.err().contains("checks passed"), r.err());
    }

    /**
     * Reclaim races with faults like every writeback path: fsx's mapped reads and writes of an
     * 8 MB file in 12 MiB of RAM (its shadow copy takes most of it), with the durability oracle
     * at every fsync and the end-state check, on the fixed kernel.
     */
    @Test
    void theDurabilityOracleHoldsUnderMemoryPressure() {
        Cli.Result r = Cli.run("run", "--memory", "12", "--stats", "--check", "--check-durability", "fsx", "f.dat",
                "-N", "150", "-l", "8000000");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("fsx: 150 ops ok"), r.out());
        assertTrue(r.err().matches("(?s).*page reclaim +[0-9,]+ pages freed, [1-9][0-9,]* written back first.*"),
                "reclaim wrote dirty pages back: " + r.err());
        assertTrue(r.err().contains("checks passed (durability verified"), r.err());
    }

    /** A file unlinked while still mapped goes when its last mapping does (here: at exit). */
    @Test
    void anUnlinkedFileGoesWithItsLastMapping() {
        Path img = dir.resolve("o.img");
        Cli.Result r = Cli.run("run", "--disk", img.toString(), "--check", "orphan", "g.dat");
        assertEquals(0, r.exit(), r.toString());
        Cli.Result ls = Cli.run("disk", "ls", img.toString());
        assertFalse(ls.out().contains("g.dat"), ls.toString());
        assertEquals(0, Cli.run("disk", "fsck", img.toString()).exit());
    }
}
