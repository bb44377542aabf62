package dev.pagelab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
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
}
