package dev.pagelab.kernel.proc;

import dev.pagelab.kernel.mm.MappedFile;
import dev.pagelab.kernel.mm.MmStruct;
import dev.pagelab.kernel.mm.UserAccess;
import dev.pagelab.kernel.mm.Vma;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Maps a parsed static ELF executable into a fresh mm and builds its initial stack (Linux:
 * fs/binfmt_elf.c load_elf_binary() and create_elf_tables()). Text and data are private file
 * mappings of the executable, demand-paged through its page cache; bss is anonymous memory.
 * Unlike Linux, nothing is randomized: the stack top, brk and AT_RANDOM bytes are fixed, so runs
 * are reproducible.
 */
public final class Exec {
    private Exec() {}

    public static final int AT_NULL = 0, AT_PHDR = 3, AT_PHENT = 4, AT_PHNUM = 5, AT_PAGESZ = 6, AT_ENTRY = 9,
            AT_UID = 11, AT_EUID = 12, AT_GID = 13, AT_EGID = 14, AT_HWCAP = 16, AT_CLKTCK = 17, AT_SECURE = 23,
            AT_RANDOM = 25, AT_EXECFN = 31;
    private static final long PAGE = 4096;

    /** What exec leaves behind: where to start, and where the heap begins. */
    public record Image(long entry, long stackPointer) {}

    /** Maps {@code elf} (whose bytes are {@code file}) into {@code mm} and writes the stack. */
    public static Image loadElfBinary(MmStruct mm, UserAccess uaccess, ElfFile elf, MappedFile file,
                                      List<String> argv, List<String> envp) {
        long brk = 0;
        for (ElfFile.Segment s : elf.loads()) {
            mapSegment(mm, uaccess, s, file);
            brk = Math.max(brk, pageUp(s.vaddr() + s.memSize()));
        }
        mm.setBrk(brk, brk);
        mm.insertVma(new Vma(MmStruct.STACK_TOP - MmStruct.STACK_SIZE, MmStruct.STACK_TOP,
                Vma.VM_READ | Vma.VM_WRITE | Vma.VM_GROWSDOWN, null, 0, "[stack]"));
        long sp = createElfTables(mm, uaccess, elf, argv, envp);
        return new Image(elf.entry(), sp);
    }

    /** elf_map + set_brk for one PT_LOAD: file pages privately, then anonymous bss pages. */
    private static void mapSegment(MmStruct mm, UserAccess uaccess, ElfFile.Segment s, MappedFile file) {
        int flags = (s.readable() ? Vma.VM_READ : 0) | (s.writable() ? Vma.VM_WRITE : 0)
                | (s.executable() ? Vma.VM_EXEC : 0);
        long start = pageDown(s.vaddr());
        long fileEnd = s.fileSize() == 0 ? start : pageUp(s.vaddr() + s.fileSize());
        long memEnd = pageUp(s.vaddr() + s.memSize());
        if (fileEnd > start) {
            mapFixed(mm, new Vma(start, fileEnd, flags, file, pageDown(s.offset()) / PAGE, file.name()));
        }
        if (memEnd > fileEnd) {
            mapFixed(mm, new Vma(fileEnd, memEnd, flags, null, 0, ""));
        }
        long tail = s.vaddr() + s.fileSize();
        if (s.fileSize() > 0 && s.memSize() > s.fileSize() && (tail & (PAGE - 1)) != 0 && s.writable()) {
            int zeros = (int) (Math.min(pageUp(tail), s.vaddr() + s.memSize()) - tail);
            uaccess.clearUser(mm, tail, zeros); // padzero(): the file page's tail belongs to bss
        }
    }

    /** MAP_FIXED semantics: a later segment sharing a page with an earlier one replaces it there. */
    private static void mapFixed(MmStruct mm, Vma vma) {
        mm.detachRange(vma.start(), vma.end());
        mm.insertVma(vma);
    }

    /**
     * create_elf_tables: strings, AT_RANDOM bytes, then (16-byte aligned) argc, argv[], NULL,
     * envp[], NULL, auxv pairs, AT_NULL. Returns the initial stack pointer (at argc).
     */
    private static long createElfTables(MmStruct mm, UserAccess uaccess, ElfFile elf, List<String> argv,
                                        List<String> envp) {
        long p = MmStruct.STACK_TOP;
        long[] argvPtrs = new long[argv.size()];
        long[] envpPtrs = new long[envp.size()];
        for (int i = envp.size() - 1; i >= 0; i--) {
            p = pushString(mm, uaccess, p, envp.get(i));
            envpPtrs[i] = p;
        }
        for (int i = argv.size() - 1; i >= 0; i--) {
            p = pushString(mm, uaccess, p, argv.get(i));
            argvPtrs[i] = p;
        }
        long execfn = argvPtrs.length > 0 ? argvPtrs[0] : 0;
        p = (p - 16) & ~15L;
        long random = p;
        uaccess.copyToUser(mm, random, "pagelab-AT_RNDM!".getBytes(StandardCharsets.US_ASCII));
        long[][] auxv = {
            {AT_PHDR, elf.phdrAddress()}, {AT_PHENT, 56}, {AT_PHNUM, elf.phnum()}, {AT_PAGESZ, PAGE},
            {AT_ENTRY, elf.entry()}, {AT_UID, 0}, {AT_EUID, 0}, {AT_GID, 0}, {AT_EGID, 0},
            {AT_HWCAP, 0x178bfbffL}, {AT_CLKTCK, 100}, {AT_SECURE, 0}, {AT_RANDOM, random},
            {AT_EXECFN, execfn}, {AT_NULL, 0},
        };
        int words = 1 + argv.size() + 1 + envp.size() + 1 + 2 * auxv.length;
        long sp = (p - 8L * words) & ~15L;
        ByteBuffer b = ByteBuffer.allocate(8 * words).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(argv.size());
        for (long a : argvPtrs) {
            b.putLong(a);
        }
        b.putLong(0);
        for (long e : envpPtrs) {
            b.putLong(e);
        }
        b.putLong(0);
        for (long[] pair : auxv) {
            b.putLong(pair[0]).putLong(pair[1]);
        }
        uaccess.copyToUser(mm, sp, b.array());
        return sp;
    }

    private static long pushString(MmStruct mm, UserAccess uaccess, long p, String s) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        bytes.writeBytes(dev.pagelab.kernel.GuestStrings.encode(s));
        bytes.write(0);
        byte[] b = bytes.toByteArray();
        long at = p - b.length;
        uaccess.copyToUser(mm, at, b);
        return at;
    }

    static long pageDown(long a) {
        return a & ~(PAGE - 1);
    }

    static long pageUp(long a) {
        return (a + PAGE - 1) & ~(PAGE - 1);
    }
}
