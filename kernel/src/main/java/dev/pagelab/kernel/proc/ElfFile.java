package dev.pagelab.kernel.proc;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A parsed and validated static x86-64 ELF64 executable: the parts of it that {@code execve} needs.
 * This class only parses; it maps nothing.
 *
 * <p>{@link #parse} mirrors the checks of Linux's {@code fs/binfmt_elf.c} {@code load_elf_binary()}
 * for an {@code ET_EXEC} file and throws {@link ElfException} where Linux fails
 * the {@code execve} with {@code ENOEXEC} or {@code EINVAL}:
 * <ol>
 *   <li>the {@code e_ident} magic ({@code memcmp(elf_ex->e_ident, ELFMAG, SELFMAG)}), then the ident
 *       bytes that pick the binfmt: {@code EI_CLASS == ELFCLASS64}, {@code EI_DATA == ELFDATA2LSB},
 *       {@code EI_VERSION == EV_CURRENT};
 *   <li>{@code elf_check_arch()}: {@code e_machine == EM_X86_64};
 *   <li>{@code e_type}: {@code ET_EXEC} only. Linux also loads {@code ET_DYN}; pagelab does not
 *       (no load bias), so position-independent executables are refused;
 *   <li>{@code load_elf_phdrs()}: {@code e_phentsize == sizeof(struct elf_phdr)} (56), and the table
 *       is non-empty, at most 64 KiB, and wholly inside the file;
 *   <li>the {@code PT_INTERP} scan: a dynamically linked executable is refused (there is no
 *       {@code ld.so} to run);
 *   <li>the {@code PT_LOAD} loop's {@code BAD_ADDR(k) || p_filesz > p_memsz || p_memsz > TASK_SIZE ||
 *       TASK_SIZE - p_memsz < k} test (here with the whole user half, {@code 0x8000_0000_0000}, as the
 *       limit), and {@code elf_map()}'s requirement that {@code p_vaddr} and {@code p_offset} be
 *       congruent modulo the page size (otherwise the {@code mmap} of the file fails);
 *   <li>{@code AT_PHDR}: computed like {@code load_elf_binary()}'s {@code phdr_addr}, see
 *       {@link #phdrAddress()}.
 * </ol>
 * Some checks are pagelab's own, where Linux would accept the file and then fail or misbehave later:
 * at least one {@code PT_LOAD}; every segment's file bytes inside the file (Linux would
 * {@code SIGBUS} on touching them); {@code PT_LOAD}s sorted by {@code p_vaddr} and not overlapping
 * byte-wise (as the ELF specification requires; Linux would silently let a later {@code MAP_FIXED}
 * replace an earlier one); and the entry point inside an executable {@code PT_LOAD}.
 *
 * <p>The parser never throws anything but {@link ElfException} for any byte input: every read is
 * bounds-checked and every address sum is checked for overflow.
 *
 * <p>In messages, "segment N" and "program header N" use the index in the program header table (as
 * {@code readelf -l} numbers them), not the index in {@link #loads()}.
 *
 * @param entry {@code e_entry}, the virtual address of the first instruction
 * @param type {@code e_type}; always {@code ET_EXEC} (2)
 * @param phoff {@code e_phoff}, the file offset of the program header table
 * @param phentsize {@code e_phentsize}; always 56
 * @param phnum {@code e_phnum}, the number of program headers (of every type)
 * @param loads the {@code PT_LOAD} segments, in file order (which is also ascending address order)
 * @param phdrAddress where the program header table is visible once the segments are loaded (for
 *     {@code AT_PHDR}), or 0 when no loaded segment contains it
 * @param image the whole file, not copied: segment {@code i}'s file bytes are
 *     {@code image[offset, offset + fileSize)}
 */
public record ElfFile(long entry, int type, long phoff, int phentsize, int phnum, List<Segment> loads,
                      long phdrAddress, byte[] image) {

    /** {@link #read} refuses larger files. */
    private static final int MAX_FILE_SIZE = 256 << 20;

    private static final int EHDR_SIZE = 64;
    private static final int PHDR_SIZE = 56;
    /** {@code load_elf_phdrs()}: the whole table is at most 64 KiB. */
    private static final int MAX_PHDR_TABLE_SIZE = 65536;
    private static final long PAGE_SIZE = 4096;
    /** Exclusive end of the x86-64 user half (47-bit canonical addresses). */
    private static final long USER_ADDRESS_LIMIT = 0x0000_8000_0000_0000L;
    /** {@code PATH_MAX}: Linux refuses a longer {@code PT_INTERP}. */
    private static final int PATH_MAX = 4096;

    private static final byte[] ELF_MAGIC = {0x7f, 'E', 'L', 'F'};
    private static final int EI_CLASS = 4, EI_DATA = 5, EI_VERSION = 6;
    private static final int ELFCLASS32 = 1, ELFCLASS64 = 2;
    private static final int ELFDATA2LSB = 1, ELFDATA2MSB = 2;
    private static final int EV_CURRENT = 1;

    private static final int ET_NONE = 0, ET_REL = 1, ET_EXEC = 2, ET_DYN = 3, ET_CORE = 4;
    private static final int EM_X86_64 = 62;
    private static final int PT_LOAD = 1, PT_INTERP = 3, PT_PHDR = 6;

    /** The canonical constructor: {@code loads} is copied into an unmodifiable list. */
    public ElfFile {
        loads = List.copyOf(loads);
        Objects.requireNonNull(image, "image");
    }

    /**
     * One {@code PT_LOAD} program header: map {@code fileSize} bytes of the file from {@code offset}
     * at {@code vaddr}, and zero-fill up to {@code memSize}. All values are as in the file (there is
     * no load bias for {@code ET_EXEC}).
     *
     * @param vaddr {@code p_vaddr}; below {@code 0x8000_0000_0000}
     * @param offset {@code p_offset}; congruent to {@code vaddr} modulo 4096 when {@code fileSize > 0}
     * @param fileSize {@code p_filesz}; {@code offset + fileSize} is within the file
     * @param memSize {@code p_memsz}; at least {@code fileSize}, and {@code vaddr + memSize} is at
     *     most {@code 0x8000_0000_0000}
     * @param flags {@code p_flags}: {@link #PF_R}, {@link #PF_W}, {@link #PF_X}
     * @param align {@code p_align}, informational
     */
    public record Segment(long vaddr, long offset, long fileSize, long memSize, int flags, long align) {
        public static final int PF_X = 1, PF_W = 2, PF_R = 4;

        /** {@code p_flags} has {@link #PF_R}. */
        public boolean readable() {
            return (flags & PF_R) != 0;
        }

        /** {@code p_flags} has {@link #PF_W}. */
        public boolean writable() {
            return (flags & PF_W) != 0;
        }

        /** {@code p_flags} has {@link #PF_X}. */
        public boolean executable() {
            return (flags & PF_X) != 0;
        }

        /** Whether {@code address} lies in {@code [vaddr, vaddr + memSize)}. */
        boolean contains(long address) {
            return address >= vaddr && address - vaddr < memSize;
        }
    }

    /** A program header as read, with its index in the table; values unchecked. */
    private record ProgramHeader(int index, int type, int flags, long offset, long vaddr, long fileSize,
                                 long memSize, long align) {
        Segment toSegment() {
            return new Segment(vaddr, offset, fileSize, memSize, flags, align);
        }
    }

    /**
     * Parses and validates a static x86-64 ELF64 executable, with the checks listed in the class
     * comment (those of Linux's {@code load_elf_binary()} plus pagelab's own).
     *
     * @param image the whole file; kept, not copied, as {@link #image()}
     * @return the executable's entry point, {@code PT_LOAD} segments and {@code AT_PHDR} address
     * @throws ElfException with a one-line, user-facing message, for any file that is not such an
     *     executable or is malformed; nothing else is thrown for any byte content
     */
    public static ElfFile parse(byte[] image) throws ElfException {
        Objects.requireNonNull(image, "image");
        checkIdent(image);
        ByteBuffer buf = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        checkMachine(u16(buf, 18));
        int type = u16(buf, 16);
        checkType(type);
        long entry = buf.getLong(24);
        long phoff = buf.getLong(32);
        int phentsize = u16(buf, 54);
        int phnum = u16(buf, 56);
        checkProgramHeaderTable(image.length, phoff, phentsize, phnum);
        List<ProgramHeader> headers = readProgramHeaders(buf, (int) phoff, phnum);
        rejectInterpreter(image, headers);
        List<ProgramHeader> loads = checkLoads(image.length, headers);
        checkEntry(entry, loads);
        long phdrAddress = phdrAddress(headers, loads, phoff, phnum);
        return new ElfFile(entry, type, phoff, phentsize, phnum,
                loads.stream().map(ProgramHeader::toSegment).toList(), phdrAddress, image);
    }

    /**
     * Reads the whole file at {@code path} and {@link #parse}s it.
     *
     * @throws ElfException if the file is larger than 256 MiB, or as {@link #parse}
     * @throws IOException if the file cannot be read
     */
    public static ElfFile read(Path path) throws ElfException, IOException {
        long size = Files.size(path);
        if (size > MAX_FILE_SIZE) {
            throw tooLarge(Long.toString(size));
        }
        byte[] image;
        try (InputStream in = Files.newInputStream(path)) {
            image = in.readNBytes(MAX_FILE_SIZE + 1); // the file may have grown since Files.size
        }
        if (image.length > MAX_FILE_SIZE) {
            throw tooLarge("more than " + MAX_FILE_SIZE);
        }
        return parse(image);
    }

    private static ElfException tooLarge(String size) {
        return new ElfException("file too large for an executable (" + size
                + " bytes; pagelab loads at most 256 MiB)");
    }

    // ---- e_ident and the ELF header ----

    /** The magic, then class, data and version as far as the file goes, then the header's length. */
    private static void checkIdent(byte[] image) throws ElfException {
        int length = image.length;
        if (length == 0) {
            throw new ElfException("empty file");
        }
        for (int i = 0; i < Math.min(length, ELF_MAGIC.length); i++) {
            if (image[i] != ELF_MAGIC[i]) {
                throw new ElfException("not an ELF file (bad magic)");
            }
        }
        if (length > EI_CLASS) {
            checkClass(image[EI_CLASS] & 0xff);
        }
        if (length > EI_DATA) {
            checkData(image[EI_DATA] & 0xff);
        }
        if (length > EI_VERSION && (image[EI_VERSION] & 0xff) != EV_CURRENT) {
            throw new ElfException("unsupported ELF version " + (image[EI_VERSION] & 0xff)
                    + " (EI_VERSION must be 1, EV_CURRENT)");
        }
        if (length < EHDR_SIZE) {
            throw new ElfException("truncated ELF header (" + length + " bytes)");
        }
    }

    private static void checkClass(int elfClass) throws ElfException {
        if (elfClass == ELFCLASS32) {
            throw new ElfException(
                    "32-bit ELF (ELFCLASS32) is not supported; pagelab runs x86-64 static executables");
        }
        if (elfClass != ELFCLASS64) {
            throw new ElfException("invalid ELF class " + elfClass + " (EI_CLASS must be 2, ELFCLASS64)");
        }
    }

    private static void checkData(int encoding) throws ElfException {
        if (encoding == ELFDATA2MSB) {
            throw new ElfException("big-endian ELF is not supported");
        }
        if (encoding != ELFDATA2LSB) {
            throw new ElfException("invalid ELF data encoding " + encoding
                    + " (EI_DATA must be 1, little-endian)");
        }
    }

    private static void checkMachine(int machine) throws ElfException {
        if (machine != EM_X86_64) {
            String name = machineName(machine);
            throw new ElfException("ELF for machine " + machine
                    + (name.isEmpty() ? " (" : " (" + name + ", ") + "not x86-64)");
        }
    }

    private static String machineName(int machine) {
        return switch (machine) {
            case 3 -> "EM_386";
            case 8 -> "EM_MIPS";
            case 20 -> "EM_PPC";
            case 21 -> "EM_PPC64";
            case 22 -> "EM_S390";
            case 40 -> "EM_ARM";
            case 183 -> "EM_AARCH64";
            case 243 -> "EM_RISCV";
            case 258 -> "EM_LOONGARCH";
            default -> "";
        };
    }

    private static void checkType(int type) throws ElfException {
        switch (type) {
            case ET_EXEC -> { }
            case ET_DYN -> throw new ElfException(
                    "position-independent executable (ET_DYN) is not supported; build with -static -no-pie");
            default -> throw new ElfException("not an executable (e_type " + type + typeName(type) + ")");
        }
    }

    private static String typeName(int type) {
        return switch (type) {
            case ET_NONE -> ", ET_NONE";
            case ET_REL -> ", ET_REL";
            case ET_CORE -> ", ET_CORE";
            default -> "";
        };
    }

    // ---- the program header table ----

    /** {@code load_elf_phdrs()}: entry size, count, and the table inside the file. */
    private static void checkProgramHeaderTable(int fileLength, long phoff, int phentsize, int phnum)
            throws ElfException {
        if (phentsize != PHDR_SIZE) {
            throw new ElfException("bad program header size (e_phentsize " + phentsize
                    + "; must be 56 for ELF64)");
        }
        if (phnum == 0) {
            throw new ElfException("no program headers (e_phnum 0)");
        }
        if (phnum > MAX_PHDR_TABLE_SIZE / PHDR_SIZE) {
            throw new ElfException("too many program headers (e_phnum " + phnum + "; at most "
                    + MAX_PHDR_TABLE_SIZE / PHDR_SIZE + ")");
        }
        if (!fitsInFile(fileLength, phoff, (long) phnum * PHDR_SIZE)) {
            long firstCut = Long.compareUnsigned(phoff, fileLength) > 0 ? 0 : (fileLength - phoff) / PHDR_SIZE;
            BigInteger end = unsigned(phoff).add(BigInteger.valueOf((firstCut + 1) * PHDR_SIZE));
            throw new ElfException("truncated ELF: program header " + firstCut + " ends at byte " + end
                    + " of a " + fileLength + "-byte file");
        }
    }

    /** The headers; the table is known to be inside the file. */
    private static List<ProgramHeader> readProgramHeaders(ByteBuffer buf, int phoff, int phnum) {
        List<ProgramHeader> headers = new ArrayList<>(phnum);
        for (int i = 0; i < phnum; i++) {
            int at = phoff + i * PHDR_SIZE;
            headers.add(new ProgramHeader(i, buf.getInt(at), buf.getInt(at + 4), buf.getLong(at + 8),
                    buf.getLong(at + 16), buf.getLong(at + 32), buf.getLong(at + 40), buf.getLong(at + 48)));
        }
        return headers;
    }

    /** Linux would load the {@code PT_INTERP} program ({@code ld.so}); pagelab has none. */
    private static void rejectInterpreter(byte[] image, List<ProgramHeader> headers) throws ElfException {
        for (ProgramHeader h : headers) {
            if (h.type() == PT_INTERP) {
                String path = interpreterPath(image, h);
                throw new ElfException("dynamically linked executable (has PT_INTERP"
                        + (path.isEmpty() ? "" : " " + path) + "); pagelab runs static executables only");
            }
        }
    }

    /** The interpreter's path for the message, or "" when it is not readable. */
    private static String interpreterPath(byte[] image, ProgramHeader h) {
        if (h.fileSize() <= 0 || h.fileSize() > PATH_MAX || !fitsInFile(image.length, h.offset(), h.fileSize())) {
            return "";
        }
        int start = (int) h.offset();
        int end = start;
        while (end < start + h.fileSize() && image[end] != 0 && end - start < 200) {
            end++;
        }
        return new String(image, start, end - start, StandardCharsets.ISO_8859_1)
                .replaceAll("[^\\x21-\\x7e]", "?");
    }

    // ---- PT_LOAD segments ----

    /** Each {@code PT_LOAD} on its own, then the set: non-empty, sorted, not overlapping. */
    private static List<ProgramHeader> checkLoads(int fileLength, List<ProgramHeader> headers)
            throws ElfException {
        List<ProgramHeader> loads = new ArrayList<>();
        for (ProgramHeader h : headers) {
            if (h.type() == PT_LOAD) {
                checkLoad(fileLength, h);
                loads.add(h);
            }
        }
        if (loads.isEmpty()) {
            throw new ElfException("no PT_LOAD segments (nothing to load)");
        }
        checkSortedAndDisjoint(loads);
        return loads;
    }

    private static void checkLoad(int fileLength, ProgramHeader h) throws ElfException {
        String what = "PT_LOAD segment " + h.index() + ": ";
        if (Long.compareUnsigned(h.fileSize(), h.memSize()) > 0) {
            throw new ElfException(what + "p_filesz " + Long.toUnsignedString(h.fileSize())
                    + " > p_memsz " + Long.toUnsignedString(h.memSize()));
        }
        if (Long.compareUnsigned(h.vaddr(), USER_ADDRESS_LIMIT) >= 0
                || Long.compareUnsigned(h.memSize(), USER_ADDRESS_LIMIT - h.vaddr()) > 0) {
            throw new ElfException(what + "addresses " + hex(h.vaddr()) + ".."
                    + hex(unsigned(h.vaddr()).add(unsigned(h.memSize())))
                    + " are not in the user half (below " + hex(USER_ADDRESS_LIMIT) + ")");
        }
        long stackBottom = dev.pagelab.kernel.mm.MmStruct.STACK_TOP - dev.pagelab.kernel.mm.MmStruct.STACK_SIZE;
        if (Long.compareUnsigned(h.vaddr(), dev.pagelab.kernel.mm.MmStruct.STACK_TOP) < 0
                && Long.compareUnsigned(h.vaddr() + h.memSize(), stackBottom) > 0) {
            // Unlike Linux, whose MAP_FIXED segment would silently replace part of the stack.
            throw new ElfException(what + "addresses " + hex(h.vaddr()) + ".."
                    + hex(unsigned(h.vaddr()).add(unsigned(h.memSize())))
                    + " overlap the stack (which starts at " + hex(stackBottom) + ")");
        }
        if (h.fileSize() == 0) {
            return; // nothing is mapped from the file (a .bss-only segment): p_offset is unused
        }
        if (!fitsInFile(fileLength, h.offset(), h.fileSize())) {
            throw new ElfException("truncated ELF: PT_LOAD segment " + h.index() + " ends at byte "
                    + unsigned(h.offset()).add(unsigned(h.fileSize())) + " of a " + fileLength + "-byte file");
        }
        if ((h.vaddr() & (PAGE_SIZE - 1)) != (h.offset() & (PAGE_SIZE - 1))) {
            throw new ElfException(what + "p_vaddr " + hex(h.vaddr()) + " and p_offset " + hex(h.offset())
                    + " are not congruent modulo the 4096-byte page size");
        }
    }

    /**
     * The ELF specification: {@code PT_LOAD}s are in ascending {@code p_vaddr} order. Their byte
     * ranges must not overlap (sharing a page is fine, as gcc's static binaries do).
     */
    private static void checkSortedAndDisjoint(List<ProgramHeader> loads) throws ElfException {
        ProgramHeader previous = null;
        ProgramHeader furthest = null; // the segment reaching highest so far
        for (ProgramHeader h : loads) {
            if (previous != null && h.vaddr() < previous.vaddr()) {
                throw new ElfException("PT_LOAD segments are not sorted by address: segment " + h.index()
                        + " (p_vaddr " + hex(h.vaddr()) + ") follows segment " + previous.index()
                        + " (p_vaddr " + hex(previous.vaddr()) + ")");
            }
            if (furthest != null && h.memSize() > 0 && h.vaddr() < end(furthest)) {
                throw new ElfException("PT_LOAD segments overlap: segment " + furthest.index() + " "
                        + range(furthest) + " and segment " + h.index() + " " + range(h));
            }
            if (furthest == null || end(h) > end(furthest)) {
                furthest = h;
            }
            previous = h;
        }
    }

    /** pagelab's own check: the first instruction must be in an executable segment. */
    private static void checkEntry(long entry, List<ProgramHeader> loads) throws ElfException {
        String where = "";
        for (ProgramHeader h : loads) {
            Segment s = h.toSegment();
            if (s.contains(entry)) {
                if (s.executable()) {
                    return;
                }
                where = " (it is in segment " + h.index() + ", which is not executable)";
            }
        }
        throw new ElfException("entry point " + hex(entry)
                + " is not inside an executable PT_LOAD segment" + where);
    }

    /**
     * {@code AT_PHDR}: a {@code PT_PHDR}'s {@code p_vaddr}; else, as Linux computes {@code phdr_addr},
     * the address of {@code e_phoff} in the {@code PT_LOAD} whose file bytes hold the whole table;
     * else 0.
     */
    private static long phdrAddress(List<ProgramHeader> headers, List<ProgramHeader> loads, long phoff,
                                    int phnum) {
        for (ProgramHeader h : headers) {
            if (h.type() == PT_PHDR) {
                return h.vaddr();
            }
        }
        long tableEnd = phoff + (long) phnum * PHDR_SIZE; // inside the file: no overflow
        for (ProgramHeader h : loads) {
            if (h.fileSize() > 0 && h.offset() <= phoff && tableEnd <= h.offset() + h.fileSize()) {
                return h.vaddr() + (phoff - h.offset());
            }
        }
        return 0;
    }

    // ---- helpers ----

    /** Whether {@code [offset, offset + size)}, both unsigned, lies within a file of this length. */
    private static boolean fitsInFile(int fileLength, long offset, long size) {
        return Long.compareUnsigned(offset, fileLength) <= 0
                && Long.compareUnsigned(size, fileLength - offset) <= 0;
    }

    /** Exclusive end address; the segment is known to be inside the user half. */
    private static long end(ProgramHeader h) {
        return h.vaddr() + h.memSize();
    }

    private static String range(ProgramHeader h) {
        return "[" + hex(h.vaddr()) + ", " + hex(end(h)) + ")";
    }

    private static int u16(ByteBuffer buf, int at) {
        return Short.toUnsignedInt(buf.getShort(at));
    }

    private static BigInteger unsigned(long value) {
        return new BigInteger(Long.toUnsignedString(value));
    }

    private static String hex(long value) {
        return "0x" + Long.toHexString(value);
    }

    private static String hex(BigInteger value) {
        return "0x" + value.toString(16);
    }
}
